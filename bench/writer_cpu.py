"""Benchmark: the coordinator's CPU per recorded submission (GradebookWriter), apart from grading.

`dlgrader grade` has one coordinator that alone writes the gradebook while worker processes grade;
on a small machine every ms it spends per submission is taken from the workers. This measures that
cost alone, in CPU time, user and system apart (other jobs on the machine change wall times much
more than CPU times; the system part, the autograded/ folder's files, varies most):

    capture: grade a course once in this process (`dlgrader grade --force`), timing each
             writer.record (and the group commits), and keep the workers'
             results (plain JSON data) in a file;
    replay:  record those results again, REPEAT times, into copies of the course: once into a
             gradebook without the submissions (first grading) and once into one with them (a
             re-grade), K submissions per commit (1: a commit each).

    .venv/bin/python bench/writer_cpu.py capture /tmp/course ps2_softmax_cross_entropy /tmp/results.json
    .venv/bin/python bench/writer_cpu.py replay /tmp/course ps2_softmax_cross_entropy /tmp/results.json [--k 16]
"""
from __future__ import annotations

import argparse
import os
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dlgrader.course import Course  # noqa: E402
from dlgrader.gradebook import writer as writer_module  # noqa: E402


def capture(course: Course, assignment: str, out: Path) -> None:
    from dlgrader.execution.batch import grade_batch
    cls = writer_module.GradebookWriter
    calls, spent = [], {"record": 0.0, "commit": 0.0}
    original_record, original_commit = cls.record, cls.commit

    def record(self, assignment, student, results, submitted, digest, **kw):
        calls.append((student, results, digest))
        started = time.thread_time()
        try:
            return original_record(self, assignment, student, results, submitted, digest, **kw)
        finally:
            spent["record"] += time.thread_time() - started

    def commit(self, *a, **kw):
        started = time.thread_time()
        try:
            return original_commit(self, *a, **kw)
        finally:
            spent["commit"] += time.thread_time() - started

    shutil.copy2(course.gradebook_path, out.with_suffix(".db"))     # before: without the submissions
    cls.record, cls.commit = record, commit
    grade_batch(course, assignment, force=True)
    n = len(calls)
    print(f"capture: {n} recorded; record {spent['record'] / n * 1e3:.1f} ms CPU each, "
          f"commits {spent['commit'] / n * 1e3:.1f} ms CPU each")
    out.write_text(json.dumps({"assignment": assignment, "calls": calls}))


def replay(course: Course, saved: Path, k: int, repeat: int) -> None:
    data = json.loads(saved.read_text())
    assignment, calls = data["assignment"], data["calls"]
    for label in ("first grading", "re-grade"):
        per = []
        for _ in range(repeat):
            with tempfile.TemporaryDirectory() as tmp:
                copy = Course(Path(tmp) / "course")
                shutil.copytree(course.root, copy.root, ignore=shutil.ignore_patterns("autograded", "logs"))
                shutil.copy2(saved.with_suffix(".db"), copy.gradebook_path)
                writer = writer_module.GradebookWriter(copy)
                if label == "re-grade":
                    _record_all(writer, copy, assignment, calls, k)
                started = os.times()
                _record_all(writer, copy, assignment, calls, k)
                ended = os.times()
                per.append(((ended.user - started.user) / len(calls), (ended.system - started.system) / len(calls)))
                writer.close()
        total = [u + s for u, s in per]
        print(f"replay {label}, {len(calls)} submissions, k={k}: {statistics.median(total) * 1e3:.1f} ms CPU "
              f"each, user {statistics.median(u for u, _ in per) * 1e3:.1f} + system "
              f"{statistics.median(s for _, s in per) * 1e3:.1f} (medians of {repeat}; totals "
              f"{', '.join(f'{t * 1e3:.1f}' for t in total)})")


def _record_all(writer, course: Course, assignment: str, calls: list, k: int) -> None:
    grouped = k > 1
    for i, (student, results, digest) in enumerate(calls, 1):
        folder = course.submitted / student / assignment
        if grouped:
            writer.record(assignment, student, results, folder, digest, commit=False)
            if i % k == 0:
                writer.commit()
        else:
            writer.record(assignment, student, results, folder, digest)
    if grouped:
        writer.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["capture", "replay"])
    parser.add_argument("course", type=Path)
    parser.add_argument("assignment")
    parser.add_argument("results", type=Path)
    parser.add_argument("--k", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    course = Course(args.course.resolve())
    if args.mode == "capture":
        capture(course, args.assignment, args.results)
    else:
        replay(course, args.results, args.k, args.repeat)


if __name__ == "__main__":
    main()
