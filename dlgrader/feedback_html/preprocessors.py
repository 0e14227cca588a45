"""nbconvert preprocessor used by `nbgrader generate_feedback` (see nbgrader_config.py)."""
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool


class HideTestTracebacks(Preprocessor):
    """In graded test cells, replace an error's traceback with its one-line summary.

    A traceback can quote lines of hidden test code or reference code; the summary line
    ("NameError: name 'softmax' is not defined") is enough for a student to act on.
    """

    # nbconvert preprocessors are disabled unless enabled, and nbgrader registers the ones listed in
    # GenerateFeedback.preprocessors without enabling them (nbgrader's own default to enabled)
    enabled = Bool(True, help="Replace tracebacks in graded test cells by one line.").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") == "code" and meta.get("grade") and not meta.get("solution"):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"]
        return cell, resources
