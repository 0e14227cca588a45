"""Benchmark: submit -> feedback available, with `dlgrader serve` running, against stock nbgrader.

Students submit through nbgrader's real exchange (its ExchangeSubmit); "feedback available" is the
moment the released HTML exists where `nbgrader fetch_feedback` looks for it. Measured:

1. one at a time: QUIET students submit one after the other, each once the previous one's feedback
   is out (the usual case: the median and the slowest);
2. a burst: one submission, then N more from other students right behind it (all queued at once);
   the first one's latency, and how long the whole burst takes;
3. fairness: the N students resubmit (queued, each already served once), then a student who has
   not been served yet submits: that newcomer's latency. 2 and 3 are repeated ROUNDS times with
   new students (median and slowest printed);
4. stock nbgrader for one submission: `nbgrader collect`, `autograde`, `generate_feedback`,
   `release_feedback` for that student, run by a TA right after the submit.

    .venv/bin/python bench/feedback_latency.py [--n 100] [--quiet 10] [--rounds 3] [--assignment ps2_softmax_cross_entropy]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nbgrader.utils import notebook_hash  # noqa: E402

from dlgrader.collection import student as exchange  # noqa: E402
from dlgrader.collection.identity import single_account  # noqa: E402
from dlgrader.course import Course  # noqa: E402
from dlgrader.execution.autograde import stock_preprocessor_flags  # noqa: E402


def env() -> dict:
    e = {k: v for k, v in os.environ.items() if not k.startswith("DLGRADER_")}
    e["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), e.get("PATH", "")])
    return e


def make_course(dest: Path, *commands: list[str]) -> Course:
    """A copy of this course at DEST, after the `dlgrader` COMMANDS (default: build everything)."""
    dest.mkdir(parents=True)
    for name in ("source", "release", "reference", "nbgrader_config.py"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, dest / name)
    with open(dest / "nbgrader_config.py", "a", encoding="utf-8") as config:     # its own exchange, not /srv
        config.write('\nc.Exchange.root = str(Path(__file__).resolve().parent / "exchange")\n')
    single_account(dest / "nbgrader_config.py", "the latency bench")
    for cmd in commands or (["build"],):
        subprocess.run([sys.executable, "-m", "dlgrader.cli", *cmd], cwd=dest, env=env(), check=True,
                       capture_output=True)
    return Course(dest)


def variants(course: Course, assignment: str) -> list:
    """Ordinary work, in turn: the solution, the same functions written another way, and each of the
    reference's registered mistakes (as nbformat notebooks)."""
    from dlgrader.authoring.solutions import defined_name
    from dlgrader.verdicts import reference
    from tests.execution.cohort import alternative_replacements, filled
    os.environ[reference.ENV_VAR] = str(course.reference)
    book = reference.load().mistakes.BOOK
    src_path = next((course.source / assignment).glob("*.ipynb"))
    src = src_path.read_text()
    names = [defined_name(c["source"] if isinstance(c["source"], str) else "".join(c["source"]))
             for c in json.loads(src)["cells"] if c["cell_type"] == "code"]
    honest = [filled(src_path), filled(src_path, alternative_replacements(names))]
    return honest + [filled(src_path, {m.target: m.student_source()}) for m in book.all() if f"def {m.target}(" in src]


class Students:
    """Student homes fetched from the exchange; submit() returns the file feedback will appear as.
    Each submission is one of the VARIANTS, in turn, with a line of its own in every answer cell,
    so no two students' code is the same text (as in a real class: nothing rendered for one
    student's code is reused for another's)."""

    def __init__(self, course: Course, assignment: str, homes: Path, notebook_name: str, kinds: list):
        self.course, self.a, self.homes, self.name, self.kinds = course, assignment, homes, notebook_name, kinds
        self.count = 0

    def submit(self, sid: str) -> Path:
        import nbformat
        home = self.homes / sid
        if not (home / self.a).is_dir():
            exchange.fetch(self.course, home, sid, self.a)
        nb = nbformat.from_dict(json.loads(json.dumps(self.kinds[self.count % len(self.kinds)])))
        self.count += 1
        for cell in nb.cells:
            if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
                cell.source = f"# {sid}, attempt {self.count}\n{cell.source}"
        nbformat.write(nb, str(home / self.a / self.name))
        exchange.submit(self.course, home, sid, self.a)
        cache = home / ".nbgrader_cache" / self.course.course_id
        newest = max(cache.glob(f"{sid}+{self.a}+*"), key=lambda p: p.name.split("+")[2])
        secret = (newest / "submission_secret.txt").read_text()
        digest = notebook_hash(secret=secret, notebook_id=Path(self.name).stem)
        return self.course.exchange / self.course.course_id / "feedback" / f"{digest}.html"


def wait_file(path: Path, timeout: float = 600) -> float:
    """When PATH appeared (its ctime, set by the kernel when the feedback was released, on the
    wall clock): not when this loop noticed it, which may be much later (the bench is busy
    submitting a burst while the first page is released)."""
    end = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > end:
            raise TimeoutError(f"no feedback at {path} after {timeout} s")
        time.sleep(0.005)
    return os.stat(path).st_ctime


