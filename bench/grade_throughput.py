"""Benchmark: stock `nbgrader autograde` (serial, and on 2 workers) against `dlgrader grade`.

For each class size N (default 100 and 400), one cohort of ordinary ps2 submissions (the honest
answer written two ways, and every registered mistake; no blanks, no broken files) is graded on
identical copies of the course in one run:
- stock serial: `nbgrader autograde` on the whole class;
- stock on 2 workers: the class split in two halves, one `nbgrader autograde` per half, at once;
- dlgrader: `dlgrader grade` as a TA runs it (the CLI, sandboxed, 2 workers) on three fresh copies
  (the median is quoted), then again with nothing left to grade.
Every submission's scores must agree cell by cell across the three. Printed: wall times and ratios,
the workers' busy fraction, the floor (the CPU time of the student code and the checks alone,
spread over the workers: no grader can beat it on this machine), start-up (command start to the
first task at a worker), and peak memory per worker and per sandbox zygote.

    .venv/bin/python bench/grade_throughput.py [--n 100 400] [--workers 2] [--assignment ps2_softmax_cross_entropy]
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from feedback_latency import env, make_course, variants  # noqa: E402  (bench/feedback_latency.py)

from dlgrader.course import Course  # noqa: E402
from dlgrader.execution.autograde import stock_preprocessor_flags  # noqa: E402
from dlgrader.gradebook.scores import submission_scores  # noqa: E402


def cohort(course: Course, assignment: str, n: int) -> dict[str, str]:
    """N ordinary submissions: honest ones (two ways of writing them) and the usual mistakes, in turn."""
    import nbformat
    kinds = variants(course, assignment)
    return {f"b{i:04d}": nbformat.writes(kinds[i % len(kinds)]) for i in range(n)}


def place(course: Course, assignment: str, subs: dict, nb_name: str, only=None) -> None:
    for sid, text in subs.items():
        if only is None or sid in only:
            dest = course.submitted / sid / assignment
            dest.mkdir(parents=True, exist_ok=True)
            (dest / nb_name).write_text(text)


def stock(course: Course, assignment: str) -> subprocess.Popen:
    """nbgrader's own autograde: its in-kernel Execute (the course's config would grade in the sandbox)."""
    return subprocess.Popen([sys.executable, "-m", "nbgrader", "autograde", assignment, *stock_preprocessor_flags()],
                            cwd=course.root, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def dlgrader(course: Course, assignment: str, workers: int) -> float:
    t0 = time.monotonic()
    subprocess.run([sys.executable, "-m", "dlgrader.cli", "grade", assignment, "--workers", str(workers)],
                   cwd=course.root, env=env(), check=True, capture_output=True)
    return time.monotonic() - t0


def cell_scores(course: Course, assignment: str) -> dict:
    return {s.student: [(c.cell, c.score) for c in s.cells] for s in submission_scores(course, assignment)}


def run(template: Path, work: Path, a: str, n: int, workers: int) -> None:
    copies = {}
    for name in ("serial", "half1", "half2", "ours", "ours2", "ours3"):
        shutil.copytree(template, work / f"{name}-{n}")
        copies[name] = Course(work / f"{name}-{n}")
    nb_name = next((copies["serial"].source / a).glob("*.ipynb")).name
    subs = cohort(copies["serial"], a, n)
    ids = sorted(subs)
    for name, only in (("serial", None), ("ours", None), ("ours2", None), ("ours3", None),
                       ("half1", set(ids[0::2])), ("half2", set(ids[1::2]))):
        place(copies[name], a, subs, nb_name, only)
    print(f"\n== n = {n}: ordinary submissions of {a} ==", flush=True)

    t0 = time.monotonic()
    stock(copies["serial"], a).wait()
    t_serial = time.monotonic() - t0
    print(f"stock nbgrader autograde, serial:        {t_serial:8.1f} s", flush=True)
    t0 = time.monotonic()
    for p in [stock(copies["half1"], a), stock(copies["half2"], a)]:
        p.wait()
    t_two = time.monotonic() - t0
    print(f"stock nbgrader autograde, 2 workers:     {t_two:8.1f} s", flush=True)
    runs = sorted((dlgrader(copies[name], a, workers), name) for name in ("ours", "ours2", "ours3"))
    t_ours, median = runs[1]          # three fresh copies: one run is too noisy to quote alone
    print(f"dlgrader grade, {workers} workers, sandboxed:  {t_ours:8.1f} s   (median of 3 fresh copies: "
          + ", ".join(f"{t:.1f}" for t, _ in runs) + " s)", flush=True)
    first = json.loads((copies[median].root / "logs" / f"grade-{a}.json").read_text())["timing"]
    t_again = dlgrader(copies[median], a, workers)

    theirs, mine = cell_scores(copies["serial"], a), cell_scores(copies["ours"], a)
    again = [cell_scores(copies[name], a) for name in ("ours2", "ours3")]
    halves = {**cell_scores(copies["half1"], a), **cell_scores(copies["half2"], a)}
    differ = [s for s in ids if not (theirs.get(s) == halves.get(s) == mine.get(s) == again[0].get(s)
                                     == again[1].get(s) is not None)]
    pool = first.get("workers", [])
    floor = first.get("floor_cpu", 0.0) / workers
    print(f"scores compared cell by cell (stock serial, stock halves, 3 dlgrader runs): {len(ids)} submissions, "
          f"{len(differ)} differ {differ[:5]}")
    print(f"speed-up vs stock serial:     {t_serial / t_ours:6.1f}x   (target >= 30x)")
    print(f"speed-up vs stock 2 workers:  {t_two / t_ours:6.1f}x")
    print(f"workers busy during the batch: {100 * first.get('busy', 0):.0f} %   (target >= 85 %)")
    print(f"floor (student code + checks CPU / {workers} workers): {floor:.2f} s;  "
          f"dlgrader took {t_ours / floor if floor else float('nan'):.1f}x the floor")
    print(f"start-up: first task at a worker {first.get('first_task_at', float('nan')):.2f} s after the "
          f"command started (workers ready {first.get('ready', float('nan')):.2f} s after they were forked)")
    print(f"again with nothing left to grade: {t_again:.2f} s")
    print("peak memory per worker: " + ", ".join(f"{w['rss_mb']:.0f} MB (+ zygote {w['zygote_mb']:.0f} MB)"
                                                  for w in pool) + "   (target <= 300 MB)")
    for copy in copies.values():
        shutil.rmtree(copy.root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[100, 400])
    parser.add_argument("--assignment", default="ps2_softmax_cross_entropy")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dlgrader-bench-"))
    try:
        print(f"building the course in {work} ...", flush=True)
        template = make_course(work / "template").root
        for n in args.n:
            run(template, work, args.assignment, n, args.workers)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
