"""What waits in the exchange's inbound folder, and in which order to grade it.

nbgrader's `submit` writes `inbound/<student>+<assignment>+<timestamp>[+<random>]/`: the files,
then timestamp.txt, then submission_secret.txt. The name's timestamp is the student's claim; the
order here is the folder's ctime (set by the kernel here, not settable back by the student), a cheap
proxy of the arrival time the collector measures in full (collection/arrival.py). A folder counts as arrived once its secret is written
(or, for an nbgrader without secrets, once its timestamp is a minute old).

Fairness: only a student's newest submission of an assignment is worth grading (an older one still
waiting is dropped when a newer one arrives); among students, the one served fewer times so far
goes first, then the earliest submission. A student resubmitting in a loop cannot hold up a
classmate's first submission.
"""
from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from typing import NamedTuple, Optional

from ..collection import arrival

LEGACY_GRACE = 60.0       # seconds before a folder without submission_secret.txt counts as complete
ARRIVING = 30.0           # seconds a folder still being written keeps serve looking again soon
ARRIVING_POLL = 0.05      # seconds between scans meanwhile (its last event may come before its
                          # secret: serve must not wait a whole poll for it)


@dataclass(frozen=True)
class Arrival:
    student: str
    assignment: str
    timestamp: datetime          # naive UTC: when it arrived as observed here (else what its name claims)
    name: str                    # the inbound folder's name
    claimed: Optional[datetime] = None     # what the name claims (the student's clock)

    @property
    def key(self) -> tuple[str, str]:
        return (self.assignment, self.student)


def parse(name: str, assignments: set[str], observed: Optional[float] = None) -> Arrival | None:
    """An inbound folder name -> Arrival, or None if it is not a submission of a known assignment.
    With OBSERVED (epoch seconds: the folder's ctime, a cheap proxy of its arrival), that orders it;
    the name's time is only a claim."""
    parsed = arrival.parse_name(name)
    if parsed is None or parsed[1] not in assignments:
        return None
    student, assignment, claimed = parsed
    when = arrival.utc(observed).replace(tzinfo=None) if observed is not None else claimed
    if when is None:
        return None
    return Arrival(student, assignment, when, name, claimed)


def complete(folder: Path, now: float | None = None) -> bool:
    try:
        if os.lstat(folder / "submission_secret.txt").st_size > 0:   # a link is complete too (then refused)
            return True
    except OSError:
        pass
    try:
        stamp = os.lstat(folder / "timestamp.txt")
    except OSError:
        return False
    return (now or time.time()) - stamp.st_mtime > LEGACY_GRACE


class Scan(NamedTuple):
    arrivals: list[Arrival]          # complete submissions
    ignored: list[str]               # names that are not submissions we know
    arriving: int                    # submissions still being written (changed in the last ARRIVING s)


def scan(inbound: Path, assignments: set[str]) -> Scan:
    """What INBOUND holds now."""
    arrivals, ignored, arriving = [], [], 0
    try:
        entries = list(os.scandir(inbound))
    except FileNotFoundError:
        return Scan([], [], 0)
    now = time.time()
    for entry in entries:
        try:
            changed = entry.stat(follow_symlinks=False).st_ctime
            found = parse(entry.name, assignments, changed) if entry.is_dir(follow_symlinks=False) else None
        except OSError:               # gone since the listing
            continue
        if found is None:
            ignored.append(entry.name)
        elif complete(Path(entry.path), now):
            arrivals.append(found)
        elif now - changed < ARRIVING:
            arriving += 1
    return Scan(arrivals, ignored, arriving)


class FairQueue:
    """Pending gradings, at most one per (assignment, student), in fairness order."""

    def __init__(self):
        self.pending: dict[tuple[str, str], Arrival] = {}
        self.handled: dict[tuple[str, str], datetime] = {}   # newest timestamp already graded
        self.busy: set[tuple[str, str]] = set()
        self.served: Counter = Counter()                     # gradings per student this session
        self.superseded = 0
        self.done: set[str] = set()          # inbound folder names already handled

    def offer(self, arrival: Arrival) -> bool:
        """Queue ARRIVAL unless it, or something newer of the same student, is graded or waiting."""
        key = arrival.key
        if arrival.name in self.done:        # its ctime may have moved since (nbgrader's last chmod)
            return False
        if key in self.handled and arrival.timestamp <= self.handled[key]:
            return False
        waiting = self.pending.get(key)
        if waiting is not None:
            if arrival.timestamp <= waiting.timestamp:
                return False
            self.superseded += 1
        self.pending[key] = arrival
        return True

    def turn(self, arrival: Arrival) -> tuple:
        """The fairness order: served fewer times first, then the earliest submission."""
        return (self.served[arrival.student], arrival.timestamp, arrival.student)

    def pop(self) -> Arrival | None:
        ready = [a for k, a in self.pending.items() if k not in self.busy]
        if not ready:
            return None
        best = min(ready, key=self.turn)
        del self.pending[best.key]
        self.busy.add(best.key)
        return best

    def finish(self, key: tuple[str, str], graded_timestamp: datetime | None, name: str | None = None) -> None:
        """The grading of KEY ended; GRADED_TIMESTAMP is the submission it graded (None: nothing),
        NAME the inbound folder it was taken for (never offered again)."""
        self.busy.discard(key)
        self.served[key[1]] += 1
        if graded_timestamp is not None:
            if name is not None:
                self.done.add(name)
            self.handled[key] = max(graded_timestamp, self.handled.get(key, graded_timestamp))
            waiting = self.pending.get(key)
            if waiting is not None and waiting.timestamp <= self.handled[key]:
                del self.pending[key]

    def __len__(self) -> int:
        return len(self.pending)
