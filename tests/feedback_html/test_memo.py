"""Kept renderings: the same text is rendered once, memory stays bounded whatever students write,
and a kept page piece is the one a fresh rendering gives."""
from __future__ import annotations

from dlgrader.feedback_html import math, memo, sanitize
from dlgrader.feedback_html.memo import LIMIT, Memo


def test_a_text_is_rendered_once_and_the_oldest_goes_first():
    calls = []
    kept = Memo(size=2)

    def render(text):
        return lambda: calls.append(text) or text.upper()

    assert kept.get("a", "a", render("a")) == "A" and kept.get("a", "a", render("a")) == "A"
    kept.get("b", "b", render("b"))
    kept.get("a", "a", render("a"))                # a is now the most recently used
    kept.get("c", "c", render("c"))                # b goes
    kept.get("b", "b", render("b"))
    assert calls == ["a", "b", "c", "b"] and len(kept) == 2


def test_long_texts_are_rendered_every_time_and_not_kept():
    kept, calls = Memo(), []
    big = "x" * (LIMIT + 1)
    for _ in range(2):
        kept.get(big, big, lambda: calls.append(1) or "out")
    assert len(calls) == 2 and len(kept) == 0


def test_kept_markdown_and_cleaning_equal_fresh_ones(monkeypatch):
    text = "Softmax: $p_i = e^{z_i} / \\sum_j e^{z_j}$ <img src=x onerror=alert(1)> **bold**"
    first, again = math.markdown_to_html(text), math.markdown_to_html(text)
    monkeypatch.setattr(math, "_pages", Memo())
    assert first == again == math.markdown_to_html(text) and "<math" in first
    cleaned = sanitize.clean_markdown(text)
    monkeypatch.setattr(sanitize, "_cleaned", Memo())
    assert cleaned == sanitize.clean_markdown(text) and "onerror" not in cleaned
    assert memo.SIZE * LIMIT < 10_000_000          # the bound on what students' text can hold
