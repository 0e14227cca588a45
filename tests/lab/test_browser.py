"""The course in a real browser: `dlgrader lab` for a student and for the instructor, driven through
JupyterLab's pages by Playwright in Debian's Chromium. Screenshots of each step land in
screenshots/<run>/lab-*.png."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from nbgrader.api import Gradebook

from dlgrader.verdicts import reference

from ..conftest import ROOT, dlgrader, notebook_path, submit_notebook
from ..execution.cohort import filled
from .conftest import enrol
from .servers import lab_server, shot

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra: make setup")
expect = sync_api.expect

PS1, PS2 = "ps1_gradient_descent", "ps2_softmax_cross_entropy"
SOFTMAX = ("def softmax(z):\n    z = np.asarray(z, dtype=float)\n    e = np.exp(z - z.max())\n"
           "    return e / e.sum()\n")
HIDDEN = ("BEGIN HIDDEN TESTS", "t.hidden(", "reference/suites", "Traceback (most recent call last)")
UIDS = "67000"   # sandbox uids of the grading runs here, apart from parallel tests


def grade(course, *steps: tuple[str, ...]) -> None:
    """Run `dlgrader STEP...` in the course root, as the TA would between the browser steps."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLGRADER_")}
    env.update(DLGRADER_SANDBOX_UID_BASE=UIDS,
               PATH=os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")]))
    for step in steps:
        done = subprocess.run([sys.executable, "-m", "dlgrader.cli", *step], cwd=course.root, env=env,
                              capture_output=True, text=True)
        assert done.returncode == 0, f"dlgrader {' '.join(step)}:\n{done.stdout}\n{done.stderr}"


def open_from_nbgrader_menu(page, item: str) -> None:
    page.get_by_role("menuitem", name="Nbgrader").click()
    page.get_by_role("menuitem", name=item, exact=True).click()


def open_lab(page, lab) -> None:
    page.goto(lab.url())
    expect(page.locator(".jp-LabShell")).to_be_visible()
    expect(page.get_by_role("menuitem", name="Nbgrader")).to_be_visible()


def registered_mistake(monkeypatch, target: str, key: str):
    """A common mistake of the course's reference (loaded on the grader's side only, here)."""
    with monkeypatch.context() as m:
        m.setenv(reference.ENV_VAR, str(ROOT / "reference"))
        return reference.load().mistakes.BOOK.get(target, key)


def edit_cell(page, cell, code: str) -> None:
    """Replace a cell's text the way a person does: click into it, select all, type."""
    cell.locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(code)
    page.keyboard.press("Escape")


def run_cell(page, cell) -> None:
    cell.locator(".jp-InputPrompt").click()
    page.keyboard.press("Shift+Enter")
    expect(cell.locator(".jp-InputPrompt")).to_have_text(re.compile(r"\[\d+\]"))


def student_lab(course, account, python, *args: str):
    """The student's server, started by root with `dlgrader lab --student ACCOUNT`: it runs as the account."""
    return lab_server(course.root, Path(account.pw_dir), "--student", account.pw_name, *args,
                      student=account, python=python)


def test_student_fetches_works_submits_and_reads_feedback(course, page, monkeypatch, accounts, student_python):
    mistake = registered_mistake(monkeypatch, "softmax_ce_gradient", "sign-flip")
    dlgrader(course.root, "release", PS2)
    alice = accounts.add("alice")
    enrol(course, alice)
    STUDENT = alice.pw_name                      # the student id is the account's name
    with student_lab(course, alice, student_python) as lab:
        environ = open(f"/proc/{lab.pid}/environ", "rb").read().decode().split("\0")
        assert not [v for v in environ if v.startswith("DLGRADER_")]   # no path to the reference
        assert psutil.Process(lab.pid).uids() == (alice.pw_uid,) * 3
        open_lab(page, lab)

        # The Assignment List shows the released ps2; fetch it.
        open_from_nbgrader_menu(page, "Assignment List")
        released = page.locator("#released_assignments_list .list_item", has_text=PS2)
        expect(released.get_by_role("button", name="Fetch")).to_be_visible()
        shot(page, "01-student-assignment-list")
        released.get_by_role("button", name="Fetch").click()
        fetched = page.locator("#fetched_assignments_list")
        fetched.get_by_role("button", name=PS2).click()
        expect(fetched.get_by_role("button", name="Validate")).to_be_visible()
        shot(page, "02-student-fetched")

        # Open the notebook; a correct softmax, a gradient with the sign flipped; run the visible checks.
        fetched.get_by_role("link", name="softmax_cross_entropy", exact=True).click()
        notebook = page.locator(".jp-NotebookPanel:visible")
        cells = notebook.locator(".jp-Notebook .jp-Cell")
        expect(cells).to_have_count(17)
        edit_cell(page, cells.nth(3), SOFTMAX)
        edit_cell(page, cells.nth(9), mistake.student_source())
        for i in (1, 3, 4, 9, 10):   # imports, softmax and its checks, the gradient and its checks
            run_cell(page, cells.nth(i))
        stdout = "[data-mime-type='application/vnd.jupyter.stdout']"
        softmax_checks, gradient_checks = cells.nth(4).locator(stdout), cells.nth(10).locator(stdout)
        expect(softmax_checks).to_contain_text("[PASS]")
        expect(softmax_checks).not_to_contain_text("[FAIL]")
        softmax_checks.scroll_into_view_if_needed()
        shot(page, "03-student-softmax-passes")
        expect(gradient_checks).to_contain_text("[FAIL] (0/1) the chapter's example, class 0")
        expect(gradient_checks).to_contain_text("got 0.341, expected -0.341")
        gradient_checks.scroll_into_view_if_needed()
        shot(page, "04-student-gradient-fails")

        # Validate (the notebook's toolbar button saves first): the right softmax passes; the gradient's
        # cell fails, naming its failed check and why (the answers not written yet fail too).
        notebook.get_by_role("button", name="Validate").click()
        dialog = page.locator(".jp-Dialog")
        expect(dialog).to_contain_text("Validation Results")
        expect(dialog).to_contain_text("VisibleChecksFailed: softmax_ce_gradient: 1 visible check failed")
        expect(dialog).to_contain_text("[FAIL] the chapter's example, class 0")
        expect(dialog).to_contain_text("got 0.341, expected -0.341")
        expect(dialog).not_to_contain_text('t = Checks("softmax")')
        expect(dialog).not_to_contain_text("Partial credit")
        failed_gradient = dialog.get_by_text("VisibleChecksFailed: softmax_ce_gradient")
        failed_gradient.scroll_into_view_if_needed()
        shot(page, "05-student-validate")
        dialog.get_by_role("button", name="Ok").click()

        # Submit from the Assignment List.
        page.locator(".lm-TabBar-tab", has_text="Assignments").click()
        fetched.get_by_role("button", name="Submit").click()
        submitted = page.locator("#submitted_assignments_list")
        expect(submitted.get_by_role("button", name="Fetch Feedback")).to_be_visible()
        expect(submitted).to_contain_text(re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"))
        shot(page, "06-student-submitted")

        # The TA collects, grades (sandboxed) and releases feedback with dlgrader's CLI.
        grade(course, ("collect", PS2), ("grade", PS2), ("feedback", PS2, "--release"))
        with Gradebook(course.db_url, course.course_id) as gb:
            sub = gb.find_submission(PS2, STUDENT)
            assert gb.find_grade("ps2-softmax-test", "softmax_cross_entropy", PS2, STUDENT).score == 4
            assert gb.find_grade("ps2-grad-test", "softmax_cross_entropy", PS2, STUDENT).score == 0
            score, max_score = sub.score, sub.max_score

        # The student refreshes the list, fetches the feedback and opens it.
        page.locator("#refresh_assignments_list").click()
        submitted.get_by_role("button", name="Fetch Feedback").click()
        view = submitted.get_by_text("(view feedback)")
        expect(view).to_be_visible()
        shot(page, "07-student-feedback-fetched")
        view.click()
        page.locator(".jp-DirListing-item", has_text="softmax_cross_entropy.html").dblclick()
        viewer = page.locator(".jp-HTMLViewer:visible iframe")
        feedback = page.frame_locator(".jp-HTMLViewer:visible iframe").locator("body")
        expect(feedback).to_contain_text(f"softmax_cross_entropy (Score: {score:.1f} / {max_score:.1f})")
        expect(feedback).to_contain_text("[FAIL] (0/1) random probabilities: gradient is p - onehot(y)")
        expect(feedback).to_contain_text(f"Common mistake: {mistake.hint}")
        html = viewer.element_handle().content_frame().content()
        for word in HIDDEN:
            assert word not in html, word
        # The page opens with what to fix first; the named mistake is wrapped inside the viewer.
        frame = page.frame_locator(".jp-HTMLViewer:visible iframe")
        fix = frame.locator("ol.dl-fix > li", has_text="The gradient")
        expect(fix).to_contain_text("[FAIL] random probabilities: gradient is p - onehot(y)")
        hint = fix.locator(".dl-mistake").first
        expect(hint).to_contain_text(mistake.hint)
        fix.scroll_into_view_if_needed()
        shot(page, "08-student-feedback-what-to-fix-first")
        shown, edge = hint.bounding_box(), viewer.bounding_box()
        assert shown["x"] + shown["width"] <= edge["x"] + edge["width"]
        checks = frame.locator("section.dl-panel", has_text="Checks: softmax_ce_gradient")
        checks.locator("ul.dl-checks").scroll_into_view_if_needed()
        shot(page, "09-student-feedback-checks-in-the-notebook")


def test_instructor_grades_by_hand_in_formgrader(course, page, tmp_path):
    submit_notebook(course, "bob", PS1, filled(notebook_path(course.root, "source", PS1)))
    with Gradebook(course.db_url, course.course_id) as gb:
        gb.update_or_create_student("bob", first_name="Bob", last_name="Baker")
    grade(course, ("grade", PS1))
    with Gradebook(course.db_url, course.course_id) as gb:
        before = gb.find_submission(PS1, "bob")
        auto_score, max_score = before.score, before.max_score
        assert before.needs_manual_grade

    with lab_server(course.root, tmp_path / "instructor-home") as lab:
        open_lab(page, lab)
        open_from_nbgrader_menu(page, "Formgrader")
        formgrader = page.frame_locator(".jp-MainAreaWidget:visible iframe")
        assignments = formgrader.locator("table tbody")
        for name in course.assignments():
            expect(assignments).to_contain_text(name)
        shot(page, "10-instructor-formgrader")

        # ps1's submissions: Bob's autograded score as the gradebook has it, then his notebook.
        formgrader.locator("tr", has_text=PS1).get_by_role("link", name="1", exact=True).click()
        bob = formgrader.locator("tr", has_text="bob")
        expect(bob).to_contain_text("needs manual grading")
        expect(bob.locator("td.score")).to_have_text(f"{auto_score:g} / {max_score:g}")
        shot(page, "11-instructor-submissions-before")
        bob.locator("td.student-name a").click()
        formgrader.get_by_role("link", name="gradient_descent", exact=True).click()

        # Score the two hand-graded cells (plot 1/1, explanation 1.5/2) and comment on the explanation.
        comment = "Right idea: 0 is an inflection point. Say why the slope keeps its sign there."
        text = formgrader.locator("textarea#ps1-explain-comment")
        expect(text).to_have_attribute("placeholder", re.compile("Type any comments"))   # the page's JS is ready
        plot = formgrader.locator("img[src^='data:image/png']").first      # Bob's loss plot, drawn in the sandbox
        expect(plot).to_be_visible()
        expect(formgrader.locator("body")).not_to_contain_text("ModuleNotFoundError")
        plot.scroll_into_view_if_needed()
        shot(page, "11b-instructor-sees-the-plot")
        for cell, points in (("ps1-plot", "1"), ("ps1-explain", "1.5")):
            box = formgrader.locator(f"input.score#{cell}")
            expect(box).to_have_class(re.compile("needs_manual_grade"))   # its grade is loaded
            with page.expect_response(lambda r: "/formgrader/api/grade/" in r.url and r.request.method == "PUT"):
                box.fill(points)
                box.press("Tab")
            expect(box).not_to_have_class(re.compile("needs_manual_grade"))
        with page.expect_response(lambda r: "/formgrader/api/comment/" in r.url and r.request.method == "PUT"):
            text.fill(comment)
            text.press("Tab")
        text.scroll_into_view_if_needed()
        shot(page, "12-instructor-manual-grade")

        with Gradebook(course.db_url, course.course_id) as gb:
            sub = gb.find_submission(PS1, "bob")
            nb = gb.find_submission_notebook("gradient_descent", PS1, "bob")
            explain = gb.find_grade("ps1-explain", "gradient_descent", PS1, "bob")
            assert explain.manual_score == 1.5 and not sub.needs_manual_grade
            assert gb.find_grade("ps1-plot", "gradient_descent", PS1, "bob").manual_score == 1
            assert gb.find_comment("ps1-explain", "gradient_descent", PS1, "bob").manual_comment == comment
            assert sub.score == auto_score + 2.5
            total, written = f"{sub.score:g} / {sub.max_score:g}", f"{nb.written_score:g} / {nb.max_written_score:g}"

        # Back to the submissions list: the total Formgrader shows is the gradebook's.
        formgrader.get_by_role("link", name=PS1, exact=True).click()
        formgrader.get_by_role("link", name="Manage Assignments").click()
        formgrader.locator("tr", has_text=PS1).get_by_role("link", name="1", exact=True).click()
        expect(bob.locator("td.score")).to_have_text(total)
        expect(bob.locator("td.status")).to_have_text("graded")
        shot(page, "13-instructor-scores-after")
        bob.locator("td.student-name a").click()
        expect(formgrader.locator("tr", has_text="gradient_descent")).to_contain_text(written)
