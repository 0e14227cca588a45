"""Markdown with its math rendered to MathML when the feedback is written.

The feedback page is read where no CDN may be reachable (JupyterLab's HTML viewer, an offline
campus), so it carries no math script: `$...$` and `$$...$$` become MathML, which browsers draw
natively. The math is cut out before the Markdown renderer sees it (so `_` and `*` inside formulas
are not read as emphasis) and put back after.
"""
from __future__ import annotations

import html
import re

from latex2mathml.converter import convert
from nbconvert.filters.markdown_mistune import markdown2html_mistune

from .memo import Memo

# $$display$$ first, then $inline$ (not `\$`, not `$ ` at the start, so "costs $5 and $6" is prose).
MATH = re.compile(r"(?<!\\)\$\$(.+?)\$\$|(?<![\\$])\$(?![\s$])(.+?)(?<![\s\\])\$(?!\d)", re.S)
CODE = re.compile(r"(```.*?```|`[^`\n]*`)", re.S)
TOKEN = "DLGMATHTOKEN{}X"
_pages = Memo()


def to_mathml(latex: str, display: bool = False) -> str:
    """One formula as MathML; if it cannot be converted, the LaTeX itself, escaped, in <code>."""
    try:
        return convert(latex.strip(), display="block" if display else "inline")
    except Exception:                      # an unusual command: show the source rather than nothing
        return f"<code class='tex'>{html.escape(latex)}</code>"


def markdown_to_html(source: str) -> str:
    """Markdown to HTML with the math already rendered (a Jinja filter of the feedback template)."""
    source = source or ""
    return _pages.get(source, source, lambda: _markdown_to_html(source))


def _markdown_to_html(source: str) -> str:
    rendered: list[str] = []

    def stash(match: re.Match) -> str:
        display = match.group(1) is not None
        rendered.append(to_mathml(match.group(1) if display else match.group(2), display))
        return TOKEN.format(len(rendered) - 1)

    pieces = CODE.split(source)                # math signs inside code stay code
    text = "".join(p if i % 2 else MATH.sub(stash, p) for i, p in enumerate(pieces))
    out = markdown2html_mistune(text)
    return re.sub(r"DLGMATHTOKEN(\d+)X", lambda m: rendered[int(m.group(1))], out)
