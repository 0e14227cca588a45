"""The grader's side of a sandbox: start the zygote, open a session per submission, talk to it.

Every reply is decoded as plain data; a session that breaks the protocol, runs out of time or dies
is killed (its whole PID namespace with it) and reported, never trusted.
"""
from __future__ import annotations

import json
import math
import os
import select
import signal
import socket
import subprocess
import sys
import time
from typing import Callable, Optional

from . import codec
from .isolation import Policy


def _reported_cpu(value, limit: float) -> float:
    """The sandbox's own count of the CPU a request took: it may say anything, so only a finite
    number within the request's time limit counts, anything else counts 0."""
    if type(value) not in (int, float) or not math.isfinite(value) or not 0 <= value <= limit:
        return 0.0
    return float(value)


class SandboxUnavailable(RuntimeError):
    pass


class SessionDied(RuntimeError):
    """The sandboxed process ended, broke the protocol or ran out of time."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Zygote:
    """One pre-warmed zygote process; `spawn()` gives a fresh isolated session from it, under the
    zygote's policy or one given for that session (a grading worker serves several assignments).

    One zygote can serve several worker processes forked after it started (the grading pool shares
    one: its start-up, ~1 s of CPU, is paid once): each spawn request is one atomic message on the
    zygote's SEQPACKET control socket, carrying the socket of its own session. Only the process that
    started the zygote stops it; a forked worker's close() just lets go of the socket.
    With `wait=False` the zygote starts in the background; `ready()` (or the first spawn) waits.
    `plots`: preload matplotlib's pyplot (for assignments whose notebooks plot)."""

    def __init__(self, policy: Optional[Policy] = None, isolate: bool = True, wait: bool = True,
                 plots: bool = True):
        self.policy = policy
        self.isolate = isolate
        self.owner = os.getpid()
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
        if os.environ.get("LD_LIBRARY_PATH"):      # a Python whose libpython lives beside it
            env["LD_LIBRARY_PATH"] = os.environ["LD_LIBRARY_PATH"]
        self.proc = subprocess.Popen([sys.executable, "-I", "-m", "dlgrader.sandbox.zygote",
                                      str(child.fileno())] + (["--plots"] if plots else []), pass_fds=[child.fileno()], env=env,
                                     cwd="/", stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        child.close()
        self.control = parent
        self._ready = False
        if wait:
            self.ready()

    def ready(self, timeout: float = 60.0) -> None:
        """Wait for the zygote's start-up (its imports); SandboxUnavailable if it did not start."""
        if self._ready:
            return
        ready, _, _ = select.select([self.control], [], [], timeout)
        if not ready or self.control.recv(16) != b"ready\n":
            err = self.proc.stderr.read().decode(errors="replace")[-300:] if self.proc.poll() is not None else ""
            raise SandboxUnavailable(f"the sandbox zygote did not start {err.strip()}")
        self._ready = True

    def spawn(self, timeout: float = 30.0, policy: Optional[Policy] = None,
              isolate: Optional[bool] = None) -> "Session":
        policy = policy or self.policy
        if policy is None:
            raise SandboxUnavailable("no sandbox policy given")
        isolate = self.isolate if isolate is None else isolate
        self.ready()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        request = json.dumps({"policy": policy.to_dict(), "isolate": isolate}).encode()
        try:
            socket.send_fds(self.control, [request], [theirs.fileno()])
        except OSError as exc:
            raise SandboxUnavailable(f"the sandbox zygote is gone: {exc}") from None
        finally:
            theirs.close()
        session = Session(ours)
        session.start(timeout)
        return session

    def close(self) -> None:
        try:
            self.control.close()
        finally:
            if os.getpid() == self.owner:        # a worker forked later only lets go of the socket
                if self.proc.poll() is None:
                    self.proc.kill()
                self.proc.wait()


class Session:
    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.pid: Optional[int] = None
        self.dead: Optional[str] = None
        self.callbacks: dict[int, Callable] = {}
        self.cpu = 0.0      # CPU seconds the sandbox reported for its cells and calls (statistics)
        self.buffer = codec.Buffer()

    # ---- life cycle --------------------------------------------------------------------------
    def start(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        ready = False
        while self.pid is None or not ready:
            msg = self._recv(deadline)
            op = msg.get("op")
            if op == "pid" and type(msg.get("pid")) is int and msg["pid"] > 0:
                self.pid = msg["pid"]
            elif op == "ready":
                ready = True
            elif op == "fatal":
                self.kill()
                raise SandboxUnavailable(str(msg.get("error")))
            else:
                self._die("protocol error at start")

    def kill(self) -> None:
        if self.pid:
            for sig_target in (lambda: os.killpg(self.pid, signal.SIGKILL), lambda: os.kill(self.pid, signal.SIGKILL)):
                try:
                    sig_target()
                except (ProcessLookupError, PermissionError):
                    pass
        try:
            self.sock.close()
        except OSError:
            pass

    def close(self) -> None:
        if not self.dead:
            try:
                self.sock.sendall(codec.pack({"op": "bye"}))
            except OSError:
                pass
        self.kill()

    # ---- requests ----------------------------------------------------------------------------
    def request(self, message: dict, timeout: float) -> dict:
        """Send one request; serve the sandbox's callbacks until its reply arrives."""
        if self.dead:
            raise SessionDied(self.dead)
        deadline = time.monotonic() + timeout
        try:
            self.sock.sendall(codec.pack(message))
        except (OSError, codec.CodecError) as exc:
            self._die(f"could not send to the sandbox ({exc})")
        while True:
            reply = self._recv(deadline)
            if reply.get("op") == "callback":
                self._answer_callback(reply)
                continue
            if message.get("op") in ("cell", "call"):
                self.cpu += _reported_cpu(reply.pop("cpu", None), timeout)
            return reply

    def register_callback(self, fn: Callable) -> dict:
        number = len(self.callbacks) + 1
        self.callbacks[number] = fn
        return {"__callback__": number}

    def _answer_callback(self, msg: dict) -> None:
        fn = self.callbacks.get(msg.get("id"))
        try:
            if fn is None:
                raise LookupError("unknown callback")
            from ..verdicts.checks import quiet
            with quiet():
                value = fn(*codec.decode(msg.get("args", [])), **codec.decode(msg.get("kwargs", {})))
            reply = {"value": codec.encode(value)}
        except Exception as exc:
            reply = {"error": f"{type(exc).__name__}: {str(exc)[:200]}"}
        try:
            self.sock.sendall(codec.pack(reply))
        except (OSError, codec.CodecError) as exc:
            self._die(f"could not answer the sandbox ({exc})")

    def _recv(self, deadline: float) -> dict:
        header = self._exact(codec.header_size(), deadline)
        try:
            length = codec.body_length(header)
            return codec.unpack(self._exact(length, deadline))
        except codec.CodecError as exc:
            self._die(f"the submission sent malformed data ({exc})")

    def _exact(self, n: int, deadline: float) -> bytes:
        def receive(size: int) -> bytes:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._die("time limit exceeded")
            ready, _, _ = select.select([self.sock], [], [], remaining)
            if not ready:
                self._die("time limit exceeded")
            try:
                return self.sock.recv(size)
            except OSError:
                return b""
        try:
            return self.buffer.take(n, receive)
        except EOFError:
            self._die("the submission's process ended unexpectedly")

    def _die(self, reason: str):
        self.dead = reason
        self.kill()
        raise SessionDied(reason)
