"""The whole grade path against a real PostgreSQL gradebook gives the same grades as SQLite."""
from __future__ import annotations

import csv
import os
import subprocess
import sys

import pytest

from dlgrader.course import Course

from ..conftest import mistake_book, copy_course, notebook_path, read, submit_notebook
from ..execution.cohort import filled
from . import postgres

A = "ps2_softmax_cross_entropy"


@pytest.fixture(scope="module")
def pg_url():
    reason = postgres.unavailable()
    if reason:
        pytest.skip(reason)
    with postgres.server() as url:
        yield url


def cohort(course: Course) -> None:
    book = mistake_book()
    src = notebook_path(course.root, "source", A)
    submit_notebook(course, "ada", A, filled(src))
    submit_notebook(course, "bo", A, filled(src, {"softmax": book.get("softmax", "no-max-shift").student_source()}))
    submit_notebook(course, "cy", A, read(notebook_path(course.root, "release", A)))
    submit_notebook(course, "di", A, "{ broken")


def grade_and_export(course: Course, db_url: str | None) -> list[dict]:
    env = {"DLGRADER_DB_URL": db_url} if db_url else {}
    dlgrader_env(course.root, env, "build", A)
    cohort(course)
    dlgrader_env(course.root, env, "grade", A)
    dlgrader_env(course.root, env, "export", "--to", str(course.root / "grades.csv"))
    with open(course.root / "grades.csv", newline="") as fh:
        rows = [{k: r[k] for k in ("assignment", "student_id", "score", "max_score")}
                for r in csv.DictReader(fh) if r["assignment"] == A]
    return sorted(rows, key=lambda r: r["student_id"])


def dlgrader_env(root, extra: dict, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLGRADER_")}
    env.update(extra)
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
    proc = subprocess.run([sys.executable, "-m", "dlgrader.cli", *args], cwd=root, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_postgres_gradebook_matches_sqlite(pg_url, tmp_path):
    url = postgres.create_database(pg_url, "dlgrader_course")
    on_pg = Course(copy_course(tmp_path / "pg"))
    on_sqlite = Course(copy_course(tmp_path / "sqlite"))
    pg_rows = grade_and_export(on_pg, url)
    sqlite_rows = grade_and_export(on_sqlite, None)
    assert not on_pg.gradebook_path.exists()            # nothing went to a SQLite file
    assert pg_rows == sqlite_rows
    assert [r["student_id"] for r in pg_rows] == ["ada", "bo", "cy", "di"]
    assert float(pg_rows[0]["score"]) == float(pg_rows[0]["max_score"]) == 13.0
    import sqlalchemy
    engine = sqlalchemy.create_engine(url)
    with engine.connect() as conn:
        graded = conn.execute(sqlalchemy.text(
            "select count(*) from submitted_assignment s join assignment a on a.id = s.assignment_id "
            "where a.name = :a"), {"a": A}).scalar()
    engine.dispose()
    assert graded == 4
