"""`dlgrader serve --once` from the command line: two students submit through nbgrader's exchange,
serve grades what is waiting, releases the feedback and stops; run again, it has nothing to do."""
from __future__ import annotations

import os
import sqlite3

import nbformat

from dlgrader.verdicts import reference

from ..conftest import ROOT, dlgrader, notebook_path
from ..execution.cohort import filled
from .test_serve import nbgrader

A = "ps2_softmax_cross_entropy"
NB = "softmax_cross_entropy"
COURSE_ID = "dl-math-toolkit"


def journal(course):
    db = sqlite3.connect(course.gradebook_path)
    try:
        return dict(db.execute("SELECT student, times FROM dlgrader_graded WHERE assignment = ?", (A,)))
    finally:
        db.close()


def test_serve_once_grades_what_waits_releases_feedback_and_stops(course, tmp_path):
    from dlgrader.gradebook.scores import submission_scores
    dlgrader(course.root, "release", A)
    os.environ[reference.ENV_VAR] = str(ROOT / "reference")
    try:
        wrong = reference.load().mistakes.BOOK.get("softmax", "no-max-shift").student_source()
    finally:
        os.environ.pop(reference.ENV_VAR, None)
    src = notebook_path(course.root, "source", A)
    for who, nb in (("alice", filled(src)), ("bob", filled(src, {"softmax": wrong}))):
        home = tmp_path / who
        nbgrader(home, course, "fetch_assignment", A)
        nbformat.write(nb, str(home / A / f"{NB}.ipynb"))
        nbgrader(home, course, "submit", A, f"--student={who}")

    first = dlgrader(course.root, "serve", "--once", "--workers", "1")
    assert "dlgrader serve stopped: 2 graded, 2 feedback released, 0 failed" in first.stdout, first.stdout
    assert journal(course) == {"alice": 1, "bob": 1}
    scores = {s.student: s.score for s in submission_scores(course, A)}
    assert scores == {"alice": 13.0, "bob": 11.5}

    nbgrader(tmp_path / "bob", course, "fetch_feedback", A, "--student=bob")
    [page] = (tmp_path / "bob" / A / "feedback").glob(f"*/{NB}.html")
    text = page.read_text()
    assert "BEGIN HIDDEN TESTS" not in text and "t.hidden(" not in text
    assert "11.5" in text

    again = dlgrader(course.root, "serve", "--once", "--workers", "1")
    assert "dlgrader serve stopped: 0 graded, 0 feedback released, 0 failed" in again.stdout, again.stdout
    assert journal(course) == {"alice": 1, "bob": 1}
