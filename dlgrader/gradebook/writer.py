"""Writing a graded submission into nbgrader's gradebook and autograded/ folder.

Scores go through nbgrader's own Gradebook API (update_or_create_submission keeps a TA's manual
scores on a re-grade), so Formgrader, `nbgrader export` and `nbgrader generate_feedback` work on top.
"""
from __future__ import annotations

import os
import shutil
import warnings
from datetime import datetime
from pathlib import Path
from typing import Optional

from nbgrader.api import Gradebook
from sqlalchemy.exc import SAWarning

from ..course import Course


def read_timestamp(folder: Path) -> Optional[datetime]:
    stamp = folder / "timestamp.txt"
    if not stamp.is_file():
        return None
    from nbgrader.utils import parse_utc
    try:
        return parse_utc(stamp.read_text().strip())
    except Exception:
        return None


class GradebookWriter:
    """Keeps one gradebook connection open for a whole batch."""

    def __init__(self, course: Course):
        self.course = course
        self.gb = Gradebook(course.db_url, course.course_id)

    def close(self) -> None:
        self.gb.close()

    def record(self, assignment: str, student: str, results: dict, submitted: Path) -> None:
        """`results` maps notebook name -> the engine's plain-data result for it."""
        with warnings.catch_warnings():   # nbgrader's own ORM code warns about autoflush here
            warnings.simplefilter("ignore", SAWarning)
            self._record(assignment, student, results, submitted)
        self._write_autograded(assignment, student, results, submitted)

    def _record(self, assignment: str, student: str, results: dict, submitted: Path) -> None:
        self.gb.update_or_create_student(student)
        timestamp = read_timestamp(submitted)
        kwargs = {"timestamp": timestamp} if timestamp else {}
        submission = self.gb.update_or_create_submission(assignment, student, **kwargs)
        for nb in submission.notebooks:
            result = results.get(nb.name)
            cells = {c["grade_id"]: c for c in (result or {}).get("cells", [])}
            for grade in nb.grades:
                cell = cells.get(grade.name)
                if cell is None:
                    grade.auto_score = 0.0
                    grade.needs_manual_grade = True
                    continue
                grade.auto_score = cell["score"]
                grade.needs_manual_grade = bool(cell["needs_manual"] or cell["score"] is None)
            for comment in nb.comments:
                cell = cells.get(comment.name)
                reason = (cell or {}).get("reason") or ((result or {}).get("reason") if result else "")
                comment.auto_comment = reason or None
        self.gb.db.commit()

    def _write_autograded(self, assignment: str, student: str, results: dict, submitted: Path) -> None:
        dest = self.course.autograded / student / assignment
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        for item in submitted.iterdir():
            if item.suffix == ".ipynb" or item.is_symlink():
                continue
            if item.is_file():
                shutil.copy2(item, dest / item.name)
        for name, result in results.items():
            text = result.get("autograded")
            if text:
                (dest / f"{name}.ipynb").write_text(text, encoding="utf-8")
        os.chmod(dest, 0o755)
