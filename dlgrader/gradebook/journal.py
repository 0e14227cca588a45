"""Which submissions are graded, in the gradebook's own database.

One row per (assignment, student): the digest of the submission that was graded (what was read of
its files, execution/batch.py, plus the grader's bundle: tests, reference, limits) and how many times a grading of it was committed. The row
is written in the same transaction as the scores, so after a crash the gradebook either has both
the scores and the row or neither; a re-run grades exactly the submissions without a matching row.
The table sits beside nbgrader's tables and is ignored by nbgrader.
"""
from __future__ import annotations

import os
from datetime import datetime, timezone

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, bindparam, select

metadata = MetaData()
graded = Table(
    "dlgrader_graded", metadata,
    Column("assignment", String(128), primary_key=True),
    Column("student", String(128), primary_key=True),
    Column("digest", String(64), nullable=False),
    Column("times", Integer, nullable=False, default=1),
    Column("graded_at", DateTime, nullable=False),
)


def ensure(engine) -> None:
    metadata.create_all(engine, tables=[graded])


def done(session, assignment: str) -> dict[str, str]:
    """student -> digest of the submission whose grading was committed."""
    rows = session.execute(select(graded.c.student, graded.c.digest).where(graded.c.assignment == assignment))
    return {student: digest for student, digest in rows}


def done_at(db_url: str, assignment: str) -> dict[str, str]:
    """`done` read straight from the database (no nbgrader import: a run with nothing left to grade
    finds that out before loading nbgrader). A gradebook without the table has nothing done."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import OperationalError, ProgrammingError
    if db_url.startswith("sqlite:///") and not os.path.exists(db_url[len("sqlite:///"):]):
        return {}
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            return done(connection, assignment)
    except (OperationalError, ProgrammingError):
        return {}
    finally:
        engine.dispose()


KEY = (graded.c.assignment == bindparam("a")) & (graded.c.student == bindparam("s"))
AGAIN = graded.update().where(KEY).values(digest=bindparam("d"), times=graded.c.times + 1, graded_at=bindparam("at"))
FIRST = graded.insert().values(assignment=bindparam("a"), student=bindparam("s"), digest=bindparam("d"), times=1,
                               graded_at=bindparam("at"))


def mark(session, assignment: str, student: str, digest: str) -> None:
    """Record a grading; part of the caller's transaction (the caller commits). One statement for
    a re-grade (an update that counts), an insert after it only for a first grading: portable
    (SQLite, PostgreSQL), and no select first. The statements are built once (module level):
    building them for each submission cost more CPU than running them."""
    values = {"a": assignment, "s": student, "d": digest, "at": datetime.now(timezone.utc).replace(tzinfo=None)}
    if session.execute(AGAIN, values).rowcount == 0:
        session.execute(FIRST, values)
