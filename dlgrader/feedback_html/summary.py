"""The top of a student's feedback page: the score per question and what to fix first.

`StudentSummary` reads the graded cells (scores from nbgrader's GetGrades, check records from
`ReadCheckReports`) and leaves `resources["dlgrader"]` for the template:

- `questions`: one row per question (the heading above its graded cells), points earned of points;
  a hand-graded answer not graded yet says so instead of a number.
- `fix_first`: one entry per question with a failed check, in the notebook's order (later answers
  build on earlier ones, so an early fix can clear later checks too): each failed check with its
  message and the named common mistake in full, the idea behind the question and where the chapter
  covers it (from the course's `reference/concepts.py`, when the grader's reference is reachable).
"""
from __future__ import annotations

import re

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from .records import is_test_cell

BOLD_LEAD = re.compile(r"^\*\*(.+?)\*\*")
POINTS = re.compile(r"\s*\(\d+(?:\.\d+)? points?\)\.?$")


def heading(markdown: str) -> str:
    """A question's name from the Markdown cell above it: its heading or its bold lead, without
    the "(4 points)" the page shows in its own column."""
    return POINTS.sub("", _first_line(markdown)).strip()


def _first_line(markdown: str) -> str:
    for line in markdown.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            return line.lstrip("#").strip()
        bold = BOLD_LEAD.match(line)
        if bold:
            return bold.group(1).strip().rstrip(".")
        return line[:60] + ("..." if len(line) > 60 else "")
    return ""


def load_concepts() -> dict:
    """Title -> (idea, chapter section), from the course reference; {} where it is not reachable."""
    from ..verdicts import reference
    try:
        return dict(reference.load().concepts.CONCEPTS)
    except (reference.ReferenceUnavailable, ImportError, AttributeError):
        return {}


def _number(value):
    return None if value is None else float(value)


def summarise(cells, concepts: dict) -> dict:
    questions: list[dict] = []
    fix_first: list[dict] = []
    current = ""
    for cell in cells:
        if cell.get("cell_type") == "markdown" and not cell.get("metadata", {}).get("nbgrader", {}).get("grade"):
            current = heading(cell.get("source", "")) or current
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not meta.get("grade"):
            continue
        name = current or meta.get("grade_id", "")
        if not questions or questions[-1]["name"] != name:
            questions.append({"name": name, "anchor": meta.get("grade_id", ""), "score": 0.0,
                              "points": 0.0, "pending": False})
        row = questions[-1]
        score, points = _number(meta.get("score")), _number(meta.get("points")) or 0.0
        row["points"] += points
        if score is None:
            row["pending"] = True
        else:
            row["score"] += score
        record = cell.get("metadata", {}).get("dlgrader")
        if not is_test_cell(cell) or not record:
            continue
        failed = [c for c in record["checks"] if not c["passed"]]
        if not failed:
            continue
        named = set()
        for check in failed:      # a mistake that explains several checks is spelled out once
            check["mistake_new"] = bool(check.get("mistake")) and check["mistake"] not in named
            named.add(check.get("mistake"))
        idea, where = concepts.get(record["title"], ("", ""))
        fix_first.append({"question": name, "anchor": meta.get("grade_id", ""), "title": record["title"],
                          "lost": (points or record["possible"]) - (score if score is not None else record["earned"]),
                          "failed": failed, "idea": idea, "where": where})
    for row in questions:
        row["full"] = not row["pending"] and row["score"] >= row["points"] - 1e-9
    return {"questions": questions, "fix_first": fix_first}


class StudentSummary(Preprocessor):
    """Puts the per-question scores and the what-to-fix-first list in `resources["dlgrader"]`."""

    enabled = Bool(True).tag(config=True)    # nbconvert's preprocessors start disabled

    def preprocess(self, nb, resources):
        resources["dlgrader"] = summarise(nb.cells, load_concepts())
        return nb, resources
