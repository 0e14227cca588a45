"""What goes into and comes out of one graded notebook, without running it: `read_submission` (bytes
-> notebook or a reason) and the outputs the autograded notebook gets (`_test_outputs`, `_code_outputs`)."""
from __future__ import annotations

import base64
import json

import nbformat
import pytest

from dlgrader.execution import notebook
from dlgrader.execution.notebook import _code_outputs, _test_outputs, read_submission

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 16).decode()


def raw(cells, **top) -> bytes:
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells, **top}
    return json.dumps(nb).encode("utf-8")


def code(source, outputs=(), count=3):
    return {"cell_type": "code", "metadata": {}, "source": source, "outputs": list(outputs),
            "execution_count": count}


def test_outputs_and_execution_counts_are_dropped_and_lines_joined():
    big = {"output_type": "stream", "name": "stdout", "text": "x" * 1000}
    nb, problem = read_submission(raw([code(["a = 1\n", "b = 2"], [big]), {"cell_type": "markdown",
                                                                           "metadata": {}, "source": "hi"}]))
    assert problem is None
    assert nb.cells[0].source == "a = 1\nb = 2"
    assert nb.cells[0].outputs == [] and nb.cells[0].execution_count is None
    assert nb.cells[1].source == "hi" and "outputs" not in nb.cells[1]


def test_stale_outputs_do_not_count_against_the_size_limit(monkeypatch):
    monkeypatch.setattr(notebook, "MAX_NOTEBOOK_BYTES", 2000)
    huge = {"output_type": "stream", "name": "stdout", "text": "y" * 50_000}
    nb, problem = read_submission(raw([code("print('y' * 50000)", [huge])]))
    assert problem is None and nb.cells[0].outputs == []
    nb, problem = read_submission(raw([code("z = '" + "z" * 5000 + "'")]))
    assert nb is None and problem == "notebook is 0 MB without its outputs, over the 0 MB limit"


def test_a_file_over_the_raw_limit_is_not_parsed(monkeypatch):
    monkeypatch.setattr(notebook, "MAX_RAW_NOTEBOOK_BYTES", 3 * 2**20)
    nb, problem = read_submission(b"{" + b" " * (4 * 2**20))
    assert nb is None and problem == "notebook is 4 MB, over the 3 MB limit"


@pytest.mark.parametrize("data, reason", [
    (b'{"cells": []}\xff', "notebook is not UTF-8 text (byte 13)"),
    (b"{ not json", "notebook is not valid JSON/ipynb ("),
    (b"", "notebook is not valid JSON/ipynb ("),
    (b'{"nbformat": 9, "nbformat_minor": 0, "cells": []}', "notebook is not valid JSON/ipynb (Unsupported nbformat version 9)"),
    (raw(None), "notebook is not valid JSON/ipynb ('NoneType' object is not iterable)"),
    (b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}}',
     "notebook is not valid JSON/ipynb (The notebook is invalid and is missing an expected key: cells)"),
    (b"[1, 2]", "notebook is not valid JSON/ipynb ('list' object has no attribute 'get')"),
], ids=["latin1", "garbage", "empty", "nbformat9", "null-cells", "no-cells", "a-list"])
def test_unreadable_notebooks_get_a_reason(data, reason):
    nb, problem = read_submission(data)
    assert nb is None
    assert problem.startswith(reason), problem


def test_a_version_3_notebook_is_converted():
    v3 = nbformat.v3.new_notebook(worksheets=[nbformat.v3.new_worksheet(cells=[
        nbformat.v3.new_code_cell(input="x = 1", prompt_number=4)])])
    nb, problem = read_submission(nbformat.writes(v3, version=3).encode())
    assert problem is None and nb.nbformat == 4
    assert [(c.cell_type, c.source, c.execution_count) for c in nb.cells] == [("code", "x = 1", None)]


def test_test_cell_outputs_carry_the_report_and_the_score():
    assert _test_outputs("[PASS] (2/2) ok\n", 2.0, "") == [
        {"output_type": "stream", "name": "stdout", "text": "[PASS] (2/2) ok\n"},
        {"output_type": "execute_result", "data": {"text/plain": "2.0"}, "metadata": {}, "execution_count": None}]
    assert _test_outputs("", 0.5, "") == [
        {"output_type": "execute_result", "data": {"text/plain": "0.5"}, "metadata": {}, "execution_count": None}]


def test_a_test_cell_error_is_one_line_with_no_score():
    out = _test_outputs("[FAIL] (0/1) x\n", 0.0, "NameError: name 'softmax' is not defined")
    assert out == [{"output_type": "stream", "name": "stdout", "text": "[FAIL] (0/1) x\n"},
                   {"output_type": "error", "ename": "NameError", "evalue": "name 'softmax' is not defined",
                    "traceback": ["NameError: name 'softmax' is not defined"]}]
    [err] = _test_outputs("", 0.0, "cell stopped: time limit")
    assert (err["ename"], err["evalue"]) == ("cell stopped", "time limit")
    [err] = _test_outputs("", 0.0, "x" * 2000)
    assert len(err["ename"]) == 60 and err["evalue"] == "" and err["traceback"] == ["x" * 600]


def test_code_outputs_keep_text_valid_pngs_and_the_error_only():
    reply = {"output": "hello\n", "images": [PNG, "not base64!", base64.b64encode(b"GIF89a").decode(), PNG],
             "error": "ZeroDivisionError: division by zero"}
    assert _code_outputs(reply) == [
        {"output_type": "stream", "name": "stdout", "text": "hello\n"},
        {"output_type": "display_data", "data": {"image/png": PNG}, "metadata": {}},
        {"output_type": "error", "ename": "ZeroDivisionError", "evalue": "division by zero",
         "traceback": ["ZeroDivisionError: division by zero"]}]


@pytest.mark.parametrize("reply", [{}, {"output": None, "images": None, "error": None},
                                   {"output": 5, "images": "x", "error": ["e"]}, {"output": "", "error": ""}])
def test_code_outputs_ignore_what_is_not_text(reply):
    assert _code_outputs(reply) == []


def test_code_outputs_are_capped():
    reply = {"output": "a" * 30000, "images": [PNG] * 5}
    out = _code_outputs(reply)
    assert len(out[0]["text"]) == 20000
    assert [o["output_type"] for o in out] == ["stream"] + ["display_data"] * 3
