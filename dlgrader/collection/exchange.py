"""Release through nbgrader's own exchange command; collect with dlgrader's collector (collector.py),
which keeps nbgrader's exchange layout but follows no link, copies bounded data only, and takes the
submission time from the receiving side. Both first check that the exchange is the instructor's and
nobody else could have replaced it (guard.py)."""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from .. import nbgrader_cli
from ..course import Course
from ..errors import DlgraderError
from . import collector, guard
from .settings import settings


def release(course: Course, assignment: str) -> None:
    course.check_assignment(assignment)
    owner = settings(course).exchange_owner
    guard.make_root(course.exchange, owner)            # 1777 when made here; an existing root is checked
    guard.check(course.exchange, course.course_id, owner)
    nbgrader_cli.run(course, "release_assignment", assignment, "--force", log_name=f"release-{assignment}")


def collect(course: Course, assignment: str, student: str | None = None) -> list[collector.Outcome]:
    """Copy the newest submission of every student (or of STUDENT) into submitted/; record refusals
    (gradebook: 0 and needs manual grading, with the reason) and flagged claims; write
    logs/collect-ASSIGNMENT.json."""
    course.check_assignment(assignment)
    check_exchange(course)
    inbound = collector.inbound_folder(course)
    if not inbound.is_dir():
        raise DlgraderError(f"no exchange inbound folder at {inbound}; release {assignment} first")
    outcomes, ignored = collector.collect(course, assignment, student)
    record_refusals(course, assignment, [o for o in outcomes if o.status == "refused"])
    write_log(course, assignment, outcomes, ignored)
    return outcomes


def check_exchange(course: Course) -> None:
    """Stop (one line) if the exchange could have been replaced by another account (guard.py)."""
    guard.check(course.exchange, course.course_id, settings(course).exchange_owner)


def record_refusals(course: Course, assignment: str, refused: list) -> None:
    """Each refused submission: 0 and needs manual grading in nbgrader's gradebook, reason as comment."""
    if not refused:
        return
    from ..gradebook.writer import GradebookWriter
    writer = GradebookWriter(course)
    try:
        for o in refused:
            try:
                writer.refuse(assignment, o.student, o.reason, course.submitted / o.student / assignment, None)
            except Exception as exc:       # the refusal is still in the record and the log
                o.reason += f" (not recorded in the gradebook: {type(exc).__name__}: {exc})"
    finally:
        writer.close()


def write_log(course: Course, assignment: str, outcomes: list, ignored: list) -> Path:
    logs = course.root / "logs"
    logs.mkdir(exist_ok=True)
    target = logs / f"collect-{assignment}.json"
    partial = target.with_suffix(".json.part")
    partial.write_text(json.dumps({"assignment": assignment, "submissions": [asdict(o) for o in outcomes],
                                   "ignored": ignored}, indent=1))
    partial.replace(target)
    return target


def rejections(course: Course, assignment: str) -> list[tuple[str, str, str]]:
    """(claimed student, inbound folder, reason) of each submission of ASSIGNMENT rejected as not the
    named student's (collector.py), from the last `collect`'s log and serve's log; one per folder."""
    found: dict[str, tuple[str, str, str]] = {}
    logs = course.root / "logs"
    try:
        submissions = json.loads((logs / f"collect-{assignment}.json").read_text()).get("submissions", [])
    except (OSError, ValueError, AttributeError):
        submissions = []
    try:
        with open(logs / "serve.jsonl", encoding="utf-8") as fh:
            events = [json.loads(line) for line in fh if '"rejected"' in line]
    except (OSError, ValueError):
        events = []
    for entry in [*submissions, *events]:
        if isinstance(entry, dict) and entry.get("inbound") and (
                entry.get("status") == "rejected" or entry.get("event") == "rejected") \
                and entry.get("assignment", assignment) == assignment:
            found.setdefault(entry["inbound"], (str(entry.get("student", "")), entry["inbound"],
                                                str(entry.get("reason", ""))))
    return sorted(found.values())
