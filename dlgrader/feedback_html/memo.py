"""Rendered pieces of feedback pages kept for the next page, because most of a page is the same for
every student: the assignment's markdown, its test cells and given code. A long-running process
(`dlgrader serve`, a Formgrader) renders each of them once instead of once per student.

Only pure renderings are kept (the output depends on the text alone), only of texts up to `LIMIT`
characters, and at most `SIZE` of each kind (least recently used go first), so what a student
writes can cost at most a bounded amount of memory: SIZE x (LIMIT + its rendering).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Hashable

LIMIT = 8_000
SIZE = 512


class Memo:
    def __init__(self, size: int = SIZE):
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, text: str, render: Callable[[], str]) -> str:
        """render() for KEY, from memory if it was rendered before; TEXT is what the key holds
        (longer than LIMIT: rendered and not kept)."""
        if len(text) > LIMIT:
            return render()
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = render()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._items)
