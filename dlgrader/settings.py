"""dlgrader's settings: one traitlets class set from the course's nbgrader_config.py.

Like nbgrader's own preprocessors, every knob is a configurable trait with help text, set in
`nbgrader_config.py` as `c.Dlgrader.NAME = value`; an unknown name or a value of the wrong type stops
every dlgrader command with one line (config.py). The course id, exchange and database are nbgrader's
own settings in the same file (Course.course_id/exchange/db_url).
"""
from __future__ import annotations

from pathlib import Path

from traitlets import Dict, Enum, Float, Int, Unicode, validate
from traitlets.config import Configurable

from .course import Course

# What a student sees in the feedback of a graded submission, from most to least.
LEVELS = ("everything", "checks", "score", "nothing")
LEVEL_HELP = (
    "'everything': every check with its message (hidden inputs and expected values included); "
    "'checks': each check's pass/fail and the named common mistake, but no hidden inputs nor "
    "expected values; 'score': only the notebook's total score; 'nothing': only a note that the "
    "submission was received.")


class Dlgrader(Configurable):
    """Grading limits, the course secret and the feedback policy of a dlgrader course."""

    # ---- the engine's limits ------------------------------------------------------------------
    cell_seconds = Float(10.0, help="Wall-clock seconds one student cell may run in the sandbox "
                                    "(also `nbgrader autograde`'s Execute.timeout with --engine "
                                    "nbgrader).").tag(config=True)
    call_seconds = Float(10.0, help="Wall-clock seconds one call of a student's function from a "
                                    "check may take.").tag(config=True)
    notebook_seconds = Float(120.0, help="Wall-clock seconds for grading a whole notebook; cells "
                                         "after that get 'notebook time limit exceeded'.").tag(config=True)
    max_restarts = Int(6, help="Times the sandbox of one submission is restarted after a crash or "
                               "a time-out before the rest of it is given up.").tag(config=True)
    memory_mb = Int(1536, help="Address space of a sandboxed submission, in MiB.").tag(config=True)
    processes = Int(32, help="Processes (and threads) a sandboxed submission may run at once.").tag(config=True)

    # ---- hidden inputs per submission ---------------------------------------------------------
    secret_file = Unicode(".dlgrader-secret", help=(
        "File holding the course secret that seeds the hidden random cases of each submission "
        "(relative paths are taken from the course root). `dlgrader build` creates it (mode 600) "
        "on a new course (a gradebook without gradings); nothing else ever does: grading without "
        "it stops, and it must be restored from the grader's backup. It stays on the grader's "
        "side: never commit it, never release it; replacing it changes every student's hidden "
        "inputs at the next grading.")).tag(config=True)

    # ---- feedback policy ----------------------------------------------------------------------
    feedback_before_due = Dict(
        key_trait=Unicode(), value_trait=Enum(LEVELS), default_value={},
        help="Per assignment, what students see in feedback generated before its due date (the "
             "gradebook's, compared with the grader's clock); assignments not named use "
             "default_before_due. " + LEVEL_HELP).tag(config=True)
    feedback_after_due = Dict(
        key_trait=Unicode(), value_trait=Enum(LEVELS), default_value={},
        help="Per assignment, what students see in feedback generated after its due date; "
             "assignments not named use default_after_due. " + LEVEL_HELP).tag(config=True)
    default_before_due = Enum(LEVELS, default_value="checks",
                              help="Feedback before the due date for assignments not in "
                                   "feedback_before_due. An assignment without a due date is "
                                   "always before it.").tag(config=True)
    default_after_due = Enum(LEVELS, default_value="everything",
                             help="Feedback after the due date for assignments not in "
                                  "feedback_after_due.").tag(config=True)

    # ---- dlgrader serve -----------------------------------------------------------------------
    max_submissions = Int(0, help="Submissions per student and assignment that `dlgrader serve` "
                                  "grades and gives feedback on; later ones get a note instead. "
                                  "0: no limit.").tag(config=True)

    @validate("cell_seconds", "call_seconds", "notebook_seconds")
    def _positive_seconds(self, proposal):
        if proposal["value"] <= 0:
            raise ValueError(f"{proposal['trait'].name} must be positive")
        return proposal["value"]

    @validate("max_restarts", "memory_mb", "processes", "max_submissions")
    def _not_negative(self, proposal):
        if proposal["value"] < 0:
            raise ValueError(f"{proposal['trait'].name} must not be negative")
        return proposal["value"]

    # ---- derived ------------------------------------------------------------------------------
    def level(self, assignment: str, after_due: bool) -> str:
        """What a student sees of ASSIGNMENT before (or after) its due date."""
        if after_due:
            return self.feedback_after_due.get(assignment, self.default_after_due)
        return self.feedback_before_due.get(assignment, self.default_before_due)

    def secret_path(self, course: Course) -> Path:
        path = Path(self.secret_file).expanduser()
        return path if path.is_absolute() else course.root / path

    def limits(self):
        from .execution.engine import Limits
        return Limits(cell_seconds=self.cell_seconds, call_seconds=self.call_seconds,
                      notebook_seconds=self.notebook_seconds, max_restarts=self.max_restarts,
                      memory_bytes=self.memory_mb * 2**20, processes=self.processes)

    # ---- who may read the course's private files (dlgrader build, dlgrader doctor) -----------------
    course_group = Unicode("", help=(
        "Unix group of the teaching assistants. Empty (the default): `dlgrader build` makes source/, "
        "reference/, submitted/, autograded/, feedback/, logs/, the SQLite gradebook and the course "
        "secret owner-only (folders 700, files 600). A group name: they get that group, folders "
        "2750 and files 640, so its members can read solutions, submissions and grades (writes stay "
        "the owner's). Students must never be in this group.")).tag(config=True)


def load(course: Course, config=None) -> Dlgrader:
    """The course's settings (from its nbgrader_config.py unless CONFIG is given; the defaults for a
    folder without one)."""
    return Dlgrader(config=config if config is not None else course.nbgrader_config(missing_ok=True))
