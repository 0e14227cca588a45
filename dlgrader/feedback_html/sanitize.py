"""Student-derived HTML made safe for someone else's browser (Formgrader, feedback pages).

A submitted notebook is untrusted HTML: raw HTML inside markdown, `text/html`, SVG and JavaScript
outputs, raw cells and widget state all run in whoever renders them (ipython#9726,
CVE-2018-19351). Formgrader renders the autograded notebook with nbconvert in the TA's Jupyter
session, so a script there acts with the TA's rights. This module cleans a notebook with nh3 (the
maintained Ammonia sanitizer) and an explicit allowlist: text, code, tables, math, links and
images (`data:` PNG/JPEG/GIF) stay; scripts, event handlers, `javascript:` URLs, iframes, objects,
embeds, forms, styles and SVG go.

Markdown is rendered with nbconvert's own renderer (the one Formgrader and the feedback pages use)
and the result cleaned; when cleaning removed something, the cell's source becomes the clean HTML
(which renders the same, minus what was removed); otherwise it stays as the student wrote it.
"""
from __future__ import annotations

from html.parser import HTMLParser

import html

import nh3
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from .memo import Memo

TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd", "del",
    "details", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small",
    "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
    "u", "ul", "var",
}
ATTRIBUTES = {
    "*": {"class", "title", "lang", "dir", "align"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start", "type"},
    "col": {"span"},
    **{f"h{n}": {"id"} for n in range(1, 7)},     # nbconvert's heading anchors
    "colgroup": {"span"},
}
URL_SCHEMES = {"http", "https", "mailto", "data", "attachment"}
IMAGE_DATA = ("data:image/png;base64,", "data:image/jpeg;base64,", "data:image/gif;base64,")
IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif"}
_cleaned = Memo()          # markdown source -> clean_markdown's answer (the same for every student)
# Output types rendered as they are (no markup in them); text/html and text/markdown are cleaned,
# every other type (SVG, JavaScript, widget views, PDFs, ...) is dropped.
SAFE_OUTPUT_TYPES = IMAGE_TYPES | {"text/plain", "text/latex", "application/json"}


def _attribute(element: str, attribute: str, value: str):
    """Only images may use data: URLs, and only for PNG, JPEG or GIF."""
    if attribute in ("src", "href") and value.strip().lower().startswith("data:"):
        ok = element == "img" and attribute == "src" and value.strip().lower().startswith(IMAGE_DATA)
        return value if ok else None
    return value


def clean_html(html) -> str:
    """HTML reduced to the allowlist (scripts and the like removed with their content). Also the
    feedback template's `clean_html` filter, in place of nbconvert's bleach one (same job, several
    times faster: most of a feedback page's time went to bleach re-parsing highlighted code)."""
    html = html.decode("utf-8", "replace") if isinstance(html, bytes) else str(html)
    return nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
                     attribute_filter=_attribute, link_rel="noopener noreferrer nofollow",
                     strip_comments=True)


class _Shape(HTMLParser):
    """The tags, attributes and text of an HTML fragment, to tell whether cleaning changed it."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.items: list = []

    def handle_starttag(self, tag, attrs):
        self.items.append(("<", tag, tuple(sorted((k, v or "") for k, v in attrs if k != "rel"))))

    def handle_startendtag(self, tag, attrs):      # <img />, <br />: as the start tag alone
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        self.items.append((">", tag))

    def handle_data(self, data):
        if data.strip():
            self.items.append(("text", " ".join(data.split())))


def _shape(html: str) -> list:
    parser = _Shape()
    parser.feed(html)
    parser.close()
    return parser.items


def markdown2html(source: str, attachments: dict | None = None) -> str:
    """SOURCE rendered as nbconvert renders markdown cells (a broken one: as escaped text)."""
    try:
        renderer = IPythonRenderer(escape=False, attachments=attachments or {})
        return MarkdownWithMath(renderer=renderer).render(source)
    except Exception:
        return f"<pre>{html.escape(source)}</pre>"


def clean_markdown(source: str, attachments: dict | None = None) -> str | None:
    """The clean HTML to put in place of a markdown cell's SOURCE, or None if it is safe as it is."""
    if attachments:
        return _clean_markdown(source, attachments)
    return _cleaned.get(source, source, lambda: _clean_markdown(source, None))


def _clean_markdown(source: str, attachments: dict | None) -> str | None:
    rendered = markdown2html(source, attachments)
    cleaned = clean_html(rendered)
    if _shape(cleaned) == _shape(rendered):
        return None
    return cleaned


def clean_notebook(nb) -> int:
    """Clean NB in place; returns how many pieces (cells, outputs, attachments) were changed."""
    changed = 0
    if nb.get("metadata", {}).pop("widgets", None) is not None:    # widget state loads code
        changed += 1
    for cell in nb.get("cells", []):
        kind = cell.get("cell_type")
        source = cell.get("source", "")
        source = source if isinstance(source, str) else "".join(source)
        if kind == "markdown":
            changed += _clean_attachments(cell)
            cleaned = clean_markdown(source, cell.get("attachments"))
            if cleaned is not None:
                cell["source"] = cleaned
                changed += 1
        elif kind == "raw":
            cleaned = clean_html(source)
            if cleaned != source:
                cell["source"] = cleaned
                changed += 1
        for output in cell.get("outputs", []) if kind == "code" else []:
            changed += _clean_output(output)
    return changed


def _clean_attachments(cell) -> int:
    changed = 0
    for name, bundle in list((cell.get("attachments") or {}).items()):
        kept = {k: v for k, v in (bundle or {}).items() if k in IMAGE_TYPES}
        if kept != bundle:
            changed += 1
            if kept:
                cell["attachments"][name] = kept
            else:
                del cell["attachments"][name]
    return changed


def _clean_output(output) -> int:
    data = output.get("data")
    if not isinstance(data, dict):
        return 0
    changed = 0
    for mime in list(data):
        value = data[mime]
        text = value if isinstance(value, str) else "".join(value) if isinstance(value, list) else ""
        if mime == "text/html":
            cleaned = clean_html(text)
            if cleaned != text:
                data[mime], changed = cleaned, changed + 1
        elif mime == "text/markdown":
            del data[mime]
            data.setdefault("text/html", clean_html(markdown2html(text)))
            changed += 1
        elif mime not in SAFE_OUTPUT_TYPES:
            del data[mime]
            changed += 1
    if not data:
        data["text/plain"] = "(output removed: it could run code in the reader's browser)"
    return changed


class SanitizeStudentContent(Preprocessor):
    """nbconvert preprocessor (feedback pages): the notebook's content cleaned as above."""

    enabled = Bool(True, help="nbconvert preprocessors are off unless enabled; listing this one in "
                              "GenerateFeedback.preprocessors is meant to use it.").tag(config=True)

    def preprocess(self, nb, resources):
        clean_notebook(nb)
        return nb, resources
