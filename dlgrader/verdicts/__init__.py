"""Verdicts: the one check library that every test cell uses.

Test cells build a `Checks` object, run visible checks on the student's functions, and (in the
instructor's version only) run the hidden suite from the course's `reference/` package. Each check
is worth points; when graded, the cell's value is the sum of the points of the checks that passed,
which nbgrader reads as partial credit. On the student's side a cell gives no value: under
`nbgrader validate` it raises when a visible check fails, so validate names exactly the failing
cells. Failure messages say what went wrong in plain words and name the chapter's common mistake
when the student's output matches it.
"""
from .checks import Checks, CheckResult
from .mistakes import Mistake, MistakeBook

__all__ = ["Checks", "CheckResult", "Mistake", "MistakeBook"]
