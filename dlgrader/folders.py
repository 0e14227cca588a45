"""Replacing a folder the grader writes (a collected submission, an autograded one) with renames only:
the new copy is built in a staging folder beside it and swapped in, so a crash at any moment leaves
either the old copy or the new one, and `recover` tidies what a crash left behind."""
from __future__ import annotations

import shutil
from pathlib import Path


def remove(path: Path) -> None:
    """Remove a file, a link (never followed) or a folder tree, if there."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


def swap_in(staging: Path, dest: Path, retired_suffix: str) -> None:
    """Replace DEST by the complete folder STAGING (each rename is atomic)."""
    retired = dest.with_name(f".{dest.name}{retired_suffix}")
    remove(retired)
    if dest.exists() or dest.is_symlink():
        dest.rename(retired)
    staging.rename(dest)
    remove(retired)


def recover(parent: Path, name: str, staging_suffix: str, retired_suffix: str) -> int:
    """After a crash, in every PARENT/*/: drop half-built .NAME<staging> folders and put back a
    .NAME<retired> folder whose replacement never arrived. Returns how many were fixed."""
    fixed = 0
    for staging in parent.glob(f"*/.{name}{staging_suffix}"):
        remove(staging)
        fixed += 1
    for retired in parent.glob(f"*/.{name}{retired_suffix}"):
        dest = retired.with_name(name)
        if dest.exists():
            remove(retired)
        else:
            retired.rename(dest)
        fixed += 1
    return fixed
