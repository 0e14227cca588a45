"""Benchmark: stock `nbgrader autograde` (serial, and 2 workers) against `dlgrader grade`.

Builds one cohort of N submissions of one assignment (honest, written differently, each registered
mistake, blank, and every 25th a broken notebook), grades identical copies of it three ways in one
run, checks that the honest scores agree cell by cell, and prints wall times, ratios, the
single-submission latency and the workers' peak memory; then, with `dlgrader serve` running, the
submit -> feedback latency against stock nbgrader's (bench/feedback_latency.py).

    .venv/bin/python bench/grade_throughput.py [--n 200] [--assignment ps2_softmax_cross_entropy]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dlgrader.course import Course  # noqa: E402
from dlgrader.execution.batch import grade_batch  # noqa: E402
from dlgrader.gradebook.scores import submission_scores  # noqa: E402
from dlgrader.verdicts import reference  # noqa: E402
from tests.execution.cohort import alternative_replacements, filled  # noqa: E402

from dlgrader.authoring.solutions import defined_name  # noqa: E402

import feedback_latency  # noqa: E402  (bench/feedback_latency.py)
from feedback_latency import env, make_course  # noqa: E402


def cohort(course: Course, assignment: str, n: int) -> dict[str, object]:
    os.environ[reference.ENV_VAR] = str(course.reference)
    book = reference.load().mistakes.BOOK
    src_path = next((course.source / assignment).glob("*.ipynb"))
    src = src_path.read_text()
    names = [defined_name(c["source"] if isinstance(c["source"], str) else "".join(c["source"]))
             for c in json.loads(src)["cells"] if c["cell_type"] == "code"]
    mistakes = [m for m in book.all() if f"def {m.target}(" in src]
    honest = [filled(src_path), filled(src_path, alternative_replacements(names))]
    wrong = [filled(src_path, {m.target: m.student_source()}) for m in mistakes]
    blank = (course.release / assignment / src_path.name).read_text()
    subs = {}
    for i in range(n):
        sid = f"b{i:04d}"
        if i % 25 == 24:
            subs[sid] = "{ this is not json"
        elif i % 10 == 9:
            subs[sid] = blank
        elif i % 2 == 0:
            subs[sid] = honest[(i // 2) % len(honest)]
        else:
            subs[sid] = wrong[(i // 2) % len(wrong)] if wrong else honest[0]
    return subs


def place(course: Course, assignment: str, subs: dict, nb_name: str, only=None) -> None:
    import nbformat
    for sid, nb in subs.items():
        if only is not None and sid not in only:
            continue
        dest = course.submitted / sid / assignment
        dest.mkdir(parents=True, exist_ok=True)
        path = dest / nb_name
        if isinstance(nb, str):
            path.write_text(nb)
        else:
            nbformat.write(nb, str(path))


def stock(course: Course, assignment: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "nbgrader", "autograde", assignment], cwd=course.root,
                            env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def cell_scores(course: Course, assignment: str) -> dict:
    return {s.student: [(c.cell, c.score) for c in s.cells] for s in submission_scores(course, assignment)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--assignment", default="ps2_softmax_cross_entropy")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--latency", type=int, default=100, metavar="N",
                        help="then measure submit -> feedback with N queued behind (0: skip)")
    args = parser.parse_args()
    a = args.assignment
    work = Path(tempfile.mkdtemp(prefix="dlgrader-bench-"))
    print(f"building 4 course copies in {work} ...", flush=True)
    serial, half1, half2, ours = (make_course(work / name) for name in ("serial", "w1", "w2", "ours"))
    nb_name = next((serial.source / a).glob("*.ipynb")).name
    subs = cohort(serial, a, args.n)
    ids = sorted(subs)
    place(serial, a, subs, nb_name)
    place(ours, a, subs, nb_name)
    place(half1, a, subs, nb_name, set(ids[0::2]))
    place(half2, a, subs, nb_name, set(ids[1::2]))
    print(f"cohort: {args.n} submissions of {a}", flush=True)

    t0 = time.monotonic()
    stock(serial, a).wait()
    t_serial = time.monotonic() - t0
    print(f"stock nbgrader autograde, serial:      {t_serial:8.1f} s", flush=True)

    t0 = time.monotonic()
    procs = [stock(half1, a), stock(half2, a)]
    for p in procs:
        p.wait()
    t_two = time.monotonic() - t0
    print(f"stock nbgrader autograde, 2 workers:   {t_two:8.1f} s", flush=True)

    t0 = time.monotonic()
    run = grade_batch(ours, a, workers=args.workers)
    t_ours = time.monotonic() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"dlgrader grade ({args.workers} workers, sandboxed): {t_ours:8.1f} s", flush=True)

    theirs = cell_scores(serial, a)
    theirs2 = {**cell_scores(half1, a), **cell_scores(half2, a)}
    mine = cell_scores(ours, a)
    honest = [s for s in ids if not isinstance(subs[s], str) or not subs[s].startswith("{")]
    differ = [s for s in honest if theirs.get(s) != mine.get(s) or theirs2.get(s) != mine.get(s)]
    print(f"honest submissions compared cell by cell: {len(honest)}, differing: {len(differ)} {differ[:5]}")

    per = sorted(run.seconds.values())
    single = work / "single"
    shutil.copytree(ours.root, single, ignore=shutil.ignore_patterns("autograded", "submitted", "logs"))
    one = Course(single)
    place(one, a, {ids[0]: subs[ids[0]]}, nb_name)
    t0 = time.monotonic()
    grade_batch(one, a, workers=1)
    t_cold = time.monotonic() - t0

    print()
    print(f"speed-up vs stock serial:     {t_serial / t_ours:6.1f}x   (target >= 25x)")
    print(f"speed-up vs stock 2 workers:  {t_two / t_ours:6.1f}x   (target >= 12x)")
    print(f"one submission, warm worker:  median {statistics.median(per):.3f} s, max {per[-1]:.3f} s "
          "(target <= 0.3 s)")
    print(f"one submission, cold start (new workers and sandbox zygote): {t_cold:.2f} s")
    print(f"peak memory of one worker process: {peak_mb:.0f} MB (target <= 300 MB)")
    if args.latency:
        print()
        print(f"dlgrader serve: submit -> feedback latency ({args.latency} queued) ...", flush=True)
        feedback_latency.report(feedback_latency.measure(args.latency, a, args.workers, work / "latency"))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
