"""The exchange on a shared machine: refuse to use one that students could have replaced.

nbgrader's layout: EXCHANGE/ (every student must be able to create in it: mode 1777, the sticky bit
so nobody can rename or delete what others made), EXCHANGE/<course>/ (0755, the instructor's), and
in it outbound/ (0755), feedback/ (0711) and inbound/ (2733: students can drop folders in but not
list it, so nobody learns, and can touch, another's submission). Without the sticky bit on the root a
student renamed <course>/ away and put up her own: classmates fetched her notebook and submitted
into her inbox. So `release`, `collect`, `serve` (and nbgrader's release and collect, through the
plugins in nbgrader_plugin.py) first check, and stop with one line if:
  * a folder on the way to EXCHANGE (EXCHANGE included) is writable by everyone without the sticky
    bit, or belongs to an account that is neither root nor the expected owner;
  * <course>/ or its inbound/, outbound/, feedback/ is a link, or not owned by the expected account
    (c.DlgraderCollect.exchange_owner; default the account running the command), or writable by
    others (inbound/: writable by others only if they cannot list it).
"""
from __future__ import annotations

import os
import pwd
import stat
from pathlib import Path

from ..errors import DlgraderError
from .identity import account_name

SUBFOLDERS = ("inbound", "outbound", "feedback")
ROOT_MODE = 0o1777


class UnsafeExchange(DlgraderError):
    """The exchange could have been replaced or tampered with by another account."""


def expected_owner(exchange_owner: str = "") -> int:
    if not exchange_owner:
        return os.geteuid()
    try:
        return pwd.getpwnam(exchange_owner).pw_uid
    except KeyError:
        raise DlgraderError(f"c.DlgraderCollect.exchange_owner: no account named {exchange_owner!r}") from None


def open_to_all(st: os.stat_result) -> bool:
    """Writable by every account, without a sticky folder's protection of what others made in it."""
    return bool(st.st_mode & stat.S_IWOTH) and not (stat.S_ISDIR(st.st_mode) and st.st_mode & stat.S_ISVTX)


def check_path(root: Path, uid: int) -> None:
    """Every existing folder from / down to ROOT, both as configured and as its links resolve: no
    world-writable one without the sticky bit, none owned by another account than root or UID, and
    no link owned by another account (its owner could point it elsewhere at any time)."""
    configured = Path(os.path.abspath(root))
    real = Path(os.path.realpath(root))
    for folder in [*reversed([configured, *configured.parents]), *reversed([real, *real.parents])]:
        try:
            st = os.lstat(folder)
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(st.st_mode):
            if st.st_uid not in (0, uid):
                raise UnsafeExchange(f"{folder}, on the way to the exchange {root}, is a link owned by "
                                     f"{account_name(st.st_uid)}, who could point it at an exchange of their own; "
                                     "name the real folder in c.Exchange.root")
            continue
        if open_to_all(st):
            raise UnsafeExchange(f"{folder} is writable by everyone without the sticky bit (mode "
                                 f"{stat.S_IMODE(st.st_mode):04o}): anyone could replace the exchange's folders; "
                                 f"`chmod +t {folder}` (the exchange root: mode 1777)")
        if st.st_uid not in (0, uid):
            raise UnsafeExchange(f"{folder}, on the way to the exchange {root}, belongs to {account_name(st.st_uid)}, "
                                 f"who could replace what is below it; use an exchange outside their folders")


def check_course(root: Path, course_id: str, uid: int) -> None:
    """ROOT/COURSE_ID and its inbound/, outbound/, feedback/ (those that exist): the expected
    account's, not links, not open to others (inbound/ only as a drop box others cannot list)."""
    course = root / course_id
    for folder in (course, *(course / name for name in SUBFOLDERS)):
        try:
            st = os.lstat(folder)
        except FileNotFoundError:
            if folder == course:
                return
            continue
        if not stat.S_ISDIR(st.st_mode):
            raise UnsafeExchange(f"exchange folder {folder} is not a folder (a link?); remove it and release again")
        if st.st_uid != uid:
            raise UnsafeExchange(f"exchange folder {folder} belongs to {account_name(st.st_uid)}, not to "
                                 f"{account_name(uid)} (c.DlgraderCollect.exchange_owner): someone may have "
                                 "replaced it; move it away and release again")
        others = stat.S_IMODE(st.st_mode) & 0o007
        drop_box = folder.name == "inbound" and not others & stat.S_IROTH
        if others & stat.S_IWOTH and not drop_box:
            raise UnsafeExchange(f"exchange folder {folder} is writable by everyone (mode "
                                 f"{stat.S_IMODE(st.st_mode):04o}); nbgrader makes it 0755 (inbound/: 2733)")


def check(root: Path, course_id: str, exchange_owner: str = "") -> None:
    uid = expected_owner(exchange_owner)
    check_path(root, uid)
    check_course(root, course_id, uid)


def make_root(root: Path, exchange_owner: str = "") -> None:
    """Create a missing exchange root as nbgrader's students need it (1777: everyone may create,
    nobody may rename what is not theirs); an existing one is checked, never loosened. The mode is
    set on the folder this call made, through a descriptor opened without following links: in a
    shared parent such as /tmp, a name planted between the look and the chmod gets nothing."""
    uid = expected_owner(exchange_owner)
    if not os.path.lexists(root):
        check_path(root.parent, uid)
        root.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.mkdir(root, 0o700)
        except FileExistsError:
            pass                                 # made by someone else meanwhile: the check below decides
        else:
            fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
            try:
                if os.fstat(fd).st_uid != os.geteuid():
                    raise UnsafeExchange(f"the exchange root {root} was replaced while it was being made")
                os.fchmod(fd, ROOT_MODE)
            finally:
                os.close(fd)
    check_path(root, uid)
