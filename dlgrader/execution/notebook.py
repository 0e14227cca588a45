"""Grade one submitted notebook against its source version: plan the cells, run them, collect.

The plan follows the student's cell order like nbgrader, but every test and locked cell comes
from source/ (a deleted or edited test cell is restored, and runs after the student's code), and
answer cells keep only the student's code. Unreadable notebooks (invalid JSON, not UTF-8, too
large) get a recorded reason instead of stopping anything.
"""
from __future__ import annotations

import base64
import copy
import json
import time

import nbformat

from .checksum import compute_checksum

from ..feedback_html.sanitize import clean_notebook
from ..verdicts.integrity import scan_cell
from .faults import STUDENT_NOTE, is_grader_error
from .engine import CellOutcome, Limits, Sandboxed, outcome_dict, run_test_cell
from ..sandbox.session import Zygote

MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024        # what is graded: the notebook without its outputs
MAX_RAW_NOTEBOOK_BYTES = 64 * 1024 * 1024    # what is read at all: the file, stale outputs included


def read_submission(raw: bytes):
    """(notebook without its outputs, None) or (None, reason).

    A notebook is graded on its sources: the outputs it was saved with are dropped (they are the
    student's claims, and grading makes its own), so stale outputs (big printed arrays, many
    images) never push an honest notebook over the size limit."""
    if len(raw) > MAX_RAW_NOTEBOOK_BYTES:
        return None, f"notebook is {len(raw) / 2**20:.0f} MB, over the {MAX_RAW_NOTEBOOK_BYTES // 2**20} MB limit"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"notebook is not UTF-8 text (byte {exc.start})"
    try:
        nb = nbformat.reader.reads(text)          # parse only; full schema validation is slow
        if nb.get("nbformat") != 4:
            nb = nbformat.convert(nb, 4)
    except Exception as exc:
        return None, f"notebook is not valid JSON/ipynb ({str(exc).splitlines()[0][:120]})"
    del text
    if not isinstance(nb.get("cells"), list):
        return None, "notebook has no cells"
    for cell in nb.cells:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
    size = len(json.dumps(nb, ensure_ascii=False).encode("utf-8"))
    if size > MAX_NOTEBOOK_BYTES:
        return None, (f"notebook is {size / 2**20:.0f} MB without its outputs, over the "
                      f"{MAX_NOTEBOOK_BYTES // 2**20} MB limit")
    return nb, None


def _meta(cell) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def _is_test(cell) -> bool:
    m = _meta(cell)
    return cell.cell_type == "code" and bool(m.get("grade")) and not m.get("solution")


def plan(student, source) -> tuple[list, list[str]]:
    """[(kind, cell)] in run order, plus notes on what had to be repaired."""
    by_id = {_meta(c).get("grade_id"): c for c in source.cells if _meta(c).get("grade_id")}
    steps, seen, notes = [], set(), []
    for cell in student.cells:
        if not isinstance(cell, dict) or "source" not in cell:
            continue
        gid = _meta(cell).get("grade_id")
        src = by_id.get(gid) if isinstance(gid, str) and gid not in seen else None
        if src is None:
            steps.append(("student" if cell.get("cell_type") == "code" else "text", cell))
            continue
        seen.add(gid)
        m = _meta(src)
        if _is_test(src):
            steps.append(("test", copy.deepcopy(src)))
        elif m.get("solution"):
            answer = copy.deepcopy(src)
            answer.source = cell.get("source", "") if isinstance(cell.get("source"), str) else "".join(cell["source"])
            kind = "manual" if m.get("grade") else "answer"
            steps.append((kind if src.cell_type == "code" else f"{kind}-text", answer))
        else:
            steps.append(("setup" if src.cell_type == "code" else "text", copy.deepcopy(src)))
    missing = [c for c in source.cells if _meta(c).get("grade_id") and _meta(c).get("grade_id") not in seen]
    for src in missing:
        m = _meta(src)
        if _is_test(src):
            steps.append(("test", copy.deepcopy(src)))
            notes.append(f"test cell {m['grade_id']} was missing or edited out; restored from source")
        elif m.get("locked") and src.cell_type == "code":
            steps.insert(0, ("setup", copy.deepcopy(src)))
        elif m.get("grade"):
            blank = copy.deepcopy(src)
            steps.append(("manual-missing", blank))
            notes.append(f"answer cell {m['grade_id']} was missing (metadata stripped?)")
    return steps, notes


