"""The feedback policy (c.Dlgrader.feedback_*): what a graded submission's feedback shows at each level."""
from __future__ import annotations

from datetime import datetime

import nbformat

from dlgrader import settings
from dlgrader.feedback_html.policy import WITHHELD, level_now, shape

RECORDS = [
    {"description": "the chapter's example", "points": 1.0, "passed": False, "hidden": False,
     "message": "softmax([1, 2]) is 0.5; 0.27 expected.", "mistake": "", "answer": None},
    {"description": "random logits match", "points": 1.0, "passed": False, "hidden": True,
     "message": "softmax([-0.453, 3.0016]) differs at 2 of 2 entries: got 0.61, expected 0.02. "
                "Common mistake: divide by the sum.", "mistake": "softmax: no-normalisation", "answer": None},
    {"description": "equal logits", "points": 0.5, "passed": True, "hidden": True, "message": "",
     "mistake": "", "answer": None},
]


def graded_notebook():
    test = nbformat.v4.new_code_cell("t.score()", outputs=[
        nbformat.v4.new_output("stream", name="stdout", text="softmax: 0.5 / 2.5 points\n  [FAIL] ...\n"),
        nbformat.v4.new_output("execute_result", data={"text/plain": "0.5"}, execution_count=None)])
    test.metadata = {"nbgrader": {"grade": True, "solution": False, "grade_id": "t", "points": 2.5},
                     "dlgrader": {"checks": RECORDS}}
    return nbformat.v4.new_notebook(cells=[test])


def text_of(nb) -> str:
    return nbformat.writes(nb)


def test_checks_level_keeps_pass_fail_and_the_named_mistake_but_not_hidden_inputs_or_answers():
    nb = graded_notebook()
    shape(nb, "checks")
    out = nb.cells[0].outputs[0]["text"]
    assert "[FAIL] (0/1) random logits match" in out and "[PASS] (0.5/0.5) equal logits" in out
    assert "Common mistake: divide by the sum." in out and WITHHELD in out
    assert "softmax([1, 2]) is 0.5; 0.27 expected." in out            # a visible check: the chapter's
    text = text_of(nb)
    for secret in ("-0.453", "0.02", "3.0016", '"dlgrader"'):
        assert secret not in text, secret


def test_everything_level_keeps_the_report_and_drops_the_records_and_score_level_keeps_nothing():
    nb = graded_notebook()
    shape(nb, "everything")
    assert nb.cells[0].outputs[0]["text"].startswith("softmax: 0.5 / 2.5") and '"dlgrader"' not in text_of(nb)
    nb = graded_notebook()
    shape(nb, "score")
    assert nb.cells[0].outputs == [] and "nbgrader" not in nb.cells[0].metadata


def test_the_due_date_in_the_gradebook_and_the_graders_clock_decide(course):
    from nbgrader.api import Gradebook
    with Gradebook(course.db_url, course.course_id) as gb:
        gb.update_or_create_assignment("ps4_quiz", duedate=datetime(2026, 5, 1, 12, 0))
    s = settings.load(course)
    before = level_now(s, course.db_url, "ps4_quiz", now=datetime(2026, 5, 1, 11, 59))
    after = level_now(s, course.db_url, "ps4_quiz", now=datetime(2026, 5, 1, 12, 0))
    assert before[0] == "nothing" and after[0] == "checks"
    assert level_now(s, course.db_url, "ps2_softmax_cross_entropy")[0] == "checks"  # no due date
