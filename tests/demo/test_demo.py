"""`dlgrader demo`, the main job, end to end through the CLI as a user runs it. The simulated class is
deterministic (the demo's seed), so the tests know who is honest, blank, broken or mistaken and check
the exact outcome for each."""
from __future__ import annotations

import csv
import re

import pytest

from dlgrader.demo.cohort import BROKEN, make_cohort

from ..conftest import ASSIGNMENTS, ROOT, dlgrader, mistake_book

N_STUDENTS = 30
NAMES = sorted(ASSIGNMENTS)
CODE = ("ps2_softmax_cross_entropy", "ps3_two_layer_forward")     # autograded only: honest = full marks


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("demo") / "demo-course"
    result = dlgrader(ROOT, "demo", "--students", str(N_STUDENTS), "--workdir", str(workdir))
    people = {p.student: p for p in make_cohort(N_STUDENTS, mistake_book(), seed=2026, assignments=NAMES)}
    return workdir, result, people


def rows(workdir) -> dict:
    with open(workdir / "grades.csv", newline="") as fh:
        return {(r["student_id"], r["assignment"]): r for r in csv.DictReader(fh)}


def test_demo_prints_the_grade_table(demo):
    _, result, people = demo
    out = result.stdout
    assert f"Grades ({N_STUDENTS} students)" in out
    assert sorted(re.findall(r"^│ (s\d{3}) ", out, flags=re.M)) == sorted(people)        # each student once
    assert "columns: " + ", ".join(NAMES) in " ".join(out.split())
    header = next(line for line in out.splitlines() if "student" in line and "total" in line)
    assert re.findall(r"ps\d", header) == ["ps1", "ps2", "ps3", "ps4"]
    [broken] = [p for p in people.values() if p.kind == BROKEN]
    row = next(line for line in out.splitlines() if line.startswith(f"│ {broken.student} "))
    column = NAMES.index(broken.broken_assignment)
    assert re.match(r"0/\d+(\.\d+)?!$", row.split("│")[2 + column].strip()), row      # 0 of its points, marked
    assert "Traceback" not in result.stdout + result.stderr


def test_demo_shows_progress(demo):
    _, result, _ = demo
    total = N_STUDENTS * len(NAMES)
    assert f"Students fetch, answer, submit: {total}/{total}" in result.stderr
    for a in NAMES:            # one line per graded submission, naming it
        lines = re.findall(rf"^Grading {a}: (\d+)/(\d+) (s\d{{3}})$", result.stderr, flags=re.M)
        assert [int(k) for k, _, _ in lines] == list(range(1, N_STUDENTS + 1)), a
        assert {s for _, _, s in lines} == {f"s{i:03d}" for i in range(1, N_STUDENTS + 1)}


def test_demo_went_through_the_real_exchange(demo):
    workdir, _, _ = demo
    inbound = list((workdir / "exchange" / "dl-math-toolkit" / "inbound").iterdir())
    assert len(inbound) == N_STUDENTS * len(NAMES)
    assert (workdir / "students" / "s001" / "ps1_gradient_descent" / "gradient_descent.ipynb").is_file()


def test_demo_exports_grades_csv_with_each_personas_outcome(demo):
    workdir, _, people = demo
    grades = rows(workdir)
    assert len(grades) == N_STUDENTS * len(NAMES)
    for (student, assignment), r in grades.items():
        p, score, full = people[student], float(r["score"]), float(r["max_score"])
        if p.kind == "blank" or (p.kind == BROKEN and assignment == p.broken_assignment):
            assert score == 0, (student, assignment)
        elif p.kind == "honest" and assignment in CODE:
            assert score == full > 0, (student, assignment)
        elif p.kind == "mistakes" and assignment in CODE and any(
                f"def {t}(" in (ROOT / "source" / assignment).joinpath(ASSIGNMENTS[assignment] + ".ipynb").read_text()
                for t in p.mistakes):
            assert score < full, (student, assignment, p.mistakes)


def test_demo_feedback_names_mistakes_only_where_there_are_some(demo):
    workdir, result, people = demo
    pages = sorted((workdir / "feedback").glob("*/*/*.html"))
    broken = sum(1 for p in people.values() if p.kind == BROKEN)
    assert len(pages) == N_STUDENTS * len(NAMES) - broken           # all but the unreadable notebook
    assert f"feedback:   {len(pages)} HTML page(s)" in result.stdout
    hinted = set()
    for page in pages:
        text = page.read_text()
        assert "BEGIN HIDDEN TESTS" not in text and "t.hidden(" not in text
        assert "_dlgrader_reference" not in text
        if "Common mistake:" in text:
            hinted.add(page.parent.parent.name)
    mistaken = {s for s, p in people.items() if p.kind == "mistakes"}
    assert hinted <= mistaken, hinted - mistaken                    # never a hint for correct work
    assert len(hinted) >= len(mistaken) // 2, (hinted, mistaken)


def test_demo_reports_the_broken_notebook_instead_of_crashing(demo):
    _, result, people = demo
    [broken] = [p for p in people.values() if p.kind == BROKEN]
    assert f"{broken.broken_assignment}: could not grade {broken.student} (broken)" in " ".join(result.stdout.split())


def test_demo_ends_with_the_report(demo):
    workdir, result, _ = demo
    assert f"report:     {workdir / 'report.html'}" in result.stdout.replace("\n", "")
    page = (workdir / "report.html").read_text()
    for a in NAMES:
        assert f'id="{a}"' in page
    assert "Course overview" in page and "Item analysis" in page
    with open(workdir / "grades-canvas.csv", newline="") as fh:
        assert len(list(csv.reader(fh))) == 2 + N_STUDENTS
