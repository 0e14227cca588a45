"""Who submitted: the student id an inbound folder's name claims is believed only if the operating
system agrees.

nbgrader's `submit --student=ID` (and a hand-made `ID+assignment+time` folder) lets any account claim
any id. A submission counts for student S only if
  * S is a whole valid id (arrival.STUDENT_ID, matched in full),
  * S is on the course's roster (the gradebook's students: `nbgrader db student add/import`,
    Formgrader's Manage Students), and
  * the inbound folder and everything in it are owned by S's account: the Unix account named S, or
    the one `c.DlgraderCollect.accounts` maps S to. The collector checks the owner of every entry
    on the descriptors it reads through (safecopy.walk's `owner`), so the check and the read are one.
Otherwise the submission is REJECTED: a reason in the output and the logs, and nothing written for
S (the claimed student is the victim; their collected work and grades stay as they were).

`c.DlgraderCollect.accounts = {"*": ACCOUNT}` is the single-account mode of the demo and the test
suite (many simulated students, one account): every id submits from ACCOUNT, roster not enforced.
"""
from __future__ import annotations

import os
import pwd
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..course import Course
from ..errors import DlgraderError
from . import arrival

EVERYONE = "*"


class Rejected(Exception):
    """The submission is not the claimed student's; the message is one line saying why."""


def account_name(uid) -> str:
    if uid is None:
        return "nobody it can tell (the entry is gone)"
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


@dataclass(frozen=True)
class Identities:
    accounts: dict                          # id -> account name (c.DlgraderCollect.accounts)
    roster: Optional[frozenset]             # None: not enforced (single-account mode)

    @property
    def single_account(self) -> bool:
        return EVERYONE in self.accounts

    def uid(self, student: str) -> int:
        """The uid that must own STUDENT's submissions; Rejected if STUDENT cannot submit at all."""
        if not arrival.valid_id(student):
            raise Rejected(f"{student!r} is not a valid student id")
        if self.roster is not None and student not in self.roster:
            raise Rejected(f"{student} is not on the course's roster (nbgrader db student add {student}); "
                           "nothing recorded")
        name = self.accounts.get(student) or self.accounts.get(EVERYONE) or student
        try:
            return pwd.getpwnam(name).pw_uid
        except KeyError:
            raise Rejected(f"there is no account {name!r} for student {student} "
                           "(c.DlgraderCollect.accounts maps ids to accounts); nothing recorded") from None

    def not_theirs(self, student: str, where: str, owner: int, uid: int) -> str:
        """The reason a submission of STUDENT is rejected: WHERE is owned by OWNER, not UID."""
        return (f"{where} is owned by {account_name(owner)}, not by {student}'s account {account_name(uid)}; "
                f"not counted for {student}, nothing recorded")


def load(course: Course, accounts: dict) -> Identities:
    """The identities for COURSE: ACCOUNTS as configured, and the roster unless single-account."""
    for key, value in accounts.items():
        if key != EVERYONE and not arrival.valid_id(key):
            raise DlgraderError(f"c.DlgraderCollect.accounts: {key!r} is not a valid student id")
        if not value:
            raise DlgraderError(f"c.DlgraderCollect.accounts: no account given for {key!r}")
    if EVERYONE in accounts:
        return Identities(dict(accounts), None)
    return Identities(dict(accounts), roster(course.db_url))


def roster(db_url: str) -> frozenset:
    """The student ids in the course's gradebook."""
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from ..gradebook.reads import engine
    from ..gradebook.rows import STUDENT
    if db_url.startswith("sqlite:///") and not Path(db_url[len("sqlite:///"):]).is_file():
        raise DlgraderError(f"no gradebook at {db_url[len('sqlite:///'):]}, so no roster to check submissions "
                            "against: run `dlgrader build` and add the students (nbgrader db student import)")
    try:
        with engine(db_url).connect() as conn:        # the process's kept engine: serve asks per submission
            return frozenset(row[0] for row in conn.execute(select(STUDENT.c.id)))
    except SQLAlchemyError as exc:
        raise DlgraderError(f"cannot read the course's roster from the gradebook: {type(exc).__name__}: "
                            f"{str(exc).splitlines()[0]}") from None


def owner_of(folder: Path, name: str) -> Optional[int]:
    """The owner of FOLDER/NAME itself (not followed), None if it is gone."""
    try:
        return os.lstat(folder / name).st_uid
    except OSError:
        return None


def single_account(config: Path, who: str) -> None:
    """Append single-account mode to the nbgrader_config.py at CONFIG: every id submits from the
    account running this (WHO says which simulation needs it; never on a shared server)."""
    with open(config, "a", encoding="utf-8") as fh:
        fh.write(f"\n# {who}: every simulated student submits from this one account (never on a shared server)\n"
                 f"c.DlgraderCollect.accounts = {{{EVERYONE!r}: {account_name(os.geteuid())!r}}}\n")

