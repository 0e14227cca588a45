"""Linux isolation for one submission: namespaces, a read-only filesystem, rlimits, a non-root uid.

Called in a freshly forked child (see zygote.py). `isolate()` moves the calling process into new
mount, network, IPC and UTS namespaces and a new PID namespace, in which it forks: the returned
child is PID 1 there, so when it exits the kernel kills every process the submission started.
`confine()` (in that child) hides the course, the exchange and the grader's home behind empty
tmpfs mounts, makes every mount read-only, mounts a small private scratch at /tmp, applies
resource limits and drops to an unprivileged uid. Needs root (CAP_SYS_ADMIN); `probe()` says whether
this machine allows it.
"""
from __future__ import annotations

import ctypes
import os
import resource
import sys
from dataclasses import dataclass, field

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38

_libc = ctypes.CDLL(None, use_errno=True)


class SandboxError(OSError):
    pass


@dataclass
class Policy:
    uid: int = 64000                        # unprivileged, one per worker slot
    hide: list = field(default_factory=list)    # folders replaced by empty read-only tmpfs
    keep: list = field(default_factory=list)    # folders re-exposed read-only under a hidden one
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


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise SandboxError(err, f"{what}: {os.strerror(err)}")


def _mount(source, target, fstype, flags, data=None) -> None:
    _check(_libc.mount(_b(source), _b(target), _b(fstype), ctypes.c_ulong(flags), _b(data)),
           f"mount {target}")


def _b(text):
    return None if text is None else str(text).encode()


def prctl(option: int, value: int) -> None:
    _check(_libc.prctl(option, ctypes.c_ulong(value), 0, 0, 0), "prctl")


def isolate() -> int:
    """unshare() into new namespaces and fork; returns the child's pid (0 in the child, as fork)."""
    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWPID),
           "unshare")
    return os.fork()


SCRATCH = "/tmp"


def confine(policy: Policy, keep_fds: tuple = ()) -> None:
    """In the PID-1 child: lock down the filesystem, limits and identity. Irreversible."""
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    keep = [p for p in _unique(policy.keep) if os.path.isdir(p)]
    keep_handles = {p: os.open(p, os.O_PATH | os.O_DIRECTORY) for p in keep}
    for path in sorted(_unique(policy.hide), key=len):
        if os.path.isdir(path) and path != SCRATCH:
            _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=755")
    # the private scratch /tmp goes in before the kept folders: a Python installation that lives under
    # /tmp (a checkout in /tmp/...) is bound on top of it, not buried under it
    _mount("tmpfs", SCRATCH, "tmpfs", MS_NOSUID | MS_NODEV, f"size={policy.scratch_bytes},mode=1777")
    for path, fd in keep_handles.items():
        if any(_under(path, h) for h in policy.hide + [SCRATCH]):
            os.makedirs(path, mode=0o755, exist_ok=True)
            _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
        os.close(fd)
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    _remount_all_read_only(except_=SCRATCH)
    os.chdir(SCRATCH)
    _close_fds(keep_fds)
    _limits(policy)
    os.setgroups([])
    os.setresgid(policy.uid, policy.uid, policy.uid)
    os.setresuid(policy.uid, policy.uid, policy.uid)
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    prctl(PR_SET_PDEATHSIG, 9)
    os.environ.clear()
    os.environ.update({"HOME": "/tmp", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
                       "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"})


def _remount_all_read_only(except_: str) -> None:
    """Every mount read-only but /proc and the scratch folder itself (what is bound under it is
    read-only too)."""
    flags_by_opt = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC}
    with open("/proc/self/mountinfo") as fh:
        entries = [line.split() for line in fh]
    for parts in entries:
        target = parts[4].encode().decode("unicode_escape")
        if target == "/proc" or target.startswith("/proc/") or target == except_:
            continue
        opts = parts[5].split(",")
        flags = MS_BIND | MS_REMOUNT | MS_RDONLY
        for opt in opts:
            flags |= flags_by_opt.get(opt, 0)
        try:
            _mount(None, target, None, flags)
        except SandboxError:
            if target == "/":
                raise


def _limits(policy: Policy) -> None:
    for res, value in ((resource.RLIMIT_AS, policy.memory_bytes), (resource.RLIMIT_CPU, policy.cpu_seconds),
                       (resource.RLIMIT_NPROC, policy.processes), (resource.RLIMIT_NOFILE, policy.open_files),
                       (resource.RLIMIT_FSIZE, policy.file_bytes), (resource.RLIMIT_CORE, 0)):
        resource.setrlimit(res, (value, value))


def _close_fds(keep: tuple) -> None:
    devnull = os.open("/dev/null", os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    keep_set = set(keep) | {0, 1, 2}
    for fd in range(3, 1024):
        if fd not in keep_set:
            try:
                os.close(fd)
            except OSError:
                pass


def _unique(paths) -> list:
    out = []
    for p in paths:
        p = os.path.realpath(p)
        if p not in out:
            out.append(p)
    return out


def _under(path: str, folder: str) -> bool:
    folder = os.path.realpath(folder)
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def default_policy(hidden: list, uid: int) -> Policy:
    """Hide the given folders, the grader's home and temp folders; keep the Python install usable."""
    hide = list(hidden) + [os.path.expanduser("~"), "/tmp", "/var/tmp", "/dev/shm", "/run", "/srv", "/home"]
    keep = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
    keep += [p for p in sys.path if p and os.path.isdir(p)]
    # never re-expose a folder holding the course (sys.path has the course root when the grader was
    # started with `python -m` from it); a Python installation inside it (.venv) stays usable
    keep = [p for p in keep if not any(_under(os.path.realpath(h), os.path.realpath(p)) for h in hidden)]
    return Policy(uid=uid, hide=hide, keep=keep)


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
                if os.getuid() == 0:
                    problems.append("still root")
                try:
                    open("/probe", "w")
                    problems.append("filesystem writable")
                except OSError:
                    pass
                if any(os.path.exists(os.path.join(h, "reference")) for h in hidden):
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
