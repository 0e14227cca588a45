"""A ps1 submission that carries scripts in several forms, for the sanitizing tests.

Each payload, if it ran, would set `window.__pwned` and write `pwned-<kind>.txt` through the Jupyter
contents API of whoever renders it (with the session's XSRF cookie, as a real attack would)."""
from __future__ import annotations

from html.parser import HTMLParser

import nbformat

from .conftest import notebook_path
from .execution.cohort import filled

PS1 = "ps1_gradient_descent"
ANSWER = "Zero is an inflection point: the slope keeps its sign there, so the run passes it"
KINDS = ("script", "img", "svg", "html-output", "link")


def payload(kind: str) -> str:
    """JavaScript (single quotes only, so it fits in a double-quoted attribute)."""
    return ("window.__pwned=(window.__pwned||'')+'" + kind + ",';"
            "m=document.cookie.match(/_xsrf=([^;]+)/);"
            "fetch('/api/contents/pwned-" + kind + ".txt',{method:'PUT',headers:{'X-XSRFToken':"
            "m?decodeURIComponent(m[1]):''},body:JSON.stringify({type:'file',format:'text',"
            "content:'" + kind + "'})})")


def write_from_page(kind: str) -> str:
    """The payload's write as an expression giving the HTTP status, to show the session could write."""
    return ("fetch('/api/contents/pwned-" + kind + ".txt',{method:'PUT',headers:{'X-XSRFToken':"
            "decodeURIComponent((document.cookie.match(/_xsrf=([^;]+)/)||['',''])[1])},"
            "body:JSON.stringify({type:'file',format:'text',content:'" + kind + "'})}).then(r=>r.status)")


def explanation() -> str:
    """The hand-graded markdown answer: the real answer text among the payloads."""
    return (f"{ANSWER}.\n\n<script>{payload('script')}</script>\n\n"
            f"See <img src=\"x-missing.png\" onerror=\"{payload('img')}\"> the plot.\n\n"
            f"<svg width=\"10\" height=\"10\" onload=\"{payload('svg')}\"><circle r=\"4\"/></svg>\n\n"
            f"More in [my notes](javascript:{payload('link')}) and $f'(x) = x^2(4x - 9)$.")


HTML_OUTPUT = (f"<b>html output text</b><script>{payload('html-output')}</script>"
               f"<iframe src=\"/api/contents\"></iframe>")


def hostile_ps1(course):
    """ps1 filled in correctly, with the explanation above and a display(HTML(...)) cell whose
    saved output carries a script too."""
    nb = filled(notebook_path(course.root, "source", PS1))
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "ps1-explain":
            cell.source = explanation()
    shown = nbformat.v4.new_code_cell(
        f"from IPython.display import HTML, display\ndisplay(HTML({HTML_OUTPUT!r}))",
        outputs=[nbformat.v4.new_output("display_data", data={"text/html": HTML_OUTPUT,
                                                                "text/plain": "<HTML>"})])
    nb.cells.insert(15, shown)
    return nb


class _Markup(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems, self._in_script = [], False

    def handle_starttag(self, tag, attrs):
        if tag in ("iframe", "object", "embed", "svg", "form"):
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}=javascript:>")
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and "pwned" in data:
            self.problems.append("<script> of the student")


def markup_problems(html: str) -> list[str]:
    """Markup in an HTML page that would run student code (code shown as text does not count)."""
    parser = _Markup()
    parser.feed(html)
    return parser.problems
