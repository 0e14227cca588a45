"""`dlgrader lab`: JupyterLab on the course with nbgrader's extensions, as the instructor or as a student.

The instructor's server runs in the course root, so nbgrader's extensions read the course's
`nbgrader_config.py` (Formgrader gets the gradebook, the exchange and the course id). A student's
server runs in a home folder outside the course with a small `nbgrader_config.py` of its own: the
same exchange and course id, the student's id (nbgrader would otherwise take the OS user name), and
an environment without the grader's variables, so the student's kernel cannot load `reference/`.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from .course import Course
from .errors import DlgraderError

STUDENT_CONFIG = """\
# Written by `dlgrader lab --student`: this student's view of the course.
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.student_id = {student!r}
c.Exchange.root = {exchange!r}
"""


def student_home(course: Course, student: str, home: Path | str | None) -> Path:
    """The student's folder (default: dlgrader-<course id>-<student> in the system's temp folder).

    It must lie outside the course root: a student's files never sit beside `reference/`."""
    if not student or any(ch in student for ch in "*+/ "):
        raise DlgraderError(f"bad student id {student!r} (no spaces, '/', '*' or '+')")
    import tempfile
    path = Path(home) if home else Path(tempfile.gettempdir()) / f"dlgrader-{course.course_id}-{student}"
    path = path.resolve()
    if path == course.root or course.root in path.parents:
        raise DlgraderError(f"the student's home {path} is inside the course root; pick a folder outside it")
    path.mkdir(parents=True, exist_ok=True)
    (path / "nbgrader_config.py").write_text(STUDENT_CONFIG.format(
        course_id=course.course_id, student=student, exchange=str(course.exchange)), encoding="utf-8")
    return path


def student_environment() -> dict:
    """The environment of a student's server and kernels: none of the grader's variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLGRADER_")}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def command(root_dir: Path, *, port: int, token: str | None, open_browser: bool,
            extra: tuple[str, ...] = ()) -> list[str]:
    """`jupyter lab` serving ROOT_DIR (nbgrader's extensions are enabled in this environment)."""
    cmd = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={root_dir}", f"--port={port}",
           "--ServerApp.port_retries=0", f"--ServerApp.open_browser={open_browser}"]
    if token is not None:
        cmd.append(f"--IdentityProvider.token={token}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    return cmd + list(extra)


def lab(course: Course, *, student: str | None = None, home: Path | str | None = None, port: int = 8888,
        token: str | None = None, open_browser: bool = True, extra: tuple[str, ...] = ()) -> tuple[list[str], Path, dict]:
    """The command, working folder and environment of the instructor's or a student's server."""
    if student is None:
        course.exchange.mkdir(parents=True, exist_ok=True)
        return (command(course.root, port=port, token=token, open_browser=open_browser, extra=extra),
                course.root, course.environment())
    folder = student_home(course, student, home)
    return (command(folder, port=port, token=token, open_browser=open_browser, extra=extra),
            folder, student_environment())
