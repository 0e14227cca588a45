"""Fixtures of the browser tests: Debian's Chromium under Playwright, one fresh page per test."""
from __future__ import annotations

import os

import pytest

from .servers import CHROMIUM, CHROMIUM_ARGS, shot


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
