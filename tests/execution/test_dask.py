"""Grading on a real Dask cluster: a scheduler and two worker processes on loopback, started here
as separate processes. Same scores as the local executor; a killed worker loses nothing; a
submission that keeps killing its worker ends as failed without stalling the batch."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from dlgrader.course import Course
from dlgrader.execution.batch import grade_batch
from dlgrader.gradebook.scores import submission_scores

from ..conftest import crash_on, free_port, gone
from .cohort import ps2_cohort

A = "ps2_softmax_cross_entropy"
DASK = str(Path(sys.executable).parent / "dask")


class Cluster:
    def __init__(self, tmp: Path, worker_env: dict | None = None):
        port = free_port()
        self.address = f"tcp://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("DLGRADER_")}
        env["DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES"] = "1"
        env["DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION"] = "1.0"   # one task per worker thread
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        self.procs = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                        "--no-dashboard"], env=env, cwd=tmp, stdout=subprocess.DEVNULL,
                                       stderr=open(tmp / "scheduler.log", "w"))]
        for i in range(2):
            self.procs.append(subprocess.Popen(
                [DASK, "worker", self.address, "--nthreads", "1", "--nworkers", "1", "--no-dashboard",
                 "--host", "127.0.0.1", "--memory-limit", "0", "--name", f"w{i}"],
                env=dict(env, **(worker_env or {})), cwd=tmp, stdout=subprocess.DEVNULL,
                stderr=open(tmp / f"worker{i}.log", "w")))
        from distributed import Client
        with Client(self.address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)

    def worker_pids(self) -> dict:
        from distributed import Client
        with Client(self.address, timeout=30) as client:
            return client.run(os.getpid)

    def busy_worker(self) -> tuple[int, list[str]]:
        """The pid of a worker running a grading task right now, and the tasks it runs."""
        from distributed import Client
        pids = self.worker_pids()
        with Client(self.address, timeout=30) as client:
            busy = {w: [str(k) for k in keys if str(k).startswith("grade-")]
                    for w, keys in client.processing().items()}
        worker, held = max(busy.items(), key=lambda item: len(item[1]))
        return pids[worker], held

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def make_course(built_template, tmp: Path) -> Course:
    return ps2_cohort(built_template, tmp / "course", 12)


def scores(course: Course) -> dict:
    return {s.student: [(c.cell, c.score) for c in s.cells] for s in submission_scores(course, A)}


@pytest.fixture(scope="module")
def local_scores(built_template, tmp_path_factory):
    course = make_course(built_template, tmp_path_factory.mktemp("local"))
    grade_batch(course, A)
    return scores(course)


def test_dask_cluster_grades_like_the_local_executor(built_template, tmp_path, local_scores):
    cluster = Cluster(tmp_path)
    try:
        course = make_course(built_template, tmp_path)
        run = grade_batch(course, A, scheduler=cluster.address)
        pids = cluster.worker_pids()
    finally:
        cluster.stop()
    assert scores(course) == local_scores
    used = {w.rsplit(":", 1)[1] for w in run.workers.values()}
    assert used <= {str(p) for p in pids.values()} and len(used) == 2      # both workers, not us
    assert str(os.getpid()) not in used


def test_a_killed_dask_worker_loses_nothing(built_template, tmp_path, local_scores):
    """One worker is SIGKILLed from inside the batch (when the third grading is recorded, while the
    coordinator waits for the kill to land) while it runs a grading, and everything is still graded
    exactly once."""
    cluster = Cluster(tmp_path)
    course = make_course(built_template, tmp_path)
    killed = {}

    def kill_one(student: str) -> None:
        killed.setdefault("recorded", 0)
        killed["recorded"] += 1
        if killed["recorded"] == 3:
            victim, killed["held"] = cluster.busy_worker()
            os.kill(victim, signal.SIGKILL)
            killed["gone"] = gone(victim, 30.0)
    outcome = {}
    try:
        thread = threading.Thread(target=lambda: outcome.setdefault(
            "run", grade_batch(course, A, scheduler=cluster.address, on_recorded=kill_one)))
        thread.start()
        thread.join(timeout=300)
        assert not thread.is_alive(), "the batch did not finish after the kill"
    finally:
        cluster.stop()
    assert killed.get("gone") is True, killed          # the kill landed, with 11 of 14 still to record,
    assert killed["held"], killed                      # on a worker in the middle of a grading
    assert killed["recorded"] == 14
    run = outcome["run"]
    assert not run.failed
    assert scores(course) == local_scores              # every submission graded exactly once, same scores


def test_a_submission_that_keeps_killing_its_worker_fails_alone(built_template, tmp_path, local_scores):
    cluster = Cluster(tmp_path, worker_env=crash_on("d05"))
    try:
        course = make_course(built_template, tmp_path)
        run = grade_batch(course, A, scheduler=cluster.address)
    finally:
        cluster.stop()
    assert list(run.failed) == ["d05"] and "died repeatedly" in run.failed["d05"], run.failed
    got = scores(course)
    assert "d05" not in got
    assert {s: c for s, c in got.items()} == {s: c for s, c in local_scores.items() if s != "d05"}
