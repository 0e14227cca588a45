"""The HTML exporter of students' feedback pages (nbgrader's GenerateFeedback uses it, see
nbgrader_config.py): nbconvert's HTMLExporter with dlgrader's template and its math filter.

Its settings sit in its own config section, which outranks the `HTMLExporter` settings nbgrader
applies to every feedback run (the Formgrader's "generate feedback" forces its own template there),
so every way of generating feedback gives the same page, while the Formgrader's own HTMLExporter,
which shows submissions to the instructor, is left as it is.
"""
from __future__ import annotations

from pathlib import Path

from nbconvert.exporters import HTMLExporter
from traitlets.config import Config

TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE = "dlgrader_feedback"


class FeedbackExporter(HTMLExporter):
    def __init__(self, config=None, **kwargs):
        merged = Config(config) if config is not None else Config()
        merged.merge(Config({"FeedbackExporter": {
            "template_name": TEMPLATE,
            "extra_template_basedirs": [str(TEMPLATES)],
            "filters": {"markdown_offline": "dlgrader.feedback_html.math.markdown_to_html",
                        "clean_html": "dlgrader.feedback_html.sanitize.clean_html"},
        }}))
        super().__init__(config=merged, **kwargs)
