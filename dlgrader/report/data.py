"""Everything the report needs about one assignment, read from the gradebook and autograded/."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Optional

import nbformat
from nbgrader.api import Gradebook, MissingEntry

from ..course import Course
from ..authoring.solutions import answer as solution_text
from ..collection import arrival
from ..gradebook.writer import VERDICTS_FILE


@dataclass
class StudentRow:
    student: str
    score: float
    max_score: float
    needs_manual: bool
    seconds_late: float
    penalty: float
    cells: dict = field(default_factory=dict)        # autograded cell -> (score, max)
    checks: list = field(default_factory=list)       # [(cell, check record)]
    answers: dict = field(default_factory=dict)      # cell -> chosen option
    key: dict = field(default_factory=dict)          # cell -> right option (seen on a passed check)
    manual_reasons: list = field(default_factory=list)
    code: dict = field(default_factory=dict)         # answer cell -> student's code
    claim_flags: list = field(default_factory=list)  # claimed submission times earlier than the arrival


@dataclass
class AssignmentData:
    name: str
    duedate: Optional[str]
    rows: list[StudentRow]
    ignore_code: list[str]                            # starter code, solutions, known mistakes


def _verdicts(course: Course, student: str, assignment: str) -> dict:
    path = course.autograded / student / assignment / VERDICTS_FILE
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _answer_code(course: Course, student: str, assignment: str) -> dict:
    code = {}
    for path in sorted((course.submitted / student / assignment).glob("*.ipynb")):
        try:
            nb = nbformat.read(str(path), as_version=4)
        except Exception:
            continue
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader", {}) or {}
            if cell.cell_type == "code" and meta.get("solution") and meta.get("grade_id"):
                code[f"{path.stem}:{meta['grade_id']}"] = cell.source
    return code


def _ignore_code(course: Course, assignment: str) -> list[str]:
    texts = []
    for folder in (course.release / assignment, course.source / assignment):
        for path in folder.glob("*.ipynb"):
            nb = nbformat.read(str(path), as_version=4)
            texts += [solution_text(c.source) for c in nb.cells if c.cell_type == "code"]
    try:
        import os

        from ..verdicts import reference
        os.environ.setdefault(reference.ENV_VAR, str(course.reference))
        texts += [m.student_source() for m in reference.load().mistakes.BOOK.all() if m.fn is not None]
    except Exception:
        pass
    return texts


def gather(course: Course, assignment: str) -> AssignmentData:
    rows = []
    with Gradebook(course.db_url, course.course_id) as gb:
        try:
            record = gb.find_assignment(assignment)
        except MissingEntry:
            return AssignmentData(assignment, None, [], [])
        duedate = record.duedate.isoformat(sep=" ") if record.duedate else None
        for student in sorted(s.id for s in gb.students):
            try:
                sub = gb.find_submission(assignment, student)
            except MissingEntry:
                continue
            row = StudentRow(student, float(sub.score), float(sub.max_score), bool(sub.needs_manual_grade),
                             float(sub.total_seconds_late or 0), float(sub.late_submission_penalty or 0))
            for nb in sub.notebooks:
                manual = {sc.name for sc in nb.notebook.solution_cells}
                for grade in nb.grades:
                    if grade.name not in manual:
                        row.cells[grade.name] = (float(grade.score or 0), float(grade.max_score))
                    elif grade.needs_manual_grade:
                        row.manual_reasons.append(f"{grade.name}: answer to grade by hand")
            verdicts = _verdicts(course, student, assignment)
            for nb_name, verdict in verdicts.items():
                if verdict.get("status") not in (None, "graded"):
                    row.manual_reasons.append(f"{nb_name}: {verdict.get('reason')}")
                for stop in verdict.get("stops", []):
                    row.manual_reasons.append(f"{nb_name}: stopped by the sandbox ({stop})")
                for cell in verdict.get("cells", []):
                    if str(cell.get("error", "")).startswith("grader error"):
                        row.manual_reasons.append(f"{cell['grade_id']}: {cell['error']}")
                    for rec in cell.get("checks", []):
                        row.checks.append((cell["grade_id"], rec))
                        if rec.get("answer") is not None and rec.get("hidden"):
                            row.answers[cell["grade_id"]] = rec["answer"] or "(invalid)"
                            if rec.get("passed"):
                                row.key[cell["grade_id"]] = rec["answer"]
            row.code = _answer_code(course, student, assignment)
            record = arrival.read_record(course.submitted, student, assignment) or {}
            row.claim_flags = [str(f) for f in record.get("flags", [])]
            rows.append(row)
    return AssignmentData(assignment, duedate, rows, _ignore_code(course, assignment))
