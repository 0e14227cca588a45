"""Crash safety of `dlgrader grade`: SIGKILL the coordinator mid-batch, run it again.

Checks, with counts against the cohort: after each kill the gradebook holds only complete gradings
(every submission row has all its auto scores and its journal row, and the reverse); the re-run
grades exactly the submissions not yet committed; in the end each submission was committed exactly
once and every score equals an uninterrupted run's; no grading process outlives the coordinator.
"""
from __future__ import annotations

import json
import os
import re
import select
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from dlgrader.course import Course
from dlgrader.execution.batch import grade_batch
from dlgrader.gradebook.scores import submission_scores

from ..conftest import gone
from .cohort import ps2_cohort

A = "ps2_softmax_cross_entropy"
N = 40                      # + a blank and a broken submission


def scores(course: Course) -> dict:
    return {s.student: [(c.cell, c.score) for c in s.cells] for s in submission_scores(course, A)}


def query(course: Course, sql: str) -> list[tuple]:
    db = sqlite3.connect(f"file:{course.gradebook_path}?mode=ro", uri=True, timeout=30)
    try:
        return db.execute(sql).fetchall()
    except sqlite3.OperationalError:        # the journal table is created by the first grading run
        return []
    finally:
        db.close()


def committed(course: Course) -> int:
    return len(query(course, f"SELECT student FROM dlgrader_graded WHERE assignment = '{A}'"))


def children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found |= {int(p) for p in (task / "children").read_text().split()}
        except OSError:
            pass
    return found


def start_grade(course: Course) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLGRADER_")}
    return subprocess.Popen([sys.executable, "-m", "dlgrader.cli", "grade", A, "--workers", "2"],
                            cwd=course.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


PROGRESS = re.compile(rf"^Grading {A}: (\d+)/(\d+) (\S+)$".encode(), re.M)


def kill_after(course: Course, proc: subprocess.Popen, at_least: int) -> int:
    """SIGKILL the coordinator once this run has reported AT_LEAST committed gradings (its progress
    line comes right after each commit: an event, no polling; the count starts at 1 in every run,
    over the submissions this run grades); wait until its workers are gone."""
    seen, buffer = 0, b""
    fd = proc.stdout.fileno()
    while seen < at_least:
        ready, _, _ = select.select([fd], [], [], 120)           # bounded: a hung grader fails the test
        assert ready, f"no progress from dlgrader grade for 120 s:\n{buffer.decode(errors='replace')}"
        chunk = os.read(fd, 65536)
        assert chunk, f"dlgrader grade ended before it could be killed:\n{buffer.decode(errors='replace')}"
        buffer += chunk
        numbers = [int(m.group(1)) for m in PROGRESS.finditer(buffer)]
        seen = max(numbers, default=0)
        total = int(PROGRESS.findall(buffer)[0][1]) if numbers else None
    workers = children(proc.pid)
    assert workers, "the coordinator had no worker processes to orphan"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert seen < total, f"the batch ended ({seen}/{total}) before the kill"      # it landed mid-batch
    for pid in workers:                      # die-with-parent: nothing keeps running on its own
        assert gone(pid, 10.0), f"worker {pid} outlived the killed coordinator"
    return committed(course)


def assert_consistent(course: Course) -> set[str]:
    """Only whole gradings in the gradebook: submission rows == journal rows, no empty auto score."""
    subs = {s for (s,) in query(course, f"""
        SELECT sa.student_id FROM submitted_assignment sa JOIN assignment a ON a.id = sa.assignment_id
        WHERE a.name = '{A}'""")}
    journal = {s for (s,) in query(course, f"SELECT student FROM dlgrader_graded WHERE assignment = '{A}'")}
    assert subs == journal, (subs ^ journal)
    empty = query(course, f"""
        SELECT sa.student_id, g.id FROM grade g
        JOIN submitted_notebook sn ON sn.id = g.notebook_id
        JOIN submitted_assignment sa ON sa.id = sn.assignment_id
        JOIN assignment a ON a.id = sa.assignment_id
        WHERE a.name = '{A}' AND g.auto_score IS NULL""")
    assert not empty, f"submissions with unscored cells: {empty}"
    for student in journal:                 # each committed grading has its whole autograded folder
        folder = course.autograded / student / A
        assert json.loads((folder / "dlgrader-verdicts.json").read_text())["softmax_cross_entropy"]["cells"] \
            or student == "broken", student
        for notebook in folder.glob("*.ipynb"):
            nbformat.validate(nbformat.read(str(notebook), as_version=4))
    return journal


@pytest.fixture(scope="module")
def uninterrupted(built_template, tmp_path_factory):
    course = ps2_cohort(built_template, tmp_path_factory.mktemp("clean") / "course", N)
    grade_batch(course, A)
    return scores(course)


def test_sigkilled_grade_resumes_and_grades_each_submission_once(built_template, tmp_path, uninterrupted):
    course = ps2_cohort(built_template, tmp_path / "course", N)
    total = N + 2

    first = kill_after(course, start_grade(course), 4)
    assert 4 <= first < total
    after_first = assert_consistent(course)

    second = kill_after(course, start_grade(course), 6)          # 6 more, of the total - first left
    assert first + 6 <= second < total
    after_second = assert_consistent(course)
    assert after_first <= after_second

    proc = start_grade(course)
    out, _ = proc.communicate(timeout=300)
    out = out.decode(errors="replace")
    assert proc.returncode == 0, out
    assert f"{second} submission(s) already graded" in out
    report = json.loads((course.root / "logs" / f"grade-{A}.json").read_text())
    assert sorted(report["already_graded"]) == sorted(after_second)

    assert assert_consistent(course) == set(uninterrupted)
    times = dict(query(course, f"SELECT student, times FROM dlgrader_graded WHERE assignment = '{A}'"))
    assert len(times) == total and set(times.values()) == {1}, times      # each committed exactly once
    assert scores(course) == uninterrupted
    assert not list(course.autograded.glob(f"*/.{A}*")), "staging folders left behind"

    again = start_grade(course)
    out, _ = again.communicate(timeout=300)
    out = out.decode(errors="replace")
    assert again.returncode == 0 and f"{total} submission(s) already graded" in out, out
    times = dict(query(course, f"SELECT student, times FROM dlgrader_graded WHERE assignment = '{A}'"))
    assert set(times.values()) == {1}


def test_a_changed_submission_or_force_grades_again(built_template, tmp_path):
    course = ps2_cohort(built_template, tmp_path / "course", 4)
    first = grade_batch(course, A)
    assert not first.skipped
    nb = course.submitted / "d01" / A / "softmax_cross_entropy.ipynb"
    edited = nbformat.read(str(nb), as_version=4)                  # d01 resubmits with one more cell
    edited.cells.append(nbformat.v4.new_markdown_cell("I checked my softmax again."))
    nbformat.write(edited, str(nb))
    second = grade_batch(course, A)
    assert sorted(set(second.students) - set(second.skipped)) == ["d01"]
    forced = grade_batch(course, A, force=True)
    assert not forced.skipped
    times = dict(query(course, f"SELECT student, times FROM dlgrader_graded WHERE assignment = '{A}'"))
    assert times == {s: (3 if s == "d01" else 2) for s in first.students}
