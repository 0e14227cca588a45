"""Formgrader's Autograde button, clicked in Chromium, grades in dlgrader's sandbox (the course's
nbgrader_config.py puts SandboxedExecute in nbgrader's Autograde converter): of two collected
submissions, the one whose `softmax` writes on the host and lists the reference writes nothing,
and the honest one gets its full score in the gradebook."""
from __future__ import annotations

import os

import pytest
from nbgrader.api import Gradebook

from ..conftest import notebook_path, sandbox_uid, submit_notebook
from ..execution.cohort import filled
from ..execution.test_stock_autograde import hostile_softmax
from .servers import lab_server, shot
from .test_browser import open_from_nbgrader_menu, open_lab

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra: make setup")
expect = sync_api.expect

PS2 = "ps2_softmax_cross_entropy"


def test_formgraders_autograde_button_grades_in_the_sandbox(course, page, tmp_path):
    escape = tmp_path / "escape"
    escape.mkdir()
    escape.chmod(0o777)     # writable by any uid: only the sandbox's view keeps the write out
    src = notebook_path(course.root, "source", PS2)
    submit_notebook(course, "honest", PS2, filled(src))
    submit_notebook(course, "hostile", PS2, filled(src, {"softmax": hostile_softmax(escape, course.root)}))

    uids = {"DLGRADER_SANDBOX_UID_BASE": str(sandbox_uid(69000))}
    with lab_server(course.root, tmp_path / "instructor-home", extra_env=uids) as lab:
        open_lab(page, lab)
        open_from_nbgrader_menu(page, "Formgrader")
        formgrader = page.frame_locator(".jp-MainAreaWidget:visible iframe")
        formgrader.locator("tr", has_text=PS2).get_by_role("link", name="2", exact=True).click()
        for student in ("hostile", "honest"):
            row = formgrader.locator("tr", has_text=student)
            expect(row.locator("td.status")).to_have_text("needs autograding")
            row.locator("td.autograde a").click()
            modal = formgrader.locator(".modal-dialog")
            expect(modal).to_contain_text(f"Successfully autograded '{PS2}' for student '{student}'.")
            modal.get_by_role("button", name="OK").click()
            expect(modal).to_have_count(0)
            expect(row.locator("td.score")).to_have_text("13 / 13")
        shot(page, "20-formgrader-autograde-sandboxed")

    assert sorted(os.listdir(escape)) == []          # nothing written on the host, as any uid
    with Gradebook(course.db_url, course.course_id) as gb:
        for student in ("honest", "hostile"):
            sub = gb.find_submission(PS2, student)
            assert (sub.score, sub.max_score) == (13.0, 13.0), student
    graded = (course.autograded / "hostile" / PS2 / "softmax_cross_entropy.ipynb").read_text()
    assert '"dlgrader"' in graded        # the sandboxed engine's check records, not a kernel's outputs
