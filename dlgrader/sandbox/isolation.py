"""Linux isolation for one submission: namespaces, the allowlisted filesystem, rlimits, identity.

`isolate()` forks, like os.fork, but the child starts in new mount, network, IPC, UTS and PID
namespaces (and, when the grader is not root, a new user namespace owning them, so an ordinary
account gets the same isolation): it is PID 1 there, so when it exits the kernel kills every
process the submission started. The caller's own namespaces are untouched, so the zygote forks each
sandbox directly (one copy of its memory map per submission, not two). `confine()` (in that child)
replaces the root by the allowlisted view (filesystem.py), applies resource limits, and drops to an
unprivileged uid with no capabilities. `probe()` says whether this machine allows it.
"""
from __future__ import annotations

import ctypes
import os
import resource
import signal
from dataclasses import dataclass, field

from . import filesystem

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS, PR_CAPBSET_DROP = 1, 38, 24
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
COURSE_MARKERS = ("source", "reference", "nbgrader_config.py", "gradebook.db", "submitted")
_NAMESPACES = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWPID

_libc = ctypes.CDLL(None, use_errno=True)


class SandboxError(OSError):
    pass


@dataclass
class Policy:
    uid: int = 64000                        # unprivileged, one per worker slot
    view: dict = field(default_factory=dict)    # filesystem.View as data: what the sandbox sees
    scratch_bytes: int = 32 * 1024 * 1024
    memory_bytes: int = 1536 * 1024 * 1024      # address space
    cpu_seconds: int = 60
    processes: int = 32
    open_files: int = 64
    file_bytes: int = 8 * 1024 * 1024

    def to_dict(self) -> dict:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict) -> "Policy":
        return cls(**data)


def rootless() -> bool:
    """Not root: the sandbox is built in a user namespace of the grader's own account."""
    return os.geteuid() != 0


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise SandboxError(err, f"{what}: {os.strerror(err)}")


def prctl(option: int, value: int, arg3: int = 0) -> None:
    _check(_libc.prctl(option, ctypes.c_ulong(value), ctypes.c_ulong(arg3), 0, 0), "prctl")


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _map_ids(inside_uid: int, outside_uid: int, inside_gid: int, outside_gid: int) -> None:
    """Map one uid and gid of a user namespace just entered (the only mapping an unprivileged
    process may write for itself)."""
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{inside_uid} {outside_uid} 1\n")
    _write("/proc/self/gid_map", f"{inside_gid} {outside_gid} 1\n")


_SYS_CLONE = {"x86_64": 56, "aarch64": 220}
_outside_ids = None     # set by isolate() in a child that has a user namespace: (uid, gid) outside


def isolate() -> int:
    """Fork into new namespaces; returns the child's pid (0 in the child), as os.fork does.

    clone(2) with namespace flags, which Python 3.11's os module does not offer, wrapped in the
    same interpreter bookkeeping os.fork does (PyOS_BeforeFork / PyOS_AfterFork_*: import lock,
    thread state, at-fork hooks). unshare() + fork instead would move the caller itself into the
    namespaces, so it needed a forked helper per sandbox: a second copy of the zygote's page
    tables, ~4 ms of CPU per submission. The child must call confine() before anything else."""
    global _outside_ids
    number = _SYS_CLONE.get(os.uname().machine)
    if number is None:
        raise SandboxError(0, f"clone: unsupported machine {os.uname().machine}")
    flags = _NAMESPACES | (CLONE_NEWUSER if rootless() else 0) | signal.SIGCHLD
    ids = (os.geteuid(), os.getegid())
    api = ctypes.pythonapi
    api.PyOS_BeforeFork()
    pid = _libc.syscall(ctypes.c_long(number), ctypes.c_ulong(flags), None, None, None, None)
    if pid == 0:
        api.PyOS_AfterFork_Child()
        _outside_ids = ids if flags & CLONE_NEWUSER else None
        return 0
    err = ctypes.get_errno()
    api.PyOS_AfterFork_Parent()
    if pid < 0:
        raise SandboxError(err, f"clone: {os.strerror(err)}")
    return pid


