"""`dlgrader serve` follows the feedback policy: before the quiz's due date, brute-forcing it option by
option through instant feedback learns nothing; after it, `dlgrader feedback` shows each question's
result. A submission over c.Dlgrader.max_submissions gets a note instead of feedback."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import nbformat
from nbgrader.api import Gradebook

from ..conftest import dlgrader, notebook_path
from ..execution.cohort import filled
from .test_serve import Serve, events, nbgrader

QUIZ, NB = "ps4_quiz", "quiz"
QUESTIONS = [f"Q{i}" for i in range(1, 11)]


def all_options(course, option: str):
    """The quiz with every multiple-choice answer set to OPTION (the hand calculations left right)."""
    return filled(notebook_path(course.root, "source", QUIZ), {q: f'{q} = "{option}"' for q in QUESTIONS})


def set_due(course, due: datetime) -> None:
    with Gradebook(course.db_url, course.course_id) as gb:
        gb.update_or_create_assignment(QUIZ, duedate=due)


def page_text(page) -> str:
    """What the student reads, without the submission's own timestamp."""
    text = re.sub(r"<[^>]+>", " ", page.read_text())
    return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?( UTC)?", "<time>", text)


def test_brute_forcing_the_quiz_through_serve_before_the_due_date_learns_nothing(course, tmp_path):
    config = course.root / "nbgrader_config.py"
    config.write_text(config.read_text() + "\nc.Dlgrader.max_submissions = 4\n")
    dlgrader(course.root, "release", QUIZ)
    set_due(course, datetime.utcnow() + timedelta(days=3))
    home = tmp_path / "eve"
    nbgrader(home, course, "fetch_assignment", QUIZ)
    serve = Serve(course)
    pages, seen = {}, set()
    try:
        for option in "abcd":
            nbformat.write(all_options(course, option), str(home / QUIZ / f"{NB}.ipynb"))
            nbgrader(home, course, "submit", QUIZ, "--student=eve")
            serve.wait_for("eve", QUIZ, "feedback released")
            nbgrader(home, course, "fetch_feedback", QUIZ, "--student=eve")
            new = [p for p in (home / QUIZ / "feedback").glob(f"*/{NB}.html") if p not in seen]
            assert len(new) == 1, new
            seen |= set(new)
            pages[option] = page_text(new[0])
        # a fifth try is over the limit: a note, no grading
        nbgrader(home, course, "submit", QUIZ, "--student=eve")
        serve.wait_for("refused", "eve", QUIZ)
        nbgrader(home, course, "fetch_feedback", QUIZ, "--student=eve")
        [fifth] = [p for p in (home / QUIZ / "feedback").glob(f"*/{NB}.html") if p not in seen]
    finally:
        serve.stop()

    scores = [e["score"] for e in events(course, "feedback")]
    assert len(set(scores)) > 1, scores             # the options did score differently ...
    assert len(set(pages.values())) == 1, pages      # ... and the four pages say exactly the same
    page = pages["a"]
    assert "was received" in page and "after the due date" in page
    for hint in ("Score", "PASS", "FAIL", "right option", "Common mistake", f"{scores[0]:g} /"):
        assert hint not in page, hint
    assert "submission number 5" in page_text(fifth) and len(events(course, "feedback")) == 4
    assert [e["student"] for e in events(course, "refused")] == ["eve"]

    # after the due date the TA releases the full feedback: each question's result, no answer key
    set_due(course, datetime.utcnow() - timedelta(minutes=1))
    dlgrader(course.root, "feedback", QUIZ, "--release")
    nbgrader(home, course, "fetch_feedback", QUIZ, "--student=eve")
    after = " ".join(page_text(course.root / "feedback" / "eve" / QUIZ / f"{NB}.html").split())
    assert re.search(r"\[(FAIL|PASS)\] \((0|1)/1\) Q1 is the right option", after), after[:3000]
    assert "Score:" in after
