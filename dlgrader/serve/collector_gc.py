"""Python's cycle collector, kept out of a waiting student's way.

A full collection walks every object the server holds (nbgrader, nbconvert, SQLAlchemy, Jinja's
compiled templates: a few hundred thousand), which takes 0.1-0.2 s here; left to itself it runs in
the middle of some student's feedback. So after the warm-up everything loaded so far is frozen
(never scanned again), full collections wait until the server is idle, and during a long burst one
still runs after `burst_limit` gen-1 collections so memory stays bounded.
"""
from __future__ import annotations

import gc


class IdleCollector:
    def __init__(self, burst_limit: int = 200):
        self.burst_limit = burst_limit
        self.handled = 0

    def start(self) -> None:
        """Call once everything long-lived is loaded (after the warm-up)."""
        gc.collect()
        gc.freeze()
        young, middle, _ = gc.get_threshold()
        gc.set_threshold(young, middle, self.burst_limit)

    def note(self) -> None:
        """One more submission handled."""
        self.handled += 1

    def idle(self) -> None:
        """Nothing in flight or queued: collect what the handled submissions left."""
        if self.handled:
            gc.collect()
            self.handled = 0
