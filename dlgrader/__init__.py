"""dlgrader: auto-grading for the "Mathematical Toolkit for Deep Learning" course, on top of nbgrader.

The pipeline reads from the package layout: authoring (source -> release), collection (exchange),
sandbox (the trust boundary), execution (grading runs), verdicts (checks against the reference), gradebook, feedback,
report. `dlgrader.cli` is the thin command-line front.
"""
__version__ = "0.1.0"
