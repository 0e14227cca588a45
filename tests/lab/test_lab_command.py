"""`dlgrader lab` without a browser: what each server is started with, and the student servers it
refuses to start (no account, a caller that cannot switch users, an account that cannot run this
Python)."""
from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from dlgrader.course import Course
from dlgrader.errors import DlgraderError
from dlgrader.lab import lab

from ..accounts import as_account, open_folder
from ..conftest import ROOT, copy_course
from ..sandbox.ordinary_user import reachable_by_others


@pytest.fixture
def course(tmp_path):
    return Course(copy_course(tmp_path / "course"))



def test_instructor_server_runs_in_the_course_root_with_the_graders_environment(course):
    server = lab(course, port=8899, token="t", open_browser=False)
    assert server.cwd == course.root and f"--ServerApp.root_dir={course.root}" in server.cmd
    assert "--port=8899" in server.cmd and "--IdentityProvider.token=t" in server.cmd
    assert server.env["DLGRADER_REFERENCE"] == str(course.reference) and server.account is None


def test_student_server_runs_as_the_account_with_a_config_it_cannot_edit(course, accounts, monkeypatch, tmp_path):
    monkeypatch.setenv("DLGRADER_REFERENCE", str(ROOT / "reference"))
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "roots-jupyter"))
    alice = accounts.add("alice")
    config = tmp_path / "students-config"
    server = lab(course, student=alice.pw_name, port=8899, open_browser=False, config_dir=config,
                 extra=("--ServerApp.log_level=DEBUG",))
    assert server.account == alice and server.cwd == Path(alice.pw_dir)
    assert server.cmd[-1] == "--ServerApp.log_level=DEBUG" and "--allow-root" not in server.cmd
    assert not [k for k in server.env if k.startswith(("DLGRADER_", "JUPYTER_CONFIG_DIR"))]
    assert server.env["HOME"] == alice.pw_dir and server.env["USER"] == server.env["LOGNAME"] == alice.pw_name
    assert server.env["JUPYTER_CONFIG_PATH"] == str(config)
    text = (config / "nbgrader_config.py").read_text()
    assert "student_id" not in text                       # nbgrader takes the OS account's name
    assert f"c.Exchange.root = {str(course.exchange)!r}" in text
    assert "c.CourseDirectory.course_id = 'dl-math-toolkit'" in text
    for path in (config, config / "nbgrader_config.py"):
        st = path.stat()
        assert st.st_uid == 0 and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    assert not list(alice_home_configs(alice))


def alice_home_configs(account):
    return [p for p in Path(account.pw_dir).rglob("nbgrader_config.py")]


def test_a_config_folder_others_can_write_is_refused(course, accounts, tmp_path):
    alice = accounts.add("alice2")
    config = tmp_path / "shared"
    config.mkdir()
    config.chmod(0o777)
    with pytest.raises(DlgraderError, match="nobody else can write"):
        lab(course, student=alice.pw_name, config_dir=config)


@pytest.mark.parametrize("student, says", [
    ("dlgd-no-such-account", "no Unix account named 'dlgd-no-such-account'"),
    ("root", "root is root: a student's server runs as an unprivileged account"),
    ("a+b", "bad student id 'a+b'"),
    ("alice\n", "bad student id 'alice\\n'"),
])
def test_impossible_student_servers_are_refused(course, student, says):
    with pytest.raises(DlgraderError) as caught:
        lab(course, student=student)
    assert str(caught.value).startswith(says)


def test_a_caller_that_cannot_switch_users_is_refused(course, accounts):
    alice, bob = accounts.add("alice3"), accounts.add("bob3")

    def try_it(root, name):
        try:
            lab(Course(Path(root)), student=name)
        except DlgraderError as exc:
            return str(exc)
        return "started"
    where = open_folder()
    try:
        shutil.copytree(course.root, where / "course")
        said = as_account(bob, try_it, str(where / "course"), alice.pw_name)
    finally:
        shutil.rmtree(where)
    assert said == f"starting {alice.pw_name}'s server as {alice.pw_name} needs root (or run it as {alice.pw_name})"


