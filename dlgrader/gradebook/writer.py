"""Writing a graded submission into nbgrader's gradebook and autograded/ folder.

Scores go through nbgrader's own Gradebook API (update_or_create_submission keeps a TA's manual
scores on a re-grade), so Formgrader, `nbgrader export` and `nbgrader generate_feedback` work on top.
"""
from __future__ import annotations

import json
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


VERDICTS_FILE = "dlgrader-verdicts.json"


def late_submission_plugin(course: Course):
    """The course's late-submission plugin, configured from nbgrader_config.py like stock nbgrader."""
    from nbgrader.plugins import LateSubmissionPlugin
    from traitlets.config.loader import PyFileConfigLoader
    from traitlets.utils.importstring import import_item
    try:
        config = PyFileConfigLoader("nbgrader_config.py", path=str(course.root)).load_config()
    except Exception:
        from traitlets.config import Config
        config = Config()
    plugin_class = config.AssignLatePenalties.get("plugin_class", LateSubmissionPlugin)
    if isinstance(plugin_class, str):
        plugin_class = import_item(plugin_class)
    return plugin_class(config=config)


class GradebookWriter:
    """Keeps one gradebook connection open for a whole batch."""

    def __init__(self, course: Course):
        self.course = course
        self.gb = Gradebook(course.db_url, course.course_id)
        self.late_plugin = late_submission_plugin(course)

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
        self.gb.db.flush()
        self._late_penalties(submission, student)
        self.gb.db.commit()

    def _late_penalties(self, submission, student: str) -> None:
        """nbgrader's late-submission plugin, as configured for the course (AssignLatePenalties)."""
        late = submission.total_seconds_late or 0
        for nb in submission.notebooks:
            nb.late_submission_penalty = None
            if late > 0:
                penalty = self.late_plugin.late_submission_penalty(student, nb.score, late)
                if penalty is not None:
                    nb.late_submission_penalty = min(max(float(penalty), 0.0), float(nb.score))

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
        verdicts = {}
        for name, result in results.items():
            text = result.get("autograded")
            if text:
                (dest / f"{name}.ipynb").write_text(text, encoding="utf-8")
            verdicts[name] = {"status": result.get("status"), "reason": result.get("reason", ""),
                              "cells": result.get("cells", []), "flags": result.get("flags", []),
                              "stops": result.get("stops", []), "notes": result.get("notes", [])}
        # the per-check verdicts, for the report (grader data: written by the grader, read by it)
        (dest / VERDICTS_FILE).write_text(json.dumps(verdicts, indent=1), encoding="utf-8")
        os.chmod(dest, 0o755)
