"""`dlgrader grade`: every submission of an assignment, sandboxed, in parallel worker processes.

The coordinator (this process) reads submissions, hands each to a worker as data, and alone writes
the gradebook and autograded/. Each worker keeps one pre-warmed zygote and loads the course's
source notebooks and reference once; a submission that crashes or hangs costs only itself.
"""
from __future__ import annotations

import json
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from ..course import Course
from ..errors import DlgraderError
from ..progress import bar
from ..verdicts.reference import ENV_VAR
from .engine import Limits
from .notebook import MAX_NOTEBOOK_BYTES

UID_BASE = 64000
_worker: dict = {}


@dataclass
class BatchResult:
    assignment: str
    students: list[str]
    failed: dict = field(default_factory=dict)        # student -> reason nothing could be graded
    unreadable: dict = field(default_factory=dict)    # student -> reason a notebook was unreadable
    flags: dict = field(default_factory=dict)         # student -> integrity flags
    stops: dict = field(default_factory=dict)         # student -> sandbox stops (timeouts, crashes)
    seconds: dict = field(default_factory=dict)


def hidden_paths(course: Course) -> list[str]:
    """What a sandbox must not see: the course, the exchange, the tool's own checkout."""
    tool_root = Path(__file__).resolve().parents[2]     # a source checkout holds a course too
    paths = [course.root, course.exchange] + ([tool_root] if (tool_root / "nbgrader_config.py").exists() else [])
    return [str(p) for p in paths if p.exists()]


def _init_worker(root: str, counter, unsafe: bool, hidden: list, limits: Limits) -> None:
    from IPython.core.inputtransformer2 import TransformerManager

    from .sandbox import default_policy
    from .session import Zygote
    with counter.get_lock():
        counter.value += 1
        slot = counter.value
    course = Course(Path(root))
    os.environ[ENV_VAR] = str(course.reference)
    _worker["zygote"] = Zygote(default_policy(hidden, UID_BASE + slot), isolate=not unsafe)
    _worker["transform"] = TransformerManager().transform_cell
    _worker["course"] = course
    _worker["sources"] = {}
    _worker["limits"] = limits


def _assignment_files(assignment: str):
    cache = _worker["sources"]
    if assignment not in cache:
        course: Course = _worker["course"]
        cache[assignment] = {
            p.stem: (nbformat.read(str(p), as_version=4),
                     nbformat.read(str(course.release / assignment / p.name), as_version=4)
                     if (course.release / assignment / p.name).exists()
                     else nbformat.read(str(p), as_version=4))
            for p in sorted((course.source / assignment).glob("*.ipynb"))}
    return cache[assignment]


def grade_task(task: dict) -> dict:
    """In a worker: grade one submission given as data; returns plain data."""
    from .notebook import grade_notebook
    files = _assignment_files(task["assignment"])
    results = {}
    for name, (source, release) in files.items():
        raw = task["notebooks"].get(name)
        if raw is None:
            results[name] = {"status": "missing", "reason": f"{name}.ipynb was not submitted", "cells": [],
                             "autograded": None, "flags": [], "notes": [], "stops": [], "seconds": 0.0}
            continue
        results[name] = grade_notebook(raw, source, release, _worker["zygote"], _worker["limits"],
                                       _worker["transform"])
    from ..verdicts.integrity import scan_files
    extra = [f.to_dict() for f in scan_files(task["files"])]
    return {"student": task["student"], "notebooks": results, "file_flags": extra}


def read_task(course: Course, assignment: str, student: str, notebook_names: list[str]) -> dict:
    folder = course.submitted / student / assignment
    notebooks, files = {}, []
    for item in sorted(folder.rglob("*")):
        rel = item.relative_to(folder).as_posix()
        if item.is_file() and item.suffix == ".ipynb" and item.parent == folder and item.stem in notebook_names:
            size = item.stat().st_size
            notebooks[item.stem] = item.read_bytes() if size <= MAX_NOTEBOOK_BYTES else b"x" * (MAX_NOTEBOOK_BYTES + 1)
        elif item.is_file():
            files.append(rel)
    return {"student": student, "assignment": assignment, "notebooks": notebooks, "files": files}


def grade_batch(course: Course, assignment: str, students: list[str] | None = None, workers: int = 2,
                unsafe: bool = False, limits: Limits | None = None) -> BatchResult:
    from ..gradebook.writer import GradebookWriter
    course.check_assignment(assignment)
    found = course.submissions(assignment)
    if students:
        missing = sorted(set(students) - set(found))
        if missing:
            raise DlgraderError(f"no submission of {assignment} for: {', '.join(missing)}")
        found = sorted(set(students))
    if not found:
        raise DlgraderError(f"no submissions of {assignment} under {course.submitted}/*/{assignment}/ "
                            "(run `dlgrader collect` first)")
    probe_sandbox(course, unsafe)
    names = course.notebooks(assignment)
    result = BatchResult(assignment, found)
    workers = max(1, min(workers, len(found)))
    counter = multiprocessing.get_context("fork").Value("i", 0)
    writer = GradebookWriter(course)
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                                 initializer=_init_worker,
                                 initargs=(str(course.root), counter, unsafe, hidden_paths(course),
                                           limits or Limits())) as pool, \
                bar(f"Grading {assignment}", len(found)) as advance:
            futures = {pool.submit(grade_task, read_task(course, assignment, s, names)): s for s in found}
            for future in as_completed(futures):
                student = futures[future]
                try:
                    graded = future.result()
                except Exception as exc:  # the worker itself failed: record, keep going
                    result.failed[student] = f"grading failed: {type(exc).__name__}: {exc}"
                    advance(note=student)
                    continue
                _collect(result, graded)
                writer.record(assignment, student, graded["notebooks"], course.submitted / student / assignment)
                advance(note=student)
    finally:
        writer.close()
    _write_report(course, result)
    return result


def _collect(result: BatchResult, graded: dict) -> None:
    student = graded["student"]
    flags = list(graded.get("file_flags", []))
    for name, nb in graded["notebooks"].items():
        if nb["status"] in ("unreadable", "missing"):
            result.unreadable[student] = f"{name}: {nb['reason']}"
        flags += [dict(f, notebook=name) for f in nb.get("flags", [])]
        if nb.get("stops"):
            result.stops.setdefault(student, []).extend(nb["stops"])
        result.seconds[student] = result.seconds.get(student, 0.0) + nb.get("seconds", 0.0)
    if flags:
        result.flags[student] = flags


def _write_report(course: Course, result: BatchResult) -> None:
    logs = course.root / "logs"
    logs.mkdir(exist_ok=True)
    report = {"assignment": result.assignment, "students": result.students, "failed": result.failed,
              "unreadable": result.unreadable, "integrity": result.flags, "stops": result.stops}
    (logs / f"grade-{result.assignment}.json").write_text(json.dumps(report, indent=2))


def probe_sandbox(course: Course, unsafe: bool) -> None:
    """Refuse to grade when the sandbox cannot be created (unless told to run unsafe)."""
    if unsafe:
        return
    from .sandbox import probe
    problem = probe(hidden_paths(course), UID_BASE)
    if problem:
        raise DlgraderError(f"cannot create the grading sandbox ({problem}); refusing to run student code "
                            "unsandboxed (pass --unsafe-no-sandbox to do it anyway)")
