"""The worker pool shared by `grade` and `serve`: real forked workers, faults injected as task
functions. A worker's death is blamed on the task it was running only; the rest of the batch goes on."""
from __future__ import annotations

import os
import select
import signal

import pytest

from dlgrader.execution.pool import WorkerPool

from ..conftest import gone

BUNDLE = {"digest": "b1", "data": "the bundle"}


def echo(task: dict, bundle: dict) -> str:
    return f"{task['n']}:{bundle['data']}:{os.getpid()}"


def kills_on(victim: int):
    def run(task: dict, bundle: dict) -> str:
        if task["n"] == victim:
            os._exit(70)
        return echo(task, bundle)
    return run


def drain(pool: WorkerPool, count: int) -> tuple[dict, list]:
    """Final outcomes by key (each key at most once), and the retry notices."""
    final, retries = {}, []
    while len(final) < count:
        outcome = pool.get(timeout=60)
        assert outcome is not None, f"no outcome after 60 s; have {sorted(final)}"
        if outcome.retry:
            retries.append(outcome)
            continue
        assert outcome.key not in final, f"{outcome.key} finished twice"
        final[outcome.key] = outcome
    assert pool.get(timeout=0) is None and pool.waiting() == 0
    return final, retries


def run_all(pool: WorkerPool, count: int) -> tuple[dict, list]:
    """Tasks t0..t{count-1} ({"n": i}) through POOL, which is closed after."""
    try:
        for n in range(count):
            pool.submit(f"t{n}", {"n": n}, BUNDLE)
        return drain(pool, count)
    finally:
        pool.close()


def test_every_task_once_on_both_workers_and_nothing_left_running():
    pool = WorkerPool(2, run=echo, prestart=False)
    pids = set(pool.stats()[i].pid for i in range(2))
    try:
        for n in range(40):
            pool.submit(f"t{n}", {"n": n, "blob": bytes(range(256))}, BUNDLE)
        final, retries = drain(pool, 40)
    finally:
        pool.close()
    assert not retries
    values = {k: o.value.split(":") for k, o in final.items()}
    assert all(v[:2] == [k[1:], "the bundle"] for k, v in values.items())
    assert {int(v[2]) for v in values.values()} == pids            # both workers took tasks
    assert sum(s.tasks for s in pool.stats()) == 40
    assert all(gone(pid, 10) for pid in pids)


def test_a_task_that_always_kills_its_worker_fails_alone_after_the_tries():
    pool = WorkerPool(2, tries=3, run=kills_on(7), prestart=False)
    final, retries = run_all(pool, 20)
    assert final["t7"].died and final["t7"].deaths == 3 and final["t7"].value is None
    assert [r.key for r in retries] == ["t7", "t7"]                # two retries, then given up
    others = {k: o for k, o in final.items() if k != "t7"}
    assert all(o.value and not o.died and o.deaths == 0 for o in others.values())   # never blamed
    assert len(pool.died) == 3                                      # one worker per death, replaced


def test_a_worker_killed_from_outside_costs_its_task_one_retry(tmp_path):
    once = tmp_path / "started"
    read_fd, write_fd = os.pipe()           # the stuck task says which worker runs it

    def stuck_once(task: dict, bundle: dict) -> str:
        if task["n"] == 3 and not once.exists():
            once.write_text("")
            os.write(write_fd, f"{os.getpid()}\n".encode())
            signal.pause()                      # until it is killed
        return echo(task, bundle)

    pool = WorkerPool(2, tries=2, run=stuck_once, prestart=False)
    try:
        for n in range(10):
            pool.submit(f"t{n}", {"n": n}, BUNDLE)
        assert select.select([read_fd], [], [], 60)[0], "the task never started"
        victim = int(os.read(read_fd, 64).decode().split()[0])
        os.kill(victim, signal.SIGKILL)
        final, retries = drain(pool, 10)
    finally:
        pool.close()
        os.close(read_fd)
        os.close(write_fd)
    assert [(r.key, r.deaths, r.worker) for r in retries] == [("t3", 1, victim)]
    assert final["t3"].value.startswith("3:") and final["t3"].deaths == 1 and final["t3"].worker != victim
    assert all(o.value and o.deaths == 0 for k, o in final.items() if k != "t3")


def test_an_exception_in_the_task_is_reported_and_the_worker_goes_on():
    def picky(task: dict, bundle: dict) -> str:
        if task["n"] % 2:
            raise ValueError("odd")
        return echo(task, bundle)

    pool = WorkerPool(1, run=picky, prestart=False)
    final, retries = run_all(pool, 6)
    assert not retries and not pool.died
    assert {k for k, o in final.items() if o.error == "ValueError: odd"} == {"t1", "t3", "t5"}
    assert len({o.worker for o in final.values()}) == 1


def test_bundles_go_to_each_worker_once_and_tasks_get_their_own():
    def which(task: dict, bundle: dict) -> str:
        return bundle["digest"]

    pool = WorkerPool(2, run=which, prestart=False)
    try:
        for n in range(12):
            bundle = {"digest": f"b{n % 3}", "data": "x" * 100_000}
            pool.submit(f"t{n}", {"n": n}, bundle)
        final, _ = drain(pool, 12)
    finally:
        pool.close()
    assert {k: o.value for k, o in final.items()} == {f"t{n}": f"b{n % 3}" for n in range(12)}


@pytest.mark.parametrize("depth", [1, 2])
def test_free_slots_follow_the_depth(depth):
    pool = WorkerPool(2, depth=depth, run=echo, prestart=False)
    try:
        assert pool.free() == 2 * depth
        pool.submit("t0", {"n": 0}, BUNDLE)
        assert pool.free() == 2 * depth - 1
        drain(pool, 1)
        assert pool.free() == 2 * depth
    finally:
        pool.close()


def test_a_task_that_is_not_plain_data_fails_alone():
    pool = WorkerPool(1, run=echo, prestart=False)
    try:
        pool.submit("bad", {"n": 0, "thing": object()}, BUNDLE)
        pool.submit("good", {"n": 1}, BUNDLE)
        final, _ = drain(pool, 2)
    finally:
        pool.close()
    assert final["bad"].error.startswith("cannot send the task") and final["good"].value.startswith("1:")
