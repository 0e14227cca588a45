"""The feedback policy: what a student sees of a graded submission, before and after the due date.

`c.Dlgrader.feedback_before_due` / `feedback_after_due` (settings.py) name a level per assignment:

* everything: the checks' full messages (hidden inputs, expected values);
* checks: each check's pass/fail and the named common mistake; a hidden check's inputs and expected
  values are withheld (visible checks are the chapter's examples: their messages stay);
* score: only the notebook's total;
* nothing: only that the submission was received.

"Before the due date" is decided by the grader's clock against the gradebook's due date (nbgrader's
Assignment.duedate, UTC); an assignment without one is always before it. The preprocessor below does
it inside nbgrader's GenerateFeedback (so `nbgrader generate_feedback`, `dlgrader feedback` and `dlgrader
serve` all follow it); for `score` and `nothing`, dlgrader then replaces the page by a short notice,
because nbgrader's page header always prints the score.
"""
from __future__ import annotations

import html
from datetime import datetime, timezone
from pathlib import Path

import nbformat
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from ..settings import Dlgrader

WITHHELD = "Its inputs and expected values are shown after the due date."
MISTAKE = "Common mistake: "


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)      # naive UTC, as nbgrader stores dates


def level_now(settings: Dlgrader, db_url: str, assignment: str,
              now: datetime | None = None) -> tuple[str, datetime | None]:
    """(level, due date) of ASSIGNMENT's feedback at NOW (the grader's clock)."""
    from ..gradebook import reads
    due = reads.due_date(db_url, assignment)
    after = due is not None and (now or utcnow()) >= due
    return settings.level(assignment, after_due=after), due


# ---- inside nbgrader's GenerateFeedback ----------------------------------------------------------
def _is_test(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def check_lines(records: list) -> str:
    """The checks of one test cell at the `checks` level."""
    lines = []
    for r in records:
        earned = r["points"] if r["passed"] else 0
        lines.append(f"  [{'PASS' if r['passed'] else 'FAIL'}] ({earned:g}/{r['points']:g}) {r['description']}")
        if r["passed"] or not r.get("message"):
            continue
        if not r.get("hidden"):
            lines.append(f"         {r['message']}")
            continue
        if MISTAKE in r["message"]:
            lines.append(f"         {MISTAKE}{r['message'].split(MISTAKE, 1)[1]}")
        lines.append(f"         {WITHHELD}")
    return "\n".join(lines)


def shape(nb, level: str) -> None:
    """Cut NB's graded output down to LEVEL (the engine's per-check records are in each test cell's
    metadata; they never stay in the page)."""
    for cell in nb.cells:
        records = cell.get("metadata", {}).pop("dlgrader", {}).get("checks")
        if level == "everything" or not _is_test(cell):
            continue
        if level == "checks" and records is not None:
            stream = [o for o in cell.outputs if o.get("output_type") == "stream"]
            header = stream[0]["text"].splitlines()[0] if stream and stream[0].get("text") else ""
            kept = [o for o in cell.outputs if o.get("output_type") != "stream"]
            text = "\n".join(x for x in (header, check_lines(records)) if x) + "\n"
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)] + kept
        elif level == "checks":          # graded without records (stock engine): results and the
            cell.outputs = [o for o in cell.outputs         # one-line error HideTestTracebacks left
                            if o.get("output_type") in ("execute_result", "error")]
        else:
            cell.outputs = []
            cell.metadata.pop("nbgrader", None)


class ApplyFeedbackPolicy(Preprocessor):
    """Listed in GenerateFeedback.preprocessors after GetGrades and ClearHiddenTests."""

    enabled = Bool(True, help="Apply c.Dlgrader's feedback policy to generated feedback.").tag(config=True)

    def preprocess(self, nb, resources):
        info = resources.get("nbgrader", {})
        settings = Dlgrader(config=self.config)
        level, due = level_now(settings, info["db_url"], info["assignment"])
        resources.setdefault("dlgrader", {}).update(level=level, due=due)
        shape(nb, level)
        return nb, resources


# ---- after it: the notice pages of `score` and `nothing` ------------------------------------------
def notices(course, assignment: str, pages: list[Path], now: datetime | None = None) -> list[Path]:
    """Replace the feedback PAGES (feedback/<student>/<assignment>/<notebook>.html) by a notice when
    the level is `score` or `nothing`."""
    from .. import settings as dl_settings
    level, due = level_now(dl_settings.load(course), course.db_url, assignment, now)
    if level not in ("score", "nothing") or not pages:
        return pages
    from nbgrader.api import Gradebook, MissingEntry
    with Gradebook(course.db_url, course.course_id) as gb:
        for page in pages:
            student, notebook = page.parent.parent.name, page.stem
            score = None
            if level == "score":
                try:
                    nb = gb.find_submission_notebook(notebook, assignment, student)
                    score = (float(nb.score) - float(nb.late_submission_penalty or 0), float(nb.max_score))
                except MissingEntry:
                    pass
            page.write_text(_notice(assignment, notebook, _received(page.parent), due, score), encoding="utf-8")
    return pages


def _received(folder: Path) -> str:
    stamp = folder / "timestamp.txt"
    return stamp.read_text().strip() if stamp.is_file() else ""


def _notice(assignment: str, notebook: str, received: str, due: datetime | None, score) -> str:
    when = f"after the due date ({due:%Y-%m-%d %H:%M} UTC)" if due else "once the assignment is closed"
    lines = [f"Your submission of {assignment} was received" + (f" ({received})." if received else ".")]
    if score is not None:
        lines.append(f"Score of {notebook}.ipynb: {score[0]:g} / {score[1]:g}.")
    lines.append(f"The result of each check is shown {when}.")
    body = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(notebook)}</title></head>"
            f"<body><h1>{html.escape(assignment)}: {html.escape(notebook)}.ipynb</h1>{body}</body></html>")
