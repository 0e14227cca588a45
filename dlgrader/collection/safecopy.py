"""Reading a folder a student controls without trusting it: no links, no special files, capped.

Every step goes through an open directory descriptor: each entry is looked at with lstat relative to
its folder's descriptor, then opened with O_NOFOLLOW (and O_NONBLOCK, so a FIFO swapped in between
never blocks) and checked again with fstat on the open descriptor, so nothing can be swapped for a
link between the check and the use. Only regular files and folders are accepted; a symlink, device,
FIFO or socket refuses the whole submission. Bytes are counted WHILE reading (never trusting
st_size): reading stops one byte past a cap, so a sparse 1 TB file or a link to /dev/zero costs at
most the cap. Hard links are regular files: their bytes are copied (never the link); a student can
only hard-link a file they may read anyway (and, with fs.protected_hardlinks, own).

The same walk also yields what the grader needs to know about the submission: the newest ctime of
any of its entries (set by the kernel when the entry last changed; an ordinary user cannot set it
back, unlike mtime) and a digest of every path and byte read.

With `owner`, every entry (the folder itself included) must belong to that uid, checked on the
entry's lstat and again on the open descriptor's fstat (what is read is what was checked): else
NotOwner, which is not the student's own rule-breaking but someone else's folder (identity.py).
"""
from __future__ import annotations

import fnmatch
import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

CHUNK = 1 << 20
DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0)


class Refused(Exception):
    """The submission breaks a rule; the message is one line a person can act on."""


class NotOwner(Exception):
    """An entry of the folder belongs to another account than the expected one."""

    def __init__(self, path: str, uid: int):
        super().__init__(f"{path} belongs to uid {uid}")
        self.path, self.uid = path, uid


@dataclass(frozen=True)
class Caps:
    max_file_bytes: int = 64 * 2**20
    max_submission_bytes: int = 128 * 2**20
    max_files: int = 200


@dataclass
class Walked:
    files: list = field(default_factory=list)         # relative paths of the regular files, in walk order
    folders: list = field(default_factory=list)
    bytes: int = 0
    newest_ctime: float = 0.0                        # latest st_ctime over the root, folders and files
    hardlinked: list = field(default_factory=list)   # files with more than one link (copied by content)
    kept: dict = field(default_factory=dict)         # rel -> bytes, for the files `keep` asked for
    digest: str = ""


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")):
        if test(mode):
            return name
    return "not a regular file"


def _mb(n: int) -> str:
    return f"{n / 2**20:g} MB"


def open_folder(base: Path, *parts: str) -> int:
    """A descriptor for BASE/PARTS..., where each of PARTS is opened without following a link.

    BASE itself is the grader's (the exchange's inbound folder, the course's submitted/)."""
    fd = os.open(base, DIR_FLAGS)
    try:
        for part in parts:
            if part in ("", ".", "..") or "/" in part:
                raise Refused(f"{part!r} is not a plain folder name")
            try:
                new = os.open(part, DIR_FLAGS, dir_fd=fd)
            except OSError as exc:
                raise Refused(f"{part} is not a plain folder ({os.strerror(exc.errno)})") from None
            os.close(fd)
            fd = new
    except BaseException:
        os.close(fd)
        raise
    return fd


