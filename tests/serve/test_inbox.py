"""Inbound folder names and the fairness order of `dlgrader serve`."""
from __future__ import annotations

from datetime import datetime, timedelta

from dlgrader.serve.inbox import Arrival, FairQueue, complete, parse, scan

A, B = "ps2_softmax_cross_entropy", "ps1_gradient_descent"
T0 = datetime(2026, 11, 22, 9, 0, 0)


def arrival(student: str, minutes: float, assignment: str = A) -> Arrival:
    return Arrival(student, assignment, T0 + timedelta(minutes=minutes), f"{student}+{assignment}+x")


def test_folder_names_as_nbgrader_writes_them():
    got = parse(f"alice+{A}+2026-11-22 09:00:00.123456 UTC+Zq3x", {A})
    assert (got.student, got.assignment, got.timestamp) == ("alice", A, datetime(2026, 11, 22, 9, 0, 0, 123456))
    assert parse(f"alice+{A}+2026-11-22 09:00:00.123456 UTC", {A}).student == "alice"   # no random part
    assert parse(f"alice+{B}+2026-11-22 09:00:00 UTC+Zq3x", {A}) is None        # not an assignment served
    assert parse(f"alice+{A}+yesterday+Zq3x", {A}) is None                      # bad timestamp
    assert parse(f"../x+{A}+2026-11-22 09:00:00 UTC+Zq3x", {A}) is None         # not a student id
    assert parse("notes.txt", {A}) is None


def test_scan_waits_for_the_secret_nbgrader_writes_last(tmp_path):
    done = tmp_path / f"bob+{A}+2026-11-22 09:00:00 UTC+ab"
    half = tmp_path / f"eve+{A}+2026-11-22 09:01:00 UTC+cd"
    for folder in (done, half):
        folder.mkdir()
        (folder / "timestamp.txt").write_text("2026-11-22 09:00:00 UTC")
    (done / "submission_secret.txt").write_text("f" * 128)
    (tmp_path / "stray-file").write_text("")
    arrivals, ignored, arriving = scan(tmp_path, {A})
    assert [a.student for a in arrivals] == ["bob"] and ignored == ["stray-file"] and arriving == 1
    assert not complete(half) and complete(half, now=(half / "timestamp.txt").stat().st_mtime + 61)


def test_newest_submission_only_and_fewer_served_first():
    q = FairQueue()
    for a in (arrival("bob", 0), arrival("bob", 1), arrival("carol", 2), arrival("bob", 3)):
        q.offer(a)
    assert len(q) == 2 and q.superseded == 2
    first, second = q.pop(), q.pop()                 # resubmitting moved bob behind carol
    assert (first.student, second.student, second.timestamp) == ("carol", "bob", T0 + timedelta(minutes=3))
    q.finish(first.key, first.timestamp)
    q.finish(second.key, second.timestamp)
    q.offer(arrival("bob", 4))                       # both again, then dave's first submission
    q.offer(arrival("carol", 4.5))
    q.offer(arrival("dave", 5))
    nxt = q.pop()
    assert nxt.student == "dave"                     # never served goes first, though submitted last
    q.finish(nxt.key, None)                          # ... and its grading fails
    order = []
    while (nxt := q.pop()) is not None:
        order.append(nxt.student)
        q.finish(nxt.key, nxt.timestamp)
    assert order == ["bob", "carol"]                 # equally served: earlier submission first
    assert not q.offer(arrival("carol", 4.5)) and not q.offer(arrival("carol", 2))   # graded already
    assert q.offer(arrival("dave", 5))               # a failed grading is not marked graded


def test_a_student_being_graded_waits_for_the_next_turn():
    q = FairQueue()
    q.offer(arrival("bob", 0))
    busy = q.pop()
    q.offer(arrival("bob", 1))                       # arrives while the first is being graded
    assert q.pop() is None
    q.finish(busy.key, busy.timestamp)
    assert q.pop().timestamp == T0 + timedelta(minutes=1)
    q.offer(arrival("carol", 0, B))                  # per assignment: carol's ps1 is separate
    q.offer(arrival("carol", 1))
    assert {q.pop().assignment, q.pop().assignment} == {A, B}


def test_a_grading_that_collected_a_newer_submission_drops_the_waiting_one():
    q = FairQueue()
    q.offer(arrival("bob", 0))
    busy = q.pop()
    q.offer(arrival("bob", 1))
    q.finish(busy.key, T0 + timedelta(minutes=1))    # collect found the newer one already
    assert q.pop() is None


def test_a_handled_folder_is_not_offered_again_when_its_ctime_moves():
    """nbgrader chmods the folder after writing the secret; serve may have taken it before that."""
    q = FairQueue()
    first = Arrival("eve", A, T0, f"eve+{A}+2026-11-22 09:00:00 UTC+ab")
    q.offer(first)
    q.finish(q.pop().key, T0, first.name)
    assert not q.offer(Arrival("eve", A, T0 + timedelta(seconds=1), first.name))
    assert q.offer(Arrival("eve", A, T0 + timedelta(seconds=2), f"eve+{A}+2026-11-22 09:00:02 UTC+cd"))
