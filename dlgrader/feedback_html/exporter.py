"""The HTML exporter of students' feedback pages (nbgrader's GenerateFeedback uses it, see
nbgrader_config.py): nbconvert's HTMLExporter with dlgrader's template and its math filter.

Its settings sit in its own config section, which outranks the `HTMLExporter` settings nbgrader
applies to every feedback run (the Formgrader's "generate feedback" forces its own template there),
so every way of generating feedback gives the same page, while the Formgrader's own HTMLExporter,
which shows submissions to the instructor, is left as it is.
"""
from __future__ import annotations

from pathlib import Path

from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.metadata import get_metadata
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from traitlets.config import Config

from .memo import Memo

TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE = "dlgrader_feedback"
NO_ALT = "No description has been provided for this image"
IMAGES = ("image/png", "image/jpeg")
_highlighted = Memo()


class KeptHighlight(Highlight2HTML):
    """nbconvert's code highlighting, each cell's rendering kept (memo.py): the test cells and the
    given code are the same on every student's page."""

    def __call__(self, source, language=None, metadata=None):
        key = (self.pygments_lexer, language, (metadata or {}).get("magics_language"),
               repr(sorted(self.extra_formatter_options.items())), source)
        return _highlighted.get(key, source, lambda: super(KeptHighlight, self).__call__(source, language, metadata))


def describe_images(nb, resources):
    """Give every PNG/JPEG output without an alt text the one nbconvert's HTMLExporter adds (the
    template reads it from the output's or the cell's metadata), so a screen reader says what it
    is. Runs on the exporter's copy of the notebook."""
    for cell in nb.cells:
        if cell.get("metadata", {}).get("alt"):
            continue
        for output in cell.get("outputs", ()):
            if any(m in output.get("data", {}) and not get_metadata(output, "alt", m) for m in IMAGES):
                output.setdefault("metadata", {})["alt"] = NO_ALT
    return nb, resources


class FeedbackExporter(HTMLExporter):
    def __init__(self, config=None, **kwargs):
        merged = Config(config) if config is not None else Config()
        merged.merge(Config({"FeedbackExporter": {
            "template_name": TEMPLATE,
            "extra_template_basedirs": [str(TEMPLATES)],
            "filters": {"markdown_offline": "dlgrader.feedback_html.math.markdown_to_html",
                        "clean_html": "dlgrader.feedback_html.sanitize.clean_html"},
            # the notebook is validated once, after the last preprocessor, not after each of ten
            "optimistic_validation": True,
        }}))
        super().__init__(config=merged, **kwargs)
        self.register_preprocessor(describe_images, enabled=True)

    def from_notebook_node(self, nb, resources=None, **kw):
        """HTMLExporter's, without its last step: parsing the whole page with BeautifulSoup and
        printing it again (a third of the time of a page) to add alt texts, which describe_images
        gives, and the tab stops of JupyterLab's template, which this template does not use."""
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        highlight_code = self.filters.get("highlight_code", KeptHighlight(pygments_lexer=lexer, parent=self))
        resources = self._init_resources(resources)
        self.register_filter("highlight_code", highlight_code)
        self.register_filter("filter_data_type", WidgetsDataTypeFilter(
            notebook_metadata=self._nb_metadata, parent=self, resources=resources))
        return TemplateExporter.from_notebook_node(self, nb, resources, **kw)
