"""The feedback page is written for the student: scores per question and what to fix first at the
top (each failed check, its message, the named mistake in full, the idea and where the chapter
covers it), then the notebook with checks listed under each test cell and no `Out[ ]` scores, and
math already rendered as MathML so that nothing has to be fetched."""
from __future__ import annotations

import html
import re

import pytest

from dlgrader.feedback_html.records import parse_report
from dlgrader.feedback_html.summary import heading
from dlgrader.verdicts import Checks, Mistake

from ..conftest import ASSIGNMENTS, ROOT, notebook_path, read


def text(page) -> str:
    body = re.sub(r"<math.*?</math>", " [math] ", page.read_text(), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


def section(page, start: str, end: str) -> str:
    whole = text(page)
    assert start in whole and end in whole, (start, end)
    return whole[whole.index(start):whole.index(end)]


def test_the_top_gives_scores_per_question_then_what_to_fix_first(three_students, book):
    page = three_students["middling"]
    scores = section(page, "Your score per question", "What to fix first")
    for row in ("1. Softmax 4 / 4", "2. Cross-entropy loss 0.75 / 2", "3. The gradient 3 / 3",
                "4. Numerical gradient 0 / 3", "5. Check the analytic gradient 0 / 1"):
        assert row in scores, row
    fix = section(page, "What to fix first", "Your notebook")
    items = re.findall(r"(\d\. [A-Z][\w -]+) \(([\d.]+) points? lost\)", fix)
    assert items == [("2. Cross-entropy loss", "1.25"), ("4. Numerical gradient", "3"),
                     ("5. Check the analytic gradient", "1")]          # the notebook's order
    ce = fix[fix.index("2. Cross-entropy loss"):fix.index("4. Numerical gradient")]
    assert "[FAIL] the chapter's example: loss 0.417 for class 0" in ce
    assert "is -0.417032; 0.417 expected" in ce                        # the check's own message
    assert "Common mistake: " + book.get("cross_entropy_loss", "missing-minus").hint in ce   # in full
    assert "negative log-likelihood of the true class" in ce           # the idea behind it
    assert "In the chapter: 2.3.6 From MLE to cross-entropy loss" in ce
    assert "[PASS]" not in fix


def test_a_strong_student_has_nothing_to_fix(three_students):
    page = three_students["strong"]
    assert "(Score: 13.0 / 13.0)" in text(page)
    assert "Nothing: every check your work was graded on passed." in section(page, "What to fix first", "Your notebook")


def test_a_weak_students_list_follows_the_notebook(three_students, book):
    fix = section(three_students["weak"], "What to fix first", "Your notebook")
    questions = re.findall(r"(\d)\. [A-Z][\w -]+ \([\d.]+ points? lost\)", fix)
    assert questions == ["1", "2", "3", "4", "5"]
    assert "not written yet (it raises NotImplementedError)" in fix
    assert book.get("softmax_ce_gradient", "sign-flip").hint in fix


def test_test_cells_list_their_checks_without_a_score_output(three_students):
    for student, page in three_students.items():
        raw = page.read_text()
        assert "Out[" not in raw and "output_prompt" not in raw, student
        notebook = text(page).split("Your notebook", 1)[1]
        assert "Checks: softmax" in notebook
        assert re.search(r"\[(PASS|FAIL)\] \((0\.5|0)/0\.5\) returns 3 probabilities that add up to 1", notebook)
        assert "points (These are the visible checks" not in notebook      # the raw report is gone
    weak = text(three_students["weak"]).split("Your notebook", 1)[1]
    assert "[FAIL] (0/1) the chapter's example, class 0: [-0.341, 0.242, 0.099]" in weak


def test_math_is_rendered_when_the_feedback_is_written(three_students):
    raw = three_students["middling"].read_text()
    assert raw.count("<math") >= 8
    assert "<script" not in raw and not re.search(r"""(src|href)=["']?(https?:)?//""", raw)
    prose = re.sub(r"<math.*?</math>|<code>.*?</code>|<pre>.*?</pre>", "", raw, flags=re.S)
    assert not re.search(r"\$[^$\n]{1,80}\$", html.unescape(re.sub(r"<[^>]+>", "", prose)))


def test_every_question_has_its_idea_and_chapter_section(book):
    from dlgrader.verdicts import reference
    concepts = reference.load().concepts.CONCEPTS
    for assignment in ASSIGNMENTS:
        for cell in read(notebook_path(ROOT, "source", assignment)).cells:
            title = re.search(r'Checks\("([^"]+)"\)', cell.source)
            if title and cell.cell_type == "code":
                idea, where = concepts[title.group(1)]
                assert idea.endswith(".") and where, title.group(1)


def test_records_read_back_every_check_of_a_report():
    hint = Mistake("double", "triple", "multiply by 2, not 3.", fn=lambda x: 3 * x)
    t = Checks("double: twice", {"double": lambda x: 3 * x})
    t.returns("double(1) = 2", "double", (1,), 2, points=0.5, mistakes=[hint])
    t.record("a float", True, points=1.5)
    record = parse_report(t.report())
    assert record["title"] == "double: twice" and (record["earned"], record["possible"]) == (1.5, 2.0)
    first, second = record["checks"]
    assert first == {"description": "double(1) = 2", "points": 0.5, "earned": 0.0, "passed": False,
                     "message": "double(1) is 3; 2 expected (tolerance 1e-08).",
                     "mistake": "multiply by 2, not 3."}
    assert second["passed"] and second["earned"] == 1.5
    assert parse_report("something else printed\n") is None


@pytest.mark.parametrize("markdown,name", [("## 1. Softmax (4 points)\n\nWrite", "1. Softmax"),
                                           ("**B1 (1 point).** With $A$", "B1"), ("**Q7.** The loss", "Q7")])
def test_a_question_is_named_by_the_heading_above_it(markdown, name):
    assert heading(markdown) == name
