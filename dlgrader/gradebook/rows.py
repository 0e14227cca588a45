"""One submission's rows in nbgrader's gradebook tables, read and written in a few statements.

`dlgrader grade` has one coordinator that alone writes the gradebook while the workers grade, so
its CPU per submission is taken from them. Through nbgrader's ORM objects a submission cost ~17
lazy-load queries (its notebooks, grades and comments, and each grade's and comment's name through
its cell) and a unit-of-work flush; here the same rows are read with one select each and written by
primary key in one executemany each, on nbgrader's own tables (its Table objects), in the caller's
transaction, on the session's connection (Core: no ORM objects, so no identity map to keep in step).
Only what nbgrader's autograder sets is written: auto_score, needs_manual_grade,
auto_comment, the timestamp and the late penalty; a TA's manual scores and comments stay.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Optional

from nbgrader import api
from sqlalchemy import bindparam, insert, literal, select, union_all, update

ASSIGNMENT, NOTEBOOK, CELL = api.Assignment.__table__, api.Notebook.__table__, api.BaseCell.__table__
STUDENT, SUBMISSION = api.Student.__table__, api.SubmittedAssignment.__table__
SUBMITTED_NB, GRADE, COMMENT = api.SubmittedNotebook.__table__, api.Grade.__table__, api.Comment.__table__

# The statements, built once (building them anew for each submission cost more CPU
# than running them); values are bound per call.
FIND = (select(SUBMISSION.c.id, SUBMISSION.c.timestamp, SUBMISSION.c.extension, ASSIGNMENT.c.duedate)
        .join(ASSIGNMENT, ASSIGNMENT.c.id == SUBMISSION.c.assignment_id)
        .where(ASSIGNMENT.c.name == bindparam("assignment"), SUBMISSION.c.student_id == bindparam("student")))
ASSIGNMENT_ID = select(ASSIGNMENT.c.id, ASSIGNMENT.c.duedate).where(ASSIGNMENT.c.name == bindparam("assignment"))
HAS_STUDENT = select(STUDENT.c.id).where(STUDENT.c.id == bindparam("student"))
NOTEBOOKS = (select(NOTEBOOK.c.id).where(NOTEBOOK.c.assignment_id == bindparam("assignment_id"))
             .order_by(NOTEBOOK.c.name))
CELLS = select(CELL.c.notebook_id, CELL.c.id, CELL.c.type).where(CELL.c.notebook_id.in_(bindparam("nbs", expanding=True)))
SET_TIMESTAMP = update(SUBMISSION).where(SUBMISSION.c.id == bindparam("row")).values(timestamp=bindparam("stamp"))


def _named(kind: str, table):
    return (select(literal(kind), table.c.id, NOTEBOOK.c.name, CELL.c.name)
            .join(SUBMITTED_NB, SUBMITTED_NB.c.id == table.c.notebook_id)
            .join(NOTEBOOK, NOTEBOOK.c.id == SUBMITTED_NB.c.notebook_id)
            .join(CELL, CELL.c.id == table.c.cell_id)
            .where(SUBMITTED_NB.c.assignment_id == bindparam("sub")))


GRADES_AND_COMMENTS = union_all(_named("grade", GRADE), _named("comment", COMMENT))
SET_GRADE = (update(GRADE).where(GRADE.c.id == bindparam("row"))
             .values(auto_score=bindparam("auto_score"), needs_manual_grade=bindparam("needs_manual_grade")))
SET_COMMENT = update(COMMENT).where(COMMENT.c.id == bindparam("row")).values(auto_comment=bindparam("auto_comment"))
NOT_LATE = (update(SUBMITTED_NB).where(SUBMITTED_NB.c.assignment_id == bindparam("sub"))
            .values(late_submission_penalty=None))
NOTEBOOK_SCORES = (select(api.SubmittedNotebook.id, api.SubmittedNotebook.score)
                   .where(api.SubmittedNotebook.assignment_id == bindparam("sub")))
SET_PENALTY = (update(SUBMITTED_NB).where(SUBMITTED_NB.c.id == bindparam("row"))
               .values(late_submission_penalty=bindparam("penalty")))


@dataclass
class Submission:
    id: str
    timestamp: Optional[datetime]
    duedate: Optional[datetime]       # the assignment's, plus the student's extension

    @property
    def seconds_late(self) -> float:
        """As nbgrader's SubmittedAssignment.total_seconds_late."""
        if self.timestamp is None or self.duedate is None:
            return 0
        return max(0, (self.timestamp - self.duedate).total_seconds())


