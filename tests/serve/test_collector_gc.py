"""serve's cycle collector: what is loaded at start is frozen, full collections wait for idle time."""
from __future__ import annotations

import gc
import weakref

import pytest

from dlgrader.serve.collector_gc import IdleCollector


@pytest.fixture
def restore_gc():
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


class Node:
    pass


def cycle() -> weakref.ref:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def test_start_freezes_what_is_loaded_and_idle_collects_what_submissions_left(restore_gc):
    loaded = [Node() for _ in range(1000)]
    collector = IdleCollector(burst_limit=50)
    collector.start()
    assert gc.get_freeze_count() >= len(loaded) and gc.get_threshold()[2] == 50
    gc.disable()                                  # no automatic collection between the steps below
    try:
        left = cycle()
        collector.idle()                          # nothing handled yet: no collection
        assert left() is not None
        collector.note()
        collector.idle()
        assert left() is None and collector.handled == 0
    finally:
        gc.enable()