def start_serve(course: Course, workers: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "dlgrader.cli", "serve", "--workers", str(workers),
                             "--poll", "0.1"], cwd=course.root, env=env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    for line in proc.stdout:
        if "watching" in line:
            break
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()   # drain
    return proc


def measure(n: int, assignment: str, workers: int, work: Path, quiet: int = 10, rounds: int = 3) -> dict:
    course = make_course(work / "serve", ["build", assignment], ["release", assignment])
    nb = next((course.source / assignment).glob("*.ipynb"))
    kinds = variants(course, assignment)
    people = Students(course, assignment, work / "homes", nb.name, kinds)
    calm = [f"q{i:03d}" for i in range(quiet)]
    groups = [[f"r{r}s{i:04d}" for i in range(n)] for r in range(rounds)]
    for sid in [*(f"first{r}" for r in range(rounds)), *(f"new{r}" for r in range(rounds)), *calm,
                *(sid for ids in groups for sid in ids)]:             # homes ready before the clock runs
        exchange.fetch(course, work / "homes" / sid, sid, assignment)
    serve = start_serve(course, workers)
    firsts, alls, newcomers, submitting = [], [], [], []
    try:
        for r, ids in enumerate(groups):       # each round: new students, so each burst is a first burst
            t0 = time.time()
            first = people.submit(f"first{r}")
            t_first_submitted = time.time()
            burst = [people.submit(sid) for sid in ids]
            submitting.append(time.time() - t_first_submitted)
            firsts.append(wait_file(first) - t_first_submitted)
            alls.append(max(wait_file(p) for p in burst) - t0)

            again = [people.submit(sid) for sid in ids]              # everyone resubmits ...
            newcomer = people.submit(f"new{r}")                        # ... then a first-timer
            t_new_submitted = time.time()
            newcomers.append(wait_file(newcomer) - t_new_submitted)
            for p in again:
                wait_file(p)

        one_at_a_time = []
        for sid in calm:
            page = people.submit(sid)
            t = time.time()
            one_at_a_time.append(wait_file(page) - t)
    finally:
        serve.terminate()
        serve.wait(timeout=60)

    stock_course = make_course(work / "stock", ["build", assignment], ["release", assignment])
    stock_people = Students(stock_course, assignment, work / "stock-homes", nb.name, kinds)
    exchange.fetch(stock_course, work / "stock-homes" / "first", "first", assignment)
    target = stock_people.submit("first")
    t0 = time.monotonic()
    steps = {}
    for step in (["collect", "--update"], ["autograde", *stock_preprocessor_flags()], ["generate_feedback"],
                 ["release_feedback"]):
        t = time.monotonic()
        subprocess.run([sys.executable, "-m", "nbgrader", step[0], assignment, "--student=first", *step[1:]],
                       cwd=stock_course.root, env=env(), check=True, capture_output=True)
        steps[step[0]] = time.monotonic() - t
    assert target.exists(), "stock nbgrader released no feedback"
    t_stock = time.monotonic() - t0
    return {"n": n, "quiet": sorted(one_at_a_time), "first": sorted(firsts), "burst_submit": sorted(submitting),
            "all": sorted(alls), "newcomer": sorted(newcomers), "stock": t_stock, "stock_steps": steps}


def _median(xs: list) -> float:
    return xs[len(xs) // 2]


def report(r: dict) -> None:
    q, f, nw, a = r["quiet"], r["first"], r["newcomer"], r["all"]
    if q:
        print(f"submit -> feedback, one at a time ({len(q)} students, serve): median {_median(q):.2f} s, "
              f"slowest {q[-1]:.2f} s   (target <= 0.5 s)")
    print(f"submit -> feedback, first of a burst of 1+{r['n']} (serve, {len(f)} bursts): median {_median(f):.2f} s, "
          f"slowest {f[-1]:.2f} s   (target <= 0.5 s)")
    print(f"submit -> feedback, a first-timer behind {r['n']} queued resubmissions ({len(nw)} times): "
          f"median {_median(nw):.2f} s, slowest {nw[-1]:.2f} s   (target <= 0.5 s)")
    print(f"whole burst of {r['n'] + 1} graded with feedback released: median {_median(a):.1f} s "
          f"({(r['n'] + 1) / _median(a):.1f} per s; submitting it took {_median(r['burst_submit']):.1f} s)")
    print(f"stock nbgrader for one submission (collect, autograde, generate_feedback, release_feedback): "
          f"{r['stock']:.2f} s  -> {r['stock'] / _median(q or f):.0f}x serve's median one-at-a-time latency")
    print("  stock steps: " + ", ".join(f"{k} {v:.1f} s" for k, v in r["stock_steps"].items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--assignment", default="ps2_softmax_cross_entropy")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quiet", type=int, default=10, help="students submitting one at a time")
    parser.add_argument("--rounds", type=int, default=3, help="bursts (each followed by the newcomer test)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dlgrader-latency-"))
    try:
        report(measure(args.n, args.assignment, args.workers, work, args.quiet, args.rounds))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
