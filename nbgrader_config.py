# nbgrader configuration for the course. The repository root is the nbgrader course directory,
# so stock `nbgrader ...` commands run from here behave like the `dlgrader` ones.
import os
from pathlib import Path

c = get_config()  # noqa: F821  (provided by traitlets when it loads this file)
_root = Path(__file__).resolve().parent

c.CourseDirectory.root = str(_root)
# The one place for the course id, the gradebook and the exchange: dlgrader reads this file as
# nbgrader, Formgrader and students' nbgrader do (edit it here; the DLGRADER_* variables are only
# defaults of these lines). The exchange lives outside the course root, where students can reach it
# without reaching the course; a later `c.Exchange.root = ...` line wins.
c.CourseDirectory.course_id = os.environ.get("DLGRADER_COURSE_ID", "dl-math-toolkit")
c.CourseDirectory.db_url = os.environ.get("DLGRADER_DB_URL", f"sqlite:///{_root / 'gradebook.db'}")
c.Exchange.root = os.environ.get("DLGRADER_EXCHANGE", "/srv/nbgrader/exchange")

# Hidden tests load the trusted reference/ of the course they run in (dlgrader/verdicts/reference.py);
# no variable names it, so no process started from here (a kernel) inherits its path.

# Stock `nbgrader autograde` and Formgrader's Autograde button grade student code in dlgrader's
# sandbox, as `dlgrader grade` does: SandboxedExecute stands in for nbgrader's Execute (a kernel
# running the student's code as this account); the rest is nbgrader's own list.
c.Autograde.autograde_preprocessors = [
    "dlgrader.execution.nbgrader_execute.SandboxedExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

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
# The course secret seeding each submission's hidden inputs: created by `dlgrader build` on a new
# course only (never by grade or serve); git-ignored, so keep a backup of it off this machine.
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

# Feedback never shows hidden test code nor tracebacks into it, nor student HTML that could run. The
# page is dlgrader's own (scores per question and what to fix first, then the notebook), built from
# the check records the policy lets through, and loading nothing.
c.GenerateFeedback.preprocessors = [
    "dlgrader.feedback_html.grades.ReadGrades",                   # nbgrader's GetGrades, in 3 queries
    "nbgrader.preprocessors.ClearHiddenTests",
    "dlgrader.feedback_html.preprocessors.HideTestTracebacks",
    "dlgrader.feedback_html.policy.ApplyFeedbackPolicy",          # c.Dlgrader.feedback_* above
    "dlgrader.feedback_html.sanitize.SanitizeStudentContent",
    "dlgrader.feedback_html.records.ReadCheckReports",
    "dlgrader.feedback_html.summary.StudentSummary",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
c.GenerateFeedback.exporter_class = "dlgrader.feedback_html.exporter.FeedbackExporter"

# dlgrader's collector (`dlgrader collect`, `dlgrader serve`) copies a submission only if it holds
# regular files and folders (no links, devices, FIFOs), within these sizes counted while copying;
# otherwise it is refused: 0 and needs manual grading, with the reason. The submission time is the
# one observed on the receiving side; a claimed time earlier than that by more than the tolerance is
# flagged. (Help for each: `python -c "from dlgrader.collection.settings import DlgraderCollect as D;
# D.class_print_help()"`.)
c.DlgraderCollect.max_file_bytes = 64 * 2**20          # a notebook with stale outputs can be 30 MB
c.DlgraderCollect.max_submission_bytes = 128 * 2**20
c.DlgraderCollect.max_files = 200
c.DlgraderCollect.claim_tolerance_seconds = 300.0
# A submission counts for student S only if its inbound folder and everything in it are owned by S's
# Unix account (the account named S, unless mapped here: {"s1234": "jdoe"}) and S is on the roster
# (the gradebook's students: `nbgrader db student add/import`); otherwise it is rejected and nothing
# is recorded for S. {"*": ACCOUNT} (single-account mode: every id submits from ACCOUNT, no roster) is
# for the demo and tests only, never for a shared server.
c.DlgraderCollect.accounts = {}
# The account that must own EXCHANGE/<course>/ and its inbound/outbound/feedback (default: whoever
# runs the command); collect, serve and release refuse an exchange anyone else could have replaced.
c.DlgraderCollect.exchange_owner = ""
# ... and stock `nbgrader collect` and Formgrader's Collect button use that collector too; stock
# `nbgrader release_assignment` (Formgrader's Release) makes the exchange root 1777 and checks it.
c.ExchangeFactory.collect = "dlgrader.collection.nbgrader_plugin.SafeExchangeCollect"
c.ExchangeFactory.release_assignment = "dlgrader.collection.nbgrader_plugin.SafeExchangeReleaseAssignment"
