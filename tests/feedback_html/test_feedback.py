"""Feedback pages show the student's code and every check's verdict and message, never hidden
test source, reference code or tracebacks into them; stock generate_feedback works on top."""
from __future__ import annotations

import html
import os
import re
import subprocess
import sys

import pytest

from dlgrader.execution.batch import grade_batch
from dlgrader.feedback_html.generate import generate

from ..conftest import mistake_book, notebook_path, submit_notebook
from ..execution.cohort import filled

A = "ps2_softmax_cross_entropy"
FORBIDDEN = ("BEGIN HIDDEN TESTS", "t.hidden(", "_dlgrader_reference", "reference/suites", 'File "',
             "Traceback (most recent call last)", "def cross_entropy_loss_missing_minus",
             "Out[", "<script")                  # no score noise under test cells; no script to load


def page_text(path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text()))


@pytest.fixture(scope="module")
def graded(built_template, tmp_path_factory):
    import shutil

    from dlgrader.course import Course
    course = Course(tmp_path_factory.mktemp("feedback") / "course")
    shutil.copytree(built_template, course.root)
    book = mistake_book()
    src = notebook_path(course.root, "source", A)
    submit_notebook(course, "mistaken", A, filled(src, {
        "cross_entropy_loss": book.get("cross_entropy_loss", "missing-minus").student_source()}))
    submit_notebook(course, "odd", A, filled(src, {"softmax": "def softmax(z):\n    return 'probabilities'"}))
    grade_batch(course, A)
    return course


def test_dlgrader_feedback_shows_checks_and_hints_but_no_hidden_code(graded):
    pages = generate(graded, A)
    assert len(pages) == 2
    text = page_text(next(p for p in pages if "mistaken" in str(p)))
    assert "def cross_entropy_loss(probs, y):" in text                 # the student's own code
    assert "[FAIL] (0/0.5) random probabilities and label match -log p[y]" in text
    assert "Common mistake: the loss is the negative log-probability" in text
    assert "[PASS]" in text and "Checks: cross_entropy_loss0.75 / 2" in text
    for page in pages:
        body = page.read_text()
        for word in FORBIDDEN:
            assert word not in body, (page, word)


def test_an_error_in_a_test_cell_shows_one_line(graded):
    page = next(p for p in generate(graded, A) if "odd" in str(p))
    text = page_text(page)
    assert "returned a str, which is not a number" in text
    for word in FORBIDDEN:
        assert word not in page.read_text(), word


def test_stock_generate_feedback_works_on_the_engine_output(graded):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLGRADER_")}
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
    proc = subprocess.run([sys.executable, "-m", "nbgrader", "generate_feedback", A, "--force"],
                          cwd=graded.root, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-1500:]
    page = graded.feedback / "mistaken" / A / "softmax_cross_entropy.html"
    body = page.read_text()
    assert "Common mistake:" in body
    for word in FORBIDDEN:
        assert word not in body, word
