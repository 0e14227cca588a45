"""`dlgrader feedback`: per-student HTML with nbgrader's generate_feedback (hidden tests stripped)."""
from __future__ import annotations

from pathlib import Path

from .. import nbgrader_cli
from ..course import Course
from ..errors import DlgraderError
from .policy import notices

LEAK_MARKERS = ("BEGIN HIDDEN TESTS", "t.hidden(", "_dlgrader_reference", "reference/suites")


def refuse_leaks(pages: list[Path]) -> list[Path]:
    """PAGES, unless one holds hidden test code: then it is deleted and the run stops."""
    for page in pages:
        text = page.read_text(encoding="utf-8", errors="replace")
        leaked = [m for m in LEAK_MARKERS if m in text]
        if leaked:
            page.unlink()
            raise DlgraderError(f"feedback {page} contained hidden test code ({leaked[0]!r}); removed it")
    return pages


def generate(course: Course, assignment: str, release: bool = False) -> list[Path]:
    """Write feedback/<student>/<assignment>/*.html for every graded submission; optionally release
    it through the exchange (`nbgrader release_feedback`)."""
    course.check_assignment(assignment)
    nbgrader_cli.run(course, "generate_feedback", assignment, "--force", log_name=f"feedback-{assignment}")
    pages = notices(course, assignment, refuse_leaks(sorted(course.feedback.glob(f"*/{assignment}/*.html"))))
    if release:
        nbgrader_cli.run(course, "release_feedback", assignment, log_name=f"release-feedback-{assignment}")
    return pages
