"""The sandbox's view of the host is an allowlist: what plan() exposes, and what student code that
walks the whole filesystem finds (nothing of any course copy planted around the host)."""
from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
from pathlib import Path

import pytest

from dlgrader.sandbox import filesystem
from dlgrader.sandbox.isolation import default_policy
from dlgrader.sandbox.session import Zygote

from ..conftest import ROOT, sandbox_uid

UID = sandbox_uid(64920)


# ---- the plan (pure) ---------------------------------------------------------------------------
def test_plan_exposes_system_python_and_nothing_that_holds_a_hidden_folder(tmp_path, monkeypatch):
    course = tmp_path / "course"
    venv_site = course / ".venv" / "lib" / "python3.11" / "site-packages"
    venv_site.mkdir(parents=True)
    other_site = tmp_path / "elsewhere" / "site-packages"
    other_site.mkdir(parents=True)
    cwd = tmp_path / "where-the-grader-started"         # holds another course copy, say
    (cwd / "old-course" / "reference").mkdir(parents=True)
    monkeypatch.setattr(sys, "path", ["", str(course), str(tmp_path), str(venv_site), str(other_site), str(cwd),
                                      "/no/such/dir"])
    view = filesystem.plan([str(course)])
    assert str(venv_site) in view.binds and str(other_site) in view.binds
    for never in (course, tmp_path, cwd):               # a course, or a folder that may hold anything
        assert str(never) not in view.binds
    for bind in view.binds:
        assert not filesystem.under(str(course), bind) and not filesystem.under(str(cwd / "old-course"), bind)
    for top in ("/home", "/root", "/srv", "/opt", "/var", "/mnt", "/etc", "/work"):
        assert top not in view.binds
    assert "/usr/lib" in view.binds and "/usr" not in view.binds and "/usr/local" not in view.binds
    assert all(not b.startswith("/etc/") or b in filesystem.ETC for b in view.binds)


def test_plan_masks_a_hidden_folder_that_lies_inside_a_system_folder(tmp_path, monkeypatch):
    system = tmp_path / "usr"
    course = system / "local" / "backup-of-course"
    (course / "reference").mkdir(parents=True)
    monkeypatch.setattr(filesystem, "SYSTEM", (str(system),))
    view = filesystem.plan([str(course)])
    assert str(system) in view.binds and view.mask == [str(course)]


def test_plan_exposes_an_editable_package_folder_alone(tmp_path, monkeypatch):
    import dlgrader
    package = Path(dlgrader.__file__).parent
    checkout = package.parent
    view = filesystem.plan([str(checkout)])
    assert str(package) in view.binds and str(checkout) not in view.binds


def test_plan_survives_a_round_trip_as_data():
    view = filesystem.plan([str(ROOT)])
    assert filesystem.View.from_dict(json.loads(json.dumps(view.to_dict()))) == view


# ---- the view, for real --------------------------------------------------------------------------
PLACES = ("/srv", "/opt", "/var/backups", "/home", "/mnt", "/root", "/tmp", "/work", "/usr/local/share", "/usr/src")


@pytest.fixture
def planted():
    """World-readable copies of the course's reference/ and source/ in several places on the host,
    named with a fresh token (what a student walking / would look for)."""
    if os.geteuid() != 0:
        pytest.skip("planting copies around the host needs root")
    token = f"planted-course-{secrets.token_hex(4)}"
    made = []
    try:
        for place in PLACES:
            if not os.path.isdir(place):
                continue
            dest = Path(place) / token
            shutil.copytree(ROOT / "reference", dest / "reference", ignore=shutil.ignore_patterns("__pycache__"))
            shutil.copytree(ROOT / "source", dest / "source")
            (dest / "ANSWER_KEY.txt").write_text(token)
            for root, dirs, files in os.walk(dest):
                for name in dirs:
                    os.chmod(os.path.join(root, name), 0o755)
                for name in files:
                    os.chmod(os.path.join(root, name), 0o644)
            os.chmod(dest, 0o755)
            made.append(dest)
        yield token, made
    finally:
        for dest in made:
            shutil.rmtree(dest, ignore_errors=True)


COURSE_FILES = ("/reference/ps2.py", "/reference/mistakes.py", "/suites/ps4.py", "/softmax_cross_entropy.ipynb",
                "/quiz.ipynb", "/gradient_descent.ipynb")
WALK = r'''
import os, time
found, seen, started = [], 0, time.monotonic()
for root, dirs, files in os.walk('/', onerror=lambda e: None):
    if root == '/proc' or root.startswith('/proc/'):
        dirs[:] = []
        continue
    seen += len(files)
    for name in dirs + files:
        path = os.path.join(root, name)
        if TOKEN in name or name == 'ANSWER_KEY.txt' or path.endswith(COURSE_FILES):
            found.append(path)
    if time.monotonic() - started > 40:
        print('TIMEOUT')
        break
print(seen)
print('\n'.join(found))
'''


def test_student_code_walking_the_filesystem_finds_no_course_copy(planted, tmp_path):
    token, made = planted
    assert len(made) >= 6
    course = tmp_path / "course"
    (course / "reference").mkdir(parents=True)
    z = Zygote(default_policy([str(course), str(ROOT)], UID))
    try:
        session = z.spawn()
        reply = session.request({"op": "cell", "source": f"TOKEN = {token!r}\nCOURSE_FILES = {COURSE_FILES!r}\n"
                                 + WALK}, 60)
        session.close()
    finally:
        z.close()
    lines = reply["output"].split("\n")
    assert "TIMEOUT" not in lines and int(lines[0]) > 1000, reply       # it did walk a real tree
    assert [p for p in lines[1:] if p] == [], "course files visible inside the sandbox"
    for dest in made:                               # and they were there all along, for the host
        assert (dest / "reference" / "mistakes.py").is_file()


def test_only_the_allowlisted_top_level_folders_exist(tmp_path):
    z = Zygote(default_policy([str(tmp_path)], UID + 1))
    try:
        session = z.spawn()
        reply = session.request({"op": "cell", "source": "import os\nprint(sorted(os.listdir('/')))\n"
                                 "print(sorted(os.listdir('/dev')))\nprint(sorted(os.listdir('/etc')))"}, 20)
        session.close()
    finally:
        z.close()
    top, dev, etc = (eval(line) for line in reply["output"].strip().split("\n"))
    allowed = {"bin", "sbin", "lib", "lib64", "lib32", "libx32", "usr", "etc", "dev", "proc", "tmp"}
    # plus the first folder of each path leading to the Python installation (e.g. root/.pyenv/...)
    python_tops = {Path(p).parts[1] for p in filesystem.python_folders() if p.startswith("/") and len(Path(p).parts) > 1}
    assert set(top) <= allowed | python_tops, top
    assert not {"home", "srv", "opt", "mnt", "var", "media", "boot"} & (set(top) - python_tops)
    assert set(dev) == set(filesystem.DEVICES) | {"fd", "stdin", "stdout", "stderr"}
    assert set(etc) <= {"passwd", "group", "hostname", "hosts"} | {Path(p).name for p in filesystem.ETC}
