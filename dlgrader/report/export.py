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


# Canvas gradebook import: the columns of Canvas's own gradebook export, which its importer reads
# back: "Student" (Last, First), "ID", "SIS User ID", "SIS Login ID", "Section", then one column per
# assignment; a second row "Points Possible" carries each assignment's maximum. Students are
# matched by SIS User ID / SIS Login ID (nbgrader's student id).
CANVAS_FIXED = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
# Moodle grade import (Grades > Import > CSV file): any identifier column to map users by, then one
# column per grade item.
MOODLE_FIXED = ["Username", "Email address"]


def _scores(course: Course):
    from nbgrader.api import Gradebook, MissingEntry
    with Gradebook(course.db_url, course.course_id) as gb:
        assignments = sorted(gb.assignments, key=lambda a: (a.duedate is None, a.duedate, a.name))
        names = [a.name for a in assignments]
        maxima = {a.name: float(a.max_score) for a in assignments}
        students = []
        for st in sorted(gb.students, key=lambda s: s.id):
            row = {}
            for name in names:
                try:
                    sub = gb.find_submission(name, st.id)
                    row[name] = float(sub.score) - float(sub.late_submission_penalty or 0)
                except MissingEntry:
                    row[name] = 0.0
            students.append((st.id, st.first_name, st.last_name, st.email, row))
    return names, maxima, students


def export_canvas(course: Course, path: Path) -> Path:
    names, maxima, students = _scores(course)
    path = Path(path)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(CANVAS_FIXED + names)
        out.writerow(["    Points Possible", "", "", "", ""] + [f"{maxima[n]:g}" for n in names])
        for sid, first, last, _email, row in students:
            display = f"{last}, {first}" if first and last else sid
            out.writerow([display, "", sid, sid, ""] + [f"{row[n]:g}" for n in names])
    return path


def export_moodle(course: Course, path: Path) -> Path:
    names, _maxima, students = _scores(course)
    path = Path(path)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(MOODLE_FIXED + names)
        for sid, _first, _last, email, row in students:
            out.writerow([sid, email or ""] + [f"{row[n]:g}" for n in names])
    return path
