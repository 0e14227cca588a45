"""nbgrader's autograde with student code in dlgrader's sandbox: the preprocessor that takes the place
of nbgrader's `Execute` in `c.Autograde.autograde_preprocessors` (the course's nbgrader_config.py), so
stock `nbgrader autograde` and Formgrader's Autograde button grade where `dlgrader grade` does.

Each notebook is graded as `dlgrader grade` grades it (workers.grade_task): the submitted file read
under the collection rules, test cells from source/, the student's code in the sandbox, the checks
and the reference in this process, the same per-submission seed. The notebook handed on holds the
outputs that engine gives (a test cell's score as its execute_result, or an error; the student's
HTML cleaned), with the nbgrader metadata nbgrader's sanitizing pass restored, so LimitOutput,
SaveAutoGrades, AssignLatePenalties and CheckCellMetadata work as they do after `Execute`: the grades
and the gradebook stay nbgrader's. Without a sandbox the notebook fails with the reason; student
code never runs unsandboxed here.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import nbformat
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor

from .. import settings
from ..course import Course


class NotGraded(RuntimeError):
    """This notebook could not be graded in the sandbox (the message says why, on one line)."""


class SandboxedExecute(NbGraderPreprocessor):
    """Grade the notebook in dlgrader's sandbox instead of running it in a kernel."""

    def preprocess(self, nb, resources):
        meta = resources["nbgrader"]
        student, assignment, name = meta["student"], meta["assignment"], meta["notebook"]
        try:
            result = grade(self._course(), assignment, student, name, self.config)
        except NotGraded as exc:
            self.log.error("%s/%s/%s not graded: %s", student, assignment, name, exc)
            raise
        self.log.info("%s/%s graded in dlgrader's sandbox (%.1f s)", student, name, result.get("seconds", 0.0))
        for flag in result.get("flags", []):
            self.log.warning("%s/%s: integrity flag: %s", student, name, json.dumps(flag, sort_keys=True))
        for stop in result.get("stops", []):
            self.log.warning("%s/%s: the sandbox stopped the student's code: %s", student, name, stop)
        for note in result.get("notes", []):
            self.log.warning("%s/%s: %s", student, name, note)
        return merged(nb, nbformat.reads(result["autograded"], as_version=4)), resources

    def _course(self) -> Course:
        return Course(Path(CourseDirectory(config=self.config).root).resolve())


def grade(course: Course, assignment: str, student: str, name: str, config) -> dict:
    """One notebook of STUDENT's submission, graded as `dlgrader grade` grades it (NotGraded if not)."""
    from ..errors import DlgraderError
    from ..sandbox.session import SandboxUnavailable
    from ..verdicts import reference, seeds
    from .batch import hidden_paths, read_submission
    from .workers import grade_task, make_bundle
    conf = settings.load(course, config=config)
    try:
        _probe(course, conf)
        bundle = make_bundle(course, assignment, False, conf.limits(), hidden_paths(course, conf), conf)
        secret = seeds.read_secret(conf.secret_path(course))
        sub = read_submission(course, assignment, student, course.notebooks(assignment), secret=secret)
        if sub.refused:
            raise NotGraded(f"the submission is refused: {sub.refused}")
        if name not in sub.task["notebooks"]:
            raise NotGraded(f"{name}.ipynb could not be read from submitted/{student}/{assignment}/")
        task = dict(sub.task, notebooks={name: sub.task["notebooks"][name]})
        try:
            result = json.loads(grade_task(task, bundle))["notebooks"][name]
        finally:
            reference.drop_sources()   # this process (Formgrader's server) keeps no reference in memory
    except SandboxUnavailable as exc:
        raise NotGraded(f"cannot create the grading sandbox ({exc}); student code is never run "
                        "unsandboxed") from None
    except (DlgraderError, OSError, ValueError) as exc:
        raise NotGraded(f"{type(exc).__name__}: {exc}") from None
    if result["status"] != "graded":
        raise NotGraded(result.get("reason") or result["status"])
    return result


_probed: set = set()       # sandbox set-ups that held in this process


def _probe(course: Course, conf) -> None:
    """Refuse (NotGraded) when the sandbox cannot be created here; checked once per process."""
    from ..errors import DlgraderError
    from .batch import hidden_paths, probe_sandbox
    key = tuple(hidden_paths(course, conf))
    if key in _probed:
        return
    try:
        probe_sandbox(course, False, conf)
    except DlgraderError as exc:
        raise NotGraded(str(exc).split(" (pass --unsafe-no-sandbox")[0]) from None
    _probed.add(key)


def merged(sanitized, graded):
    """The notebook the next preprocessors see: the graded cells (outputs, dlgrader's check records),
    each graded cell carrying the nbgrader metadata that nbgrader's sanitizing pass gave its cell (the
    checksums SaveAutoGrades compares with), and the sanitized notebook's own metadata, cleaned of
    what would run in a TA's browser (feedback_html/sanitize.py, as `dlgrader grade` cleans it)."""
    from ..feedback_html.sanitize import clean_notebook
    theirs = {}
    for cell in sanitized.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id and grade_id not in theirs:
            theirs[grade_id] = cell.metadata.nbgrader
    out = copy.deepcopy(sanitized)
    out.cells = graded.cells
    for cell in out.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in theirs:
            cell.metadata.nbgrader = copy.deepcopy(theirs[grade_id])
    clean_notebook(out)
    return out
