"""What a sandbox sees of the host: an allowlist, decided here and only here.

The sandbox starts from an empty root (a fresh tmpfs, entered with pivot_root) and gets, read-only:
the system's programs and libraries (/usr's bin, lib... folders and the /bin, /lib... links; not
/usr/local or /usr/src), the Python
installation that runs the student's code (its prefixes and its site-packages folders; for
dlgrader installed in editable mode from a checkout, the package folder alone, never the checkout;
never the grader's current folder or another sys.path entry), a minimal /etc written for it, /dev's null/zero/full/random/urandom, its own /proc, and a
private writable /tmp. Nothing else of the host exists inside: no /home, /root, /srv, /opt, /var,
/mnt, no course and no copy of one. A folder the grader must hide (a course, the exchange) that
happens to lie inside an exposed folder is covered by an empty mount on top.

`plan()` decides the view (pure: easy to test); `enter()` builds it in a fresh mount namespace.
"""
from __future__ import annotations

import ctypes
import os
import stat
import sys
from dataclasses import dataclass, field

SYSTEM = ("/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32",          # links into /usr, or folders
          "/usr/bin", "/usr/sbin", "/usr/lib", "/usr/lib32", "/usr/lib64", "/usr/libx32", "/usr/libexec",
          "/usr/share/zoneinfo")                                             # not /usr/local, /usr/src...
ETC = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime")
DEVICES = ("null", "zero", "full", "random", "urandom")
SCRATCH = "/tmp"

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 1024, 2048, 1 << 21
MNT_DETACH = 2
_ST_TO_MS = ((os.ST_NOSUID, MS_NOSUID), (os.ST_NODEV, MS_NODEV), (os.ST_NOEXEC, MS_NOEXEC),
             (os.ST_NOATIME, MS_NOATIME), (os.ST_NODIRATIME, MS_NODIRATIME), (os.ST_RELATIME, MS_RELATIME))
_SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}

_libc = ctypes.CDLL(None, use_errno=True)


class ViewError(OSError):
    pass


@dataclass
class View:
    """The host folders and files exposed read-only (same path inside), and what stays masked."""
    binds: list = field(default_factory=list)
    links: dict = field(default_factory=dict)       # inside path -> symlink target (/bin -> usr/bin)
    mask: list = field(default_factory=list)        # hidden folders that lie inside a bind

    def to_dict(self) -> dict:
        return {"binds": list(self.binds), "links": dict(self.links), "mask": list(self.mask)}

    @classmethod
    def from_dict(cls, data: dict) -> "View":
        return cls(list(data.get("binds", [])), dict(data.get("links", {})), list(data.get("mask", [])))


def _real(path: str) -> str:
    return os.path.realpath(path)


def under(path: str, folder: str) -> bool:
    folder = folder.rstrip("/") or "/"
    return path == folder or path.startswith(folder + "/") or folder == "/"


def python_folders() -> list[str]:
    """The folders the grader's Python imports from: its prefixes (venv and base interpreter), the
    sys.path folders inside them or named site-/dist-packages, and dlgrader's own package folder
    (enough for an editable install). Not any other sys.path entry: the current folder of whoever
    started the grader, a checkout on PYTHONPATH or in an editable .pth may hold anything."""
    prefixes = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
    folders = list(prefixes)
    for entry in sys.path:
        if not entry or not os.path.isdir(entry):
            continue
        real = _real(entry)
        if any(under(real, _real(p)) for p in prefixes) or os.path.basename(real) in ("site-packages",
                                                                                      "dist-packages"):
            folders.append(real)
    import dlgrader
    folders.append(os.path.dirname(dlgrader.__file__))
    return folders


def plan(hidden: list[str], extra: list[str] = ()) -> View:
    """The view for sandboxes of a grader that must hide HIDDEN (course, exchange, tool checkout).

    EXTRA: more folders to expose read-only (tests use it for a Python installation of their own).
    A Python folder that holds a hidden folder (the course root on sys.path) is never exposed;
    a folder inside one (the course's .venv, the dlgrader package of an editable install) is."""
    hidden = [_real(h) for h in hidden]
    links, binds = {}, []
    for path in SYSTEM:
        if os.path.islink(path):
            links[path] = os.readlink(path)
        elif os.path.isdir(path):
            binds.append(path)
    for path in ETC:
        if os.path.islink(path):
            links[path] = os.readlink(path)
        elif os.path.exists(path):
            binds.append(path)
    for folder in list(python_folders()) + list(extra):
        folder = _real(folder)
        if not os.path.isdir(folder) or any(under(h, folder) for h in hidden):
            continue
        binds.append(folder)
    binds = _outermost(binds)
    mask = sorted({h for h in hidden for b in binds if under(h, b) and h != b and os.path.isdir(h)})
    return View(binds=binds, links=links, mask=mask)


