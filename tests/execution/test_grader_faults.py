"""A fault in the course's own hidden suite or reference is not the student's 0: the cell needs manual
grading with a "grader error" reason (gradebook, logs/grade-*.json, report); the student's own
exceptions still cost the student."""
from __future__ import annotations

import json

from nbgrader.api import Gradebook

from dlgrader.execution.batch import grade_batch
from dlgrader.report.data import gather

from ..conftest import notebook_path, submit_notebook
from ..execution.cohort import filled

PS2 = "ps2_softmax_cross_entropy"
RAISING_CE = "def cross_entropy_loss(probs, y):\n    raise ValueError('not today')\n"


def break_the_course(course) -> None:
    """softmax's hidden suite trips over its own reference; cross_entropy_loss's calls the student's
    function directly, so what that raises reaches the test cell."""
    suite = course.reference / "suites" / "ps2.py"
    text = suite.read_text()
    text = text.replace('    wrong = BOOK.for_target("softmax")\n',
                        '    wrong = BOOK.for_target("softmax")\n    ref.softmax("not logits")\n', 1)
    text = text.replace('    wrong = BOOK.for_target("cross_entropy_loss")\n',
                        '    wrong = BOOK.for_target("cross_entropy_loss")\n'
                        '    t.lookup("cross_entropy_loss")(np.array([0.5, 0.5]), 0)\n', 1)
    suite.write_text(text)


def test_a_fault_in_the_course_code_needs_manual_grading_not_a_zero(course):
    break_the_course(course)
    src = notebook_path(course.root, "source", PS2)
    submit_notebook(course, "honest", PS2, filled(src))
    submit_notebook(course, "raiser", PS2, filled(src, {"cross_entropy_loss": RAISING_CE}))
    result = grade_batch(course, PS2)

    with Gradebook(course.db_url, course.course_id) as gb:
        for student in ("honest", "raiser"):
            softmax = gb.find_grade("ps2-softmax-test", "softmax_cross_entropy", PS2, student)
            assert softmax.needs_manual_grade and softmax.auto_score is None, student
        honest_ce = gb.find_grade("ps2-ce-test", "softmax_cross_entropy", PS2, "honest")
        raiser_ce = gb.find_grade("ps2-ce-test", "softmax_cross_entropy", PS2, "raiser")
        assert honest_ce.auto_score == honest_ce.max_score and not honest_ce.needs_manual_grade
        assert raiser_ce.auto_score == 0 and not raiser_ce.needs_manual_grade     # the student's own error

    errors = {s: {c["cell"]: c["error"] for c in cells} for s, cells in result.grader_errors.items()}
    assert set(errors) == {"honest", "raiser"} and set(errors["raiser"]) == {"ps2-softmax-test"}
    assert errors["honest"]["ps2-softmax-test"].startswith("grader error: ")
    assert "reference>/ps2.py" in errors["honest"]["ps2-softmax-test"]     # the reference, held in memory
    log = json.loads((course.root / "logs" / f"grade-{PS2}.json").read_text())
    assert log["grader_errors"]["honest"][0]["cell"] == "ps2-softmax-test"

    autograded = notebook_path(course.root, "autograded/honest", PS2).read_text()
    assert "graded by hand" in autograded and "ps2.py" not in autograded and "not logits" not in autograded
    rows = {r.student: r for r in gather(course, PS2).rows}
    assert any("ps2-softmax-test: grader error" in reason for reason in rows["honest"].manual_reasons)
