"""Fixtures of the browser tests: Debian's Chromium under Playwright, one fresh page per test; the
course in a folder every account can pass; real student accounts (useradd, removed at the end) and a
Python they can run (this one lives under /root)."""
from __future__ import annotations

import os
import pwd
import shutil
import sys
from pathlib import Path

import pytest

from ..accounts import open_folder
from ..sandbox.ordinary_user import python_for
from .servers import CHROMIUM, CHROMIUM_ARGS, StudentPython, shot


@pytest.fixture
def course(built_template):
    """A fresh copy of the built course where students' accounts can reach its exchange (pytest's
    tmp_path is root's only); its private folders stay owner-only, as `dlgrader build` made them."""
    from dlgrader.course import Course
    where = open_folder()
    shutil.copytree(built_template, where / "course", ignore=shutil.ignore_patterns("logs"))
    with open(where / "course" / "nbgrader_config.py", "a", encoding="utf-8") as config:
        config.write("\n# real accounts: the safe default (each id submits from its own account, on the roster)\n"
                     "c.DlgraderCollect.accounts = {}\n")
    try:
        yield Course(where / "course")
    finally:
        shutil.rmtree(where, ignore_errors=True)


def enrol(course, account) -> None:
    """Put ACCOUNT's name on the course's roster (nbgrader's gradebook students), as the instructor
    does with `nbgrader db student add`: a submission counts only from a student on it."""
    from nbgrader.api import Gradebook
    with Gradebook(course.db_url, course.course_id) as gb:
        gb.update_or_create_student(account.pw_name)



@pytest.fixture(scope="session")
def student_python():
    """A Python every account can run, with this project's packages (tests/sandbox/ordinary_user.py)."""
    if os.geteuid() != 0:
        pytest.skip("student servers run as students' Unix accounts: creating them needs root")
    where = open_folder()
    try:
        python = python_for(pwd.getpwnam("root"), where)
        etc = python.parent.parent / "etc"              # the server extensions enabled in this venv
        etc.mkdir()                                      # (nbgrader's: Assignment List, Formgrader)
        (etc / "jupyter").symlink_to(Path(sys.prefix) / "etc" / "jupyter")
        os.chmod(where, 0o755)
        yield StudentPython(python, where / "python" / "lib")
    finally:
        shutil.rmtree(where, ignore_errors=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so the page fixture knows whether the test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium under Playwright (skips, saying why, when either is missing)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra: make setup")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip("Debian's chromium is not installed (make test installs it where apt works)")
    sync_api.expect.set_options(timeout=90_000)
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, request):
    """A fresh page; when the test fails, what it showed last is saved as screenshots/<run>/lab-FAILED-*.png."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(90_000)
    page = context.new_page()
    try:
        yield page
    finally:
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            shot(page, f"FAILED-{request.node.name}")
        context.close()
