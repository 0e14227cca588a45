"""`dlgrader grade`: every submission of an assignment, sandboxed, on local or Dask workers.

The coordinator (this process) reads submissions, hands each to an executor as data (see
executors.py and workers.py), and alone writes the gradebook and autograded/. A submission that
crashes or hangs costs only itself; a worker that dies costs only its task's retry.
"""
from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .. import settings
from ..course import Course
from ..errors import DlgraderError
from ..progress import bar, status
from ..verdicts import seeds
from .engine import Limits
from .executors import DaskExecutor, LocalExecutor, TaskFailed, WorkerDied  # noqa: F401
from ..collection import arrival, safecopy
from ..collection.settings import settings as collect_settings
from .faults import is_grader_error
from .workers import make_bundle, uid_base


@dataclass
class BatchResult:
    assignment: str
    students: list[str]
    failed: dict = field(default_factory=dict)        # student -> reason nothing could be graded
    unreadable: dict = field(default_factory=dict)    # student -> reason a notebook was unreadable
    flags: dict = field(default_factory=dict)         # student -> integrity flags
    stops: dict = field(default_factory=dict)         # student -> sandbox stops (timeouts, crashes)
    seconds: dict = field(default_factory=dict)
    workers: dict = field(default_factory=dict)       # student -> "host:pid" of the worker that graded it
    skipped: list = field(default_factory=list)       # already graded, unchanged since (not re-graded)
    refused: dict = field(default_factory=dict)       # student -> why the submission was not graded
    claims: dict = field(default_factory=dict)        # student -> flagged claimed submission times
    grader_errors: dict = field(default_factory=dict)  # student -> cells where the course's own code failed
    timing: dict = field(default_factory=dict)        # the workers' figures (busy fraction, memory...)
    floor_cpu: float = 0.0      # CPU of the student code and the checks alone, summed (statistics)


def hidden_paths(course: Course, config: settings.Dlgrader | None = None) -> list[str]:
    """What a sandbox must not see: the course, the exchange, the tool's own checkout."""
    tool_root = Path(__file__).resolve().parents[2]     # a source checkout holds a course too
    paths = [course.root, course.exchange] + ([tool_root] if (tool_root / "nbgrader_config.py").exists() else [])
    paths.append((config or settings.load(course)).secret_path(course).parent)     # the course secret
    return [str(p) for p in paths if p.exists()]


@dataclass
class Submission:
    """One submitted/STUDENT/ASSIGNMENT as read under the collection rules (safecopy.py)."""
    task: dict                   # what a grading worker gets (no notebooks when refused)
    digest_part: str             # what was read: with the bundle's digest, the journal's digest
    refused: str = ""            # why it is not graded ("" if it is)
    claims: list = field(default_factory=list)   # flagged claimed times, from the arrival record

    def digest(self, bundle_digest: str) -> str:
        import hashlib
        return hashlib.sha256(f"{bundle_digest}\n{self.digest_part}".encode()).hexdigest()


def read_submission(course: Course, assignment: str, student: str, notebook_names: list[str],
                    caps: safecopy.Caps | None = None, secret: bytes | None = None) -> Submission:
    """Read a submission the way the collector copies one: no link, device or FIFO (one placed in
    submitted/, e.g. by stock `nbgrader collect`, refuses it), sizes capped while reading. Top-level
    notebooks of the assignment are passed as bytes, up to the per-file cap. A submission whose
    collection was refused (its arrival record says so) stays refused: never an older copy graded.
    The task carries the seed of its hidden random cases: the course secret with the student and
    the digest of what was read (the same files give the same inputs again)."""
    caps = caps or collect_settings(course).caps()
    if secret is None:
        secret = seeds.read_secret(settings.load(course).secret_path(course))
    task = {"student": student, "assignment": assignment, "notebooks": {}, "files": []}
    record = arrival.read_record(course.submitted, student, assignment) or {}
    claims = list(record.get("flags", []))
    if record.get("status") == "refused":
        reason = record.get("reason") or "refused at collection"
        return Submission(task, f"refused\n{record.get('inbound')}\n{record.get('observed')}\n{reason}", reason, claims)
    wanted = {f"{n}.ipynb" for n in notebook_names}
    try:
        walked = safecopy.walk(course.submitted, (student, assignment), caps, keep=lambda rel: rel in wanted)
    except (safecopy.Refused, OSError) as exc:
        reason = str(exc) if isinstance(exc, safecopy.Refused) else f"cannot be read ({exc.strerror})"
        return Submission(task, f"refused-in-submitted\n{reason}", reason, claims)
    task["notebooks"] = {rel[:-len(".ipynb")]: data for rel, data in walked.kept.items()}
    task["files"] = sorted(rel for rel in walked.files if rel not in walked.kept)
    task["seed"] = seeds.for_submission(secret, assignment, student, walked.digest)
    return Submission(task, walked.digest, "", claims)


def grade_batch(course: Course, assignment: str, students: list[str] | None = None, workers: int = 2,
                unsafe: bool = False, limits: Limits | None = None, scheduler: str | None = None,
                force: bool = False, on_recorded: Callable[[str], None] | None = None,
                pool=None) -> BatchResult:
    """Grade the submissions locally (a worker pool, pool.py) or, given a scheduler address, on Dask.

    Submissions whose grading is already committed for the same files and the same tests are skipped
    (a re-run after a crash resumes), unless `force` or the students are named explicitly.
    `on_recorded(student)` is called after each submission's grading is committed (or failed).
    POOL: a WorkerPool started earlier (the CLI starts one before importing nbgrader); else one is made.
    """
    with _one_run_at_a_time(course, assignment):
        return _grade_batch(course, assignment, students, workers, unsafe, limits, scheduler, force, on_recorded,
                            pool)


