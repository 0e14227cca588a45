"""Grouped commits (gradebook/groups.py, GradebookWriter.record(commit=False)): a group is all or
nothing, a failure or a kill before its commit leaves none of its rows; and when groups are cut."""
from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys

import pytest

from dlgrader.course import Course
from dlgrader.gradebook import journal
from dlgrader.gradebook.groups import CommitGroups
from dlgrader.gradebook.writer import GradebookWriter

A = "ps2_softmax_cross_entropy"
NB = "softmax_cross_entropy"


def results(course: Course, score: float) -> dict:
    """A worker's result for A with every autograded cell at SCORE (as execution/notebook.py gives)."""
    import nbformat
    source = nbformat.read(str(course.source / A / f"{NB}.ipynb"), as_version=4)
    cells = [{"grade_id": c.metadata["nbgrader"]["grade_id"], "score": score, "needs_manual": False, "reason": ""}
             for c in source.cells if c.metadata.get("nbgrader", {}).get("grade")
             and not c.metadata["nbgrader"].get("solution")]
    assert cells
    return {NB: {"status": "graded", "reason": "", "cells": cells, "autograded": None, "sanitized": 0}}


def submitted(course: Course, student: str):
    folder = course.submitted / student / A
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def rows(course: Course) -> tuple[set, set, int]:
    """(students with a submission row, students with a journal row, grades) as another reader sees them."""
    db = sqlite3.connect(course.gradebook_path)      # read-write: it would roll a hot journal back
    try:
        subs = {s for (s,) in db.execute("SELECT student_id FROM submitted_assignment")}
        try:
            journal = {s for (s,) in db.execute("SELECT student FROM dlgrader_graded")}
        except sqlite3.OperationalError:
            journal = set()
        grades = db.execute("SELECT count(*) FROM grade").fetchone()[0]
        return subs, journal, grades
    finally:
        db.close()


def test_a_group_is_committed_whole(course):
    writer = GradebookWriter(course)
    try:
        for s in ("ann", "bob", "cat"):
            writer.record(A, s, results(course, 1.0), submitted(course, s), f"d-{s}", commit=False)
        assert rows(course)[:2] == (set(), set())          # nothing visible before the commit
        other = sqlite3.connect(course.gradebook_path, timeout=0, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")                   # nor locked while the group waits (Formgrader)
        other.execute("ROLLBACK")
        other.close()
        writer.commit()
    finally:
        writer.close()
    subs, journal, grades = rows(course)
    assert subs == journal == {"ann", "bob", "cat"} and grades > 0


def test_a_failure_in_the_middle_of_a_group_leaves_none_of_it(course, monkeypatch):
    writer = GradebookWriter(course)
    writer.record(A, "old", results(course, 1.0), submitted(course, "old"), "d-old")    # committed alone
    before = rows(course)
    writer.record(A, "ann", results(course, 1.0), submitted(course, "ann"), "d-ann", commit=False)
    writer.record(A, "old", results(course, 0.0), submitted(course, "old"), "d-old2", commit=False)
    writer.record(A, "bob", results(course, 1.0), submitted(course, "bob"), "d-bob", commit=False)
    real, calls = journal.mark, []

    def fails_on_the_second(*args):
        calls.append(args)
        if len(calls) == 2:
            raise OSError("disk full")
        real(*args)
    monkeypatch.setattr(journal, "mark", fails_on_the_second)
    try:
        with pytest.raises(OSError):
            writer.commit()
        monkeypatch.undo()
        writer.commit()            # the failed group is dropped, not committed later
    finally:
        writer.close()
    assert rows(course) == before
    from dlgrader.gradebook.scores import submission_scores
    [old] = submission_scores(course, A)
    assert old.student == "old" and {c.score for c in old.cells} == {1.0}     # the committed grading


KILLED_BEFORE_COMMIT = """
import os, signal, sys
from pathlib import Path
sys.path.insert(0, {tests!r})
from dlgrader.course import Course
from dlgrader.gradebook.writer import GradebookWriter
from gradebook.test_groups import results, submitted
course = Course(Path({root!r}))
writer = GradebookWriter(course)
writer.record({a!r}, "ann", results(course, 1.0), submitted(course, "ann"), "d-ann", commit=False)
writer.record({a!r}, "bob", results(course, 1.0), submitted(course, "bob"), "d-bob", commit=False)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_kill_before_the_commit_leaves_none_of_the_group(course):
    from pathlib import Path
    tests = str(Path(__file__).resolve().parents[1])
    script = KILLED_BEFORE_COMMIT.format(tests=tests, root=str(course.root), a=A)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert (course.autograded / "ann" / A).is_dir()      # it got as far as writing the folders
    assert rows(course) == (set(), set(), 0)


class FakeWriter:
    def __init__(self):
        self.commits = 0

    def commit(self):
        self.commits += 1


def test_groups_are_cut_at_their_size_or_when_the_coordinator_waited():
    clock = iter([0.0, 0.0] * 5 + [10.0, 10.5] + [20.0, 20.0] * 3 + [30.0]).__next__   # before, after each next()
    writer, reported = FakeWriter(), []
    groups = CommitGroups(writer, reported.append, size=4, idle=0.01, clock=clock)
    for student in groups.arrivals(f"s{i}" for i in range(9)):
        groups.done(student)
        assert len(reported) + len(groups.pending) == int(student[1:]) + 1
    assert writer.commits == 2 and reported == [f"s{i}" for i in range(6)]    # 4 queued; the 6th waited
    groups.commit()
    assert writer.commits == 3 and reported == [f"s{i}" for i in range(9)]
