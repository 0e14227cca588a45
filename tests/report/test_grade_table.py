"""The grade table: a notebook that could not be graded counts as 0 of its points, marked."""
from __future__ import annotations

import io

from rich.console import Console

from dlgrader.gradebook.scores import SubmissionScore
from dlgrader.report.summary import grade_table


def sub(student: str, assignment: str, score: float, max_score: float) -> SubmissionScore:
    return SubmissionScore(student, assignment, score, max_score, needs_manual=False)


def rows(table) -> str:
    out = io.StringIO()
    Console(file=out, width=200, color_system=None).print(table)
    return out.getvalue()


def test_a_notebook_that_could_not_be_graded_counts_as_zero_of_its_points():
    scores = {"ps1_a": [sub("ann", "ps1_a", 10, 12), sub("bob", "ps1_a", 12, 12)],
              "ps2_b": [sub("ann", "ps2_b", 13, 13)]}                 # bob's ps2 notebook: unreadable
    text = rows(grade_table(scores, failed={"ps2_b": ["bob"]}))
    bob = next(line for line in text.splitlines() if " bob " in line)
    assert "0/13!" in bob and "12/25" in bob                            # not 12/12
    assert "! could not be graded: counts as 0" in " ".join(text.split())
