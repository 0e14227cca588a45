"""The course's trusted reference: one NumPy implementation of every graded function and answer.

This package is course content, not part of the `dlgrader` tool. It is never copied into `release/`,
never installed into the Python environment, and only loaded by the grader (see
`dlgrader.verdicts.reference`). Hidden test suites live in `reference.suites`.
"""
from . import cohort, concepts, mistakes, ps1, ps2, ps3, ps4, toolkit  # noqa: F401