@dataclass
class Row:
    id: str
    notebook: str      # the notebook's name (without .ipynb)
    cell: str          # the cell's grade_id


def submission(db, assignment: str, student: str, timestamp: Optional[datetime]) -> Submission:
    """Find or create the submission without committing (nbgrader's update_or_create_* commit
    half-way, which would leave a submission with empty grades if the grader died there). A new
    one gets every notebook, grade and comment row nbgrader's would; TIMESTAMP, if given, is set."""
    found = db.execute(FIND, {"assignment": assignment, "student": student}).first()
    if found is None:
        return _create(db, assignment, student, timestamp)
    sub_id, old_timestamp, extension, duedate = found
    if timestamp is not None:
        db.execute(SET_TIMESTAMP, {"row": sub_id, "stamp": timestamp})
    if duedate is not None and extension is not None:
        duedate = duedate + extension
    return Submission(sub_id, timestamp if timestamp is not None else old_timestamp, duedate)


def _create(db, assignment: str, student: str, timestamp: Optional[datetime]) -> Submission:
    assignment_id, duedate = db.execute(ASSIGNMENT_ID, {"assignment": assignment}).one()
    if db.execute(HAS_STUDENT, {"student": student}).first() is None:
        db.execute(insert(STUDENT), {"id": student})
    sub_id = api.new_uuid()
    db.execute(insert(SUBMISSION), {"id": sub_id, "assignment_id": assignment_id, "student_id": student,
                                    "timestamp": timestamp})
    # rows in the order nbgrader's own creation gives them (readers list grades in table order):
    # notebooks by name; in each, grade cells' grades, then task cells', in the gradebook's order
    notebook_ids = db.execute(NOTEBOOKS, {"assignment_id": assignment_id}).scalars().all()
    cells = db.execute(CELLS, {"nbs": notebook_ids}).all()
    notebooks = {nb_id: api.new_uuid() for nb_id in notebook_ids}
    grades, comments = [], []
    for nb_id, sn_id in notebooks.items():
        def of(*kinds):
            return [cell for wanted in kinds for nb, cell, kind in cells if nb == nb_id and kind == wanted]
        grades += [{"id": api.new_uuid(), "notebook_id": sn_id, "cell_id": cell, "needs_manual_grade": True}
                   for cell in of("GradeCell", "TaskCell")]
        comments += [{"id": api.new_uuid(), "notebook_id": sn_id, "cell_id": cell}
                     for cell in of("SolutionCell", "TaskCell")]
    if notebooks:
        db.execute(insert(SUBMITTED_NB), [{"id": sn, "notebook_id": nb, "assignment_id": sub_id, "flagged": False}
                                          for nb, sn in notebooks.items()])
    if grades:
        db.execute(insert(GRADE), grades)
    if comments:
        db.execute(insert(COMMENT), comments)
    return Submission(sub_id, timestamp, duedate)


def grades_and_comments(db, submission_id: str) -> tuple[list[Row], list[Row]]:
    """The submission's grade rows and comment rows, each with its notebook's and cell's name."""
    found = {"grade": [], "comment": []}
    for kind, *row in db.execute(GRADES_AND_COMMENTS, {"sub": submission_id}):
        found[kind].append(Row(*row))
    return found["grade"], found["comment"]


def set_auto(db, grades: list[dict], comments: list[dict]) -> None:
    """GRADES: [{"row", "auto_score", "needs_manual_grade"}], COMMENTS: [{"row", "auto_comment"}],
    "row" being the id (one executemany each)."""
    if grades:
        db.execute(SET_GRADE, grades)
    if comments:
        db.execute(SET_COMMENT, comments)


def late_penalties(db, sub: Submission, penalty: Callable[[float, float], Optional[float]]) -> None:
    """Each notebook's late_submission_penalty: PENALTY(score, seconds late) clamped to [0, score]
    when the submission is late (nbgrader's AssignLatePenalties), else none. Scores are read after
    this transaction's updates, manual scores included, as nbgrader's SubmittedNotebook.score."""
    late = sub.seconds_late or 0
    if late <= 0:
        db.execute(NOT_LATE, {"sub": sub.id})
        return
    values = []
    for nb_id, score in db.execute(NOTEBOOK_SCORES, {"sub": sub.id}).all():
        value = penalty(score, late)
        values.append({"row": nb_id, "penalty": None if value is None else min(max(float(value), 0.0), float(score))})
    if values:
        db.execute(SET_PENALTY, values)