def confine(policy: Policy, keep_fds: tuple = ()) -> None:
    """In the PID-1 child: lock down the filesystem, limits and identity. Irreversible."""
    if _outside_ids:        # root of the new user namespace, with capabilities only there
        _map_ids(0, _outside_ids[0], 0, _outside_ids[1])
    filesystem.enter(filesystem.View.from_dict(policy.view), policy.uid, policy.scratch_bytes)
    _close_fds(keep_fds)
    _limits(policy)
    if _outside_ids:
        # a nested user namespace in which this process is POLICY.uid: it owns none of the
        # namespaces above (mounts, network...), and every capability is dropped besides
        _check(_libc.unshare(CLONE_NEWUSER), "unshare (user)")
        _map_ids(policy.uid, 0, policy.uid, 0)
        _drop_capabilities()
    else:
        os.setgroups([])
        os.setresgid(policy.uid, policy.uid, policy.uid)
        os.setresuid(policy.uid, policy.uid, policy.uid)
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    prctl(PR_SET_PDEATHSIG, 9)
    os.environ.clear()
    os.environ.update({"HOME": "/tmp", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
                       "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"})


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _drop_capabilities() -> None:
    for cap in range(64):
        if _libc.prctl(PR_CAPBSET_DROP, ctypes.c_ulong(cap), 0, 0, 0) != 0 and ctypes.get_errno() != 22:
            _check(-1, "drop capability bounding set")      # EINVAL: no such capability, done
    _libc.prctl(PR_CAP_AMBIENT, ctypes.c_ulong(PR_CAP_AMBIENT_CLEAR_ALL), 0, 0, 0)
    header = _CapHeader(0x20080522, 0)
    data = (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(header), data), "capset")


def _limits(policy: Policy) -> None:
    for res, value in ((resource.RLIMIT_AS, policy.memory_bytes), (resource.RLIMIT_CPU, policy.cpu_seconds),
                       (resource.RLIMIT_NPROC, policy.processes), (resource.RLIMIT_NOFILE, policy.open_files),
                       (resource.RLIMIT_FSIZE, policy.file_bytes), (resource.RLIMIT_CORE, 0)):
        resource.setrlimit(res, (value, value))


_MAX_FD = 2**31 - 1     # above any descriptor number, whatever the limits were when it was opened


def _close_fds(keep: tuple) -> None:
    """Every descriptor but 0-2 (now /dev/null) and KEEP is closed, whatever its number (the loop
    this replaces stopped at 1023). One closerange per gap, a single close_range(2) each: closing
    numbers one by one cost ~1.3 ms of CPU per sandbox, mostly the OSError of each unused one."""
    devnull = os.open("/dev/null", os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    low = 3
    for fd in sorted(k for k in set(keep) if k >= low):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, _MAX_FD)


def default_policy(hidden: list, uid: int, extra: list = ()) -> Policy:
    """The allowlisted view for a grader that must hide HIDDEN, and the default limits."""
    return Policy(uid=uid, view=filesystem.plan(list(hidden), list(extra)).to_dict())


def unavailable_hint() -> str:
    if rootless():
        return ("the kernel must allow unprivileged user namespaces (sysctl user.max_user_namespaces > 0; "
                "kernel.unprivileged_userns_clone=1 on older Debian; "
                "kernel.apparmor_restrict_unprivileged_userns=0 on Ubuntu 24.04+), or grade as root")
    return "root needs CAP_SYS_ADMIN for namespaces (inside a container: run it with user namespaces allowed)"


def probe(hidden: list, uid: int) -> str:
    """Try the whole isolation in a throw-away child; return "" if it holds, else what failed."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        code = 0
        try:
            inner = isolate()
            if inner == 0:
                confine(default_policy(hidden, uid), keep_fds=(write_fd,))
                problems = []
                if os.getuid() == 0 or os.geteuid() == 0:
                    problems.append("still root")
                try:
                    open("/probe", "w")
                    problems.append("filesystem writable")
                except OSError:
                    pass
                if any(os.path.lexists(os.path.join(h, name)) for h in hidden for name in COURSE_MARKERS):
                    problems.append("course visible")
                os.write(write_fd, "; ".join(problems).encode() or b"ok")
                os._exit(0)
            os.waitpid(inner, 0)
        except BaseException as exc:
            os.write(write_fd, f"{type(exc).__name__}: {exc}".encode()[:300])
            code = 1
        os._exit(code)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as fh:
        message = fh.read().decode(errors="replace")
    os.waitpid(pid, 0)
    return "" if message == "ok" else (message or "the sandbox child died")
