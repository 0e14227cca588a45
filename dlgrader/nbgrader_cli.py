"""Running nbgrader's own command-line apps on the course, with their log kept and progress shown."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Callable, Optional

from .course import Course
from .errors import DlgraderError

NBGRADER = [sys.executable, "-m", "nbgrader"]


def run(course: Course, *args: str, log_name: str, on_line: Optional[Callable[[str], None]] = None,
        check: bool = True, env: Optional[dict] = None) -> subprocess.CompletedProcess:
    """Run `nbgrader ARGS` in the course root; keep its output in logs/LOG_NAME.log.

    `on_line` sees each log line as it arrives (for progress). With check=True a failure becomes a
    one-line DlgraderError naming the log file. ENV: nbgrader's environment (default: the course's).
    """
    logs = course.root / "logs"
    logs.mkdir(mode=0o700, exist_ok=True)      # owner-only, as `dlgrader build` leaves it
    log_path = logs / f"{log_name}.log"
    # Course id, exchange and gradebook: nbgrader reads them from the course's nbgrader_config.py,
    # as dlgrader does (config.py); no flag here may differ from that file.
    cmd = [*NBGRADER, *args, f"--CourseDirectory.root={course.root}"]
    lines: list[str] = []
    with open(log_path, "w", encoding="utf-8") as log:
        log.write("$ " + " ".join(cmd) + "\n")
        proc = subprocess.Popen(cmd, cwd=course.root, env=course.environment() if env is None else env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
        assert proc.stdout is not None
        for line in proc.stdout:
            log.write(line)
            lines.append(line)
            if on_line:
                on_line(line)
        proc.wait()
    result = subprocess.CompletedProcess(cmd, proc.returncode, "".join(lines), "")
    if check and proc.returncode != 0:
        raise DlgraderError(f"nbgrader {args[0]} failed: {last_error(result.stdout)} (full log: {log_path})")
    return result


_ERROR = re.compile(r"\[\w+ \| (ERROR|CRITICAL)\] (.*)")


def last_error(output: str) -> str:
    """The most useful one-line error in an nbgrader log: an exception line beats a generic one."""
    lines = output.splitlines()
    found = []
    for i, line in enumerate(lines):
        match = _ERROR.search(line)
        if not match:
            continue
        text = match.group(2).strip()
        if text.startswith("Traceback"):
            body = []
            for follow in lines[i + 1:]:
                if follow.startswith("["):
                    break
                if follow.strip():
                    body.append(follow.strip())
            text = body[-1] if body else text
        found.append(text)
    useful = [f for f in found if not f.startswith(("Please see", "There was an error"))]
    if useful or found:
        return (useful or found)[0]
    return (output.strip().splitlines() or ["no output"])[-1]


def log_path(course: Course, name: str) -> Path:
    return course.root / "logs" / f"{name}.log"
