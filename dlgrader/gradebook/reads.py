"""What a feedback page reads from nbgrader's gradebook, in a few statements on a kept engine.

nbgrader's GetGrades opens a new Gradebook per page (a new engine, `create_all`, a course check)
and runs two ORM queries per graded cell; for `dlgrader serve` that was a third of the time between
a submission and its feedback. Here one engine per database URL is kept for the process (its
compiled-statement cache with it), and a notebook's grades and comments are read with one select
each, using nbgrader's own column expressions (Grade.score, Grade.max_score, Comment.comment,
SubmittedNotebook.score and max_score), so the numbers are the ones nbgrader would show. Read only.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from nbgrader import api
from sqlalchemy import bindparam, create_engine, select

from .rows import ASSIGNMENT, CELL, NOTEBOOK, SUBMISSION, SUBMITTED_NB

_engines: dict = {}
_lock = threading.Lock()

DUE = select(ASSIGNMENT.c.duedate).where(ASSIGNMENT.c.name == bindparam("assignment"))
SUBMITTED = (select(api.SubmittedNotebook.id, api.SubmittedNotebook.score, api.SubmittedNotebook.max_score,
                    api.SubmittedNotebook.late_submission_penalty)
             .join(NOTEBOOK, NOTEBOOK.c.id == SUBMITTED_NB.c.notebook_id)
             .join(SUBMISSION, SUBMISSION.c.id == SUBMITTED_NB.c.assignment_id)
             .join(ASSIGNMENT, ASSIGNMENT.c.id == SUBMISSION.c.assignment_id)
             .where(NOTEBOOK.c.name == bindparam("notebook"), ASSIGNMENT.c.name == bindparam("assignment"),
                    SUBMISSION.c.student_id == bindparam("student")))
GRADES = (select(CELL.c.name, api.Grade.score, api.Grade.max_score)
          .join(CELL, CELL.c.id == api.Grade.cell_id).where(api.Grade.notebook_id == bindparam("nb")))
COMMENTS = (select(CELL.c.name, api.Comment.comment)
            .join(CELL, CELL.c.id == api.Comment.cell_id).where(api.Comment.notebook_id == bindparam("nb")))


def engine(db_url: str):
    """The process's engine for DB_URL (made at first use)."""
    with _lock:
        if db_url not in _engines:
            _engines[db_url] = create_engine(db_url)
        return _engines[db_url]


def due_date(db_url: str, assignment: str) -> datetime | None:
    """ASSIGNMENT's due date (naive UTC), None without one or without the assignment."""
    with engine(db_url).connect() as conn:
        row = conn.execute(DUE, {"assignment": assignment}).first()
    return row[0] if row else None


@dataclass
class NotebookGrades:
    score: float
    max_score: float
    late_penalty: float | None
    grades: dict[str, tuple[float, float]]      # cell name -> (score, max score)
    comments: dict[str, str | None]             # cell name -> comment


def notebook_grades(db_url: str, assignment: str, student: str, notebook: str) -> NotebookGrades:
    """The gradebook's grades of one submitted notebook; nbgrader's MissingEntry if not there."""
    with engine(db_url).connect() as conn:
        row = conn.execute(SUBMITTED, {"notebook": notebook, "assignment": assignment, "student": student}).first()
        if row is None:
            raise api.MissingEntry(f"no submission of {notebook} ({assignment}) by {student}")
        nb_id, score, max_score, penalty = row
        grades = {name: (s, m) for name, s, m in conn.execute(GRADES, {"nb": nb_id})}
        comments = dict(conn.execute(COMMENTS, {"nb": nb_id}).all())
    return NotebookGrades(score, max_score, penalty, grades, comments)


def warm(db_url: str) -> None:
    """Connect, and compile every statement above (a server does this before the first student
    waits): the same queries, for a notebook nobody submitted."""
    from sqlalchemy.orm import configure_mappers
    configure_mappers()
    with engine(db_url).connect() as conn:
        conn.execute(DUE, {"assignment": ""}).first()
        conn.execute(SUBMITTED, {"notebook": "", "assignment": "", "student": ""}).first()
        conn.execute(GRADES, {"nb": ""}).all()
        conn.execute(COMMENTS, {"nb": ""}).all()
