"""`dlgrader export`: nbgrader's own CSV export of the gradebook."""
from __future__ import annotations

import csv
from pathlib import Path

from .. import nbgrader_cli
from ..course import Course


def export_csv(course: Course, path: Path) -> list[dict]:
    path = Path(path).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    nbgrader_cli.run(course, "export", f"--to={path}", log_name="export")
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))
