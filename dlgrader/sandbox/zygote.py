"""The pre-warmed process that forks one sandbox per submission.

Started once per grading pool with `python -I -m dlgrader.sandbox.zygote FD [--plots]` (isolated
mode: no current folder on sys.path, no PYTHON* variables). It imports numpy and IPython's cell
transformer once (and matplotlib's pyplot with --plots: 0.75 s of its start-up, paid only for
assignments whose notebooks plot; a sandbox that imports it anyway pays it in its own cell), then for every request received on the control socket forks a child straight into new
namespaces (isolation.isolate), which confines itself and serves the submission on the socket
passed along with the request. It never loads the course's
reference or tests, so a forked sandbox has nothing of them in memory.
"""
from __future__ import annotations

import json
import os
import re
import resource
import signal
import socket
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

import numpy  # noqa: E402,F401  (warm: every sandbox starts with numpy imported)

if "--plots" in sys.argv[2:]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401  (the plotting cell must not pay for the import)
from IPython.core.inputtransformer2 import TransformerManager  # noqa: E402

from . import codec, isolation as sandbox  # noqa: E402
from .inside import Channel, Runner  # noqa: E402

_transformer = TransformerManager()
_MAGIC = re.compile(r"^\s*[%!]|\?\s*$", re.M)   # IPython syntax only: plain Python needs no transform


def _transform(source: str) -> str:
    if not _MAGIC.search(source):
        return source
    return _transformer.transform_cell(source)


def _sandboxed(control: socket.socket, channel: Channel, session_fd: int, policy: sandbox.Policy,
               isolate: bool) -> None:
    """Runs in the forked child, the sandboxed process: confine it, serve the submission, exit.
    Never returns into the zygote's loop, whatever happens."""
    try:
        control.close()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)   # the student's code waits for its children
        sandbox.prctl(sandbox.PR_SET_PDEATHSIG, 9)      # dies with the zygote
        try:
            os.setpgid(0, 0)
            if isolate:
                sandbox.confine(policy, keep_fds=(session_fd,))
            else:
                for res, value in ((resource.RLIMIT_AS, policy.memory_bytes),
                                   (resource.RLIMIT_CPU, policy.cpu_seconds),
                                   (resource.RLIMIT_FSIZE, policy.file_bytes)):
                    resource.setrlimit(res, (value, value))
        except BaseException as exc:
            channel.send({"op": "fatal", "error": f"cannot enter the sandbox: {exc}"})
            return
        Runner(channel, _transform).serve()
    finally:
        os._exit(0)


def _spawn(control: socket.socket, session_fd: int, policy: sandbox.Policy, isolate: bool) -> None:
    """Fork the sandboxed process straight into its namespaces and tell the grader its pid (its
    parent is the zygote, which ignores SIGCHLD: the kernel reaps it)."""
    sock = socket.socket(fileno=session_fd)
    channel = Channel(sock)
    try:
        pid = sandbox.isolate() if isolate else os.fork()
    except OSError as exc:
        pid, error = -1, f"cannot create the sandbox: {exc}"
    if pid == 0:
        _sandboxed(control, channel, session_fd, policy, isolate)
    # a few bytes on a socket the sandbox has not written past "ready" on: never blocks; and if the
    # grader has gone, the zygote carries on
    message = {"op": "pid", "pid": pid} if pid > 0 else {"op": "fatal", "error": error}
    try:
        sock.send(codec.pack(message), socket.MSG_DONTWAIT)
    except OSError:
        pass
    sock.close()


def serve(control: socket.socket) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)   # children are reaped automatically
    sandbox.prctl(sandbox.PR_SET_PDEATHSIG, 9)      # die with the worker that started us
    control.sendall(b"ready\n")
    while True:
        try:
            data, fds, _flags, _addr = socket.recv_fds(control, 65536, 1)
        except OSError:
            return
        if not data:
            return
        request = json.loads(data.decode())
        policy = sandbox.Policy.from_dict(request["policy"])
        _spawn(control, fds[0], policy, bool(request.get("isolate", True)))


def main() -> None:
    control = socket.socket(fileno=int(sys.argv[1]))
    serve(control)


if __name__ == "__main__":
    main()
