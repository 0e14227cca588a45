"""When a submission arrived, as observed on the receiving side, and what the student claimed.

nbgrader takes the submission time from the student's side (the inbound folder's name and its
timestamp.txt, both written by the student's process, so both settable: jupyter/nbgrader#1104). Here
the time is observed: the newest st_ctime of the submission's entries, which the kernel sets when an
entry changes and an ordinary user cannot set back. The claims are kept, and compared.

The grader-side record of one collected submission lives beside its folder, outside it:
submitted/<student>/.<assignment>.arrival.json (the student's folder is graded and copied on; the
record is not).
"""
from __future__ import annotations

import json
import os
import re
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Optional


STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,127}")     # always matched in FULL (valid_id)
NBGRADER_FORMAT = "%Y-%m-%d %H:%M:%S.%f %Z"        # nbgrader's Exchange.timestamp_format


@lru_cache(maxsize=1 << 16)
def parse_name(name: str) -> Optional[tuple[str, str, Optional[datetime]]]:
    """An inbound folder name -> (student, assignment, claimed time or None); None if not a submission.
    Kept per name (a name never changes, and serve reads every name of inbound/ at each scan)."""
    parts = name.rsplit("+", 3)                  # as nbgrader's collect reads it
    if len(parts) < 3 or not valid_id(parts[0]):
        return None
    return parts[0], parts[1], parse_claim(parts[2])


def valid_id(student: str) -> bool:
    """A whole student id: no trailing newline (`$` would allow one), no path characters."""
    return isinstance(student, str) and STUDENT_ID.fullmatch(student) is not None


def claimed_id(name: str) -> str:
    """What an inbound folder name claims as its student id, printable on one line."""
    return name.rsplit("+", 3)[0].encode("unicode_escape").decode("ascii")


def parse_claim(text) -> Optional[datetime]:
    """A claimed time as naive UTC (nbgrader's convention), or None if it does not parse."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = text.strip()[:64]
    if text.endswith(" UTC"):                # nbgrader's own format: 40x faster than dateutil's parser
        try:
            return datetime.strptime(text[:-4], NBGRADER_FORMAT[:-3])
        except ValueError:
            pass
    from nbgrader.utils import parse_utc     # here: a grading run reads claims only when one is flagged
    try:
        return parse_utc(text)
    except (ValueError, OverflowError, TypeError):
        return None


def utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc)


def stamp(seconds: float) -> str:
    """An epoch time in nbgrader's timestamp.txt format (what stock nbgrader tools then read)."""
    return utc(seconds).strftime(NBGRADER_FORMAT)


def claim_flags(claims: dict, observed: float, tolerance: float) -> list[str]:
    """One line per claimed time earlier than the observed arrival by more than TOLERANCE seconds."""
    flags = []
    arrived = utc(observed).replace(tzinfo=None)
    for where, claimed in claims.items():
        if claimed is None:
            flags.append(f"{where} claims no readable time")
            continue
        early = (arrived - claimed).total_seconds()
        if early > tolerance:
            flags.append(f"{where} claims {claimed:%Y-%m-%d %H:%M:%S} UTC, {early / 60:.0f} min before it arrived "
                         f"({arrived:%Y-%m-%d %H:%M:%S} UTC)")
    return flags


def record_path(submitted: Path, student: str, assignment: str) -> Path:
    return submitted / student / f".{assignment}.arrival.json"


def write_record(path: Path, record: dict) -> None:
    """Atomically: a crash leaves the old record or the new one."""
    partial = path.with_name(path.name + ".part")
    partial.write_text(json.dumps(record, indent=1, default=str), encoding="utf-8")
    os.replace(partial, path)


def read_record(submitted: Path, student: str, assignment: str) -> Optional[dict]:
    try:
        record = json.loads(record_path(submitted, student, assignment).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None
