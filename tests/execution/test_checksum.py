"""dlgrader's cell checksum equals nbgrader's (a worker computes it without importing nbgrader)."""
from __future__ import annotations

import nbformat
from hypothesis import given, settings, strategies as st
from nbgrader.utils import compute_checksum as nbgrader_checksum

from dlgrader.execution.checksum import compute_checksum

from ..conftest import ROOT


def test_equal_on_every_nbgrader_cell_of_the_course():
    cells = [c for path in sorted((ROOT / "source").rglob("*.ipynb"))
             for c in nbformat.read(str(path), as_version=4).cells if "nbgrader" in c.metadata]
    assert len(cells) > 20
    for cell in cells:
        assert compute_checksum(cell) == nbgrader_checksum(cell), cell.metadata.nbgrader


flags = st.one_of(st.booleans(), st.none(), st.just(1), st.just(""))


@settings(max_examples=300, deadline=None)
@given(source=st.text(max_size=200), kind=st.sampled_from(["code", "markdown"]), grade=flags,
       solution=flags, locked=flags, points=st.one_of(st.integers(0, 100), st.floats(0, 100)),
       grade_id=st.text(min_size=1, max_size=30))
def test_equal_on_generated_cells(source, kind, grade, solution, locked, points, grade_id):
    meta = {"grade_id": grade_id, "points": points}
    for key, value in (("grade", grade), ("solution", solution), ("locked", locked)):
        if value is not None:
            meta[key] = value
    make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    cell = make(source=source, metadata={"nbgrader": meta})
    assert compute_checksum(cell) == nbgrader_checksum(cell)