def test_a_home_inside_the_course_is_refused(course, accounts):
    alice = accounts.add("alice4")
    with pytest.raises(DlgraderError, match="inside the course root"):
        lab(course, student=alice.pw_name, home=course.root / "students" / "alice")
    assert not (course.root / "students").exists()


def test_an_account_that_cannot_run_this_python_gets_one_line(course, accounts, tmp_path):
    """This Python lives under /root: the command refuses in one line instead of a failing exec."""
    if reachable_by_others(Path(os.path.realpath(sys.executable))):
        pytest.skip("every account can run this Python here")
    alice = accounts.add("alice5")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLGRADER_")}
    done = subprocess.run([sys.executable, "-m", "dlgrader.cli", "lab", "--course", str(course.root), "--student",
                           alice.pw_name, "--no-browser", "--config-dir", str(tmp_path / "config")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"dlgrader: error: {alice.pw_name} cannot run this Python ({os.path.realpath(sys.executable)} is out of "
        "its reach): install dlgrader where every account can read it (e.g. a venv under /opt) and start "
        "`dlgrader lab --student` from there"]


TIOCSTI_CONFIG = '''
# a student's ~/.jupyter/jupyter_server_config.py: try to type into the terminal that started the server
import fcntl, json, os, termios
tried = {}
for name in ("stdin", "stdout", "stderr", "/dev/tty"):
    try:
        fd = {"stdin": 0, "stdout": 1, "stderr": 2}.get(name)
        fd = os.open("/dev/tty", os.O_RDWR) if fd is None else fd
        fcntl.ioctl(fd, termios.TIOCSTI, b"#")
        tried[name] = "typed"
    except OSError as exc:
        tried[name] = exc.strerror
with open(os.path.expanduser("~/tiocsti.json"), "w") as fh:
    json.dump(tried, fh)
os._exit(0)
'''


def test_a_student_server_cannot_type_into_the_terminal_that_started_it(course, accounts, student_python):
    """root starts eve's server from a terminal; eve's own Jupyter config runs in her server and tries
    TIOCSTI on every terminal it can reach (what root's shell would run after the server stops). Her
    server is in a session of its own with no terminal: nothing is typed."""
    import json
    import pty
    import select
    import time

    from ..conftest import free_port
    eve = accounts.add("eve6")
    jupyter = Path(eve.pw_dir) / ".jupyter"
    jupyter.mkdir()
    (jupyter / "jupyter_server_config.py").write_text(TIOCSTI_CONFIG)
    for path in (jupyter, jupyter / "jupyter_server_config.py"):
        os.chown(path, eve.pw_uid, eve.pw_gid)
    config = open_folder()
    cmd = [str(student_python.python), "-m", "dlgrader.cli", "lab", "--course", str(course.root), "--student",
           eve.pw_name, "--config-dir", str(config / "students"), "--no-browser", "--port", str(free_port())]
    env = {"PATH": f"{student_python.python.parent}:/usr/bin:/bin", "LD_LIBRARY_PATH": str(student_python.libs),
           "HOME": "/root", "LANG": "C.UTF-8", "TERM": "dumb"}
    pid, terminal = pty.fork()                      # the child: a session whose terminal is this pty
    if pid == 0:
        try:
            os.execve(cmd[0], cmd, env)
        finally:
            os._exit(127)
    output, deadline = b"", time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            if not select.select([terminal], [], [], deadline - time.monotonic())[0]:
                break
            try:
                chunk = os.read(terminal, 4096)
            except OSError:                         # EIO: the last process on the terminal is gone
                break
            if not chunk:
                break
            output += chunk
    finally:
        os.close(terminal)
        _, status = os.waitpid(pid, 0)
        shutil.rmtree(config, ignore_errors=True)
    tried = json.loads((Path(eve.pw_dir) / "tiocsti.json").read_text())
    assert set(tried) == {"stdin", "stdout", "stderr", "/dev/tty"}, output
    assert "typed" not in tried.values(), (tried, output)
