"""Reading the instructor's answers out of source cells (the `### BEGIN/END SOLUTION` regions)."""
from __future__ import annotations

import re

SOLUTION_REGION = re.compile(r"^[ \t]*### BEGIN SOLUTION[^\n]*\n(.*?)^[ \t]*### END SOLUTION[^\n]*\n?",
                             re.S | re.M)
DEFINES = re.compile(r"^(?:def\s+(\w+)|(\w+)\s*=)", re.M)


def answer(source_cell_text: str) -> str:
    """The instructor's answer in a solution cell: the cell with its solution markers removed."""
    return SOLUTION_REGION.sub(lambda m: m.group(1), source_cell_text)


def defined_name(code: str) -> str | None:
    """The function (first `def`) or else the variable (first assignment in the answer) a cell defines."""
    function = re.search(r"^def\s+(\w+)", code, re.M)
    if function:
        return function.group(1)
    region = SOLUTION_REGION.search(code)
    match = DEFINES.search(region.group(1) if region else code)
    return (match.group(1) or match.group(2)) if match else None