def grade_notebook(raw: bytes, source, release, zygote: Zygote, limits: Limits, transform=None) -> dict:
    """Grade one notebook; returns plain data (outcomes, the autograded notebook as JSON, flags).

    The autograded notebook comes out with its student HTML cleaned (feedback_html/sanitize.py;
    "sanitized" counts what was changed): Formgrader renders it in the TA's session. It is cleaned
    here, where it is built, so the coordinator that writes it (gradebook/writer.py) needs neither
    to parse nor to clean it again; this is the trusted grading process, the student's code ran in
    the sandbox."""
    started = time.monotonic()
    student, problem = read_submission(raw)
    test_cells = [c for c in source.cells if _is_test(c) or (_meta(c).get("grade") and _meta(c).get("solution"))]
    if student is None:
        outcomes = [CellOutcome(_meta(c)["grade_id"], "test" if _is_test(c) else "manual",
                                float(_meta(c).get("points", 0)), score=0.0, needs_manual=True, reason=problem)
                    for c in test_cells]
        return {"status": "unreadable", "reason": problem, "cells": [outcome_dict(o) for o in outcomes],
                "autograded": None, "sanitized": 0, "flags": [], "notes": [], "stops": [],
                "seconds": time.monotonic() - started}
    release_checksums = {_meta(c).get("grade_id"): _meta(c).get("checksum") for c in release.cells}
    steps, notes = plan(student, source)
    box = Sandboxed(zygote, limits)
    outcomes, flags, cells_out = [], [], []
    checks_cpu = 0.0          # the worker's CPU in the checks: with the sandbox's, the grading floor
    deadline = started + limits.notebook_seconds
    try:
        for kind, cell in steps:
            cell = nbformat.from_dict(cell)
            gid = _meta(cell).get("grade_id", "")
            if kind in ("student", "answer", "manual") and cell.source.strip():
                flags += [f.to_dict() for f in scan_cell(cell.source, gid or "(unlabelled)", transform)]
            if kind == "test":
                points = float(_meta(cell).get("points", 0))
                if time.monotonic() > deadline:
                    score, report, error, records = 0.0, "", "notebook time limit exceeded", []
                else:
                    cpu = time.process_time()
                    score, report, error, records = run_test_cell(cell.source, box, points)
                    checks_cpu += time.process_time() - cpu
                cell.metadata["dlgrader"] = {"checks": records}     # the feedback policy reads them
                if is_grader_error(error):   # the course's code failed: not the student's 0
                    cell.outputs = _test_outputs(report, score, STUDENT_NOTE)
                    outcomes.append(CellOutcome(gid, "test", points, None, report, error, needs_manual=True,
                                                reason=STUDENT_NOTE, checks=records))
                    cells_out.append(cell)
                    continue
                cell.outputs = _test_outputs(report, score, error)
                outcomes.append(CellOutcome(gid, "test", points, score, report, error,
                                            needs_manual=bool(error and "stopped" in error), reason=error,
                                            checks=records))
            elif cell.cell_type == "code" and kind in ("student", "setup", "answer", "manual"):
                if time.monotonic() > deadline:
                    reply = {"error": "notebook time limit exceeded"}
                else:
                    reply = box.run_cell(cell.source)
                cell.outputs = _code_outputs(reply)
                cell.execution_count = None
            if kind in ("manual", "manual-text", "manual-missing"):
                points = float(_meta(cell).get("points", 0))
                unchanged = kind == "manual-missing" or compute_checksum(cell) == release_checksums.get(gid)
                outcomes.append(CellOutcome(gid, "manual", points, 0.0 if unchanged else None,
                                            needs_manual=not unchanged,
                                            reason="" if kind != "manual-missing" else "answer cell missing"))
            cells_out.append(cell)
    finally:
        box.close()
    autograded = copy.deepcopy(student)
    autograded.cells = cells_out
    sanitized = clean_notebook(autograded)
    return {"status": "graded", "reason": "", "cells": [outcome_dict(o) for o in outcomes],
            "autograded": json.dumps(autograded, indent=1, sort_keys=True, ensure_ascii=False),
            "sanitized": sanitized, "flags": flags, "notes": notes,
            "stops": list(box.stops), "seconds": time.monotonic() - started,
            "floor_cpu": checks_cpu + box.cpu}


def _stream(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": text}


def _error(text: str) -> dict:
    name, _, value = text.partition(": ")
    return {"output_type": "error", "ename": name[:60] or "Error", "evalue": value[:500], "traceback": [text[:600]]}


def _test_outputs(report: str, score: float, error: str) -> list:
    outputs = [_stream(report)] if report else []
    if error:
        outputs.append(_error(error))
    else:
        outputs.append({"output_type": "execute_result", "data": {"text/plain": repr(float(score))},
                        "metadata": {}, "execution_count": None})
    return outputs


def _code_outputs(reply: dict) -> list:
    outputs = []
    text = reply.get("output")
    if isinstance(text, str) and text:
        outputs.append(_stream(text[:20000]))
    images = reply.get("images")
    for png in (images if isinstance(images, list) else [])[:3]:
        if _is_png(png):
            outputs.append({"output_type": "display_data", "data": {"image/png": png}, "metadata": {}})
    error = reply.get("error")
    if isinstance(error, str) and error:
        outputs.append(_error(error))
    return outputs


def _is_png(data) -> bool:
    if not isinstance(data, str) or len(data) > 2_000_000:
        return False
    try:
        return base64.b64decode(data, validate=True)[:8] == b"\x89PNG\r\n\x1a\n"
    except ValueError:
        return False
