"""Where grading tasks run: one interface, a local process pool or a Dask cluster.

`run(bundle, tasks)` yields (student, JSON text) or (student, exception) as tasks finish. Tasks and
results are plain data; only the coordinator writes the gradebook.
"""
from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Iterator

from .workers import grade_task


class LocalExecutor:
    """A pool of worker processes on this machine (the embedded default).

    If a worker process dies, every task still in that pool fails with it; those tasks are tried
    again, each alone in a fresh one-process pool, so only the one that kills its worker ends as
    failed (after `tries` deaths) and the rest of the batch is graded.
    """

    def __init__(self, workers: int = 2, tries: int = 2):
        self.workers, self.tries = max(1, workers), max(1, tries)

    def run(self, bundle: dict, tasks: list[dict]) -> Iterator[tuple[str, object]]:
        broken: list[dict] = []
        for task, outcome in self._pool(bundle, tasks, min(self.workers, len(tasks)) or 1):
            if isinstance(outcome, BrokenProcessPool):
                broken.append(task)
            else:
                yield task["student"], outcome
        for task in broken:
            outcome: object = None
            for _ in range(self.tries):
                [(_, outcome)] = list(self._pool(bundle, [task], 1))
                if not isinstance(outcome, BrokenProcessPool):
                    break
            yield task["student"], outcome

    @staticmethod
    def _pool(bundle: dict, tasks: list[dict], workers: int):
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                                 initializer=die_with_parent) as pool:
            futures = {pool.submit(grade_task, task, bundle): task for task in tasks}
            for future in as_completed(futures):
                try:
                    yield futures[future], future.result()
                except Exception as exc:
                    yield futures[future], exc


def die_with_parent() -> None:
    """Pool workers end when the coordinator is killed (even by SIGKILL); their sandboxes follow."""
    from ..sandbox.isolation import PR_SET_PDEATHSIG, prctl
    prctl(PR_SET_PDEATHSIG, 9)


def _same(value):
    return value


class DaskExecutor:
    """Tasks on a Dask distributed cluster (scheduler and workers are Dask's own processes).

    A task whose worker dies is rescheduled on another worker by Dask; one that keeps killing its
    workers ends as KilledWorker after the scheduler's allowed-failures and is reported as failed.
    """

    def __init__(self, address: str, timeout: float = 30):
        self.address, self.timeout = address, timeout

    def run(self, bundle: dict, tasks: list[dict]) -> Iterator[tuple[str, object]]:
        from distributed import Client, as_completed as dask_completed
        with Client(self.address, timeout=self.timeout) as client:
            # the bundle as a task, not scattered data: if every worker holding it dies, Dask can
            # recompute it on a new worker instead of cancelling everything that needs it
            shared = client.submit(_same, bundle, key=f"bundle-{bundle['digest']}", pure=False)
            futures = {client.submit(grade_task, task, shared, pure=False,
                                     key=f"grade-{bundle['assignment']}-{task['student']}-{bundle['digest'][:8]}"):
                       task["student"] for task in tasks}
            for future in dask_completed(futures):
                try:
                    yield futures[future], future.result()
                except Exception as exc:
                    yield futures[future], exc
