"""Three ps2 students graded for real (sandboxed engine, nbgrader's gradebook) and their feedback
pages written with nbgrader's generate_feedback: a strong one (all right), a middling one (two
registered mistakes) and a weak one (three mistakes and an unwritten function)."""
from __future__ import annotations

import shutil

import pytest

from dlgrader.course import Course
from dlgrader.execution.batch import grade_batch
from dlgrader.feedback_html.generate import generate
from dlgrader.verdicts import reference

from ..conftest import ROOT, notebook_path, submit_notebook
from ..execution.cohort import filled
from ..lab.conftest import browser, page, pytest_runtest_makereport  # noqa: F401  (the browser tests)

A = "ps2_softmax_cross_entropy"
NOT_WRITTEN = "def numerical_gradient(f, x, h=1e-5):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
STUDENTS = {
    "strong": {},
    "middling": {"cross_entropy_loss": ("cross_entropy_loss", "missing-minus"),
                 "numerical_gradient": ("numerical_gradient", "forward-difference")},
    "weak": {"softmax": ("softmax", "no-normalisation"), "cross_entropy_loss": ("cross_entropy_loss", "log-base"),
             "softmax_ce_gradient": ("softmax_ce_gradient", "sign-flip"), "numerical_gradient": NOT_WRITTEN},
}


@pytest.fixture(scope="session")
def book():
    with pytest.MonkeyPatch.context() as m:
        m.setenv(reference.ENV_VAR, str(ROOT / "reference"))
        yield reference.load().mistakes.BOOK


@pytest.fixture(scope="session")
def three_students(built_template, tmp_path_factory, book) -> dict:
    """student -> their feedback page (Path), for a course graded once per test session."""
    course = Course(tmp_path_factory.mktemp("three") / "course")
    shutil.copytree(built_template, course.root)
    src = notebook_path(course.root, "source", A)
    for student, answers in STUDENTS.items():
        code = {name: (book.get(*how).student_source() if isinstance(how, tuple) else how)
                for name, how in answers.items()}
        submit_notebook(course, student, A, filled(src, code))
    grade_batch(course, A)
    return {p.parent.parent.name: p for p in generate(course, A)}
