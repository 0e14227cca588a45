"""`dlgrader serve`'s per-student submission limit (c.Dlgrader.max_submissions).

With instant feedback and unlimited resubmissions, feedback can be mined; a course may cap how many
submissions of an assignment `serve` grades per student. nbgrader keeps every submission in the
exchange's inbound folder, so the count is read from there: the submissions of the student for the
assignment up to (and including) the one at hand.
"""
from __future__ import annotations

import os
from pathlib import Path

from .inbox import Arrival, parse


def attempt(inbound: Path, arrival: Arrival) -> int:
    """Which submission of its student and assignment ARRIVAL is (1 for the first). Only folders of
    the same owner count: ones another account made under the student's name (rejected by the
    collector) use up nobody's submissions."""
    try:
        owner = os.lstat(inbound / arrival.name).st_uid
    except OSError:
        owner = None
    count = 0
    for entry in os.scandir(inbound):
        other = parse(entry.name, {arrival.assignment})
        if other is not None and other.student == arrival.student and other.timestamp <= arrival.timestamp:
            try:
                count += owner is None or entry.stat(follow_symlinks=False).st_uid == owner
            except OSError:
                pass
    return count


def refusal(limit: int, inbound: Path, arrival: Arrival) -> str:
    """'' if ARRIVAL may be graded; else the note the student gets instead of feedback."""
    if limit <= 0:
        return ""
    number = attempt(inbound, arrival)
    if number <= limit:
        return ""
    return (f"This is your submission number {number} of {arrival.assignment}; instant feedback is given on "
            f"the first {limit} only, so this one was not graded now. Your instructor grades your newest "
            "submission after the due date as usual.")
