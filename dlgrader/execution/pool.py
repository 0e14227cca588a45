"""The pool of grading worker processes behind `dlgrader grade` and `dlgrader serve`.

One pool, one retry policy for both commands:
- Workers are forked from the coordinator when the pool is made, before the coordinator imports
  nbgrader, after it has loaded the grading code and started one sandbox zygote, which the workers
  inherit and share (each spawn request is one message on the zygote's socket): start-up is paid
  once, not once per worker.
- Each worker runs its tasks in the order sent; the pool knows which task every worker is running.
  When a worker dies, only that task is blamed: it is tried again on a fresh worker, and after
  `tries` deaths it ends as `died`. Tasks sent to that worker behind it go back to the front of the
  queue, untried. A replacement worker is forked at once; the other workers never notice.
- Up to `depth` tasks wait at each worker, so a worker never idles while the coordinator is busy
  writing the gradebook (`grade` uses 2; `serve` 1, so that a newcomer waits for at most one grading
  per worker). An I/O thread feeds the workers and collects results; callers take finished outcomes
  with `get()`.
- Messages are length-prefixed JSON with a raw payload (a worker's JSON result text, passed as is):
  nothing is pickled. The task function is the one in workers.py, or one a test passes in.
"""
from __future__ import annotations

import base64
import collections
import json
import os
import queue
import resource
import select
import signal
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

_HEAD = struct.Struct("!IQ")       # header length, payload length


@dataclass
class Outcome:
    """A task's end (`value`: the worker's result text; `error`: what the task function raised;
    `died`: its worker died `deaths` times running it), or a `retry` notice after one death."""
    key: str
    value: Optional[str] = None
    error: str = ""
    died: bool = False
    retry: bool = False
    deaths: int = 0
    worker: int = 0
    seconds: float = 0.0


@dataclass
class WorkerStats:
    pid: int
    tasks: int = 0
    busy: float = 0.0            # seconds spent running tasks
    cpu: float = 0.0             # the worker's own CPU seconds in those tasks (not its sandboxes')
    rss_mb: float = 0.0          # peak resident memory of the worker process
    zygote_mb: float = 0.0       # peak resident memory of its sandbox zygote
    started: float = 0.0
    ready: float = 0.0           # when it had its code imported and its zygote up


@dataclass
class _Task:
    key: str
    task: dict
    digest: str
    tries: int = 0


@dataclass
class _Worker:
    pid: int
    sock: socket.socket
    stats: WorkerStats
    sent: collections.deque = field(default_factory=collections.deque)   # of _Task, oldest = running
    bundles: set = field(default_factory=set)
    warmed: set = field(default_factory=set)
    since: float = 0.0           # when its current task started (the previous one ended)


