"""Writing a graded submission into nbgrader's gradebook and autograded/ folder.

Scores go into nbgrader's own gradebook tables (rows.py; only auto scores and comments are set, so
a TA's manual scores survive a re-grade); Formgrader, `nbgrader export` and `nbgrader
generate_feedback` work on top.
"""
from __future__ import annotations

import json
import os
import shutil
from datetime import datetime
from pathlib import Path
from typing import Optional

from nbgrader.api import Gradebook

from .. import folders
from ..course import Course
from . import journal, rows


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

    Callers may record several submissions with commit=False and then commit() them as one
    transaction (`dlgrader grade` does, to spare a commit's fsync per submission): a kill then loses
    the whole uncommitted group and nothing else, and a re-run grades it again.
    (Their autograded/ folders are in place already: the old grading's folder is replaced only by a
    newer one, and a re-run writes it again.)
    """

    def __init__(self, course: Course):
        self.course = course
        self.gb = Gradebook(course.db_url, course.course_id)
        journal.ensure(self.gb.engine)
        self.late_plugin = late_submission_plugin(course)
        self._pending: list = []      # writes recorded with commit=False, for commit()

    def close(self) -> None:
        self.gb.close()

    def graded(self, assignment: str) -> dict[str, str]:
        """student -> digest of the submission whose grading is committed."""
        return journal.done(self.gb.db, assignment)

    def score(self, assignment: str, student: str) -> tuple[float, float]:
        submission = self.gb.find_submission(assignment, student)
        return float(submission.score), float(submission.max_score)

    def record(self, assignment: str, student: str, results: dict, submitted: Path, digest: str,
               commit: bool = True) -> None:
        """`results` maps notebook name -> the engine's plain-data result for it. With commit=False
        its scores and journal row wait for commit(), to be written with others (a group)."""
        self._write_autograded(assignment, student, results, submitted)
        timestamp = read_timestamp(submitted)

        def write(db):
            self._record(db, assignment, student, results, timestamp)
            journal.mark(db, assignment, student, digest)
        self._pending.append(write)
        if commit:
            self.commit()

    def refuse(self, assignment: str, student: str, reason: str, submitted: Path, digest: Optional[str],
               commit: bool = True) -> None:
        """Record a submission that was not graded because it broke a collection rule: every grade
        0 and needing a person, REASON as the automatic comment, the observed arrival time as its
        timestamp. With DIGEST the refusal is journalled, so a re-run does not redo it."""
        names = [nb.name for nb in self.gb.find_assignment(assignment).notebooks]
        self._write_autograded(assignment, student, {n: {"status": "refused", "reason": reason} for n in names},
                               submitted, copy_files=False)
        timestamp = read_timestamp(submitted)

        def write(db):
            sub = rows.submission(db, assignment, student, timestamp)
            grades, comments = rows.grades_and_comments(db, sub.id)
            rows.set_auto(db, [{"row": g.id, "auto_score": 0.0, "needs_manual_grade": True} for g in grades],
                          [{"row": c.id, "auto_comment": f"Not graded: {reason}"} for c in comments])
            self._late_penalties(db, sub, student)
            if digest is not None:
                journal.mark(db, assignment, student, digest)
        self._pending.append(write)
        if commit:
            self.commit()

    def commit(self) -> None:
        """Write what was recorded since the last commit and commit it: one transaction, all of it
        or none (on an error it is rolled back, and dropped). The writes wait until now so that the
        gradebook is locked only while a group is written, never while it waits for more results
        (a TA saving a manual score in Formgrader meanwhile would get "database is locked")."""
        pending, self._pending = self._pending, []
        try:
            db = self.gb.db.connection()
            for write in pending:
                write(db)
            self.gb.db.commit()
        except BaseException:
            self.gb.db.rollback()
            raise

    def _record(self, db, assignment: str, student: str, results: dict, timestamp: Optional[datetime]) -> None:
        sub = rows.submission(db, assignment, student, timestamp)
        grades, comments = rows.grades_and_comments(db, sub.id)
        cells = {name: {c["grade_id"]: c for c in (result or {}).get("cells", [])} for name, result in results.items()}
        scores = []
        for grade in grades:
            cell = cells.get(grade.notebook, {}).get(grade.cell)
            if cell is None:
                scores.append({"row": grade.id, "auto_score": 0.0, "needs_manual_grade": True})
            else:
                scores.append({"row": grade.id, "auto_score": cell["score"],
                               "needs_manual_grade": bool(cell["needs_manual"] or cell["score"] is None)})
        notes = []
        for comment in comments:
            result = results.get(comment.notebook) or {}
            cell = cells.get(comment.notebook, {}).get(comment.cell) or {}
            notes.append({"row": comment.id, "auto_comment": cell.get("reason") or result.get("reason") or None})
        rows.set_auto(db, scores, notes)
        self._late_penalties(db, sub, student)

    def _late_penalties(self, db, sub: rows.Submission, student: str) -> None:
        """nbgrader's late-submission plugin, as configured for the course (AssignLatePenalties)."""
        rows.late_penalties(db, sub, lambda score, late: self.late_plugin.late_submission_penalty(student, score, late))

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
        # the per-check verdicts, for the report (grader data: written by the grader, read by it);
        # not indented: json's C encoder only runs without indent (indent=1 cost 1.7 ms per submission)
        (staging / VERDICTS_FILE).write_text(json.dumps(verdicts), encoding="utf-8")
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
