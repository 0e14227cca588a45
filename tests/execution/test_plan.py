"""`plan(student, source)`: which cells run, in what order, from where: the student's code for answers,
source/'s copy for every test and locked cell, whatever the student did to the notebook (deleted,
edited, duplicated or retyped grade cells; odd metadata). Pure: no kernel, no sandbox.

The source is a small fixture notebook (tests/fixtures/plan_source.ipynb) with one cell of every
nbgrader kind; student notebooks are that notebook with answers filled in, then damaged, and read
back through `read_submission` as the grader reads them.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import nbformat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlgrader.execution.notebook import plan, read_submission

SOURCE_PATH = Path(__file__).resolve().parent.parent / "fixtures" / "plan_source.ipynb"
SOURCE = nbformat.read(str(SOURCE_PATH), as_version=4)

ANSWERS = {   # grade_id -> what the student typed
    "double": "def double(x):\n    return x + x",
    "plot": "import matplotlib.pyplot as plt\nplt.plot([0, 1], [0, 2])",
    "explain": "It multiplies by two.",
}
TESTS = ["double-test", "double-array-test"]


def gid(cell):
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta.get("grade_id") if isinstance(meta, dict) else None


def by_id(nb, grade_id):
    return next(c for c in nb.cells if gid(c) == grade_id)


def student_notebook():
    """What an honest student submits: the source with the answers typed in."""
    nb = copy.deepcopy(SOURCE)
    for cell in nb.cells:
        if gid(cell) in ANSWERS:
            cell.source = ANSWERS[gid(cell)]
    return nb


def through_reader(nb) -> nbformat.NotebookNode:
    """Serialise and read back exactly as the grader does (outputs dropped, lines joined)."""
    student, problem = read_submission(json.dumps(nb).encode("utf-8"))
    assert problem is None, problem
    return student


def summary(steps):
    return [(kind, gid(cell)) for kind, cell in steps]


HONEST_ORDER = [("text", "intro"), ("setup", "imports"), ("answer", "double"), ("test", "double-test"),
                ("manual", "plot"), ("manual-text", "explain"), ("test", "double-array-test"), ("text", None)]


def test_an_honest_notebook_runs_in_its_own_order_with_the_students_answers():
    steps, notes = plan(through_reader(student_notebook()), SOURCE)
    assert summary(steps) == HONEST_ORDER
    assert notes == []
    for kind, cell in steps:
        if gid(cell) in ANSWERS:
            assert cell.source == ANSWERS[gid(cell)]
        elif gid(cell):
            assert cell.source == by_id(SOURCE, gid(cell)).source
    assert steps[-1][1].source == "Notes with no nbgrader metadata."


def test_answer_cells_keep_the_students_code_but_the_sources_metadata():
    nb = student_notebook()
    meta = by_id(nb, "double").metadata.nbgrader
    meta.update(grade=True, points=100, solution=False, locked=True)     # the student's own "upgrade"
    steps, notes = plan(through_reader(nb), SOURCE)
    assert summary(steps) == HONEST_ORDER and notes == []
    answer = steps[2][1]
    assert answer.source == ANSWERS["double"]
    assert answer.metadata.nbgrader == by_id(SOURCE, "double").metadata.nbgrader
    assert "points" not in answer.metadata.nbgrader


def test_an_edited_test_cell_runs_the_source_version():
    nb = student_notebook()
    by_id(nb, "double-test").source = "pass  # all good"
    by_id(nb, "double-test").metadata.nbgrader["points"] = 50
    steps, notes = plan(through_reader(nb), SOURCE)
    assert summary(steps) == HONEST_ORDER and notes == []
    test = steps[3][1]
    assert test.source == by_id(SOURCE, "double-test").source
    assert "### BEGIN HIDDEN TESTS" in test.source
    assert test.metadata.nbgrader["points"] == 2


def test_a_deleted_test_cell_is_restored_after_the_students_code_with_a_note():
    nb = student_notebook()
    nb.cells = [c for c in nb.cells if gid(c) != "double-test"]
    steps, notes = plan(through_reader(nb), SOURCE)
    expected = [s for s in HONEST_ORDER if s[1] != "double-test"] + [("test", "double-test")]
    assert summary(steps) == expected
    assert steps[-1][1].source == by_id(SOURCE, "double-test").source
    assert notes == ["test cell double-test was missing or edited out; restored from source"]


def test_a_test_cell_with_its_metadata_stripped_is_student_code_and_the_test_still_runs():
    nb = student_notebook()
    cell = by_id(nb, "double-test")
    cell.metadata = {}
    cell.source = "double = lambda x: 4"          # what the student put in the unlabelled cell
    steps, notes = plan(through_reader(nb), SOURCE)
    assert summary(steps)[3] == ("student", None) and steps[3][1].source == "double = lambda x: 4"
    assert summary(steps)[-1] == ("test", "double-test")
    assert [kind for kind, _ in steps].count("test") == 2
    assert notes == ["test cell double-test was missing or edited out; restored from source"]


def test_a_duplicated_test_cell_is_graded_once_and_the_copy_runs_as_student_code():
    nb = student_notebook()
    i = next(i for i, c in enumerate(nb.cells) if gid(c) == "double-test")
    copy_ = copy.deepcopy(nb.cells[i])
    copy_.source = "print('copy')"
    nb.cells.insert(i + 1, copy_)
    steps, notes = plan(through_reader(nb), SOURCE)
    assert summary(steps) == HONEST_ORDER[:4] + [("student", "double-test")] + HONEST_ORDER[4:]
    assert steps[4][1].source == "print('copy')"
    assert notes == []


def test_a_duplicated_answer_cell_grades_the_first_copy():
    nb = student_notebook()
    i = next(i for i, c in enumerate(nb.cells) if gid(c) == "double")
    second = copy.deepcopy(nb.cells[i])
    second.source = "def double(x):\n    return 0"
    nb.cells.insert(i + 1, second)
    steps, _ = plan(through_reader(nb), SOURCE)
    assert summary(steps)[2:4] == [("answer", "double"), ("student", "double")]
    assert steps[2][1].source == ANSWERS["double"] and steps[3][1].source == "def double(x):\n    return 0"


def test_retyped_cells_keep_the_source_cell_type():
    nb = student_notebook()
    test = by_id(nb, "double-test")
    test.cell_type = "markdown"
    del test["outputs"], test["execution_count"]
    answer = by_id(nb, "double")
    answer.cell_type = "markdown"
    del answer["outputs"], answer["execution_count"]
    explain = by_id(nb, "explain")
    explain.cell_type, explain.outputs, explain.execution_count = "code", [], None
    steps, notes = plan(through_reader(nb), SOURCE)
    assert summary(steps) == HONEST_ORDER and notes == []
    assert steps[2][1].cell_type == "code" and steps[2][1].source == ANSWERS["double"]
    assert steps[3][1].cell_type == "code" and steps[3][1].source == by_id(SOURCE, "double-test").source
    assert steps[5][1].cell_type == "markdown" and steps[5][1].source == ANSWERS["explain"]


def test_a_deleted_setup_cell_runs_first_and_deleted_graded_answers_become_missing():
    nb = student_notebook()
    nb.cells = [c for c in nb.cells if gid(c) not in ("imports", "plot", "explain", "double")]
    steps, notes = plan(through_reader(nb), SOURCE)
    assert summary(steps) == [("setup", "imports"), ("text", "intro"), ("test", "double-test"),
                              ("test", "double-array-test"), ("text", None),
                              ("manual-missing", "plot"), ("manual-missing", "explain")]
    assert steps[5][1].source == by_id(SOURCE, "plot").source      # the blank for the gradebook
    assert notes == ["answer cell plot was missing (metadata stripped?)",
                     "answer cell explain was missing (metadata stripped?)"]


def test_cells_without_source_or_not_objects_are_skipped():
    nb = student_notebook()
    raw = json.loads(json.dumps(nb))
    del raw["cells"][0]["source"]                 # the intro, now a cell without source
    student, problem = read_submission(json.dumps(raw).encode())
    assert problem is None
    steps, _ = plan(student, SOURCE)
    assert summary(steps)[0] == ("setup", "imports")
    assert ("text", "intro") not in summary(steps)


@pytest.mark.parametrize("odd", [
    {"nbgrader": "yes"}, {"nbgrader": None}, {"nbgrader": [1, 2]}, {"nbgrader": {"grade_id": 7}},
    {"nbgrader": {"grade_id": None, "grade": True}}, {"nbgrader": {"grade_id": ["double-test"]}},
    {"nbgrader": {"grade_id": {"id": "double-test"}}}, {"nbgrader": {"grade_id": True}},
], ids=["str", "null", "list", "int-id", "null-id", "list-id", "dict-id", "bool-id"])
def test_odd_metadata_on_a_test_cell_makes_it_student_code_and_restores_the_test(odd):
    nb = student_notebook()
    cell = by_id(nb, "double-test")
    cell.metadata = odd
    cell.source = "print('mine')"
    steps, notes = plan(through_reader(nb), SOURCE)
    assert summary(steps)[3][0] == "student" and steps[3][1].source == "print('mine')"
    assert summary(steps)[-1] == ("test", "double-test")
    assert notes == ["test cell double-test was missing or edited out; restored from source"]


# ---- generated notebooks ------------------------------------------------------------------------

ODD_META = st.one_of(
    st.just({}), st.just({"nbgrader": None}), st.just({"nbgrader": "x"}), st.just({"nbgrader": []}),
    st.builds(lambda v: {"nbgrader": {"grade_id": v}},
              st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.text(max_size=3),
                        st.lists(st.text(max_size=2), max_size=2),
                        st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),
                        st.sampled_from([gid(c) for c in SOURCE.cells if gid(c)]))),
    st.builds(lambda g, s, p: {"nbgrader": {"grade_id": "double-test", "grade": g, "solution": s, "points": p}},
              st.booleans(), st.booleans(), st.integers(0, 100)),
)
OPS = st.sampled_from(["keep", "delete", "duplicate", "retype", "edit", "odd", "strip"])
CELL_TEXT = st.text(alphabet="abc =()\n#", max_size=20)


def code_cell(source, metadata):
    return {"cell_type": "code", "execution_count": None, "metadata": metadata, "outputs": [], "source": source}


def markdown_cell(source, metadata):
    return {"cell_type": "markdown", "metadata": metadata, "source": source}


HONEST_CELLS = json.loads(json.dumps(student_notebook().cells))
for _cell in HONEST_CELLS:
    _cell.pop("id", None)


@st.composite
def damaged(draw):
    """A student notebook (plain JSON): each source cell kept, deleted, duplicated, retyped, edited,
    given odd metadata or stripped of it; extra student cells inserted anywhere; two cells swapped."""
    cells = []
    for cell in json.loads(json.dumps(HONEST_CELLS)):
        op = draw(OPS)
        if op == "delete":
            continue
        if op == "retype":
            make = markdown_cell if cell["cell_type"] == "code" else code_cell
            cell = make(cell["source"], cell["metadata"])
        elif op == "edit":
            cell["source"] = draw(CELL_TEXT)
        elif op == "odd":
            cell["metadata"] = draw(ODD_META)
        elif op == "strip":
            cell["metadata"] = {}
        cells.append(cell)
        if op == "duplicate":
            cells.append(dict(json.loads(json.dumps(cell)), source=draw(CELL_TEXT)))
    for _ in range(draw(st.integers(0, 3))):
        cells.insert(draw(st.integers(0, len(cells))), code_cell(draw(CELL_TEXT), draw(ODD_META)))
    if cells and draw(st.booleans()):
        i, j = draw(st.integers(0, len(cells) - 1)), draw(st.integers(0, len(cells) - 1))
        cells[i], cells[j] = cells[j], cells[i]
    return {"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": cells}


def source_ids(pred):
    out = []
    for c in SOURCE.cells:
        m = c.metadata.get("nbgrader", {})
        if m.get("grade_id") and pred(c, m):
            out.append(m["grade_id"])
    return out


TEST_IDS = source_ids(lambda c, m: c.cell_type == "code" and m.get("grade") and not m.get("solution"))
GRADED_ANSWER_IDS = source_ids(lambda c, m: m.get("grade") and m.get("solution"))
SETUP_IDS = source_ids(lambda c, m: c.cell_type == "code" and m.get("locked") and not m.get("grade"))
FROM_SOURCE = {"test", "setup", "answer", "manual", "answer-text", "manual-text", "manual-missing"}


def test_the_fixture_has_every_kind_of_cell():
    assert TEST_IDS == TESTS and GRADED_ANSWER_IDS == ["plot", "explain"] and SETUP_IDS == ["imports"]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged())
def test_any_damage_still_runs_every_source_test_once_and_keeps_the_students_code(nb):
    student = through_reader(nb)
    before = json.dumps(student, sort_keys=True)
    steps, notes = plan(student, SOURCE)
    assert json.dumps(student, sort_keys=True) == before            # the submission is not modified

    # every test of the source runs exactly once, as in source/ (code, metadata, points)
    tests = [cell for kind, cell in steps if kind == "test"]
    assert sorted(gid(c) for c in tests) == sorted(TEST_IDS)
    for cell in tests:
        original = by_id(SOURCE, gid(cell))
        assert cell.source == original.source and cell.metadata == original.metadata
        assert cell.cell_type == "code"

    # whatever comes from source/ comes once per grade id, with the source's metadata
    taken = [gid(cell) for kind, cell in steps if kind in FROM_SOURCE]
    assert len(taken) == len(set(taken))
    for kind, cell in steps:
        if kind in FROM_SOURCE:
            assert cell.metadata == by_id(SOURCE, gid(cell)).metadata
    # every hand-graded answer has exactly one entry for the gradebook; every setup cell runs once
    for grade_id in GRADED_ANSWER_IDS:
        assert [k for k, c in steps if gid(c) == grade_id and k in FROM_SOURCE] in (
            [["manual"], ["manual-text"], ["manual-missing"]])
    assert [gid(c) for k, c in steps if k == "setup"] == SETUP_IDS

    # every student cell appears once, in the student's order; only restored cells are added
    labelled = {gid(s) for s in student.cells if _labelled(s)}
    restored = [i for i, (k, c) in enumerate(steps) if k in FROM_SOURCE and gid(c) not in labelled]
    assert len(steps) == len(student.cells) + len(restored)
    from_student = [c for i, (k, c) in enumerate(steps) if i not in restored]
    for theirs, step in zip(student.cells, from_student):
        if step.metadata == theirs.metadata and step.source == theirs.source:
            continue                           # run as the student wrote it (or identical to source)
        assert gid(step) == gid(theirs)        # else: the source's cell with that grade id
        if step.metadata.nbgrader.get("solution"):
            assert step.source == theirs.source

    # one note per restored test and per missing hand-graded answer, nothing else
    assert len(notes) == len([i for i in restored if steps[i][0] in ("test", "manual-missing")])


def _labelled(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader")
    return isinstance(meta, dict) and isinstance(meta.get("grade_id"), str)