class _Walk:
    def __init__(self, caps: Caps, ignore: tuple, keep: Optional[Callable[[str], bool]], dest_fd: Optional[int],
                 owner: Optional[int] = None):
        self.caps, self.ignore, self.keep, self.dest_fd, self.owner = caps, ignore, keep, dest_fd, owner
        self.out = Walked()
        self.hash = hashlib.sha256()
        self.count = 0

    def owned(self, st: os.stat_result, path: str) -> None:
        if self.owner is not None and st.st_uid != self.owner:
            raise NotOwner(path, st.st_uid)

    def folder(self, fd: int, rel: str, dest_fd: Optional[int]) -> None:
        st = os.fstat(fd)
        if not rel:
            self.owned(st, "the folder")
        self.out.newest_ctime = max(self.out.newest_ctime, st.st_ctime)
        with os.scandir(fd) as entries:
            names = sorted(e.name for e in entries)
        for name in names:
            if any(fnmatch.fnmatch(name, pattern) for pattern in self.ignore):
                continue
            path = f"{rel}{name}"
            self.count += 1
            if self.count > self.caps.max_files:
                raise Refused(f"more than {self.caps.max_files} files and folders")
            try:
                st = os.stat(name, dir_fd=fd, follow_symlinks=False)
            except FileNotFoundError:
                raise Refused(f"{path} vanished while it was read") from None
            self.owned(st, path)
            if stat.S_ISDIR(st.st_mode):
                self.entry(fd, name, path, dest_fd, folder=True)
            elif stat.S_ISREG(st.st_mode):
                self.entry(fd, name, path, dest_fd, folder=False)
            else:
                raise Refused(f"{path} is {_kind(st.st_mode)}")

    def entry(self, fd: int, name: str, path: str, dest_fd: Optional[int], folder: bool) -> None:
        try:
            child = os.open(name, DIR_FLAGS if folder else FILE_FLAGS, dir_fd=fd)
        except OSError as exc:
            raise Refused(f"{path} cannot be opened without following a link ({os.strerror(exc.errno)})") from None
        try:
            st = os.fstat(child)
            self.owned(st, path)
            if folder != stat.S_ISDIR(st.st_mode) or not (folder or stat.S_ISREG(st.st_mode)):
                raise Refused(f"{path} changed kind while it was read (now {_kind(st.st_mode)})")
            self.hash.update(b"D" if folder else b"F")
            self.hash.update(len(path.encode()).to_bytes(4, "big") + path.encode("utf-8", "surrogateescape"))
            if folder:
                self.out.folders.append(path)
                sub = None
                if dest_fd is not None:
                    os.mkdir(name, 0o755, dir_fd=dest_fd)
                    sub = os.open(name, DIR_FLAGS, dir_fd=dest_fd)
                try:
                    self.folder(child, path + "/", sub)
                finally:
                    if sub is not None:
                        os.close(sub)
            else:
                self.file(child, st, name, path, dest_fd)
        finally:
            os.close(child)

    def file(self, fd: int, st: os.stat_result, name: str, path: str, dest_fd: Optional[int]) -> None:
        out = self.out
        out.files.append(path)
        out.newest_ctime = max(out.newest_ctime, st.st_ctime)
        if st.st_nlink > 1:
            out.hardlinked.append(path)
        keep = self.keep is not None and self.keep(path)
        chunks = [] if keep else None
        dest = None
        if dest_fd is not None:
            dest = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644, dir_fd=dest_fd)
        size = 0
        try:
            while True:
                room = min(self.caps.max_file_bytes - size, self.caps.max_submission_bytes - out.bytes)
                data = os.read(fd, min(CHUNK, room + 1))
                if not data:
                    break
                if len(data) > room:
                    if self.caps.max_file_bytes - size <= self.caps.max_submission_bytes - out.bytes:
                        raise Refused(f"{path} is over the {_mb(self.caps.max_file_bytes)} limit per file")
                    raise Refused(f"the submission is over the {_mb(self.caps.max_submission_bytes)} limit")
                size += len(data)
                out.bytes += len(data)
                self.hash.update(data)
                if chunks is not None:
                    chunks.append(data)
                if dest is not None:
                    view = memoryview(data)
                    while view:
                        view = view[os.write(dest, view):]
        finally:
            if dest is not None:
                os.close(dest)
        self.hash.update(b"E" + size.to_bytes(8, "big"))
        if chunks is not None:
            out.kept[path] = b"".join(chunks)


def walk(base: Path, parts: tuple = (), caps: Caps = Caps(), ignore: tuple = (),
         keep: Optional[Callable[[str], bool]] = None, dest: Optional[Path] = None,
         owner: Optional[int] = None) -> Walked:
    """Read BASE/PARTS under the rules above; keep the bytes of files KEEP(rel) accepts; with DEST (a
    folder that must not exist yet) also copy everything there; with OWNER, every entry must be that
    uid's. Raises Refused (or NotOwner)."""
    root = open_folder(base, *parts)
    dest_fd = None
    try:
        if dest is not None:
            os.mkdir(dest, 0o755)
            dest_fd = os.open(dest, DIR_FLAGS)
        w = _Walk(caps, tuple(ignore), keep, dest_fd, owner)
        w.folder(root, "", dest_fd)
        w.out.digest = w.hash.hexdigest()
        return w.out
    finally:
        os.close(root)
        if dest_fd is not None:
            os.close(dest_fd)


def owner(base: Path, *parts: str) -> int:
    """The uid owning the folder BASE/PARTS, from the descriptor opened without following a link."""
    fd = open_folder(base, *parts)
    try:
        return os.fstat(fd).st_uid
    finally:
        os.close(fd)


def read_small(base: Path, parts: tuple, name: str, limit: int = 4096) -> Optional[bytes]:
    """One regular file of at most LIMIT bytes at BASE/PARTS/NAME, read as above; None otherwise."""
    try:
        fd = open_folder(base, *parts)
    except (OSError, Refused):
        return None
    try:
        child = os.open(name, FILE_FLAGS, dir_fd=fd)
    except OSError:
        return None
    finally:
        os.close(fd)
    try:
        if not stat.S_ISREG(os.fstat(child).st_mode):
            return None
        data = os.read(child, limit + 1)
        return data if len(data) <= limit else None
    finally:
        os.close(child)


def newest_ctime(base: Path, name: str, max_entries: int = 10_000) -> float:
    """The newest st_ctime under BASE/NAME from metadata only (nothing read, no link followed): the
    cheap observed order of a student's submissions. Its own lstat if it is not a plain folder."""
    st = os.lstat(base / name)
    newest = st.st_ctime
    if not stat.S_ISDIR(st.st_mode):
        return newest
    seen = 0
    stack = []
    try:
        stack.append(open_folder(base, name))
        while stack and seen < max_entries:
            fd = stack.pop()
            try:
                newest = max(newest, os.fstat(fd).st_ctime)
                with os.scandir(fd) as entries:
                    for entry in entries:
                        seen += 1
                        est = entry.stat(follow_symlinks=False)
                        newest = max(newest, est.st_ctime)
                        if stat.S_ISDIR(est.st_mode) and seen < max_entries:
                            try:
                                stack.append(os.open(entry.name, DIR_FLAGS, dir_fd=fd))
                            except OSError:
                                pass
            finally:
                os.close(fd)
    except (OSError, Refused):
        pass
    finally:
        for fd in stack:
            os.close(fd)
    return newest
