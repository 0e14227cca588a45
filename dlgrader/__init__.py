"""dlgrader: auto-grading for the "Mathematical Toolkit for Deep Learning" course, on top of nbgrader.

The pipeline reads from the package layout: authoring (source -> release), collection (exchange),
sandbox (the trust boundary), execution (grading runs), verdicts (checks against the reference), gradebook, feedback,
report. `dlgrader.cli` is the thin command-line front.
"""
__version__ = "0.1.0"

import sys as _sys

# jsonschema (under nbformat and the Jupyter server stack) imports `rfc3987_syntax` when it is
# installed, an extra pulled in by jupyter-events, and that compiles an IRI grammar at import time:
# about 1.5 s in every dlgrader process that reads a notebook. dlgrader never validates IRIs (the
# notebook schema has no such format), so jsonschema is left without that optional checker, as if the
# extra were not installed. setdefault: a process that imported it already keeps it.
_sys.modules.setdefault("rfc3987_syntax", None)
