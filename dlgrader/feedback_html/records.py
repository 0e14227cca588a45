"""Test cells' check reports read back into records, for the feedback page to lay out.

A graded test cell prints its `Checks.report()`, whichever grader ran it (dlgrader's engine or
stock `nbgrader autograde`), and then shows its score as `Out[ ]: 0.5`. `ReadCheckReports` turns
the printed report into `cell.metadata.dlgrader = {"title", "earned", "possible", "checks": [...]}`
and drops both outputs, so the page renders the checks itself (wrapped, marked pass/fail) and
nothing sits under a test cell as noise. Later preprocessors (the summary, or a step that redacts
messages before the due date) work on these records, never on the printed text.
"""
from __future__ import annotations

import re
from typing import Optional

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

HEAD = re.compile(r"^(?P<title>.+): (?P<earned>[-+.\deE]+) / (?P<possible>[-+.\deE]+) points$")
CHECK = re.compile(r"^  \[(?P<mark>PASS|FAIL)\] \((?P<earned>[-+.\deE]+)/(?P<points>[-+.\deE]+)\) (?P<description>.*)$")
MESSAGE_INDENT = " " * 9
MISTAKE = "Common mistake:"


def parse_report(text: str) -> Optional[dict]:
    """The record of one printed `Checks.report()`, or None if TEXT is not one."""
    lines = text.rstrip("\n").splitlines()
    if not lines:
        return None
    head = HEAD.match(lines[0])
    if head is None:
        return None
    checks: list[dict] = []
    for line in lines[1:]:
        check = CHECK.match(line)
        if check:
            checks.append({"description": check["description"], "points": float(check["points"]),
                           "earned": float(check["earned"]), "passed": check["mark"] == "PASS",
                           "message": "", "mistake": ""})
        elif line.startswith(MESSAGE_INDENT) and checks:
            last = checks[-1]
            last["message"] = (last["message"] + " " + line.strip()).strip()
        elif line.strip().startswith("(") and line.strip().endswith(")"):
            continue                     # the "(These are the visible checks; ...)" note
        else:
            return None
    for check in checks:
        message, _, mistake = check["message"].partition(MISTAKE)
        if mistake:
            check["message"], check["mistake"] = message.strip(), mistake.strip()
    return {"title": head["title"], "earned": float(head["earned"]), "possible": float(head["possible"]),
            "checks": checks}


def is_test_cell(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


class ReadCheckReports(Preprocessor):
    """Graded test cells: printed report -> `metadata.dlgrader`; the report and `Out[ ]` dropped."""

    enabled = Bool(True).tag(config=True)    # nbconvert's preprocessors start disabled

    def preprocess_cell(self, cell, resources, index):
        if not is_test_cell(cell):
            return cell, resources
        text = "".join(o.get("text", "") for o in cell.get("outputs", [])
                       if o.get("output_type") == "stream" and o.get("name") == "stdout")
        record = parse_report(text)
        if record is None:
            return cell, resources       # not a check report: left as nbgrader shows it
        cell.metadata["dlgrader"] = record
        cell.outputs = [o for o in cell.outputs
                        if o.get("output_type") not in ("execute_result", "stream")]
        return cell, resources
