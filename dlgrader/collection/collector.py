"""dlgrader's own collector: nbgrader's exchange layout, nothing of the student's trusted.

The exchange stays nbgrader's: students submit with `nbgrader submit` into
EXCHANGE/<course>/inbound/<student>+<assignment>+<timestamp>[+<random>]/. For each student the newest
submission IN OBSERVED ORDER (newest ctime of its entries, not the name the student's side chose) is
copied with the safe copier (safecopy.py) into a staging folder beside submitted/<student>/<assignment>
and renamed into place, so a crash never leaves half a submission. The inbound folder is only read.

The copy gets a timestamp.txt holding the OBSERVED time, in nbgrader's format, so the gradebook's
timestamp and nbgrader's late-penalty plugin (and stock nbgrader tools reading submitted/) use it; the
claims and the observation are kept in the grader-side record (arrival.py).

A refused submission replaces the collected copy with a folder holding only the observed
timestamp.txt (and the submission secret, so the student can be sent a notice), and its record says
why: `dlgrader grade` then records 0 + needs manual grading instead of grading an older copy.

A REJECTED submission is different: it is not the student's at all (identity.py: the folder or
something in it is not owned by the claimed student's account, the student is not on the roster,
or the name's id is not a valid id). Nothing is written for the claimed student (no folder, no
record, no gradebook row); the claimed student's own newest submission is collected as if the
rejected one were not there. The rejection is an Outcome with the reason, for the output and logs.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from .. import folders
from ..course import Course
from . import arrival, identity, safecopy
from .settings import DlgraderCollect, settings

NBGRADER_IGNORE = (".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback")   # CourseDirectory.ignore
STAGING, RETIRED = ".dlgrader-collect", ".dlgrader-collect-old"


@dataclass
class Outcome:
    student: str
    inbound: str
    status: str                       # collected | unchanged | refused | failed | rejected (not theirs)
    reason: str = ""
    observed: float = 0.0
    flags: list = field(default_factory=list)


def candidates(inbound: Path, assignment: str, student: Optional[str] = None) -> tuple[dict, list, list]:
    """({student: [inbound names]}, [names that are not a student's submission], [names of ASSIGNMENT
    whose student id is not a valid id]) for ASSIGNMENT. A link in place of a folder is still a
    candidate: the copy refuses it, and says so."""
    found: dict[str, list[str]] = {}
    ignored, bad_ids = [], []
    mine = f"{student}+" if student is not None else ""     # one student's: skip the rest unread
    with os.scandir(inbound) as entries:
        for entry in entries:
            if not entry.name.startswith(mine):
                continue
            parsed = arrival.parse_name(entry.name)
            if parsed is None:
                if f"+{assignment}+" in entry.name:
                    ignored.append(entry.name)
                    if len(entry.name.rsplit("+", 3)) >= 3 and entry.name.rsplit("+", 3)[1] == assignment:
                        bad_ids.append(entry.name)
                continue
            who, what, _ = parsed
            if what == assignment and (student is None or who == student):
                found.setdefault(who, []).append(entry.name)
    return found, ignored, bad_ids


def newest(inbound: Path, names: list[str]) -> tuple[str, float]:
    """The submission that arrived last (by observed ctime; the name only breaks ties)."""
    times = {}
    for n in names:
        try:
            times[n] = safecopy.newest_ctime(inbound, n)
        except OSError:                 # gone since the scan (the instructor cleaned up): not a candidate
            pass
    names = [n for n in names if n in times] or names[:1]
    times.setdefault(names[0], 0.0)
    best = max(names, key=lambda n: (times[n], n))
    return best, times[best]


def collect_one(course: Course, assignment: str, student: str, name: str, conf: DlgraderCollect,
                first_seen: Optional[float] = None, order_ctime: Optional[float] = None,
                ids: Optional[identity.Identities] = None, uid: Optional[int] = None) -> Outcome:
    """Copy INBOUND/NAME to submitted/STUDENT/ASSIGNMENT (or record its refusal). ORDER_CTIME: what
    newest() measured for it (measured again when not given). UID: the account that must own all
    of it (else it is rejected and nothing is written for STUDENT)."""
    inbound = inbound_folder(course)
    if order_ctime is None:
        order_ctime = safecopy.newest_ctime(inbound, name)
    if uid is not None:
        try:
            owner = safecopy.owner(inbound, name)
        except (safecopy.Refused, OSError):
            # not a plain folder (a link?) or gone: the entry itself must be the student's, else it
            # is another's doing and nothing is written for STUDENT (the walk refuses their own)
            owner = identity.owner_of(inbound, name)
        if owner != uid:
            return Outcome(student, name, "rejected", ids.not_theirs(student, f"inbound {name}", owner, uid),
                           order_ctime)
    home = course.submitted / student
    made_home = not home.is_dir()
    home.mkdir(parents=True, exist_ok=True)
    dest = home / assignment
    staging = home / f".{assignment}{STAGING}"
    folders.remove(staging)
    claims = {"folder name": arrival.parse_name(name)[2]}
    claimed_file = safecopy.read_small(inbound, (name,), "timestamp.txt", 256)
    claims["timestamp.txt"] = arrival.parse_claim(claimed_file) if claimed_file is not None else None
    try:
        walked = safecopy.walk(inbound, (name,), conf.caps(), ignore=NBGRADER_IGNORE, dest=staging, owner=uid)
        observed, reason = walked.newest_ctime, ""
    except safecopy.NotOwner as exc:       # someone else's: drop what was staged, write nothing
        folders.remove(staging)
        if made_home:
            home.rmdir()
        return Outcome(student, name, "rejected",
                       ids.not_theirs(student, f"{name}/{exc.path}" if exc.path != "the folder" else f"inbound {name}",
                                      exc.uid, uid), order_ctime)
    except (safecopy.Refused, OSError) as exc:
        reason = str(exc) if isinstance(exc, safecopy.Refused) else f"cannot be read ({exc.strerror})"
        observed = order_ctime
        walked = None
        folders.remove(staging)
        staging.mkdir(mode=0o755)
        secret = safecopy.read_small(inbound, (name,), "submission_secret.txt", 1024)
        if secret is not None:
            (staging / "submission_secret.txt").write_bytes(secret)
    (staging / "timestamp.txt").write_text(arrival.stamp(observed))     # observed, replacing the claim
    old = arrival.read_record(course.submitted, student, assignment) or {}
    flags = arrival.claim_flags(claims, observed, conf.claim_tolerance_seconds)
    record = {"student": student, "assignment": assignment, "inbound": name,
              "status": "refused" if reason else "collected", "reason": reason,
              "observed": arrival.stamp(observed), "order_ctime": order_ctime,
              "first_seen": arrival.stamp(first_seen) if first_seen else old.get("first_seen"),
              "claimed_name": _iso(claims["folder name"]), "claimed_file": _iso(claims["timestamp.txt"]),
              "claimed_file_raw": (claimed_file or b"").decode("utf-8", "replace")[:256],
              "flags": flags, "collected_at": arrival.stamp(time.time())}
    if walked is not None:
        record.update(files=len(walked.files), bytes=walked.bytes, hardlinked=walked.hardlinked)
    # the record first: a crash before the swap leaves the new record with the old folder, whose
    # timestamp.txt then differs from the record, so the next collect copies again
    arrival.write_record(arrival.record_path(course.submitted, student, assignment), record)
    folders.swap_in(staging, dest, RETIRED)
    return Outcome(student, name, record["status"], reason, observed, flags)


def unchanged(course: Course, assignment: str, student: str, name: str, ctime: float) -> bool:
    """Is the collected copy already that of inbound NAME as it is now?"""
    record = arrival.read_record(course.submitted, student, assignment)
    if not record or record.get("inbound") != name or record.get("order_ctime") != ctime:
        return False
    stamp = course.submitted / student / assignment / "timestamp.txt"
    try:
        return stamp.read_text() == record.get("observed")
    except OSError:
        return False


def collect(course: Course, assignment: str, student: Optional[str] = None,
            first_seen: Optional[dict] = None) -> tuple[list[Outcome], list[str]]:
    """Collect the newest submission of every student (or of STUDENT); ([outcomes], [ignored names]).

    One student's refusal, or trouble reading it, never stops the others."""
    conf = settings(course)
    ids = identity.load(course, conf.accounts)
    inbound = inbound_folder(course)
    recover(course, assignment)
    found, ignored, bad_ids = candidates(inbound, assignment, student)
    outcomes = [Outcome(arrival.claimed_id(n), n, "rejected",
                        f"the folder name's student id {arrival.claimed_id(n)!r} is not a valid id "
                        "(letters, digits and . _ @ -, matched in full); nothing recorded") for n in sorted(bad_ids)]
    for who in sorted(found):
        try:
            uid = ids.uid(who)
        except identity.Rejected as exc:
            outcomes.extend(Outcome(who, n, "rejected", str(exc)) for n in sorted(found[who]))
            continue
        # only the student's own folders compete for "newest": a folder someone else made under
        # their name neither counts nor hides their real submission (the walk checks again, racelessly)
        owners = {n: identity.owner_of(inbound, n) for n in found[who]}
        theirs = [n for n in found[who] if owners[n] == uid]
        outcomes.extend(Outcome(who, n, "rejected", ids.not_theirs(who, f"inbound {n}", owners[n], uid))
                        for n in sorted(found[who]) if owners[n] is not None and n not in theirs)   # None: gone
        if not theirs:
            continue
        name, ctime = newest(inbound, theirs)
        if unchanged(course, assignment, who, name, ctime):
            outcomes.append(Outcome(who, name, "unchanged", observed=ctime))
            continue
        try:
            outcomes.append(collect_one(course, assignment, who, name, conf, (first_seen or {}).get(name), ctime,
                                        ids, uid))
        except OSError as exc:          # our side failed (disk full?): say so, go on with the others
            outcomes.append(Outcome(who, name, "failed", f"{type(exc).__name__}: {exc}"))
    return outcomes, ignored


def inbound_folder(course: Course) -> Path:
    return course.exchange / course.course_id / "inbound"


def recover(course: Course, assignment: str) -> None:
    """After a crash: drop half-copied staging folders; put back a copy that was being replaced."""
    folders.recover(course.submitted, assignment, STAGING, RETIRED)


def _iso(value) -> Optional[str]:
    return value.isoformat(sep=" ") if value is not None else None
