"""A student's side of the exchange (fetch and submit), run with nbgrader's own exchange classes.

Used by the demo and the tests to act as many students from one process: each call passes the
student id explicitly, as `nbgrader submit --student=ID` does, instead of reading the OS user.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

from nbgrader.auth import Authenticator
from nbgrader.coursedir import CourseDirectory
from nbgrader.exchange.default import ExchangeFetchAssignment, ExchangeSubmit
from traitlets.config import Config

from ..course import Course


def _config(course: Course, home: Path, student: str, assignment: str) -> Config:
    cfg = Config()
    cfg.CourseDirectory.root = str(home)
    cfg.CourseDirectory.course_id = course.course_id
    cfg.CourseDirectory.assignment_id = assignment
    cfg.CourseDirectory.student_id = student
    cfg.Exchange.root = str(course.exchange)
    cfg.Exchange.cache = str(home / ".nbgrader_cache")
    cfg.Exchange.path_includes_course = False
    return cfg


@contextlib.contextmanager
def _cwd(path: Path):
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def _run(cls, course: Course, home: Path, student: str, assignment: str):
    home.mkdir(parents=True, exist_ok=True)
    cfg = _config(course, home, student, assignment)
    coursedir = CourseDirectory(config=cfg)
    with _cwd(home):
        app = cls(coursedir=coursedir, authenticator=Authenticator(config=cfg), config=cfg)
        return app.start()


def fetch(course: Course, home: Path, student: str, assignment: str) -> Path:
    """Fetch `assignment` into HOME/<assignment>/ like `nbgrader fetch_assignment`."""
    _run(ExchangeFetchAssignment, course, home, student, assignment)
    return home / assignment


def submit(course: Course, home: Path, student: str, assignment: str) -> None:
    """Submit HOME/<assignment>/ as `student`, like `nbgrader submit --student=ID`."""
    _run(ExchangeSubmit, course, home, student, assignment)
