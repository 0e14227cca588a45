"""Two `dlgrader grade` runs started together on one course. Whatever interleaving happens, no run
may crash and the course must end consistent: every submission graded (once, or twice with the same
result), one journal row per submission with the digest of its files, one submission per student in
nbgrader's gradebook with the right scores, one complete autograded/ folder per student, and a third
run finds nothing left to grade."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest

from dlgrader.gradebook.scores import submission_scores

from ..conftest import dlgrader
from .cohort import ps2_cohort

A = "ps2_softmax_cross_entropy"
# ps2_cohort: d00 right, d01 softmax without the max shift, d02 one-sided h, d03 gradient sign flip
EXPECTED = {"d00": 13.0, "d01": 11.5, "d02": 9.0, "d03": 9.0, "blank": 0.0, "broken": 0.0}


def start(course):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLGRADER_")}
    if "DLGRADER_SANDBOX_UID_BASE" in os.environ:
        env["DLGRADER_SANDBOX_UID_BASE"] = os.environ["DLGRADER_SANDBOX_UID_BASE"]
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
    return subprocess.Popen([sys.executable, "-m", "dlgrader.cli", "grade", A, "--workers", "1"],
                            cwd=course.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def raced(built_template, tmp_path_factory):
    course = ps2_cohort(built_template, tmp_path_factory.mktemp("race") / "course", 4)
    procs = [start(course), start(course)]                    # both started before either reads anything
    outs = [p.communicate(timeout=600) for p in procs]
    return course, [(p.returncode, out, err) for p, (out, err) in zip(procs, outs)]


def test_neither_run_crashes(raced):
    _, runs = raced
    for code, out, err in runs:
        ours = [line.strip() for line in err.splitlines() if "/dlgrader/" in line and "File" in line]
        assert code == 0, f"exit {code}\n" + "\n".join(ours) + "\n" + "\n".join(err.splitlines()[-3:])
        assert "Traceback" not in err, err[-3000:]


def test_every_submission_is_in_the_gradebook_once_with_its_scores(raced):
    from nbgrader.api import Gradebook
    course, _ = raced
    scores = {s.student: s.score for s in submission_scores(course, A)}
    assert scores == EXPECTED
    db = sqlite3.connect(course.gradebook_path)
    try:
        per_student = dict(db.execute("SELECT student_id, COUNT(*) FROM submitted_assignment GROUP BY student_id"))
        grades = db.execute("SELECT COUNT(*) FROM grade").fetchone()[0]
        comments = db.execute("SELECT COUNT(*) FROM comment").fetchone()[0]
    finally:
        db.close()
    assert per_student == {s: 1 for s in EXPECTED}
    with Gradebook(course.db_url, course.course_id) as gb:
        [notebook] = gb.find_assignment(A).notebooks
        cells = len(notebook.grade_cells) + len(notebook.task_cells)
        commented = len(notebook.solution_cells) + len(notebook.task_cells)
    assert (grades, comments) == (cells * len(EXPECTED), commented * len(EXPECTED))


def test_the_journal_has_one_row_per_submission_with_its_digest(raced):
    from dlgrader import settings
    from dlgrader.execution.batch import hidden_paths, read_submission
    from dlgrader.execution.workers import make_bundle
    course, _ = raced
    bundle = make_bundle(course, A, False, settings.load(course).limits(), hidden_paths(course))
    db = sqlite3.connect(course.gradebook_path)
    try:
        rows = {s: (d, t) for s, d, t in db.execute(
            "SELECT student, digest, times FROM dlgrader_graded WHERE assignment = ?", (A,))}
    finally:
        db.close()
    assert sorted(rows) == sorted(EXPECTED)
    for student, (digest, times) in rows.items():
        assert digest == read_submission(course, A, student, course.notebooks(A)).digest(bundle["digest"])
        assert times in (1, 2)                                 # graded by one run, or by both


def test_autograded_holds_one_complete_folder_per_student(raced):
    course, _ = raced
    leftovers = sorted(p.name for p in course.autograded.glob("*/.*"))
    assert leftovers == []
    for student in EXPECTED:
        folder = course.autograded / student / A
        names = sorted(p.name for p in folder.iterdir())
        if student == "broken":
            assert names == ["dlgrader-verdicts.json", "timestamp.txt"] or names == ["dlgrader-verdicts.json"]
        else:
            assert "softmax_cross_entropy.ipynb" in names and "dlgrader-verdicts.json" in names
        verdicts = json.loads((folder / "dlgrader-verdicts.json").read_text())
        assert list(verdicts) == ["softmax_cross_entropy"]


def test_a_third_run_has_nothing_left_to_grade(raced):
    course, _ = raced
    third = dlgrader(course.root, "grade", A)
    assert "6 submission(s) already graded and unchanged since" in third.stdout, third.stdout
