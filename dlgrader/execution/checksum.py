"""nbgrader's cell checksum, computed the same way without importing nbgrader.

A grading worker compares each manually graded answer with the released cell's checksum (an
unchanged answer scores 0 without a person looking). nbgrader.utils.compute_checksum does that, but
importing nbgrader runs its package init, which loads the Jupyter server extensions: about 1.5 s in
every worker before it can grade. This is the same digest (md5 of source, cell type, grade/solution/
locked flags, grade id and points, in nbgrader 0.9's order); tests/execution/test_checksum.py keeps it
equal to nbgrader's on the course's own cells and on generated ones.
"""
from __future__ import annotations

import hashlib


def _flags(cell) -> tuple[bool, bool, bool]:
    meta = cell.metadata.get("nbgrader") if "nbgrader" in cell.metadata else None
    if meta is None:
        return False, False, False
    grade, solution = meta.get("grade", False), meta.get("solution", False)
    locked = False if solution else (True if grade else meta.get("locked", False))
    return grade, solution, locked


def compute_checksum(cell) -> str:
    grade, solution, locked = _flags(cell)
    digest = hashlib.md5()
    for part in (cell.source, cell.cell_type, str(grade), str(solution), str(locked),
                 cell.metadata.nbgrader["grade_id"]):
        digest.update(part.encode("utf-8"))
    if grade:
        digest.update(str(float(cell.metadata.nbgrader["points"])).encode("utf-8"))
    return digest.hexdigest()
