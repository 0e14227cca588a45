"""Nothing a student writes runs in someone else's browser: a ps1 submission carrying scripts in several
forms (markdown <script>, an onerror image, SVG onload, a display(HTML(...)) output, a javascript: link;
tests/hostile_html.py) is opened by the instructor in Formgrader and by the student in the released
feedback, in Debian's Chromium. Each payload would set window.__pwned and write pwned-<kind>.txt
through the Jupyter contents API of the session; neither happens, and the answer stays readable and
gradable. Screenshots: screenshots/lab-2N-*.png."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from dlgrader.collection import student as exchange_student
from dlgrader.course import Course
from dlgrader.execution.batch import grade_batch

from ..accounts import as_account
from ..conftest import dlgrader, submit_notebook
from .conftest import enrol
from ..hostile_html import ANSWER, PS1, hostile_ps1, write_from_page
from .servers import lab_server, shot
from .test_browser import open_from_nbgrader_menu, open_lab, student_lab

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra: make setup")
expect = sync_api.expect


def assert_nothing_ran(frame, folder) -> None:
    """The page has finished loading (so onerror/onload handlers have had their turn): no flag, no file."""
    frame.wait_for_function("document.readyState === 'complete'")
    assert frame.evaluate("typeof window.__pwned") == "undefined", frame.evaluate("window.__pwned")
    assert frame.evaluate("window.top.__pwned === undefined")
    assert sorted(p.name for p in folder.rglob("pwned-*.txt")) == []


def the_session_could_write(frame, folder) -> None:
    """The control: the same write, run by the test itself in that page, does land (so a payload that
    ran would have left its file)."""
    assert frame.evaluate(write_from_page("control")) == 201
    written = list(folder.rglob("pwned-control.txt"))
    assert len(written) == 1
    written[0].unlink()


def click_the_link(frame, scope) -> None:
    link = scope.get_by_text("my notes", exact=True)
    expect(link).to_be_visible()
    assert link.get_attribute("href") is None or not link.get_attribute("href").startswith("javascript:")
    link.click()


def test_instructor_opens_a_hostile_submission_in_formgrader(course, page, tmp_path):
    submit_notebook(course, "mallory", PS1, hostile_ps1(course))
    with Gradebook(course.db_url, course.course_id) as gb:
        gb.update_or_create_student("mallory", first_name="Mallory", last_name="M")
    grade_batch(course, PS1)
    with lab_server(course.root, tmp_path / "instructor-home") as lab:
        open_lab(page, lab)
        open_from_nbgrader_menu(page, "Formgrader")
        formgrader = page.frame_locator(".jp-MainAreaWidget:visible iframe")
        formgrader.locator("tr", has_text=PS1).get_by_role("link", name="1", exact=True).click()
        formgrader.locator("tr", has_text="mallory").locator("td.student-name a").click()
        formgrader.get_by_role("link", name="gradient_descent", exact=True).click()
        answer = formgrader.get_by_text(ANSWER)
        expect(answer).to_be_visible()
        frame = page.frame_locator(".jp-MainAreaWidget:visible iframe").owner.element_handle().content_frame()
        expect(formgrader.locator("textarea#ps1-explain-comment")).to_have_attribute(
            "placeholder", re.compile("Type any comments"))                  # the page's own JS runs
        assert_nothing_ran(frame, course.root)
        click_the_link(frame, formgrader)
        assert_nothing_ran(frame, course.root)
        the_session_could_write(frame, course.root)
        answer.scroll_into_view_if_needed()
        shot(page, "20-formgrader-hostile-answer-inert")

        box = formgrader.locator("input.score#ps1-explain")                 # still gradable by hand
        with page.expect_response(lambda r: "/formgrader/api/grade/" in r.url and r.request.method == "PUT"):
            box.fill("1.5")
            box.press("Tab")
        shot(page, "21-formgrader-hostile-answer-graded")
    with Gradebook(course.db_url, course.course_id) as gb:
        assert gb.find_grade("ps1-explain", "gradient_descent", PS1, "mallory").manual_score == 1.5
    assert not list(course.root.rglob("pwned-*.txt"))


def test_student_opens_released_feedback_of_a_hostile_submission(course, page, accounts, student_python):
    mallory = accounts.add("mallory")
    enrol(course, mallory)
    student = mallory.pw_name                          # the student id is the account's name
    work = Path(mallory.pw_dir) / "work"
    dlgrader(course.root, "release", PS1)
    answer = nbformat.writes(hostile_ps1(course))      # (from source/, which mallory cannot read)
    as_account(mallory, fetch_and_submit, str(course.root), str(work), student, answer)   # as mallory
    dlgrader(course.root, "collect", PS1)
    grade_batch(course, PS1)
    dlgrader(course.root, "feedback", PS1, "--release")
    as_account(mallory, fetch_feedback, str(course.root), str(work), student)
    with student_lab(course, mallory, student_python, "--home", str(work)) as lab:
        [html] = (work / PS1 / "feedback").glob("*/gradient_descent.html")
        page.goto(lab.url("files/" + html.relative_to(work).as_posix()))
        expect(page.get_by_text(ANSWER)).to_be_visible()
        assert_nothing_ran(page.main_frame, work)
        click_the_link(page.main_frame, page)
        assert_nothing_ran(page.main_frame, work)   # (jupyter_server serves /files/ HTML in a CSP sandbox
        # without same-origin, so here the flag, not the write, is what a running script would leave)
        page.get_by_text(ANSWER).scroll_into_view_if_needed()
        shot(page, "22-student-feedback-hostile-answer-inert")
    assert not list(work.rglob("pwned-*.txt"))


def fetch_and_submit(root: str, work: str, student: str, answer: str) -> None:
    """Run in a child that is the student's account: fetch, write the ANSWER, submit."""
    course = Course(Path(root))
    exchange_student.fetch(course, Path(work), student, PS1)
    (Path(work) / PS1 / "gradient_descent.ipynb").write_text(answer, encoding="utf-8")
    exchange_student.submit(course, Path(work), student, PS1)


def fetch_feedback(root: str, work: str, student: str) -> None:
    """nbgrader's fetch_feedback, run in a child that is the student's account."""
    from nbgrader.exchange.default import ExchangeFetchFeedback
    exchange_student._run(ExchangeFetchFeedback, Course(Path(root)), Path(work), student, PS1)
