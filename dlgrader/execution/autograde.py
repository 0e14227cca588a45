"""`dlgrader grade --engine nbgrader`: grade every submission of an assignment with stock nbgrader.

The parity path: nbgrader's own autograde over submitted/*/ASSIGNMENT/ with nbgrader's own `Execute`
(one kernel per notebook, running the student's code unsandboxed, in the grader's account; the
command line names nbgrader's stock preprocessors, whatever nbgrader_config.py chose). It shows
progress and reports the submissions nbgrader could not grade instead of stopping the batch.
nbgrader runs without any DLGRADER_* variable (its settings go on its command line), so the
student's kernel inherits none; hidden tests find reference/ from the kernel's folder in the course.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .. import nbgrader_cli, settings
from ..course import Course
from ..errors import DlgraderError
from ..progress import bar

_AUTOGRADING = re.compile(r"Autograding .*?autograded/([^/]+)/([^/]+)/")
_FAILED = re.compile(r"There was an error processing assignment '?(.*?)'? for student '?([^' ]+)'?")
_FAILED_ALT = re.compile(r"Assignment '?([^' ]+)'? for student '?([^' ]+)'?")
# nbgrader 0.9.6's Autograde.autograde_preprocessors, stock: Execute runs the notebook in a kernel.
STOCK_PREPROCESSORS = ("nbgrader.preprocessors.Execute", "nbgrader.preprocessors.IgnorePattern",
                       "nbconvert.preprocessors.ClearMetadataPreprocessor", "nbgrader.preprocessors.LimitOutput",
                       "nbgrader.preprocessors.SaveAutoGrades", "nbgrader.preprocessors.AssignLatePenalties",
                       "nbgrader.preprocessors.CheckCellMetadata")


@dataclass
class GradeRun:
    assignment: str
    students: list[str]
    failed: list[str] = field(default_factory=list)
    log: str = ""


def grade(course: Course, assignment: str, students: list[str] | None = None) -> GradeRun:
    found = course.select_submissions(assignment, students)
    others = sorted(set(course.submissions(assignment)) - set(found))
    total = len(found) * len(course.notebooks(assignment))
    timeout = settings.load(course).cell_seconds      # one knob for both engines' cell limit
    args = ["autograde", assignment, "--force", f"--Execute.timeout={max(1, round(timeout))}",
            *stock_preprocessor_flags()]
    if others:   # nbgrader takes one student id (a glob); leave out the others instead
        args.append("--CourseDirectory.student_id_exclude=" + ",".join(others))
    with bar(f"Grading {assignment}", total) as advance:
        def on_line(line: str) -> None:
            match = _AUTOGRADING.search(line)
            if match:
                advance(note=match.group(1))
        result = nbgrader_cli.run(course, *args, log_name=f"grade-{assignment}", on_line=on_line,
                                  check=False, env=kernel_environment(course))
    failed = failed_students(result.stdout, assignment)
    _sanitize_autograded(course, assignment, found)
    if result.returncode != 0 and not failed:
        raise DlgraderError(f"nbgrader autograde failed: {nbgrader_cli.last_error(result.stdout)} "
                            f"(full log: {nbgrader_cli.log_path(course, 'grade-' + assignment)})")
    return GradeRun(assignment, found, failed, result.stdout)


def stock_preprocessor_flags() -> list[str]:
    """`nbgrader autograde` flags that name nbgrader's stock preprocessors (its in-kernel Execute),
    over the course's sandboxed list: for the parity path and benchmarks of stock nbgrader."""
    return [f"--Autograde.autograde_preprocessors={name}" for name in STOCK_PREPROCESSORS]


def kernel_environment(course: Course) -> dict:
    """nbgrader's environment, which its kernels inherit: the course's, without any DLGRADER_* variable."""
    return {k: v for k, v in course.environment().items() if not k.startswith("DLGRADER_")}


def failed_students(output: str, assignment: str) -> list[str]:
    """Students whose submission nbgrader reported it could not process."""
    failed = set()
    for line in output.splitlines():
        if "ERROR" not in line:
            continue
        for pattern in (_FAILED, _FAILED_ALT):
            match = pattern.search(line)
            if match and match.group(1).strip("'") == assignment:
                failed.add(match.group(2).strip("'"))
    return sorted(failed)


def _sanitize_autograded(course: Course, assignment: str, students: list[str]) -> None:
    """nbgrader keeps the students' outputs and HTML as submitted; Formgrader would render them in the
    TA's session. Clean them as dlgrader's own engine does (gradebook/writer.py)."""
    from ..gradebook.writer import sanitized
    for student in students:
        for path in (course.autograded / student / assignment).glob("*.ipynb"):
            text, removed = sanitized(path.read_text(encoding="utf-8"))
            if removed:
                path.write_text(text, encoding="utf-8")
