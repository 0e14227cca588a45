"""One configuration: the course's nbgrader_config.py moves dlgrader and stock nbgrader alike (course id,
exchange root, gradebook); a misspelt dlgrader setting, a value of the wrong type or a file that does
not run stops a dlgrader command with one line; grading never creates the course secret."""
from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from dlgrader.course import Course
from dlgrader.gradebook.scores import submission_scores

from ..conftest import ROOT, configure, dlgrader, notebook_path, submit_notebook
from ..execution.cohort import filled

QUIZ, NB = "ps4_quiz", "quiz"


def student_nbgrader(home: Path, *args: str) -> subprocess.CompletedProcess:
    """Stock `nbgrader ARGS` as a student runs it: from their home, which holds the course's
    nbgrader_config.py, with no grader variables and no other flags."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLGRADER_")}
    env["HOME"] = str(home)
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args, f"--Exchange.cache={home / '.cache'}"],
                            cwd=home, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def student_home(course: Course, home: Path) -> Path:
    home.mkdir(parents=True)
    shutil.copy2(course.root / "nbgrader_config.py", home / "nbgrader_config.py")
    return home


def scores(course: Course, assignment: str) -> dict:
    return {s.student: (s.score, s.max_score) for s in submission_scores(course, assignment)}


def test_course_id_and_exchange_set_in_the_config_move_release_list_collect_and_grade(course, tmp_path):
    elsewhere = tmp_path / "shared-exchange"
    configure(course.root, "c.CourseDirectory.course_id = 'dl-moved'", f"c.Exchange.root = {str(elsewhere)!r}")
    assert (course.course_id, course.exchange) == ("dl-moved", elsewhere)      # read afresh after the edit

    dlgrader(course.root, "release", QUIZ)
    assert (elsewhere / "dl-moved" / "outbound" / QUIZ / f"{NB}.ipynb").is_file()
    assert not (course.root / "exchange").exists()           # the place the copy's earlier line named

    home = student_home(course, tmp_path / "alice")
    listed = student_nbgrader(home, "list")
    assert re.search(rf"dl-moved {QUIZ}\b", listed.stdout + listed.stderr), listed.stdout + listed.stderr
    student_nbgrader(home, "fetch_assignment", QUIZ)
    nbformat.write(filled(notebook_path(course.root, "source", QUIZ)), str(home / QUIZ / f"{NB}.ipynb"))
    student_nbgrader(home, "submit", QUIZ, "--student=alice")
    assert len(list((elsewhere / "dl-moved" / "inbound").iterdir())) == 1

    collected = dlgrader(course.root, "collect", QUIZ)
    assert "collected 1 submission(s)" in collected.stdout, collected.stdout
    dlgrader(course.root, "grade", QUIZ)
    [(score, top)] = scores(course, QUIZ).values()
    assert top > 0 and score == top
    assert list(scores(course, QUIZ)) == ["alice"]


def test_the_database_set_in_the_config_moves_build_stock_nbgrader_and_grade(course, tmp_path):
    moved = tmp_path / "elsewhere" / "gradebook.db"
    moved.parent.mkdir()
    configure(course.root, f"c.CourseDirectory.db_url = {f'sqlite:///{moved}'!r}")
    before = course.gradebook_path.read_bytes()

    dlgrader(course.root, "build", QUIZ)                       # nbgrader's generate_assignment, underneath
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLGRADER_")}
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])    # its alembic
    stock = subprocess.run([sys.executable, "-m", "nbgrader", "db", "student", "add", "zed"], cwd=course.root,
                           env=env, capture_output=True, text=True, timeout=120)
    assert stock.returncode == 0, stock.stdout + stock.stderr
    submit_notebook(course, "alice", QUIZ, filled(notebook_path(course.root, "source", QUIZ)))
    dlgrader(course.root, "grade", QUIZ)

    with sqlite3.connect(moved) as db:
        assert {r[0] for r in db.execute("select name from assignment")} == {QUIZ}
        assert {r[0] for r in db.execute("select id from student")} == {"alice", "zed"}
    assert course.db_url == f"sqlite:///{moved}" and list(scores(course, QUIZ)) == ["alice"]
    assert course.gradebook_path.read_bytes() == before          # the old gradebook was not touched


BAD_SETTINGS = [
    ("c.Dlgrader.cel_seconds = 5", ["c.Dlgrader.cel_seconds is not a dlgrader setting",
                                    "did you mean c.Dlgrader.cell_seconds?"]),
    ("c.DlgraderCollect.max_file = 3", ["c.DlgraderCollect.max_file ", "did you mean c.DlgraderCollect.max_files?"]),
    ("c.Dlgrader.max_files = 3", ["c.Dlgrader.max_files ", "did you mean c.DlgraderCollect.max_files?"]),
    ("c.DlgraderColect.max_files = 3", ["c.DlgraderColect is not a dlgrader settings section",
                                        "did you mean c.DlgraderCollect.max_files?"]),
    ('c.Dlgrader.cell_seconds = "ten"', ["c.Dlgrader.cell_seconds = 'ten' is not valid",
                                         "expected a float, not the str 'ten'"]),
    ("c.DlgraderCollect.max_files = 2.5", ["c.DlgraderCollect.max_files = 2.5 is not valid", "expected an int"]),
    ("c.Dlgrader.memory_mb = -5", ["c.Dlgrader.memory_mb = -5 is not valid", "must not be negative"]),
    ("c.Dlgrader.cell_seconds = = 5", ["nbgrader_config.py line ", "SyntaxError"]),
    ("c.Dlgrader.cell_seconds = ten", ["nbgrader_config.py line ", "NameError", "'ten'"]),
]


@pytest.mark.parametrize("line, says", BAD_SETTINGS, ids=[b[0] for b in BAD_SETTINGS])
def test_a_bad_setting_stops_release_with_one_line_naming_it(course, line, says):
    configure(course.root, line)
    result = dlgrader(course.root, "release", QUIZ, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"dlgrader: error: {course.root / 'nbgrader_config.py'}"), lines[0]
    for words in says:
        assert words in lines[0], lines[0]
    assert not (course.root / "exchange").exists()           # nothing was released


@pytest.mark.parametrize("command", [["grade", QUIZ], ["export", "--to", "grades.csv"], ["serve", "--once"]])
def test_every_command_stops_on_a_misspelt_setting(course, command):
    configure(course.root, "c.Dlgrader.cel_seconds = 5")
    result = dlgrader(course.root, *command, check=False)
    assert (result.returncode, len(result.stderr.splitlines())) == (1, 1), result.stderr
    assert "did you mean c.Dlgrader.cell_seconds?" in result.stderr


def test_the_shipped_exchange_lies_outside_the_course_and_the_variable_is_only_its_default(tmp_path, monkeypatch):
    from nbgrader.exchange.default.exchange import Exchange

    from dlgrader.course import NBGRADER_EXCHANGE
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy2(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    course = Course(root)
    assert course.exchange == Path("/srv/nbgrader/exchange")
    monkeypatch.setenv("DLGRADER_EXCHANGE", str(tmp_path / "x"))
    assert course.exchange == tmp_path / "x"                  # the file's default follows the variable
    configure(root, "c.Exchange.root = '/srv/other'")
    assert course.exchange == Path("/srv/other")              # ... and the file beats it
    (root / "nbgrader_config.py").write_text("c.CourseDirectory.course_id = 'x'\n")
    assert course.exchange == Path(NBGRADER_EXCHANGE) == Path(Exchange.root.default_value)   # unset: nbgrader's


# ---- the course secret ----------------------------------------------------------------------------
def one_line_about_the_secret(result, secret: Path, what: str) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(f"dlgrader: error: the course secret {secret} {what}: restore it from the grader's "
                           "backup of c.Dlgrader.secret_file"), line
    assert "`dlgrader build` creates one only for a new course" in line
    return line


def test_grade_serve_and_build_on_a_graded_course_without_its_secret_stop_and_write_none(course):
    secret = course.root / ".dlgrader-secret"
    submit_notebook(course, "alice", QUIZ, filled(notebook_path(course.root, "source", QUIZ)))
    dlgrader(course.root, "grade", QUIZ)
    graded = scores(course, QUIZ)
    dlgrader(course.root, "release", QUIZ)          # serve needs an inbound folder
    secret.unlink()

    lines = {one_line_about_the_secret(dlgrader(course.root, *cmd, check=False), secret, "is missing")
             for cmd in (["grade", QUIZ, "--force"], ["serve", "--once"], ["build", QUIZ])}
    assert len(lines) == 1                             # the same line from each
    assert not secret.exists()
    assert scores(course, QUIZ) == graded


@pytest.mark.parametrize("content, what", [
    (b"", "is empty"), (b"  \n", "is empty"), (b"\xff\xfe" * 40, "is not UTF-8 text"),
    (b"short\n", "is too short (under 32 characters)"), (None, "cannot be read (Is a directory)")])
def test_a_bad_secret_is_one_line_and_left_as_it_is(course, content, what):
    secret = course.root / ".dlgrader-secret"
    secret.unlink()
    if content is None:
        secret.mkdir()
    else:
        secret.write_bytes(content)
    submit_notebook(course, "alice", QUIZ, filled(notebook_path(course.root, "source", QUIZ)))
    one_line_about_the_secret(dlgrader(course.root, "grade", QUIZ, check=False), secret, what)
    assert secret.is_dir() if content is None else secret.read_bytes() == content
    assert scores(course, QUIZ) == {}


def test_build_makes_no_secret_when_it_cannot_reach_the_gradebook(course):
    """A missing secret and a gradebook server that does not answer: build cannot tell a new course
    from a graded one, so it stops in one line instead of making a secret that would change every
    student's hidden inputs (it took any database error for 'no gradings yet')."""
    secret = course.root / ".dlgrader-secret"
    secret.unlink()
    configure(course.root, "c.CourseDirectory.db_url = 'postgresql://grader:pw-dlg@127.0.0.1:1/dl'")
    done = dlgrader(course.root, "build", check=False)
    assert done.returncode == 1 and not secret.exists()
    line = done.stderr.strip()
    assert "\n" not in line and "cannot tell whether the gradebook" in line and "no course secret is made" in line
    assert "pw-dlg" not in line, line


def test_a_config_shipped_in_a_submission_is_never_taken_for_the_course(course):
    """eve's submission holds a nbgrader_config.py and a source/ of its own; a TA who runs dlgrader
    from inside her collected copy gets the real course (her file, run as Python, used to be the
    course's configuration, running as the TA)."""
    theirs = course.submitted / "eve" / QUIZ
    (theirs / "source").mkdir(parents=True)
    marker = theirs / "ran-as-the-grader"
    (theirs / "nbgrader_config.py").write_text(f"open({str(marker)!r}, 'w').write('pwned')\n")
    found = Course.find(theirs)
    assert found.root == course.root.resolve()
    done = dlgrader(theirs, "doctor", check=False)
    assert not marker.exists(), done.stdout + done.stderr
