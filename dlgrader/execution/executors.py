"""Where grading tasks run: one interface, the local worker pool (pool.py) or a Dask cluster.

`start(bundle, tasks)` hands the tasks over at once (the workers begin while the coordinator goes on
loading); `results()` then yields (student, JSON text) or (student, exception) as tasks finish. Tasks
and results are plain data; only the coordinator writes the gradebook.
"""
from __future__ import annotations

import os
import time
from typing import Iterator, Optional

from .pool import WorkerPool


class WorkerDied(RuntimeError):
    """A submission's grading killed its worker process every time it was tried."""

    def __init__(self, deaths: int):
        super().__init__(f"its grading worker died {deaths} time(s) running it; gave up")


class TaskFailed(RuntimeError):
    """The grading function raised in the worker (a fault of the grader, not of the submission)."""


class LocalExecutor:
    """The pool of worker processes on this machine (the embedded default), with its retry policy:
    a task whose worker dies is tried again on a fresh worker, up to `tries` times (pool.py)."""

    def __init__(self, workers: int = 2, tries: int = 2, pool: Optional[WorkerPool] = None):
        self.workers, self.tries = max(1, workers), max(1, tries)
        self.pool, self._own = pool, pool is None
        self._count = 0

    def start(self, bundle: dict, tasks: list[dict]) -> None:
        if self.pool is None and tasks:
            from . import zygotes       # (if the CLI has not already) its imports run alongside ours
            zygotes.start(plots=zygotes.plots(src for src, _ in bundle["notebooks"].values()))
            from . import notebook  # noqa: F401  (imported once here, every forked worker has it)
            self.pool = WorkerPool(min(self.workers, len(tasks)), self.tries)
        for task in tasks:
            self.pool.submit(task["student"], task, bundle)
        self._count = len(tasks)

    def results(self) -> Iterator[tuple[str, object]]:
        try:
            while self._count:
                outcome = self.pool.get()
                if outcome.retry:
                    continue
                self._count -= 1
                if outcome.died:
                    yield outcome.key, WorkerDied(outcome.deaths)
                elif outcome.error:
                    yield outcome.key, TaskFailed(outcome.error)
                else:
                    yield outcome.key, outcome.value
        finally:
            self.close()

    def close(self) -> None:
        if self._own and self.pool is not None:
            self.pool.close()

    def stats(self) -> dict:
        """Worker figures for the run (benchmarks print them): busy fraction, start-up, memory."""
        if self.pool is None:
            return {}
        workers = self.pool.stats()
        span = max(self.pool.last_done - self.pool.first_sent, 1e-9)
        return {"workers": [w.__dict__ for w in workers], "span": span,
                "busy": sum(w.busy for w in workers) / (span * self.pool.size),
                "ready": max((w.ready - self.pool.created for w in workers if w.ready), default=0.0),
                "first_task_at": _process_age() - (time.monotonic() - self.pool.first_sent)}


def _process_age() -> float:
    """Seconds since this process started (for the start-up figure: command start to first task)."""
    with open("/proc/self/stat") as fh:
        started = int(fh.read().rsplit(")", 1)[1].split()[19]) / os.sysconf("SC_CLK_TCK")
    with open("/proc/uptime") as fh:
        return float(fh.read().split()[0]) - started


def _same(value):
    return value


class DaskExecutor:
    """Tasks on a Dask distributed cluster (scheduler and workers are Dask's own processes).

    A task whose worker dies is rescheduled on another worker by Dask; one that keeps killing its
    workers ends as KilledWorker after the scheduler's allowed-failures and is reported as failed.
    """

    def __init__(self, address: str, timeout: float = 30):
        self.address, self.timeout = address, timeout
        self.bundle, self.tasks = None, []

    def start(self, bundle: dict, tasks: list[dict]) -> None:
        self.bundle, self.tasks = bundle, tasks

    def stats(self) -> dict:
        return {}

    def close(self) -> None:
        pass

    def results(self) -> Iterator[tuple[str, object]]:
        from distributed import Client, as_completed as dask_completed
        from . import workers
        bundle, tasks = self.bundle, self.tasks
        if not tasks:
            return
        with Client(self.address, timeout=self.timeout) as client:
            # the bundle as a task, not scattered data: if every worker holding it dies, Dask can
            # recompute it on a new worker instead of cancelling everything that needs it
            shared = client.submit(_same, bundle, key=f"bundle-{bundle['digest']}", pure=False)
            futures = {client.submit(workers.grade_task, task, shared, pure=False,
                                     key=f"grade-{bundle['assignment']}-{task['student']}-{bundle['digest'][:8]}"):
                       task["student"] for task in tasks}
            for future in dask_completed(futures):
                try:
                    yield futures[future], future.result()
                except Exception as exc:
                    yield futures[future], exc
