# nbgrader configuration for the course. The repository root is the nbgrader course directory,
# so stock `nbgrader ...` commands run from here behave like the `dlgrader` ones.
import os
from pathlib import Path

c = get_config()  # noqa: F821  (provided by traitlets when it loads this file)
_root = Path(__file__).resolve().parent

c.CourseDirectory.root = str(_root)
c.CourseDirectory.course_id = os.environ.get("DLGRADER_COURSE_ID", "dl-math-toolkit")
c.CourseDirectory.db_url = os.environ.get("DLGRADER_DB_URL", f"sqlite:///{_root / 'gradebook.db'}")
# Local exchange by default; point DLGRADER_EXCHANGE at a shared folder (e.g. /srv/nbgrader/exchange).
c.Exchange.root = os.environ.get("DLGRADER_EXCHANGE", str(_root / "exchange"))

# Hidden tests load the trusted reference from this folder. It is only set for nbgrader commands run
# on the grader's side (this file); students' environments never have it.
os.environ["DLGRADER_REFERENCE"] = str(_root / "reference")

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# dlgrader's own settings: dlgrader/settings.py documents each one.
# The sandbox's limits for each submission. With `dlgrader grade --engine nbgrader`, cell_seconds is
# also nbgrader's Execute.timeout.
c.Dlgrader.cell_seconds = 10
c.Dlgrader.call_seconds = 10
c.Dlgrader.notebook_seconds = 120
c.Dlgrader.max_restarts = 6
c.Dlgrader.memory_mb = 1536
c.Dlgrader.processes = 32
# The course secret seeding each submission's hidden inputs: created by `dlgrader build`, git-ignored.
c.Dlgrader.secret_file = ".dlgrader-secret"
# What feedback shows before and after an assignment's due date (the gradebook's; the grader's clock).
# Coding sets: before it, each check's pass/fail and the named mistake, no hidden inputs or expected
# values; after it, everything. The quiz: nothing before (a total score would still tell which option
# changed it), each question's result after.
c.Dlgrader.default_before_due = "checks"
c.Dlgrader.default_after_due = "everything"
c.Dlgrader.feedback_before_due = {"ps4_quiz": "nothing"}
c.Dlgrader.feedback_after_due = {"ps4_quiz": "checks"}
# Submissions per student and assignment that `dlgrader serve` gives feedback on (0: no limit).
c.Dlgrader.max_submissions = 0

# Feedback never shows hidden test code nor tracebacks into it, nor student HTML that could run.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "dlgrader.feedback_html.preprocessors.HideTestTracebacks",
    "dlgrader.feedback_html.policy.ApplyFeedbackPolicy",          # c.Dlgrader.feedback_* above
    "dlgrader.feedback_html.sanitize.SanitizeStudentContent",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
