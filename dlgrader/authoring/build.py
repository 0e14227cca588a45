"""`dlgrader build`: source/ -> release/ with nbgrader's generate_assignment, then a leak check."""
from __future__ import annotations

from pathlib import Path

import nbformat

from .. import nbgrader_cli, privacy, settings
from ..course import Course
from ..errors import DlgraderError
from ..progress import bar
from ..verdicts import seeds

# Text that must never reach a student's copy.
FORBIDDEN = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS",
             "BEGIN MARK SCHEME", "t.hidden(", "DLGRADER_REFERENCE", "reference")


def build(course: Course, assignments: list[str] | None = None) -> list[Path]:
    """Generate release/<assignment>/ for each assignment and register it in the gradebook."""
    names = [course.check_assignment(a) for a in assignments] if assignments else course.assignments()
    # seeds hidden inputs; never committed; made only on a new course (seeds.build_secret)
    seeds.build_secret(settings.load(course).secret_path(course), course.db_url)
    written: list[Path] = []
    with bar("Building release", len(names)) as advance:
        for name in names:
            nbgrader_cli.run(course, "generate_assignment", name, "--force", log_name=f"build-{name}")
            for nb in sorted((course.release / name).glob("*.ipynb")):
                leaks = release_leaks(nb)
                if leaks:
                    raise DlgraderError(f"{nb} would leak {leaks[0]!r} to students; fix the source notebook")
                written.append(nb)
            advance(note=name)
    privacy.make_private(course)      # solutions, hidden tests, submissions, grades: owner (and TAs) only
    return written


def release_leaks(path: Path) -> list[str]:
    """Forbidden strings found in a release notebook (its cells' sources and outputs)."""
    nb = nbformat.read(str(path), as_version=4)
    text = "\n".join(cell.source + "\n" + str(cell.get("outputs", "")) for cell in nb.cells)
    return [word for word in FORBIDDEN if word in text]
