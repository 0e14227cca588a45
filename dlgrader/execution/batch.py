"""`dlgrader grade`: every submission of an assignment, sandboxed, on local or Dask workers.

The coordinator (this process) reads submissions, hands each to an executor as data (see
executors.py and workers.py), and alone writes the gradebook and autograded/. A submission that
crashes or hangs costs only itself; a worker that dies costs only its task's retry.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .. import settings
from ..course import Course
from ..errors import DlgraderError
from ..gradebook.journal import submission_digest
from ..progress import bar
from ..verdicts import seeds
from .engine import Limits
from .executors import DaskExecutor, LocalExecutor
from .faults import is_grader_error
from .notebook import MAX_NOTEBOOK_BYTES
from .workers import UID_BASE, make_bundle, uid_base  # noqa: F401  (UID_BASE re-exported)


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
    grader_errors: dict = field(default_factory=dict)  # student -> cells where the course's own code failed


def hidden_paths(course: Course) -> list[str]:
    """What a sandbox must not see: the course, the exchange, the tool's own checkout."""
    tool_root = Path(__file__).resolve().parents[2]     # a source checkout holds a course too
    paths = [course.root, course.exchange] + ([tool_root] if (tool_root / "nbgrader_config.py").exists() else [])
    paths.append(settings.load(course).secret_path(course).parent)     # the course secret
    return [str(p) for p in paths if p.exists()]


def read_task(course: Course, assignment: str, student: str, notebook_names: list[str]) -> dict:
    folder = course.submitted / student / assignment
    secret = seeds.read_secret(settings.load(course).secret_path(course))
    seed = seeds.for_submission(secret, assignment, student, submission_digest(folder, ""))
    notebooks, files = {}, []
    for item in sorted(folder.rglob("*")):
        rel = item.relative_to(folder).as_posix()
        if item.is_file() and item.suffix == ".ipynb" and item.parent == folder and item.stem in notebook_names:
            size = item.stat().st_size
            notebooks[item.stem] = item.read_bytes() if size <= MAX_NOTEBOOK_BYTES else b"x" * (MAX_NOTEBOOK_BYTES + 1)
        elif item.is_file():
            files.append(rel)
    return {"student": student, "assignment": assignment, "notebooks": notebooks, "files": files,
            "seed": seed}


def grade_batch(course: Course, assignment: str, students: list[str] | None = None, workers: int = 2,
                unsafe: bool = False, limits: Limits | None = None, scheduler: str | None = None,
                force: bool = False) -> BatchResult:
    """Grade the submissions locally (a process pool) or, given a scheduler address, on Dask.

    Submissions whose grading is already committed for the same files and the same tests are skipped
    (a re-run after a crash resumes), unless `force` or the students are named explicitly.
    """
    from ..gradebook.writer import GradebookWriter, recover_autograded
    found = course.select_submissions(assignment, students)
    probe_sandbox(course, unsafe)
    names = course.notebooks(assignment)
    limits = limits or settings.load(course).limits()
    bundle = make_bundle(course, assignment, unsafe, limits, hidden_paths(course))
    writer = GradebookWriter(course)
    try:
        recover_autograded(course, assignment)
        digests = {s: submission_digest(course.submitted / s / assignment, bundle["digest"]) for s in found}
        done = {} if (force or students) else writer.graded(assignment)
        todo = [s for s in found if done.get(s) != digests[s]]
        result = BatchResult(assignment, found, skipped=[s for s in found if s not in todo])
        executor = DaskExecutor(scheduler) if scheduler else LocalExecutor(workers)
        tasks = [read_task(course, assignment, s, names) for s in todo]
        with bar(f"Grading {assignment}", len(todo)) as advance:
            for student, outcome in (executor.run(bundle, tasks) if tasks else ()):
                if isinstance(outcome, BaseException):
                    result.failed[student] = _failure(outcome)
                else:
                    graded = json.loads(outcome)
                    _collect(result, graded)
                    writer.record(assignment, student, graded["notebooks"],
                                  course.submitted / student / assignment, digests[student])
                advance(note=student)
    finally:
        writer.close()
    _write_report(course, result)
    return result


def _failure(exc: BaseException) -> str:
    name = type(exc).__name__
    if name == "KilledWorker":
        return "its grading worker died repeatedly; gave up (Dask KilledWorker)"
    if name == "BrokenProcessPool":
        return "its grading worker process died"
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
    target = logs / f"grade-{result.assignment}.json"
    partial = target.with_suffix(".json.part")
    partial.write_text(json.dumps(report, indent=2))
    partial.replace(target)


def probe_sandbox(course: Course, unsafe: bool) -> None:
    """Refuse to grade when the sandbox cannot be created (unless told to run unsafe)."""
    if unsafe:
        return
    from .sandbox import probe
    problem = probe(hidden_paths(course), uid_base())
    if problem:
        raise DlgraderError(f"cannot create the grading sandbox ({problem}); refusing to run student code "
                            "unsandboxed (pass --unsafe-no-sandbox to do it anyway)")
