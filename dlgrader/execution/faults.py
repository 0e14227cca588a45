"""Whose fault is an exception in a test cell: the student's, or the course's own grading code?

A test cell runs the check library (dlgrader/verdicts), the hidden suites and the reference. An
exception raised by the student's function comes back through the sandbox proxy and is tagged there
(`student_raised`); one raised inside the course's code is a grader fault: the cell is not the
student's 0 but needs grading by hand, with a "grader error" reason for the TA. An exception from the
test cell's own lines (a plain `assert` on the student's value, a name the student did not define)
stays the student's, as in nbgrader.
"""
from __future__ import annotations

import os
import traceback
from pathlib import Path

from ..verdicts.reference import _MODULE_NAME as REFERENCE_MODULE
from ..verdicts.reference import ENV_VAR, ReferenceUnavailable

GRADER_ERROR = "grader error"
STUDENT_NOTE = (f"{GRADER_ERROR}: the course's own tests failed on this cell, not your code; "
                "it will be graded by hand")
_CHECK_LIBRARY = str(Path(__file__).resolve().parents[1] / "verdicts")
_TAG = "_dlgrader_raised_by_student"


def student_raised(exc: BaseException) -> BaseException:
    """Mark EXC as raised by the student's code (the sandbox proxy calls this)."""
    try:
        setattr(exc, _TAG, True)
    except Exception:
        pass
    return exc


def _course_code(frame) -> bool:
    """A frame of the check library or of the reference package (found by its module name, wherever
    the worker loaded it from, or by its folder)."""
    if str(frame.f_globals.get("__name__", "")).startswith(REFERENCE_MODULE):
        return True
    reference = os.environ.get(ENV_VAR)
    path = os.path.abspath(frame.f_code.co_filename)
    return path.startswith(_CHECK_LIBRARY + os.sep) or bool(
        reference and path.startswith(os.path.abspath(reference) + os.sep))


def grader_fault(exc: BaseException) -> str:
    """'' if EXC is the student's; else where in the course's code it came from (for the TA)."""
    if getattr(exc, _TAG, False) or isinstance(exc, AssertionError):
        return ""
    frames = [(frame, line) for frame, line in traceback.walk_tb(exc.__traceback__) if _course_code(frame)]
    if not frames and not isinstance(exc, ReferenceUnavailable):
        return ""
    where = ""
    if frames:
        code, line = frames[-1][0].f_code, frames[-1][1]
        where = f" (at {code.co_filename}:{line} in {code.co_name})"
    return f"{GRADER_ERROR}: {type(exc).__name__}: {str(exc)[:300]}{where}"


def is_grader_error(text: str) -> bool:
    return isinstance(text, str) and text.startswith(GRADER_ERROR)
