"""After `dlgrader build`, a real student account (made here with useradd) reads none of the course's
private files: reference/, source/, the gradebook, the course secret, submitted/, autograded/,
feedback/, logs/; not even what is put in them later with ordinary modes. With c.Dlgrader.course_group
a TA account in that group can read them, the student still cannot."""
from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from dlgrader.course import Course

from ..accounts import as_account, cloned_course, reachable
from ..conftest import dlgrader

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="creating Unix accounts needs root")
PRIVATE = ("reference", "source", "submitted", "autograded", "feedback", "logs", "gradebook.db", ".dlgrader-secret")


@pytest.fixture
def cloned(built_template):
    """The built course in a folder every account can pass, every file with the modes a git clone
    (or a copy by an instructor with umask 022) gets: folders 755, files 644."""
    root = cloned_course(built_template)
    try:
        yield Course(root)
    finally:
        shutil.rmtree(root.parent)


def later_files(course: Course) -> list[Path]:
    """Files made after the build with ordinary modes: a submission, its graded copy, its feedback."""
    made = []
    for folder in ("submitted", "autograded", "feedback"):
        path = course.root / folder / "bob" / "ps1_gradient_descent" / "gradient_descent.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}")
        path.chmod(0o644)
        path.parent.chmod(0o755)
        made.append(path)
    return made


def everything(course: Course) -> list[str]:
    paths = []
    for name in PRIVATE:
        top = course.root / name
        paths.append(str(top))
        if top.is_dir():
            for folder, dirs, files in os.walk(top):
                paths += [os.path.join(folder, n) for n in dirs + files]
    return paths


def test_after_build_a_student_account_reads_no_private_file(cloned, accounts):
    student = accounts.add("stu")
    assert "list" in as_account(student, reachable, [str(cloned.root / "reference")])[str(cloned.root / "reference")]
    dlgrader(cloned.root, "build", "ps4_quiz")
    made = later_files(cloned)
    paths = everything(cloned)
    assert len(paths) > 40 and all(str(p) in paths for p in made)
    seen = as_account(student, reachable, paths)
    assert {p: what for p, what in seen.items() if what} == {}
    # ... while what students are meant to see stays readable
    release = str(cloned.root / "release" / "ps4_quiz" / "quiz.ipynb")
    assert as_account(student, reachable, [release])[release] == ["read"]
    for name in PRIVATE:
        mode = stat.S_IMODE((cloned.root / name).stat().st_mode)
        assert mode in (0o700, 0o600), (name, oct(mode))


def test_a_dlgrader_command_makes_a_missing_private_folder_owner_only(cloned):
    dlgrader(cloned.root, "build", "ps4_quiz")
    shutil.rmtree(cloned.root / "logs")
    shutil.rmtree(cloned.root / "feedback")
    dlgrader(cloned.root, "release", "ps4_quiz")       # writes logs/release-ps4_quiz.log
    for name in ("logs", "feedback"):
        assert stat.S_IMODE((cloned.root / name).stat().st_mode) == 0o700, name
    assert (cloned.root / "logs" / "release-ps4_quiz.log").is_file()


def test_the_course_group_reads_the_private_files_and_the_student_still_not(cloned, accounts):
    student, ta = accounts.add("stu2"), accounts.add("ta")
    group = accounts.group("tas", [ta])
    with open(cloned.root / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.Dlgrader.course_group = {group.gr_name!r}\n")
    dlgrader(cloned.root, "build", "ps4_quiz")
    later_files(cloned)
    paths = everything(cloned)
    assert {p: w for p, w in as_account(student, reachable, paths).items() if w} == {}
    ta_sees = as_account(ta, reachable, paths)
    assert ta_sees[str(cloned.root / "reference")] == ["list"]
    assert ta_sees[str(cloned.root / "gradebook.db")] == ["read"]
    assert ta_sees[str(cloned.root / ".dlgrader-secret")] == ["read"]
    top = cloned.root / "reference"
    assert top.stat().st_gid == group.gr_gid and stat.S_IMODE(top.stat().st_mode) == 0o2750


def test_an_unknown_course_group_is_one_line(cloned):
    with open(cloned.root / "nbgrader_config.py", "a") as config:
        config.write("\nc.Dlgrader.course_group = 'no-such-group-dlgd'\n")
    done = dlgrader(cloned.root, "build", "ps4_quiz", check=False)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == \
        "dlgrader: error: c.Dlgrader.course_group = 'no-such-group-dlgd': no such Unix group"