class WorkerPool:
    def __init__(self, workers: int = 2, tries: int = 2, depth: int = 2,
                 run: Optional[Callable[[dict, dict], str]] = None, prestart: bool = True):
        self.size, self.tries, self.depth = max(1, workers), max(1, tries), max(1, depth)
        self._run, self._prestart = run, prestart
        self._bundles: dict[str, dict] = {}
        self._queue: collections.deque = collections.deque()
        self._outcomes: queue.SimpleQueue = queue.SimpleQueue()    # put() is safe in a signal handler
        self._lock = threading.Lock()
        self._workers: dict[int, _Worker] = {}
        self.retired: list[WorkerStats] = []     # workers ended (died, or closed with the pool)
        self.died: list[int] = []                 # pids of the workers that died
        self.created = time.monotonic()
        self.first_sent = self.last_done = 0.0
        self._closing = False
        self._warmed = threading.Condition(self._lock)
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        if prestart:                   # one sandbox zygote, started here, shared by the workers
            from . import workers
            workers.prestart()
        for _ in range(self.size):
            self._fork()
        self._thread = threading.Thread(target=self._loop, name="dlgrader-pool", daemon=True)
        self._thread.start()

    # ---- the caller's side -------------------------------------------------------------------
    def submit(self, key: str, task: dict, bundle: dict) -> None:
        with self._lock:
            self._bundles.setdefault(bundle["digest"], bundle)
            self._queue.append(_Task(key, task, bundle["digest"]))
        self._wake()

    def warm(self, bundle: dict) -> None:
        """Have every current worker set BUNDLE up now (serve: before the first submission)."""
        with self._lock:
            self._bundles.setdefault(bundle["digest"], bundle)
            for w in self._workers.values():
                self._send_bundle(w, bundle["digest"])

    def wait_warm(self, digest: str, timeout: float = 120.0) -> bool:
        """Wait until every worker has set up the bundle DIGEST (after `warm`)."""
        with self._warmed:
            return self._warmed.wait_for(lambda: all(digest in w.warmed for w in self._workers.values()), timeout)

    def get(self, timeout: Optional[float] = None) -> Optional[Outcome]:
        """The next finished task's Outcome; None after TIMEOUT seconds or a nudge()."""
        try:
            return self._outcomes.get(timeout=timeout)
        except queue.Empty:
            return None

    def nudge(self) -> None:
        """Make a get() that is waiting (or the next one) return None now (any thread, or a signal
        handler, may call it)."""
        self._outcomes.put(None)

    def waiting(self) -> int:
        """Tasks not yet finished (queued or at a worker)."""
        with self._lock:
            return len(self._queue) + sum(len(w.sent) for w in self._workers.values())

    def free(self) -> int:
        """How many more tasks the workers would take right now."""
        with self._lock:
            return max(0, self.size * self.depth - len(self._queue) - sum(len(w.sent) for w in self._workers.values()))

    def stats(self) -> list[WorkerStats]:
        with self._lock:
            return self.retired + [w.stats for w in self._workers.values()]

    def close(self) -> None:
        if self._closing:
            return
        self._closing = True
        self._wake()
        self._thread.join(timeout=30)
        for w in list(self._workers.values()):
            self._end(w)
        os.close(self._wake_r)
        os.close(self._wake_w)
        if self._prestart:
            from . import zygotes
            zygotes.stop()

    # ---- the I/O thread ----------------------------------------------------------------------
    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"x")
        except (BlockingIOError, OSError):
            pass

    def _loop(self) -> None:
        try:
            self._serve()
        except Exception as exc:          # a bug here must not leave the caller waiting forever
            with self._lock:
                lost = list(self._queue) + [t for w in self._workers.values() for t in w.sent]
                self._queue.clear()
                for w in self._workers.values():
                    w.sent.clear()
            for item in lost:
                self._outcomes.put(Outcome(item.key, error=f"the worker pool failed: {type(exc).__name__}: {exc}"))

    def _serve(self) -> None:
        while not self._closing:
            with self._lock:
                self._feed()
                socks = {w.sock.fileno(): w for w in self._workers.values()}
            readable, _, _ = select.select([self._wake_r, *socks], [], [], 1.0)
            if self._wake_r in readable:
                os.read(self._wake_r, 4096)
            for fd in readable:
                if fd in socks:
                    self._receive(socks[fd])

    def _feed(self) -> None:
        for w in self._workers.values():
            while self._queue and len(w.sent) < self.depth:
                item = self._queue.popleft()
                try:
                    body = json.dumps(item.task, default=_b64).encode()
                except (TypeError, ValueError) as exc:       # not plain data: that task fails alone
                    self._outcomes.put(Outcome(item.key, error=f"cannot send the task: {exc}"))
                    continue
                if not w.sent:
                    w.since = time.monotonic()
                if not self._send_bundle(w, item.digest) or not self._send_raw(w, {"op": "task", "key": item.key,
                                                                                  "digest": item.digest}, body):
                    self._queue.appendleft(item)
                    self._died(w)
                    return                       # the worker set changed: feed again next turn
                w.sent.append(item)
                self.first_sent = self.first_sent or time.monotonic()

    def _send_bundle(self, w: _Worker, digest: str) -> bool:
        if digest in w.bundles:
            return True
        w.bundles.add(digest)
        return self._send(w, {"op": "bundle", "digest": digest}, self._bundles[digest])

    def _send(self, w: _Worker, head: dict, body) -> bool:
        return self._send_raw(w, head, json.dumps(body, default=_b64).encode())

    def _send_raw(self, w: _Worker, head: dict, body: bytes) -> bool:
        try:
            _write(w.sock, head, body)
            return True
        except OSError:
            return False

    def _receive(self, w: _Worker) -> None:
        try:
            head, payload = _read(w.sock)
        except (OSError, EOFError, ValueError):
            with self._lock:
                self._died(w)
            return
        now = time.monotonic()
        with self._lock:
            if head.get("op") == "ready":
                w.stats.ready = now
                w.since = now if w.sent else w.since      # busy from now on, not while importing
                return
            if head.get("op") == "warmed":
                w.warmed.add(head.get("digest"))
                self._warmed.notify_all()
                return
            item = w.sent.popleft() if w.sent else None
            if item is None or head.get("key") != item.key:      # cannot happen with our workers
                self._died(w)
                return
            w.stats.tasks += 1
            w.stats.busy += now - w.since
            w.stats.cpu += float(head.get("cpu", 0.0))
            w.stats.rss_mb = max(w.stats.rss_mb, float(head.get("rss_mb", 0.0)))
            w.stats.zygote_mb = max(w.stats.zygote_mb, float(head.get("zygote_mb", 0.0)))
            seconds, w.since = now - w.since, now
            self.last_done = now
        value = payload.decode("utf-8") if head.get("op") == "result" else None
        self._outcomes.put(Outcome(item.key, value=value, error=str(head.get("error", "")), deaths=item.tries,
                                   worker=w.pid, seconds=seconds))
        self._wake()

    def _died(self, w: _Worker) -> None:
        """W ended (EOF, a failed send): blame its running task, requeue the rest, replace it."""
        if w.pid in self._workers:
            self.died.append(w.pid)
        self._end(w)
        if w.sent:
            blamed = w.sent.popleft()
            blamed.tries += 1
            behind = list(w.sent)
            w.sent.clear()
            self._queue.extendleft(reversed(behind))
            if blamed.tries >= self.tries:
                self._outcomes.put(Outcome(blamed.key, died=True, deaths=blamed.tries, worker=w.pid))
            else:
                self._queue.appendleft(blamed)
                self._outcomes.put(Outcome(blamed.key, retry=True, deaths=blamed.tries, worker=w.pid))
        if not self._closing:
            self._fork()
        self._warmed.notify_all()

    def _end(self, w: _Worker) -> None:
        if self._workers.pop(w.pid, None) is None:
            return
        self.retired.append(w.stats)
        try:
            w.sock.close()
        finally:
            try:
                os.kill(w.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(w.pid, 0)

    def _fork(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:                             # the worker
            code = 0
            try:
                ours.close()
                for other in self._workers.values():
                    other.sock.close()
                os.close(self._wake_r)
                os.close(self._wake_w)
                _worker_main(theirs, self._run, self._prestart)
            except BaseException:
                code = 1
            os._exit(code)
        theirs.close()
        self._workers[pid] = _Worker(pid, ours, WorkerStats(pid, started=started))


# ---- the worker's side -------------------------------------------------------------------------
def _worker_main(sock: socket.socket, run, prestart: bool) -> None:
    from ..sandbox.isolation import PR_SET_PDEATHSIG, prctl
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)      # killed with the coordinator, even by SIGKILL
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the coordinator's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    from . import workers, zygotes
    if prestart:
        workers.prestart()
    inbox: queue.Queue = queue.Queue()
    # a reader thread drains the socket at all times, so the coordinator's sends never block
    threading.Thread(target=_drain, args=(sock, inbox), daemon=True).start()
    _write(sock, {"op": "ready"}, b"")
    bundles: dict[str, dict] = {}
    while True:
        message = inbox.get()
        if message is None:
            return
        head, body = message
        if head.get("op") == "bundle":
            bundles[head["digest"]] = json.loads(body, object_hook=_unb64)
            if not prestart:
                continue
            workers.warm(bundles[head["digest"]])
            _write(sock, {"op": "warmed", "digest": head["digest"]}, b"")
            continue
        task = json.loads(body, object_hook=_unb64)
        cpu = time.process_time()
        fn = run or workers.grade_task          # looked up now: a test may have replaced it
        try:
            value, reply = fn(task, bundles[head["digest"]]), {"op": "result"}
        except Exception as exc:
            value, reply = "", {"op": "error", "error": f"{type(exc).__name__}: {str(exc)[:300]}"}
        reply.update(key=head["key"], cpu=time.process_time() - cpu,
                     rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                     zygote_mb=zygotes.peak_mb())
        _write(sock, reply, value.encode("utf-8"))


def _drain(sock: socket.socket, inbox: queue.Queue) -> None:
    try:
        while True:
            inbox.put(_read(sock))
    except (OSError, EOFError, ValueError):
        inbox.put(None)


# ---- framing -----------------------------------------------------------------------------------
def _write(sock: socket.socket, head: dict, payload: bytes) -> None:
    header = json.dumps(head).encode()
    sock.sendall(_HEAD.pack(len(header), len(payload)) + header + payload)


def _read(sock: socket.socket) -> tuple[dict, bytes]:
    n_head, n_payload = _HEAD.unpack(_exact(sock, _HEAD.size))
    head = json.loads(_exact(sock, n_head))
    return head, _exact(sock, n_payload)


def _exact(sock: socket.socket, n: int) -> bytes:
    view, got = bytearray(n), 0
    while got < n:
        chunk = sock.recv_into(memoryview(view)[got:], n - got)
        if not chunk:
            raise EOFError("the other side closed")
        got += chunk
    return bytes(view)


def _b64(value):
    if isinstance(value, (bytes, bytearray)):
        return {"__bytes__": base64.b64encode(value).decode("ascii")}
    raise TypeError(f"a {type(value).__name__} cannot go to a worker")


def _unb64(obj: dict):
    if len(obj) == 1 and "__bytes__" in obj:
        return base64.b64decode(obj["__bytes__"])
    return obj
