"""`dlgrader demo`, the main job, end to end through the CLI as a user runs it."""
from __future__ import annotations

import csv
import re

import pytest

from ..conftest import ROOT, dlgrader

N_STUDENTS = 30


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("demo") / "demo-course"
    result = dlgrader(ROOT, "demo", "--students", str(N_STUDENTS), "--workdir", str(workdir))
    return workdir, result


def test_demo_prints_the_grade_table(demo):
    _, result = demo
    out = result.stdout
    assert "Grades (30 students)" in out
    for a in ("ps1_gradient_descent", "ps2_softmax_cross_entropy", "ps3_two_layer_forward", "ps4_quiz"):
        assert a[:8] in out
    assert len(re.findall(r"^│ s0\d\d ", out, flags=re.M)) >= N_STUDENTS - 2
    assert "grades.csv" in out and "feedback" in out
    assert "Traceback" not in result.stdout + result.stderr


def test_demo_shows_progress(demo):
    _, result = demo
    assert "Students fetch, answer, submit: 30/30" in result.stderr or "30/30" in result.stderr
    assert re.search(r"Grading ps2_softmax_cross_entropy: \d+/\d+", result.stderr)


def test_demo_went_through_the_real_exchange(demo):
    workdir, _ = demo
    inbound = list((workdir / "exchange" / "dl-math-toolkit" / "inbound").iterdir())
    assert len(inbound) == N_STUDENTS * 4
    assert (workdir / "students" / "s001" / "ps1_gradient_descent" / "gradient_descent.ipynb").is_file()


def test_demo_exports_grades_csv(demo):
    workdir, _ = demo
    with open(workdir / "grades.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {"assignment", "student_id", "score", "max_score"} <= set(rows[0])
    assert len(rows) == N_STUDENTS * 4
    scores = [float(r["score"]) for r in rows]
    assert min(scores) == 0 and max(scores) > 0 and len(set(scores)) > 5   # a spread, not all alike


def test_demo_feedback_has_messages_but_no_hidden_code(demo):
    workdir, _ = demo
    pages = sorted((workdir / "feedback").glob("*/*/*.html"))
    assert len(pages) >= N_STUDENTS * 4 - 4
    hints = 0
    for page in pages:
        text = page.read_text()
        assert "BEGIN HIDDEN TESTS" not in text and "t.hidden(" not in text
        assert "_dlgrader_reference" not in text
        hints += "Common mistake:" in text
    assert hints >= 3


def test_demo_reports_the_broken_notebook_instead_of_crashing(demo):
    _, result = demo
    assert re.search(r"could not grade s0\d\d \(broken\)", result.stdout.replace("\n", " "))


def test_demo_ends_with_the_report(demo):
    workdir, result = demo
    assert f"report:     {workdir / 'report.html'}" in result.stdout.replace("\n", "")
    page = (workdir / "report.html").read_text()
    for a in ("ps1_gradient_descent", "ps2_softmax_cross_entropy", "ps3_two_layer_forward", "ps4_quiz"):
        assert f'id="{a}"' in page
    assert "Course overview" in page and "Item analysis" in page
    with open(workdir / "grades-canvas.csv", newline="") as fh:
        assert len(list(csv.reader(fh))) == 2 + N_STUDENTS
