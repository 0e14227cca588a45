"""The course's private files: what a student account must not read, and the modes that keep it so.

`dlgrader build` applies the modes (`make_private`); every dlgrader command creates a missing private
folder with them (`ensure_folders`), so nothing made later inside comes out reachable by others;
`dlgrader doctor` (doctor.py) checks what a student account can actually reach.
"""
from __future__ import annotations

import grp
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from .course import Course
from .errors import DlgraderError

# Folders of the course root that hold solutions, hidden tests, submissions, grades or logs.
FOLDERS = ("source", "reference", "submitted", "autograded", "feedback", "logs")
# Made by dlgrader or nbgrader as the course runs (source/ and reference/ come with the course).
MADE_LATER = ("submitted", "autograded", "feedback", "logs")


@dataclass(frozen=True)
class Modes:
    folder: int          # 0o700, or 0o2750 with a course group
    file: int            # 0o600, or 0o640
    gid: int             # the course group's id, or -1 (keep the group)


def modes(course: Course) -> Modes:
    from . import settings
    group = settings.load(course).course_group
    if not group:
        return Modes(0o700, 0o600, -1)
    try:
        gid = grp.getgrnam(group).gr_gid
    except KeyError:
        raise DlgraderError(f"c.Dlgrader.course_group = {group!r}: no such Unix group") from None
    return Modes(0o2750, 0o640, gid)


def sqlite_file(course: Course) -> Path | None:
    """The gradebook's file when the database is SQLite (None for a database server)."""
    url = course.db_url
    if not url.startswith("sqlite:///"):
        return None
    return Path(url[len("sqlite:///"):])


def secret_file(course: Course) -> Path:
    from . import settings
    return settings.load(course).secret_path(course)


def private_files(course: Course) -> list[Path]:
    """The gradebook (SQLite, with its journal files) and the course secret, where they exist."""
    files = [secret_file(course)]
    db = sqlite_file(course)
    if db is not None:
        files += [db, *(db.with_name(db.name + s) for s in ("-journal", "-wal", "-shm"))]
    return [f for f in files if f.exists()]


def private_paths(course: Course) -> list[Path]:
    """Everything a student account must not read: the private folders and files."""
    return [course.root / name for name in FOLDERS] + private_files(course)


def _apply(path: Path, mode: int, gid: int) -> None:
    st = path.lstat()
    if stat.S_ISLNK(st.st_mode):
        raise DlgraderError(f"{path} is a symbolic link; the course's private files must be real files")
    if gid != -1 and st.st_gid != gid:
        os.chown(path, -1, gid, follow_symlinks=False)
    if stat.S_IMODE(st.st_mode) != mode:
        os.chmod(path, mode)


def ensure_folders(course: Course, names=MADE_LATER) -> None:
    """Create the missing private folders with the private mode (existing ones are left as they are)."""
    m = None
    for name in names:
        path = course.root / name
        if path.is_dir():
            continue
        m = m or modes(course)
        try:
            path.mkdir(mode=m.folder & 0o777)
        except FileExistsError:
            continue
        _apply(path, m.folder, m.gid)


def make_private(course: Course) -> list[Path]:
    """Give every private folder and file its private mode (and the course group); create the
    folders made later. The folders' contents keep their modes: others cannot pass the folder."""
    m = modes(course)
    ensure_folders(course)
    paths = [p for p in private_paths(course) if p.exists()]
    for path in paths:
        _apply(path, m.folder if path.is_dir() else m.file, m.gid)
    return paths
