"""The course directory: where things live, and which assignments and notebooks it has."""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from .errors import DlgraderError

CONFIG_FILE = "nbgrader_config.py"


@dataclass(frozen=True)
class Course:
    root: Path

    @classmethod
    def find(cls, start: Path | str | None = None) -> "Course":
        """The course whose root (holding nbgrader_config.py and source/) contains `start`."""
        here = Path(start or os.getcwd()).resolve()
        for folder in (here, *here.parents):
            if (folder / CONFIG_FILE).is_file() and (folder / "source").is_dir():
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

    @property
    def db_url(self) -> str:
        return os.environ.get("DLGRADER_DB_URL") or f"sqlite:///{self.gradebook_path}"

    @property
    def exchange(self) -> Path:
        return Path(os.environ.get("DLGRADER_EXCHANGE") or self.root / "exchange")

    @property
    def course_id(self) -> str:
        return os.environ.get("DLGRADER_COURSE_ID", "dl-math-toolkit")

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
        """The course's nbgrader_config.py with the same settings the nbgrader commands get
        (nbgrader_cli.run passes them as flags): for nbgrader classes used in this process. With
        MISSING_OK, a folder without the file gets nbgrader's and dlgrader's defaults."""
        from traitlets.config import Config
        from traitlets.config.loader import ConfigFileNotFound, PyFileConfigLoader
        try:
            config = PyFileConfigLoader(CONFIG_FILE, path=str(self.root)).load_config()
        except ConfigFileNotFound:
            if not missing_ok:
                raise
            config = Config()
        config.CourseDirectory.root = str(self.root)
        config.CourseDirectory.course_id = self.course_id
        config.CourseDirectory.db_url = self.db_url
        config.Exchange.root = str(self.exchange)
        return config

    def environment(self) -> dict:
        """Environment for nbgrader commands: the grader side may load the reference."""
        env = dict(os.environ)
        # nbgrader runs tools of its own environment (alembic) by name.
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        env["DLGRADER_REFERENCE"] = str(self.reference)
        env.setdefault("DLGRADER_EXCHANGE", str(self.exchange))
        env.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning")
        return env
