"""`dlgrader serve` against nbgrader's real exchange: students submit and fetch feedback with
nbgrader's own CLI while serve runs; newest-only, restart after SIGKILL, a worker-killing submission."""
from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import pytest

from dlgrader.collection import student as exchange_student
from dlgrader.course import Course

from ..conftest import crash_on, mistake_book, dlgrader, notebook_path
from ..execution.cohort import filled

A = "ps2_softmax_cross_entropy"
NB = "softmax_cross_entropy"
COURSE_ID = "dl-math-toolkit"
LEAKS = ("BEGIN HIDDEN TESTS", "t.hidden(", "_dlgrader_reference", "reference/suites")


def mistake(name: str, key: str) -> str:
    return mistake_book().get(name, key)


class Serve:
    """`dlgrader serve` as a subprocess; its status lines are read as they come."""

    running: list["Serve"] = []

    def __init__(self, course: Course, env: dict | None = None, poll: str = "0.1"):
        full = {k: v for k, v in os.environ.items() if not k.startswith("DLGRADER_")}
        full.update(env or {})
        self.proc = subprocess.Popen([sys.executable, "-m", "dlgrader.cli", "serve", "--poll", poll],
                                     cwd=course.root, env=full, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        Serve.running.append(self)
        self.lines: queue.Queue = queue.Queue()
        self.seen: list[str] = []
        self.claimed: set[int] = set()
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_for("watching")

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def wait_for(self, *fragments: str, timeout: float = 120) -> str:
        """The first line not returned before that holds every fragment, waiting for it if need be."""
        def match(i: int, line: str) -> bool:
            return i not in self.claimed and all(f in line for f in fragments)
        for i, line in enumerate(self.seen):
            if match(i, line):
                self.claimed.add(i)
                return line
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"serve printed no line with {fragments} in {timeout} s:\n"
                                     + "\n".join(self.seen[-30:])) from None
            if line is None:
                raise AssertionError("serve ended:\n" + "\n".join(self.seen[-30:]))
            self.seen.append(line)
            if match(len(self.seen) - 1, line):
                self.claimed.add(len(self.seen) - 1)
                return line

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> str:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)
        return self.wait_for("serve stopped")