@contextlib.contextmanager
def _one_run_at_a_time(course: Course, assignment: str):
    """Two `dlgrader grade` runs of one assignment on one course take turns (an flock on a file in
    logs/): the second waits, then finds the first's gradings committed and skips them. Run together,
    both found a new student missing and one of them crashed on the gradebook's unique key."""
    import fcntl
    logs = course.root / "logs"
    logs.mkdir(exist_ok=True)
    with open(logs / f".grade-{assignment}.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            status(f"another dlgrader grade of {assignment} is running on this course; waiting for it")
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _grade_batch(course, assignment, students, workers, unsafe, limits, scheduler, force, on_recorded, pool):
    from ..gradebook import journal
    from ..gradebook.groups import CommitGroups
    found = course.select_submissions(assignment, students)
    config = settings.load(course)
    probe_sandbox(course, unsafe, config)
    names = course.notebooks(assignment)
    limits = limits or config.limits()
    bundle = make_bundle(course, assignment, unsafe, limits, hidden_paths(course, config), config)
    caps = collect_settings(course).caps()
    done = {} if (force or students) else journal.done_at(course.db_url, assignment)
    result = BatchResult(assignment, found)
    digests, tasks, refused = {}, [], []
    secret = seeds.read_secret(config.secret_path(course))
    for s in found:
        sub = read_submission(course, assignment, s, names, caps, secret)
        digests[s] = sub.digest(bundle["digest"])
        if sub.claims:
            result.claims[s] = sub.claims
        if done.get(s) == digests[s]:
            result.skipped.append(s)
        elif sub.refused:
            result.refused[s] = sub.refused
            refused.append(s)
        else:
            tasks.append(sub.task)
    executor = DaskExecutor(scheduler) if scheduler else LocalExecutor(workers, pool=pool)
    executor.start(bundle, tasks)           # the workers grade while nbgrader's gradebook code loads
    if not tasks and not refused:
        executor.close()
        _write_report(course, result)
        return result
    from ..gradebook.writer import GradebookWriter, recover_autograded
    writer = GradebookWriter(course)
    try:
        recover_autograded(course, assignment)
        for s in refused:
            writer.refuse(assignment, s, result.refused[s], course.submitted / s / assignment, digests[s])
        with bar(f"Grading {assignment}", len(tasks), each=True) as advance:
            def committed(student):
                advance(note=student)
                if on_recorded is not None:
                    on_recorded(student)
            groups = CommitGroups(writer, committed)      # commits in groups (gradebook/groups.py)
            for student, outcome in groups.arrivals(executor.results()):
                if isinstance(outcome, BaseException):
                    result.failed[student] = _failure(outcome)
                else:
                    graded = json.loads(outcome)
                    _collect(result, graded)
                    writer.record(assignment, student, graded["notebooks"],
                                  course.submitted / student / assignment, digests[student], commit=False)
                groups.done(student)
            groups.commit()
    finally:
        writer.close()
        executor.close()
    result.timing = executor.stats()
    _write_report(course, result)
    return result


def _failure(exc: BaseException) -> str:
    name = type(exc).__name__
    if name == "KilledWorker":
        return "its grading worker died repeatedly; gave up (Dask KilledWorker)"
    if isinstance(exc, WorkerDied):
        return str(exc)
    if isinstance(exc, TaskFailed):
        return f"grading failed: {exc}"
    return f"grading failed: {name}: {exc}"


def _collect(result: BatchResult, graded: dict) -> None:
    student = graded["student"]
    result.workers[student] = graded.get("worker", "")
    flags = list(graded.get("file_flags", []))
    for name, nb in graded["notebooks"].items():
        if nb["status"] in ("unreadable", "missing"):
            result.unreadable[student] = f"{name}: {nb['reason']}"
        flags += [dict(f, notebook=name) for f in nb.get("flags", [])]
        if nb.get("stops"):
            result.stops.setdefault(student, []).extend(nb["stops"])
        result.seconds[student] = result.seconds.get(student, 0.0) + nb.get("seconds", 0.0)
        result.floor_cpu += float(nb.get("floor_cpu") or 0.0)
        for cell in nb.get("cells", []):
            if is_grader_error(cell.get("error", "")):
                result.grader_errors.setdefault(student, []).append(
                    {"notebook": name, "cell": cell["grade_id"], "error": cell["error"]})
    if flags:
        result.flags[student] = flags


def _write_report(course: Course, result: BatchResult) -> None:
    logs = course.root / "logs"
    logs.mkdir(exist_ok=True)
    report = {"assignment": result.assignment, "students": result.students, "failed": result.failed,
              "unreadable": result.unreadable, "integrity": result.flags, "stops": result.stops,
              "grader_errors": result.grader_errors}
    report["already_graded"] = result.skipped
    report["refused"] = result.refused
    report["claimed_time_flags"] = result.claims
    report["timing"] = dict(result.timing, floor_cpu=result.floor_cpu, graded=len(result.seconds))
    target = logs / f"grade-{result.assignment}.json"
    partial = target.with_suffix(".json.part")
    partial.write_text(json.dumps(report, indent=2))
    partial.replace(target)


def probe_sandbox(course: Course, unsafe: bool, config: settings.Dlgrader | None = None) -> None:
    """Refuse to grade when the sandbox cannot be created (unless told to run unsafe)."""
    if unsafe:
        return
    from ..sandbox.isolation import probe, unavailable_hint
    problem = probe(hidden_paths(course, config), uid_base())
    if problem:
        raise DlgraderError(f"cannot create the grading sandbox ({problem}): {unavailable_hint()}; refusing to "
                            "run student code unsandboxed (pass --unsafe-no-sandbox to do it anyway)")
