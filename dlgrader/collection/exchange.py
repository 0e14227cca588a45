"""Release and collect through nbgrader's own exchange commands."""
from __future__ import annotations

from .. import nbgrader_cli
from ..course import Course


def release(course: Course, assignment: str) -> None:
    course.check_assignment(assignment)
    course.exchange.mkdir(parents=True, exist_ok=True)
    course.exchange.chmod(0o777)
    nbgrader_cli.run(course, "release_assignment", assignment, "--force", log_name=f"release-{assignment}")


def collect(course: Course, assignment: str) -> list[str]:
    """Copy the newest submission of every student into submitted/; return the student ids."""
    course.check_assignment(assignment)
    nbgrader_cli.run(course, "collect", assignment, "--update", log_name=f"collect-{assignment}")
    return course.submissions(assignment)
