"""When `dlgrader grade` commits: groups of recorded submissions, one transaction each.

A commit per submission costs the coordinator an fsync and a transaction while it is the only one
writing the gradebook and its CPU is shared with the workers. Submissions are therefore recorded
with commit=False and committed together: when SIZE of them wait, or as soon as the coordinator
has nothing else to do, and always at the end. A group's scores and journal rows are one
transaction, so a crash loses at most the uncommitted group, which a re-run grades again (its
submissions have no journal row).

"Nothing else to do" is judged from how the result just recorded arrived: if the coordinator had
to wait for it (IDLE seconds or more), the workers are slower than the coordinator, no further
result is queued behind it and committing now costs them nothing; a result that was already
there means others may be queued, and the group grows. The executors yield results as they
finish and have no non-blocking peek, hence the timing.

Progress (`on_committed(student)`) is reported only once a submission's grading is committed, so
a progress line still means "committed" (tests/execution/test_crash.py relies on it).
"""
from __future__ import annotations

import time
from typing import Callable, Iterable, Iterator, TypeVar

T = TypeVar("T")


class CommitGroups:
    def __init__(self, writer, on_committed: Callable[[str], None], size: int = 16, idle: float = 0.01,
                 clock: Callable[[], float] = time.monotonic):
        self.writer, self.on_committed, self.size, self.idle, self.clock = writer, on_committed, size, idle, clock
        self.pending: list[str] = []
        self.waited = 0.0

    def arrivals(self, results: Iterable[T]) -> Iterator[T]:
        """RESULTS, noting how long the coordinator waited for each."""
        results = iter(results)
        while True:
            started = self.clock()
            try:
                item = next(results)
            except StopIteration:
                return
            self.waited = self.clock() - started
            yield item

    def done(self, student: str) -> None:
        """STUDENT's result is handled (recorded with commit=False, or failed with nothing to record):
        commit the group if it is full or nothing else is waiting."""
        self.pending.append(student)
        if len(self.pending) >= self.size or self.waited >= self.idle:
            self.commit()

    def commit(self) -> None:
        """Commit the group, then report each of its submissions."""
        if not self.pending:
            return
        self.writer.commit()
        group, self.pending = self.pending, []
        for student in group:
            self.on_committed(student)
