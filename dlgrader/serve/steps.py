"""nbgrader's own exchange and feedback steps for ONE submission, run in this process.

`dlgrader serve` handles submissions one at a time as they arrive; starting an nbgrader command per
step would cost seconds of start-up each, so the same classes the CLI uses (GenerateFeedback, ExchangeReleaseFeedback; collection is dlgrader's own safe collector) run here, configured from the course's nbgrader_config.py
with the student and assignment set, exactly as `nbgrader collect --student=ID` etc. would.
"""
from __future__ import annotations

import contextlib
import io
import logging
import os
from pathlib import Path

from nbgrader.auth import Authenticator
from nbgrader.coursedir import CourseDirectory
from nbgrader.utils import notebook_hash
from traitlets.config import Config

from ..course import Course
from ..feedback_html.generate import refuse_leaks
from ..feedback_html.policy import notices


class NbgraderSteps:
    def __init__(self, course: Course):
        self.course = course
        self.log = logging.getLogger("dlgrader.serve.nbgrader")
        self.log.propagate = False
        self.log.addHandler(logging.NullHandler())
        self.base = course.nbgrader_config()
        self._feedback = None

    def _config(self, assignment: str, student: str) -> Config:
        cfg = Config()
        cfg.merge(self.base)
        cfg.CourseDirectory.assignment_id = assignment
        cfg.CourseDirectory.student_id = student
        return cfg

    def _run(self, cls, assignment: str, student: str, **traits) -> None:
        cfg = self._config(assignment, student)
        coursedir = CourseDirectory(config=cfg, log=self.log)
        if cls.__module__.startswith("nbgrader.exchange"):
            app = cls(coursedir=coursedir, authenticator=Authenticator(config=cfg), config=cfg, log=self.log)
        else:
            app = cls(coursedir=coursedir, config=cfg, log=self.log)
        for name, value in traits.items():
            setattr(app, name, value)
        with contextlib.redirect_stdout(io.StringIO()):
            app.start()

    def collect(self, assignment: str, student: str, first_seen: dict | None = None):
        """Newest inbound submission of STUDENT (in observed order) -> submitted/, with dlgrader's safe
        collector (collection/collector.py), not nbgrader's ExchangeCollect (which follows links and
        copies unbounded data). Returns (its Outcome (status collected, unchanged or refused), or None
        when none of the inbound folders named for STUDENT is theirs; [rejected Outcomes]: folders named
        for STUDENT that are not their account's, or STUDENT not on the roster)."""
        from ..collection import collector
        outcomes, _ = collector.collect(self.course, assignment, student=student, first_seen=first_seen)
        rejected = [o for o in outcomes if o.status == "rejected"]
        kept = [o for o in outcomes if o.status != "rejected"]
        if not kept and not rejected:
            raise RuntimeError(f"no inbound submission of {assignment} by {student}")
        return (kept[0] if kept else None), rejected

    def feedback(self, assignment: str, student: str) -> list[Path]:
        """autograded/ -> feedback/ HTML with hidden tests stripped (nbgrader generate_feedback)."""
        import shutil
        shutil.rmtree(self.course.feedback / student / assignment, ignore_errors=True)   # no stale pages
        if not any((self.course.autograded / student / assignment).glob("*.ipynb")):
            return []                                # nothing graded to show (nbgrader would raise)
        app = self._feedback_app()
        app.coursedir.assignment_id, app.coursedir.student_id = assignment, student
        with contextlib.redirect_stdout(io.StringIO()):
            app.start()
        pages = refuse_leaks(sorted((self.course.feedback / student / assignment).glob("*.html")))
        return notices(self.course, assignment, pages)       # the feedback policy's score/nothing

    def _feedback_app(self):
        """One GenerateFeedback kept for all students: its exporter compiles the HTML templates once
        (a new one per student would spend most of its time recompiling them)."""
        if self._feedback is None:
            from nbgrader.converters import GenerateFeedback

            class KeptExporter(GenerateFeedback):
                def start(self):
                    self.init_notebooks()
                    if not getattr(self, "ready", False):
                        super().start()          # makes the exporter and the writer
                        self.ready = True
                        return
                    here = os.getcwd()
                    os.chdir(self.coursedir.root)
                    try:
                        self.convert_notebooks()
                    finally:
                        os.chdir(here)

            cfg = self._config("*", "*")
            self._feedback = KeptExporter(coursedir=CourseDirectory(config=cfg, log=self.log), config=cfg,
                                          log=self.log)
            self._feedback.force = True
        return self._feedback

    def release_feedback(self, assignment: str, student: str) -> None:
        """feedback/ -> the exchange, where `nbgrader fetch_feedback` finds it."""
        from nbgrader.exchange.default import ExchangeReleaseFeedback
        self._run(ExchangeReleaseFeedback, assignment, student)

    def released(self, assignment: str, student: str) -> bool:
        """Is the feedback for the submission now in submitted/ in the exchange?"""
        folder = self.course.submitted / student / assignment
        secret = folder / "submission_secret.txt"
        if not secret.is_file():
            return False
        outbound = self.course.exchange / self.course.course_id / "feedback"
        names = [p.stem for p in folder.glob("*.ipynb")]
        return bool(names) and all(
            (outbound / f"{notebook_hash(secret=secret.read_text(), notebook_id=n)}.html").is_file() for n in names)

    def warm(self) -> bool:
        """Compile nbconvert's feedback templates (and the patterns behind its filters) before the
        first student waits for them, and load what the feedback's own preprocessors read. True if
        a page was rendered (else the first student pays for what was not compiled)."""
        from ..feedback_html import summary
        from ..gradebook import reads
        summary.load_concepts()
        reads.warm(self.course.db_url)
        app = self._feedback_app()
        app.exporter = app.exporter_class(parent=app, config=app.config)
        for pp in app.preprocessors:
            app.exporter.register_preprocessor(pp)
        from nbconvert.writers import FilesWriter
        app.writer = FilesWriter(parent=app, config=app.config)
        app.ready = True
        try:
            self.render_sample()       # the exporter's validation compiles the schema validator too
        except Exception as exc:      # only a warm-up: whatever it compiled stays compiled
            self.log.warning("feedback warm-up failed: %s: %s", type(exc).__name__, exc)
            return False
        return True

    def render_sample(self):
        """A released notebook of the course (not student data) through the feedback exporter, so
        code, markdown and math go through every filter; without the grade preprocessors (they need
        a graded submission in the gradebook): its cells render as plain cells. Returns it."""
        import nbformat

        from ..feedback_html.exporter import describe_images
        app = self._feedback_app()
        sample = next(iter(sorted(self.course.release.glob("*/*.ipynb"))), None)
        nb = nbformat.read(str(sample), as_version=4) if sample else nbformat.v4.new_notebook()
        for cell in nb.cells:
            cell.metadata.pop("nbgrader", None)
        kept, app.exporter._preprocessors = app.exporter._preprocessors, [describe_images]
        try:
            app.exporter.from_notebook_node(nb, resources={"nbgrader": {
                "notebook": "warm-up", "score": 0, "max_score": 0, "late_penalty": 0}})
        finally:
            app.exporter._preprocessors = kept
        return nb

    def write_notices(self, assignment: str, student: str, messages: dict[str, str]) -> None:
        """Feedback pages that only say MESSAGES[notebook] (plain text), for notebooks that have no
        graded version to show (unreadable, or the grading failed)."""
        import html
        import shutil
        folder = self.course.submitted / student / assignment
        dest = self.course.feedback / student / assignment
        dest.mkdir(parents=True, exist_ok=True)
        for name in ("timestamp.txt", "submission_secret.txt"):
            if (folder / name).is_file():
                shutil.copy2(folder / name, dest / name)
        for notebook, message in messages.items():
            (dest / f"{notebook}.html").write_text(
                f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(notebook)}</title>"
                f"</head><body><h1>{html.escape(assignment)}: {html.escape(notebook)}.ipynb</h1>"
                f"<p>{html.escape(message)}</p></body></html>", encoding="utf-8")
