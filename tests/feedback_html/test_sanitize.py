"""Student HTML is cleaned wherever someone else renders it: the autograded notebook (Formgrader) and
the feedback pages; the submission itself stays as it was."""
from __future__ import annotations

import json

import nbformat

from dlgrader.execution.batch import grade_batch
from dlgrader.feedback_html.generate import generate
from dlgrader.feedback_html.sanitize import clean_notebook

from ..conftest import notebook_path, read, submit_notebook
from ..hostile_html import ANSWER, HTML_OUTPUT, PS1, explanation, hostile_ps1, markup_problems

DANGEROUS = ("<script", "onerror", "onload", "javascript:", "<iframe", "<svg", "__pwned")
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


def test_clean_notebook_removes_every_script_form_and_keeps_the_content():
    nb = nbformat.v4.new_notebook(metadata={"widgets": {"application/vnd.jupyter.widget-state+json": {}}})
    nb.cells = [
        nbformat.v4.new_markdown_cell(explanation()),
        nbformat.v4.new_markdown_cell("Plain *answer* with $a<b$, a table\n\n| x | y |\n|---|---|\n| 1 | 2 |"),
        nbformat.v4.new_markdown_cell(f"![plot](data:image/png;base64,{PNG}) <form action='/x'><input></form>"),
        nbformat.v4.new_raw_cell("<object data='x.swf'></object><embed src='x'>raw text"),
        nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output("display_data", data={
            "text/html": HTML_OUTPUT, "image/svg+xml": "<svg onload='alert(1)'/>",
            "application/javascript": "alert(1)", "image/png": PNG, "text/plain": "<HTML>"})]),
    ]
    before = nbformat.writes(nb)
    assert clean_notebook(nb) >= 5
    text = nbformat.writes(nb)
    for word in DANGEROUS + ("<form", "<object", "<embed", "widget-state"):
        assert word not in text, word
    assert word in before
    assert ANSWER in nb.cells[0].source and "x^2(4x - 9)" in nb.cells[0].source
    assert nb.cells[1].source.startswith("Plain *answer*")              # safe markdown left as written
    assert f'src="data:image/png;base64,{PNG}"' in nb.cells[2].source
    assert "raw text" in nb.cells[3].source
    data = nb.cells[4].outputs[0].data
    assert set(data) == {"text/html", "image/png", "text/plain"} and "<b>html output text</b>" in data["text/html"]


def test_autograded_notebook_and_feedback_are_clean_and_the_submission_untouched(course):
    submitted = submit_notebook(course, "mallory", PS1, hostile_ps1(course))
    original = submitted.read_bytes()
    grade_batch(course, PS1)
    assert submitted.read_bytes() == original
    autograded = notebook_path(course.root, "autograded/mallory", PS1)
    nb = read(autograded)
    markup = "\n".join([c.source for c in nb.cells if c.cell_type != "code"]
                       + [json.dumps(o) for c in nb.cells if c.cell_type == "code" for o in c.outputs])
    for word in DANGEROUS:
        assert word not in markup, word
    explain = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "ps1-explain"]
    assert ANSWER in explain[0].source
    verdicts = json.loads((autograded.parent / "dlgrader-verdicts.json").read_text())
    assert verdicts["gradient_descent"]["sanitized"] >= 1

    # even an autograded notebook written by something else is cleaned in the feedback pages
    autograded.write_text(nbformat.writes(hostile_ps1(course)))
    pages = generate(course, PS1)
    page = [p for p in pages if "mallory" in p.parts][0].read_text()
    assert ANSWER in page and "html output text" in page
    assert markup_problems(page) == []


def test_stock_nbgrader_autograde_keeps_the_html_output_but_cleaned(course):
    """`dlgrader grade --engine nbgrader` runs the student's display(HTML(...)): its output is cleaned."""
    from dlgrader.execution.autograde import grade
    submit_notebook(course, "mallory", PS1, hostile_ps1(course))
    run = grade(course, PS1)
    assert run.failed == []
    nb = read(notebook_path(course.root, "autograded/mallory", PS1))
    html = [o.data["text/html"] for c in nb.cells if c.cell_type == "code" for o in c.outputs
            if "text/html" in o.get("data", {})]
    assert html and "<b>html output text</b>" in html[0]
    assert markup_problems(html[0]) == [] and "<script" not in html[0] and "<iframe" not in html[0]


def test_feedback_exporter_describes_images_without_an_alt_text_and_keeps_given_ones():
    """The feedback exporter skips HTMLExporter's BeautifulSoup pass; its preprocessor gives images
    the same default alt text instead, and leaves an author's own alt text alone."""
    from dlgrader.feedback_html.exporter import NO_ALT, FeedbackExporter
    nb = nbformat.v4.new_notebook()
    plain = nbformat.v4.new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"})
    named = nbformat.v4.new_output("display_data", data={"image/jpeg": PNG},
                                   metadata={"image/jpeg": {"alt": "loss per step"}})
    nb.cells = [nbformat.v4.new_code_cell("plot()", outputs=[plain]), nbformat.v4.new_code_cell("x", outputs=[named])]
    html, _ = FeedbackExporter().from_notebook_node(nb, resources={"nbgrader": {
        "notebook": "n", "score": 0, "max_score": 0, "late_penalty": 0}})
    assert html.count(f'alt="{NO_ALT}"') == 1 and 'alt="loss per step"' in html
    assert "alt" not in nb.cells[0].outputs[0].metadata          # the caller's notebook is not changed
