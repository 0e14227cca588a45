"""The inbound watch wakes serve once per burst of changes, until serve scans again (re-arms)."""
from __future__ import annotations

import os
import threading

from dlgrader.serve.watch import InboundWatch


class Wakes:
    def __init__(self):
        self.count, self.event = 0, threading.Event()

    def __call__(self):
        self.count += 1
        self.event.set()

    def wait(self) -> bool:
        woke = self.event.wait(timeout=10)
        self.event.clear()
        return woke


def test_the_chmod_that_ends_a_submit_wakes_serve(tmp_path):
    """nbgrader's submit ends with a chmod of the student's folder: that event alone wakes serve
    (the folder exists before the watch starts, so no creation event can stand in for it)."""
    inbound = tmp_path / "inbound"
    alice = inbound / "alice+ps2+2026-11-22 10:00:00.000000 UTC"
    alice.mkdir(parents=True, mode=0o700)
    wakes = Wakes()
    watch = InboundWatch(inbound, wakes)
    assert watch.start()
    try:
        os.chmod(alice, 0o755)
        assert wakes.wait() and wakes.count == 1
    finally:
        watch.stop()


def test_a_new_folder_and_a_chmod_wake_once_each_rearm(tmp_path):
    inbound = tmp_path / "inbound"
    inbound.mkdir()
    wakes = Wakes()
    watch = InboundWatch(inbound, wakes)
    assert watch.start()
    try:
        alice = inbound / "alice+ps2+2026-11-22 10:00:00.000000 UTC"
        alice.mkdir()
        assert wakes.wait() and wakes.count == 1
        (inbound / "bob+ps2+2026-11-22 10:00:01.000000 UTC").mkdir()     # not re-armed: no wake-up
        (inbound / "ignored").mkdir()
        watch.rearm()
        os.chmod(alice, 0o777)
        # woken again once re-armed (by the chmod, or a late event of the folders above), and only
        # once: nothing wakes it again before the next rearm
        assert wakes.wait() and wakes.count == 2
        os.chmod(alice, 0o755)
        watch.rearm()
        os.chmod(alice, 0o700)
        assert wakes.wait() and wakes.count == 3
    finally:
        watch.stop()


def test_a_missing_folder_leaves_polling_alone(tmp_path):
    watch = InboundWatch(tmp_path / "not-there", Wakes())
    assert not watch.start()
    watch.rearm()
    watch.stop()



def test_a_folder_made_later_is_watched_once_it_exists(tmp_path):
    inbound, wakes = tmp_path / "inbound", Wakes()
    watch = InboundWatch(inbound, wakes)
    assert not watch.start()
    inbound.mkdir()
    assert watch.start()
    try:
        (inbound / "carol+ps2+2026-11-22 10:00:00.000000 UTC").mkdir()
        assert wakes.wait() and wakes.count == 1
    finally:
        watch.stop()
