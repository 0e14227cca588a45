"""The course directory: where things live, and which assignments and notebooks it has."""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from .errors import DlgraderError

CONFIG_FILE = "nbgrader_config.py"
# nbgrader's own Exchange.root default, for a config that sets none (the course's file sets one:
# /srv/nbgrader/exchange unless DLGRADER_EXCHANGE says otherwise).
NBGRADER_EXCHANGE = "/usr/local/share/nbgrader/exchange"


@dataclass(frozen=True)
class Course:
    root: Path

    @classmethod
    def find(cls, start: Path | str | None = None) -> "Course":
        """The course whose root (holding nbgrader_config.py and source/) contains `start`."""
        here = Path(start or os.getcwd()).resolve()
        for folder in (here, *here.parents):
            if (folder / CONFIG_FILE).is_file() and (folder / "source").is_dir() and not _students_copy(folder):
                return cls(folder)
        raise DlgraderError(f"no course found at or above {here} (need {CONFIG_FILE} and source/); "
                            "run from the course root or pass --course")

    # ---- folders -----------------------------------------------------------------------------
    @property
    def source(self) -> Path:
        return self.root / "source"

    @property
    def release(self) -> Path:
        return self.root / "release"

    @property
    def submitted(self) -> Path:
        return self.root / "submitted"

    @property
    def autograded(self) -> Path:
        return self.root / "autograded"

    @property
    def feedback(self) -> Path:
        return self.root / "feedback"

    @property
    def reference(self) -> Path:
        return self.root / "reference"

    @property
    def gradebook_path(self) -> Path:
        return self.root / "gradebook.db"

    # ---- what nbgrader_config.py says (config.py: read as nbgrader reads it, checked, cached) ------
    @property
    def db_url(self) -> str:
        """c.CourseDirectory.db_url; nbgrader's default: gradebook.db in the course root."""
        return self._setting("CourseDirectory", "db_url") or f"sqlite:///{self.gradebook_path}"

    @property
    def exchange(self) -> Path:
        """c.Exchange.root (relative: from the course root); unset, nbgrader's default."""
        return self.root / (self._setting("Exchange", "root") or NBGRADER_EXCHANGE)

    @property
    def course_id(self) -> str:
        """c.CourseDirectory.course_id: a course's config file must set it (nbgrader's exchange needs
        one); a folder without a config file (programmatic use) gets nbgrader's gradebook default."""
        value = self._setting("CourseDirectory", "course_id")
        if not value:
            has_file = self._config_and_file(copied=False)[1]
            if has_file:
                raise DlgraderError(f"{self.root / CONFIG_FILE} sets no c.CourseDirectory.course_id "
                                    "(nbgrader's exchange and dlgrader need one)")
            return "default_course"
        return value

    def _config_and_file(self, copied: bool = True):
        from . import config
        return config.load(self.root, copied)

    def _setting(self, section: str, name: str):
        """A value of the cached configuration, read without changing it (a Config makes a missing
        section when asked for one)."""
        values = dict.get(self._config_and_file(copied=False)[0], section) or {}
        return dict.get(values, name)

    # ---- content -----------------------------------------------------------------------------
    def assignments(self) -> list[str]:
        return sorted(p.name for p in self.source.iterdir()
                      if p.is_dir() and not p.name.startswith(".") and any(p.glob("*.ipynb")))

    def check_assignment(self, name: str) -> str:
        known = self.assignments()
        if name not in known:
            raise DlgraderError(f"unknown assignment {name!r}; this course has: {', '.join(known)}")
        return name

    def notebooks(self, assignment: str) -> list[str]:
        return sorted(p.stem for p in (self.source / assignment).glob("*.ipynb"))

    def submissions(self, assignment: str) -> list[str]:
        """Student ids with a submitted copy of `assignment`."""
        if not self.submitted.is_dir():
            return []
        return sorted(p.name for p in self.submitted.iterdir() if (p / assignment).is_dir())

    def select_submissions(self, assignment: str, students: list[str] | None = None) -> list[str]:
        """The students to grade: all with a submission, or the chosen ones (each must have one)."""
        self.check_assignment(assignment)
        found = self.submissions(assignment)
        if students:
            missing = sorted(set(students) - set(found))
            if missing:
                raise DlgraderError(f"no submission of {assignment} for: {', '.join(missing)}")
            found = sorted(set(students))
        if not found:
            raise DlgraderError(f"no submissions of {assignment} under {self.submitted}/*/{assignment}/ "
                                "(run `dlgrader collect` first)")
        return found

    def nbgrader_config(self, missing_ok: bool = False):
        """The course's nbgrader_config.py (with the Jupyter config folders' files before it, as
        nbgrader reads them), checked: for nbgrader and dlgrader classes used in this process. With
        MISSING_OK, a folder without the file gets nbgrader's and dlgrader's defaults."""
        config, has_file = self._config_and_file()
        if not has_file and not missing_ok:
            raise DlgraderError(f"no {CONFIG_FILE} in {self.root}")
        config.CourseDirectory.root = str(self.root)
        config.CourseDirectory.db_url = self.db_url
        config.Exchange.root = str(self.exchange)
        if has_file:
            config.CourseDirectory.course_id = self.course_id
        return config

    def check_config(self) -> None:
        """Stop (one line, DlgraderError) if the course's configuration does not load or holds an
        unknown dlgrader setting or a value of the wrong type."""
        self.nbgrader_config()
        self.course_id

    def environment(self) -> dict:
        """Environment for nbgrader commands: the grader side may load the reference. (Course id,
        exchange and database come from nbgrader_config.py, which the command reads itself.)"""
        env = dict(os.environ)
        # nbgrader runs tools of its own environment (alembic) by name.
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        env["DLGRADER_REFERENCE"] = str(self.reference)
        env.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning")
        return env


STUDENT_FOLDERS = ("submitted", "autograded", "feedback")


def _students_copy(folder: Path) -> bool:
    """Does FOLDER lie in a course's submitted/, autograded/ or feedback/? A student's submission can
    hold a nbgrader_config.py and source/ of its own; a command run from inside it must not take it
    for the course (the grader would run the student's config as Python)."""
    for above in folder.parents:
        if above.name in STUDENT_FOLDERS and (above.parent / CONFIG_FILE).is_file() \
                and (above.parent / "source").is_dir():
            return True
    return False

