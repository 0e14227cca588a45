"""Grading with `dlgrader grade` (sandboxed engine, nbgrader's gradebook): full marks for the solutions, 0 for blanks, exact partial credit and a
named hint for each common mistake, correct alternatives accepted, and a broken notebook that
does not stop the batch."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import nbformat
import pytest

from dlgrader.course import Course
from dlgrader.execution.autograde import stock_preprocessor_flags
from dlgrader.execution.batch import grade_batch
from dlgrader.gradebook.scores import submission_scores

from ..conftest import mistake_book, ASSIGNMENTS, notebook_path, read, submit_notebook
from .cohort import alternative_replacements, filled, student_id

# For each registered mistake: the points it loses in each test cell. Cells not listed keep full
# marks. Mistakes in relu/sigmoid/df also cost the cells that call them (forward, gradient descent).
EXPECTED_LOSS = {
    ("df", "power-rule"): {"ps1-df-test": 2, "ps1-gd-test": 3},
    ("gradient_descent", "sign-flip"): {"ps1-gd-test": 3},
    ("gradient_descent", "no-x0"): {"ps1-gd-test": 4},
    ("gradient_descent", "uses-f"): {"ps1-gd-test": 3},
    ("gradient_descent", "hardcoded-hyperparameters"): {"ps1-gd-test": 2.5},
    ("softmax", "no-max-shift"): {"ps2-softmax-test": 1.5},
    ("softmax", "no-normalisation"): {"ps2-softmax-test": 3.5, "ps2-check-test": 1},
    ("cross_entropy_loss", "missing-minus"): {"ps2-ce-test": 1.25, "ps2-check-test": 1},
    ("cross_entropy_loss", "log-base"): {"ps2-ce-test": 1.25, "ps2-check-test": 1},
    ("softmax_ce_gradient", "sign-flip"): {"ps2-grad-test": 3, "ps2-check-test": 1},
    ("softmax_ce_gradient", "no-onehot"): {"ps2-grad-test": 3, "ps2-check-test": 1},
    ("numerical_gradient", "one-h"): {"ps2-num-test": 3, "ps2-check-test": 1},
    ("numerical_gradient", "forward-difference"): {"ps2-num-test": 3, "ps2-check-test": 1},
    ("forward", "hadamard"): {"ps3-fwd-test": 4},
    ("forward", "missing-bias"): {"ps3-fwd-test": 1.5},
    ("forward", "sigmoid-hidden"): {"ps3-fwd-test": 3},
    ("forward", "no-output-sigmoid"): {"ps3-fwd-test": 3.5},
    ("forward", "shape-mismatch"): {"ps3-fwd-test": 4},
    ("binary_cross_entropy", "unclipped-log"): {"ps3-bce-test": 1.5},
    ("binary_cross_entropy", "mse"): {"ps3-bce-test": 2.5},
    ("binary_cross_entropy", "sum-not-mean"): {"ps3-bce-test": 2.5},
    ("relu", "abs"): {"ps3-relu-test": 1, "ps3-fwd-test": 3},
    ("sigmoid", "sign"): {"ps3-sigmoid-test": 1, "ps3-fwd-test": 3},
}
TARGET_CELL = {"df": "ps1-df-test", "gradient_descent": "ps1-gd-test", "softmax": "ps2-softmax-test",
               "cross_entropy_loss": "ps2-ce-test", "softmax_ce_gradient": "ps2-grad-test",
               "numerical_gradient": "ps2-num-test", "forward": "ps3-fwd-test",
               "binary_cross_entropy": "ps3-bce-test", "relu": "ps3-relu-test", "sigmoid": "ps3-sigmoid-test"}


@pytest.fixture(scope="module")
def book():
    return mistake_book()


def assignment_defining(course: Course, name: str) -> str:
    for a in ASSIGNMENTS:
        if f"def {name}(" in notebook_path(course.root, "source", a).read_text():
            return a
    raise KeyError(name)


@pytest.fixture(scope="module")
def graded(built_template, tmp_path_factory, book):
    """One batch per assignment: solutions, blank, alternatives, every mistake, a broken notebook."""
    root = tmp_path_factory.mktemp("graded") / "course"
    shutil.copytree(built_template, root)
    course = Course(root)
    for a in ASSIGNMENTS:
        src = notebook_path(root, "source", a)
        submit_notebook(course, "solution", a, filled(src))
        submit_notebook(course, "blank", a, read(notebook_path(root, "release", a)))
        names = [c.metadata["nbgrader"]["grade_id"] for c in read(src).cells]
        del names
        from dlgrader.authoring.solutions import defined_name
        defined = [defined_name(c.source) for c in read(src).cells
                   if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")]
        submit_notebook(course, "alternative", a, filled(src, alternative_replacements(defined)))
    for m in book.all():
        a = assignment_defining(course, m.target)
        nb = filled(notebook_path(root, "source", a), {m.target: m.student_source()})
        submit_notebook(course, student_id(m.target, m.key), a, nb)
    broken = json.dumps(nbformat.v4.new_notebook())[:40]                # invalid JSON
    submit_notebook(course, "broken", "ps2_softmax_cross_entropy", broken)
    runs = {a: grade_batch(course, a) for a in ASSIGNMENTS}
    scores = {a: {s.student: s for s in submission_scores(course, a)} for a in ASSIGNMENTS}
    return course, runs, scores


def autograded_output(course, student, assignment, grade_id) -> str:
    nb = read(notebook_path(course.root, f"autograded/{student}", assignment))
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return "".join(o.get("text", "") for o in cell.get("outputs", []))
    raise KeyError(grade_id)


def test_solutions_score_full_marks_on_every_autograded_cell(graded):
    course, _, scores = graded
    for a in ASSIGNMENTS:
        sub = scores[a]["solution"]
        auto = [c for c in sub.cells if c.auto]
        assert auto, a
        for cell in auto:
            assert cell.score == cell.max_score, (a, cell.cell, cell.score)


def test_blank_release_scores_zero_on_every_autograded_cell(graded):
    _, _, scores = graded
    for a in ASSIGNMENTS:
        for cell in scores[a]["blank"].cells:
            if cell.auto:
                assert cell.score == 0, (a, cell.cell)
        assert scores[a]["blank"].score == 0


def test_correct_answers_written_differently_score_full_marks(graded):
    _, _, scores = graded
    for a in ASSIGNMENTS:
        sub = scores[a]["alternative"]
        assert sub.auto_score == sub.auto_max, (a, [(c.cell, c.score) for c in sub.cells if c.auto])


def test_every_registered_mistake_has_an_expectation(book):
    assert {(m.target, m.key) for m in book.all()} == set(EXPECTED_LOSS)


@pytest.mark.parametrize("target,key", sorted(EXPECTED_LOSS))
def test_mistake_loses_exactly_its_checks_and_gets_the_named_hint(graded, book, target, key):
    course, _, scores = graded
    a = assignment_defining(course, target)
    sub = scores[a][student_id(target, key)]
    loss = EXPECTED_LOSS[(target, key)]
    for cell in sub.cells:
        if not cell.auto:
            continue
        assert cell.max_score - cell.score == pytest.approx(loss.get(cell.cell, 0)), cell.cell
    hint = book.get(target, key).hint
    assert hint in autograded_output(course, sub.student, a, TARGET_CELL[target])


def test_broken_notebook_is_reported_and_does_not_stop_the_batch(graded):
    _, runs, scores = graded
    run = runs["ps2_softmax_cross_entropy"]
    assert list(run.unreadable) == ["broken"] and "not valid JSON" in run.unreadable["broken"]
    assert "solution" in scores["ps2_softmax_cross_entropy"]
    broken = scores["ps2_softmax_cross_entropy"]["broken"]
    assert broken.score == 0 and broken.needs_manual          # recorded, for a person to look at
    assert all(not r.failed and not r.unreadable for a, r in runs.items() if a != "ps2_softmax_cross_entropy")


def test_stock_nbgrader_autograde_agrees_with_dlgrader_grade(graded, built_template, tmp_path):
    """Parity on the honest cohort: the same course graded by `nbgrader autograde` itself."""
    course, _, scores = graded
    root = tmp_path / "stock"
    shutil.copytree(built_template, root)
    honest = ["solution", "blank", "alternative", student_id("softmax", "no-max-shift"),
              student_id("forward", "missing-bias"), student_id("gradient_descent", "no-x0")]
    for student in honest:
        for a in ASSIGNMENTS:
            src = course.submitted / student / a
            if src.is_dir():
                shutil.copytree(src, root / "submitted" / student / a)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLGRADER_")}
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
    stock = Course(root)
    for a in ASSIGNMENTS:
        proc = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", a, *stock_preprocessor_flags()],
                              cwd=root, env=env, capture_output=True, text=True)     # its in-kernel Execute
        assert proc.returncode == 0, proc.stderr[-2000:]
        theirs = {s.student: s for s in submission_scores(stock, a)}
        for student, sub in theirs.items():
            ours = scores[a][student]
            assert [(c.cell, c.score) for c in sub.cells] == [(c.cell, c.score) for c in ours.cells]
        assert set(theirs) == {s for s in honest if (course.submitted / s / a).is_dir()}


def test_a_re_grade_keeps_the_tas_manual_scores(graded):
    """Manual grading in nbgrader's gradebook survives `dlgrader grade` running again."""
    from nbgrader.api import Gradebook
    course, _, _ = graded
    a = "ps1_gradient_descent"
    with Gradebook(course.db_url, course.course_id) as gb:
        grade = gb.find_grade("ps1-explain", "gradient_descent", a, "solution")
        grade.manual_score = 1.5
        gb.db.commit()
    grade_batch(course, a, students=["solution"])
    sub = {s.student: s for s in submission_scores(course, a)}["solution"]
    assert sub.cell("ps1-explain").score == 1.5
    assert sub.score == sub.auto_score + 1.5
