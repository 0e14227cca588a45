"""The feedback pages of a strong, a middling and a weak student in Debian's Chromium, at a
desktop's and a phone's width, with every request that is not the page's own file blocked: the math
is drawn, nothing is fetched, nothing runs off the side of the screen (the common-mistake hints
included). Screenshots land in screenshots/<run>/feedback-*.png for a person to look at."""
from __future__ import annotations

import pytest

from ..conftest import screenshots_dir

WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


def open_offline(browser, path, width: int, height: int):
    context = browser.new_context(viewport={"width": width, "height": height})
    fetched: list[str] = []

    def only_files(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            fetched.append(route.request.url)
            route.abort()
    context.route("**/*", only_files)
    page = context.new_page()
    page.goto(path.as_uri())
    return context, page, fetched


def screenshot(page, name: str) -> None:
    page.screenshot(path=str(screenshots_dir() / f"feedback-{name}.png"))


@pytest.mark.parametrize("size", sorted(WIDTHS))
@pytest.mark.parametrize("student", ["strong", "middling", "weak"])
def test_the_page_reads_on_one_screen_offline(browser, three_students, student, size):
    width, height = WIDTHS[size]
    context, page, fetched = open_offline(browser, three_students[student], width, height)
    try:
        sync_api = pytest.importorskip("playwright.sync_api")
        expect = sync_api.expect
        expect(page.get_by_role("heading", name="What to fix first")).to_be_visible()
        subscript = page.locator(".text_cell_render msub").first     # p_i in softmax's formula
        expect(subscript).to_be_visible()
        base, index = (subscript.locator(":scope > *").nth(i).bounding_box() for i in (0, 1))
        assert index["y"] > base["y"] and index["x"] >= base["x"] + base["width"] - 1   # laid out as math
        assert "$" not in page.locator(".text_cell_render").first.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= width   # no sideways scrolling
        for hint in page.locator(".dl-mistake, .dl-msg").all():
            right = hint.bounding_box()["x"] + hint.bounding_box()["width"]
            assert right <= width, hint.inner_text()                # wrapped, never cut off
        screenshot(page, f"{student}-{size}")
        if student != "strong":
            first = page.locator("ol.dl-fix > li").first
            first.scroll_into_view_if_needed()
            screenshot(page, f"{student}-{size}-fix-first")
            page.locator("ol.dl-fix > li a").first.click()          # the link leads to the cell
            cell = page.locator("section.dl-panel:has(ul.dl-checks .dl-mark-FAIL)").first
            expect(cell).to_be_in_viewport()
            screenshot(page, f"{student}-{size}-cell")
        assert fetched == []
    finally:
        context.close()
