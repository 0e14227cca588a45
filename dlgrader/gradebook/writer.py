"""Writing a graded submission into nbgrader's gradebook and autograded/ folder.

Scores go into nbgrader's own gradebook tables through its ORM (only auto scores and comments are
set, so a TA's manual scores survive a re-grade); Formgrader, `nbgrader export` and `nbgrader
generate_feedback` work on top.
"""
from __future__ import annotations

import json
import os
import shutil
import warnings
from datetime import datetime
from pathlib import Path
from typing import Optional

from nbgrader import api
from nbgrader.api import Gradebook
from sqlalchemy.exc import SAWarning

from .. import folders
from ..course import Course
from . import journal


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
    from traitlets.utils.importstring import import_item
    config = course.nbgrader_config(missing_ok=True)
    plugin_class = config.AssignLatePenalties.get("plugin_class", LateSubmissionPlugin)
    if isinstance(plugin_class, str):
        plugin_class = import_item(plugin_class)
    return plugin_class(config=config)


class GradebookWriter:
    """Keeps one gradebook connection open for a whole batch.

    A submission is recorded crash-safely: its autograded/ folder is written beside the old one and
    swapped in by rename, then its scores and its journal row (journal.py) are committed in one
    transaction. Killed at any point, the gradebook holds either the old grading or the new one,
    never a half-filled submission, and a re-run grades exactly what has no journal row.
    """

    def __init__(self, course: Course):
        self.course = course
        self.gb = Gradebook(course.db_url, course.course_id)
        journal.ensure(self.gb.engine)
        self.late_plugin = late_submission_plugin(course)

    def close(self) -> None:
        self.gb.close()

    def graded(self, assignment: str) -> dict[str, str]:
        """student -> digest of the submission whose grading is committed."""
        return journal.done(self.gb.db, assignment)

    def score(self, assignment: str, student: str) -> tuple[float, float]:
        submission = self.gb.find_submission(assignment, student)
        return float(submission.score), float(submission.max_score)

    def record(self, assignment: str, student: str, results: dict, submitted: Path, digest: str) -> None:
        """`results` maps notebook name -> the engine's plain-data result for it."""
        self._write_autograded(assignment, student, results, submitted)
        with warnings.catch_warnings():   # nbgrader's own ORM code warns about autoflush here
            warnings.simplefilter("ignore", SAWarning)
            try:
                self._record(assignment, student, results, submitted)
                journal.mark(self.gb.db, assignment, student, digest)
                self.gb.db.commit()
            except BaseException:
                self.gb.db.rollback()
                raise

    def refuse(self, assignment: str, student: str, reason: str, submitted: Path, digest: Optional[str]) -> None:
        """Record a submission that was not graded because it broke a collection rule: every grade
        0 and needing a person, REASON as the automatic comment, the observed arrival time as its
        timestamp. With DIGEST the refusal is journalled, so a re-run does not redo it."""
        names = [nb.name for nb in self.gb.find_assignment(assignment).notebooks]
        self._write_autograded(assignment, student, {n: {"status": "refused", "reason": reason} for n in names},
                               submitted, copy_files=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SAWarning)
            try:
                submission = self._submission(assignment, student, read_timestamp(submitted))
                for nb in submission.notebooks:
                    for grade in nb.grades:
                        grade.auto_score = 0.0
                        grade.needs_manual_grade = True
                    for comment in nb.comments:
                        comment.auto_comment = f"Not graded: {reason}"
                self.gb.db.flush()
                self._late_penalties(submission, student)
                if digest is not None:
                    journal.mark(self.gb.db, assignment, student, digest)
                self.gb.db.commit()
            except BaseException:
                self.gb.db.rollback()
                raise

    def _submission(self, assignment: str, student: str, timestamp):
        """Find or create the submission without committing (nbgrader's update_or_create_* commit
        half-way, which would leave a submission with empty grades if the grader died there)."""
        db = self.gb.db
        if db.get(api.Student, student) is None:
            db.add(api.Student(id=student))
        try:
            submission = self.gb.find_submission(assignment, student)
        except api.MissingEntry:
            submission = api.SubmittedAssignment(assignment=self.gb.find_assignment(assignment),
                                                 student=db.get(api.Student, student))
            for notebook in submission.assignment.notebooks:
                nb = api.SubmittedNotebook(notebook=notebook, assignment=submission)
                for cell in notebook.grade_cells:
                    api.Grade(cell_id=cell.id, notebook=nb)
                for cell in notebook.solution_cells:
                    api.Comment(cell_id=cell.id, notebook=nb)
                for cell in notebook.task_cells:
                    api.Comment(cell_id=cell.id, notebook=nb)
                    api.Grade(cell_id=cell.id, notebook=nb)
            db.add(submission)
        if timestamp is not None:
            submission.timestamp = timestamp
        db.flush()
        return submission

    def _record(self, assignment: str, student: str, results: dict, submitted: Path) -> None:
        submission = self._submission(assignment, student, read_timestamp(submitted))
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

    def _late_penalties(self, submission, student: str) -> None:
        """nbgrader's late-submission plugin, as configured for the course (AssignLatePenalties)."""
        late = submission.total_seconds_late or 0
        for nb in submission.notebooks:
            nb.late_submission_penalty = None
            if late > 0:
                penalty = self.late_plugin.late_submission_penalty(student, nb.score, late)
                if penalty is not None:
                    nb.late_submission_penalty = min(max(float(penalty), 0.0), float(nb.score))

    def _write_autograded(self, assignment: str, student: str, results: dict, submitted: Path,
                          copy_files: bool = True) -> None:
        dest = self.course.autograded / student / assignment
        staging = dest.with_name(f".{assignment}{STAGING}")
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir(parents=True)
        for item in (submitted.iterdir() if copy_files else ()):
            if item.suffix == ".ipynb" or item.is_symlink():
                continue
            if item.is_file() and not item.is_symlink():      # never a FIFO or device: is_file is S_ISREG
                shutil.copy2(item, staging / item.name, follow_symlinks=False)
        verdicts = {}
        for name, result in results.items():
            text = result.get("autograded")
            if text:     # cleaned by the grading worker (execution/notebook.py): written as given
                (staging / f"{name}.ipynb").write_text(text, encoding="utf-8")
            verdicts[name] = {"sanitized": result.get("sanitized", 0), "status": result.get("status"), "reason": result.get("reason", ""),
                              "cells": result.get("cells", []), "flags": result.get("flags", []),
                              "stops": result.get("stops", []), "notes": result.get("notes", [])}
        # the per-check verdicts, for the report (grader data: written by the grader, read by it)
        (staging / VERDICTS_FILE).write_text(json.dumps(verdicts, indent=1), encoding="utf-8")
        os.chmod(staging, 0o755)
        folders.swap_in(staging, dest, RETIRED)


STAGING, RETIRED = ".dlgrader-new", ".dlgrader-old"


def sanitized(text: str) -> tuple[str, int]:
    """An autograded notebook's JSON with student HTML cleaned (feedback_html/sanitize.py), and how
    many pieces were changed: for notebooks written by stock nbgrader (execution/autograde.py);
    dlgrader's own grading workers clean theirs as they build them."""
    import nbformat

    from ..feedback_html.sanitize import clean_notebook
    nb = nbformat.reads(text, as_version=4)
    removed = clean_notebook(nb)
    if not removed:
        return text, 0
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False), removed


def recover_autograded(course: Course, assignment: str) -> int:
    """After a crash: drop half-written folders, put back a folder that was being replaced."""
    return folders.recover(course.autograded, assignment, STAGING, RETIRED)