def nbgrader(home: Path, course: Course, *args: str) -> subprocess.CompletedProcess:
    """The student's own `nbgrader` command, run from their home (no course config there)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLGRADER_")}
    env["HOME"] = str(home)
    home.mkdir(parents=True, exist_ok=True)
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args, f"--course={COURSE_ID}",
                             f"--Exchange.root={course.exchange}", f"--Exchange.cache={home / '.nbgrader_cache'}"],
                            cwd=home, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def answers(course: Course, **replacements: str):
    return filled(notebook_path(course.root, "source", A), replacements)


def events(course: Course, kind: str) -> list[dict]:
    lines = (course.root / "logs" / "serve.jsonl").read_text().splitlines()
    return [e for e in map(json.loads, lines) if e["event"] == kind]


def graded_times(course: Course) -> dict:
    import sqlite3
    db = sqlite3.connect(course.gradebook_path)
    try:
        return dict(db.execute("SELECT student, times FROM dlgrader_graded WHERE assignment = ?", (A,)))
    finally:
        db.close()


@pytest.fixture
def released(course):
    dlgrader(course.root, "release", A)
    yield course
    while Serve.running:                     # whatever a failing test left running
        proc = Serve.running.pop().proc
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)


def test_submit_while_serving_then_fetch_feedback(released, tmp_path):
    course = released
    serve = Serve(course)
    try:
        home = tmp_path / "alice"
        nbgrader(home, course, "fetch_assignment", A)
        work = home / A / f"{NB}.ipynb"
        wrong = mistake("softmax_ce_gradient", "sign-flip")
        nbformat.write(answers(course, softmax_ce_gradient=wrong.student_source()), str(work))
        nbgrader(home, course, "submit", A, "--student=alice")
        line = serve.wait_for("alice", A, "feedback released")
        nbgrader(home, course, "fetch_feedback", A, "--student=alice")
        pages = list((home / A / "feedback").glob(f"*/{NB}.html"))
        assert len(pages) == 1, pages
        page = pages[0].read_text()
        assert wrong.hint.split(":")[0] in page and "sign is flipped" in page
        assert "What to fix first" in page and 'class="dl-fix"' in page and "Out[" not in page   # dlgrader's page
        assert not [m for m in LEAKS if m in page]
        [event] = events(course, "feedback")
        assert 0 < event["score"] < event["max_score"] == 13 and f"{event['score']:g}/13" in line

        # a corrected resubmission: new feedback, full marks, fetched beside the first one
        nbformat.write(answers(course), str(work))
        nbgrader(home, course, "submit", A, "--student=alice")
        serve.wait_for("alice", A, "13/13", "feedback released")
        nbgrader(home, course, "fetch_feedback", A, "--student=alice")
        pages = sorted((home / A / "feedback").glob(f"*/{NB}.html"))
        assert len(pages) == 2 and "sign is flipped" not in pages[-1].read_text()
    finally:
        stopped = serve.stop()
    assert "2 graded, 2 feedback released, 0 failed" in stopped
    assert graded_times(course) == {"alice": 2}


def test_newest_only_and_restart_after_sigkill(released, tmp_path):
    course = released
    wrong = mistake("softmax", "no-max-shift").student_source()
    # waiting before serve starts: bob submitted three times (only the last is right), carol once
    for version in (answers(course, softmax=wrong), answers(course, softmax=wrong), answers(course)):
        home = tmp_path / "bob"
        if not (home / A).is_dir():
            exchange_student.fetch(course, home, "bob", A)
        nbformat.write(version, str(home / A / f"{NB}.ipynb"))
        exchange_student.submit(course, home, "bob", A)
    exchange_student.fetch(course, tmp_path / "carol", "carol", A)
    nbformat.write(answers(course, softmax=wrong), str(tmp_path / "carol" / A / f"{NB}.ipynb"))
    exchange_student.submit(course, tmp_path / "carol", "carol", A)
    assert len(list((course.exchange / COURSE_ID / "inbound").iterdir())) == 4

    serve = Serve(course)
    serve.wait_for("bob", "13/13", "feedback released")
    serve.wait_for("carol", "feedback released")
    serve.kill()
    assert graded_times(course) == {"bob": 1, "carol": 1}           # bob's older two never graded

    exchange_student.fetch(course, tmp_path / "dave", "dave", A)     # arrives while serve is down
    nbformat.write(answers(course), str(tmp_path / "dave" / A / f"{NB}.ipynb"))
    exchange_student.submit(course, tmp_path / "dave", "dave", A)

    serve = Serve(course)
    serve.wait_for("dave", "13/13", "feedback released")
    stopped = serve.stop()
    assert "1 graded, 1 feedback released" in stopped, stopped
    assert graded_times(course) == {"bob": 1, "carol": 1, "dave": 1}
    nbgrader(tmp_path / "bob", course, "fetch_feedback", A, "--student=bob")
    assert len(list((tmp_path / "bob" / A / "feedback").glob(f"*/{NB}.html"))) == 1


def test_worker_killers_and_unreadable_notebooks_get_a_notice(released, tmp_path):
    course = released
    for who in ("erin", "frank", "grace", "ivan"):
        exchange_student.fetch(course, tmp_path / who, who, A)
        nbformat.write(answers(course), str(tmp_path / who / A / f"{NB}.ipynb"))
        if who == "ivan":                                  # a notebook that is not JSON at all
            (tmp_path / who / A / f"{NB}.ipynb").write_text('{"cells": [ oops')
        exchange_student.submit(course, tmp_path / who, who, A)
    serve = Serve(course, env=crash_on("frank"))
    try:
        serve.wait_for("failed", "frank")
        for who in ("erin", "grace"):
            serve.wait_for(who, "13/13", "feedback released")
        serve.wait_for("ivan", "0/13", "feedback released")
    finally:
        stopped = serve.stop()
    assert "3 graded, 3 feedback released, 1 failed" in stopped, stopped
    nbgrader(tmp_path / "ivan", course, "fetch_feedback", A, "--student=ivan")
    [page] = (tmp_path / "ivan" / A / "feedback").glob(f"*/{NB}.html")
    assert "could not be graded automatically: " in page.read_text() and "JSON" in page.read_text()
    assert [e["student"] for e in events(course, "failed")] == ["frank"]
    assert len([e for e in events(course, "worker-died") if e["student"] == "frank"]) >= 2
    nbgrader(tmp_path / "frank", course, "fetch_feedback", A, "--student=frank")
    [page] = (tmp_path / "frank" / A / "feedback").glob(f"*/{NB}.html")
    assert "could not be graded automatically" in page.read_text()
    assert "frank" not in graded_times(course)


def test_a_submission_is_graded_when_it_lands_not_at_the_next_poll(released, tmp_path):
    """With a poll of a minute, only the inotify wake-up (serve/watch.py) can start the grading."""
    course = released
    serve = Serve(course, poll="60")
    try:
        home = tmp_path / "erin"
        nbgrader(home, course, "fetch_assignment", A)
        nbformat.write(answers(course), str(home / A / f"{NB}.ipynb"))
        nbgrader(home, course, "submit", A, "--student=erin")
        serve.wait_for("erin", A, "13/13", "feedback released", timeout=30)
    finally:
        serve.proc.send_signal(signal.SIGTERM)
        serve.proc.wait(timeout=60)
    [ready] = events(course, "ready")
    assert ready["inotify"] is True
