"""Scores per student, per notebook and per graded cell, read from nbgrader's gradebook."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from nbgrader.api import Gradebook, MissingEntry

from ..course import Course


@dataclass
class CellScore:
    cell: str
    score: Optional[float]       # None while a manually graded cell waits for a human
    max_score: float
    auto: bool                   # autograded test cell (False: graded by hand)
    needs_manual: bool


@dataclass
class SubmissionScore:
    student: str
    assignment: str
    score: float
    max_score: float
    needs_manual: bool
    cells: list[CellScore] = field(default_factory=list)

    @property
    def auto_score(self) -> float:
        return sum(c.score or 0.0 for c in self.cells if c.auto)

    @property
    def auto_max(self) -> float:
        return sum(c.max_score for c in self.cells if c.auto)

    def cell(self, name: str) -> CellScore:
        for c in self.cells:
            if c.cell == name:
                return c
        raise KeyError(name)


def submission_scores(course: Course, assignment: str) -> list[SubmissionScore]:
    """Every graded submission of `assignment` (students without one are left out), by student id.

    One query per table (eager loading): walking nbgrader's relationships lazily costs several
    queries per grade, about a second for a class of 100."""
    from nbgrader import api
    from sqlalchemy.orm import selectinload, undefer
    out = []
    with Gradebook(course.db_url, course.course_id) as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            return []
        notebooks = selectinload(api.SubmittedAssignment.notebooks)
        query = (gb.db.query(api.SubmittedAssignment)
                 .join(api.Assignment).filter(api.Assignment.name == assignment)
                 .order_by(api.SubmittedAssignment.student_id)
                 .options(notebooks.selectinload(api.SubmittedNotebook.grades)
                          .options(selectinload(api.Grade.cell), undefer(api.Grade.max_score)),
                          notebooks.selectinload(api.SubmittedNotebook.notebook)
                          .selectinload(api.Notebook._base_cells)))
        for sub in query:
            cells = []
            for nb in sub.notebooks:
                manual = {sc.name for sc in nb.notebook.solution_cells}
                for grade in nb.grades:
                    cells.append(CellScore(
                        cell=grade.name, score=grade.score, max_score=grade.max_score,
                        auto=grade.name not in manual, needs_manual=bool(grade.needs_manual_grade)))
            out.append(SubmissionScore(sub.student_id, assignment, float(sub.score), float(sub.max_score),
                                       bool(sub.needs_manual_grade), cells))
    return out
