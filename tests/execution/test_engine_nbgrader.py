"""`dlgrader grade --engine nbgrader`: stock `nbgrader autograde` on three submissions (right, one named
mistake, not JSON), the gradebook it leaves, and `failed_students` on the log that run wrote."""
from __future__ import annotations

import os
import shutil

import pytest

from dlgrader.course import Course
from dlgrader.execution.autograde import failed_students
from dlgrader.gradebook.scores import submission_scores
from dlgrader.verdicts import reference

from ..conftest import ROOT, dlgrader, notebook_path, submit_notebook
from .cohort import filled

A = "ps2_softmax_cross_entropy"


@pytest.fixture(scope="module")
def stock_graded(built_template, tmp_path_factory):
    course = Course(tmp_path_factory.mktemp("engine-nbgrader") / "course")
    shutil.copytree(built_template, course.root)
    os.environ[reference.ENV_VAR] = str(ROOT / "reference")
    try:
        wrong = reference.load().mistakes.BOOK.get("softmax_ce_gradient", "sign-flip").student_source()
    finally:
        os.environ.pop(reference.ENV_VAR, None)
    src = notebook_path(course.root, "source", A)
    submit_notebook(course, "alice", A, filled(src))
    submit_notebook(course, "bob", A, filled(src, {"softmax_ce_gradient": wrong}))
    submit_notebook(course, "carol", A, "{ not json")
    result = dlgrader(course.root, "grade", A, "--engine", "nbgrader", check=False)
    return course, result


def test_the_run_finishes_and_names_the_submission_nbgrader_could_not_process(stock_graded):
    _, result = stock_graded
    assert result.returncode == 0, result.stdout + result.stderr
    assert "carol: nbgrader could not process it" in result.stdout
    assert "alice: nbgrader" not in result.stdout and "bob: nbgrader" not in result.stdout


def test_scores_in_the_gradebook_are_nbgraders(stock_graded):
    course, _ = stock_graded
    scores = {s.student: s for s in submission_scores(course, A)}
    # nbgrader registers carol's submission before it fails to read it: it stays, at zero
    assert sorted(scores) == ["alice", "bob", "carol"]
    assert (scores["carol"].score, [c.score for c in scores["carol"].cells]) == (0.0, [0.0] * 5), scores["carol"]
    assert (scores["alice"].score, scores["alice"].max_score) == (13.0, 13.0)
    bob = scores["bob"]
    assert bob.score == 9.0
    assert {c.cell: c.score for c in bob.cells} == {"ps2-softmax-test": 4.0, "ps2-ce-test": 2.0,
                                                    "ps2-grad-test": 0.0, "ps2-num-test": 3.0,
                                                    "ps2-check-test": 0.0}
    autograded = sorted(p.relative_to(course.autograded).as_posix()
                        for p in course.autograded.glob(f"*/{A}/*.ipynb"))
    assert autograded == [f"alice/{A}/softmax_cross_entropy.ipynb", f"bob/{A}/softmax_cross_entropy.ipynb"]


def test_failed_students_reads_the_log_this_run_wrote(stock_graded):
    course, _ = stock_graded
    log = (course.root / "logs" / f"grade-{A}.log").read_text()
    assert f"There was an error processing assignment '{A}' for student 'carol'" in log
    assert failed_students(log, A) == ["carol"]
    assert failed_students(log, "ps1_gradient_descent") == []


# nbgrader 0.9.6, converters/base.py: the summary line per failed submission, and the line logged
# first with the submission's path, which must not be mistaken for a student.
LINE = "[AutogradeApp | ERROR] There was an error processing assignment '{}' for student '{}'"


@pytest.mark.parametrize("log, expected", [
    (LINE.format(A, "carol"), ["carol"]),
    ("\n".join([LINE.format(A, "d.e-f_9"), LINE.format(A, "alice"), LINE.format(A, "alice")]), ["alice", "d.e-f_9"]),
    (LINE.format("ps1_gradient_descent", "carol"), []),
    (LINE.format(A + "_v2", "carol"), []),
    (LINE.format(A, "carol").replace("ERROR", "WARNING"), []),
    (f"[AutogradeApp | ERROR] There was an error processing assignment: /course/submitted/carol/{A}", []),
    (f"[AutogradeApp | INFO] Autograding /course/autograded/carol/{A}/softmax_cross_entropy.ipynb", []),
    ("[AutogradeApp | ERROR] Please see the the above traceback for details on the specific errors", []),
    ("", []),
], ids=["one", "several-once-each", "other-assignment", "prefix-assignment", "not-an-error",
        "path-line", "progress-line", "summary-line", "empty"])
def test_failed_students_on_nbgraders_log_lines(log, expected):
    assert failed_students(log, A) == expected