def _outermost(paths: list[str]) -> list[str]:
    """Each path once, without those already inside another one of the list."""
    out: list[str] = []
    for p in sorted(set(paths), key=lambda p: (p.count("/"), p)):
        if not any(under(p, q) for q in out):
            out.append(p)
    return sorted(out)


# ---- building it --------------------------------------------------------------------------------
def _b(text):
    return None if text is None else str(text).encode()


def _mount(source, target, fstype, flags, data=None) -> None:
    if _libc.mount(_b(source), _b(target), _b(fstype), ctypes.c_ulong(flags), _b(data)) != 0:
        err = ctypes.get_errno()
        raise ViewError(err, f"mount {target}: {os.strerror(err)}")


def _read_only(target: str, fd: int, device: bool = False) -> None:
    """Remount a bind read-only, keeping the flags its source mount has (in a user namespace the
    kernel refuses to clear those)."""
    flags = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | (0 if device else MS_NODEV)
    vfs = os.statvfs(f"/proc/self/fd/{fd}") if fd >= 0 else os.statvfs(target)
    for st, ms in _ST_TO_MS:
        if vfs.f_flag & st:
            flags |= ms
    _mount(None, target, None, flags)


def _bind(fd: int, target: str, device: bool = False) -> None:
    _mount(f"/proc/self/fd/{fd}", target, None, MS_BIND)
    _read_only(target, fd, device)


def _place(new_root: str, inside: str, is_dir: bool) -> str:
    target = new_root + inside
    if is_dir:
        os.makedirs(target, mode=0o755, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
        if not os.path.exists(target):
            os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o644))
    return target


def _etc_files(uid: int) -> dict:
    return {"passwd": f"root:x:0:0:root:/root:/usr/sbin/nologin\nstudent:x:{uid}:{uid}:student:/tmp:/usr/sbin/nologin\n"
                      "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
            "group": f"root:x:0:\nstudent:x:{uid}:\nnogroup:x:65534:\n",
            "hostname": "sandbox\n", "hosts": "127.0.0.1 localhost\n::1 localhost\n"}


def enter(view: View, uid: int, scratch_bytes: int) -> None:
    """In a new mount namespace (and PID namespace): replace the root by VIEW. Irreversible."""
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    # open every source first: the new root is mounted over /tmp, which may hold some of them
    handles = []
    for path in view.binds:
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC | os.O_NOFOLLOW)
        except OSError:
            continue
        handles.append((path, fd, stat.S_ISDIR(os.fstat(fd).st_mode)))
    devices = [(name, os.open(f"/dev/{name}", os.O_PATH | os.O_CLOEXEC | os.O_NOFOLLOW))
               for name in DEVICES if os.path.exists(f"/dev/{name}")]
    new = SCRATCH
    _mount("tmpfs", new, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755")
    for name in ("proc", "dev", "tmp", "etc"):
        os.mkdir(f"{new}/{name}", 0o755)
    _mount("tmpfs", f"{new}/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={scratch_bytes},mode=1777")
    _mount("tmpfs", f"{new}/etc", "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=755")
    for name, text in _etc_files(uid).items():
        with open(f"{new}/etc/{name}", "w") as fh:
            fh.write(text)
    _mount("tmpfs", f"{new}/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=755")
    for name, fd in devices:
        _bind(fd, _place(new, f"/dev/{name}", False), device=True)
        os.close(fd)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"{new}/dev/{name}")
    for inside, target in view.links.items():
        os.makedirs(os.path.dirname(new + inside), exist_ok=True)
        os.symlink(target, new + inside)
    for path, fd, is_dir in handles:
        _bind(fd, _place(new, path, is_dir))
        os.close(fd)
    for path in view.mask:
        if os.path.isdir(new + path):
            _mount("tmpfs", new + path, "tmpfs", MS_NOSUID | MS_NODEV | MS_RDONLY, "size=4k,mode=755")
    _mount("proc", f"{new}/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    for folder in ("etc", "dev"):
        _read_only(f"{new}/{folder}", -1, device=(folder == "dev"))
    _pivot(new)
    _mount(None, "/", None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    os.chdir(SCRATCH)


def _pivot(new_root: str) -> None:
    number = _SYS_PIVOT_ROOT.get(os.uname().machine)
    if number is None:
        raise ViewError(0, f"pivot_root: unsupported machine {os.uname().machine}")
    os.chdir(new_root)
    if _libc.syscall(ctypes.c_long(number), b".", b".") != 0:
        err = ctypes.get_errno()
        raise ViewError(err, f"pivot_root: {os.strerror(err)}")
    if _libc.umount2(b".", MNT_DETACH) != 0:       # the old root, stacked under the new one
        err = ctypes.get_errno()
        raise ViewError(err, f"umount old root: {os.strerror(err)}")
    os.chdir("/")
