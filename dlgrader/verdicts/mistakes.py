"""Known wrong answers (the chapter's common mistakes) and how to recognise them.

A course registers each mistake as a small function that reproduces it. When a check fails, the
student's output is compared with each registered mistake's output on the same input; a match lets
the message name the mistake instead of only saying "wrong".
"""
from __future__ import annotations

import inspect
import re
import textwrap
from dataclasses import dataclass, field
from typing import Callable, Optional


@dataclass(frozen=True)
class Mistake:
    target: str          # the student-facing function or answer name, e.g. "softmax"
    key: str             # short id, e.g. "no-max-shift"
    hint: str            # what the student did, in plain words, and how to fix it
    fn: Optional[Callable] = None          # reproduces the mistake (same signature as target)
    error_pattern: Optional[str] = None    # or: a regex on the exception the mistake raises

    def matches_error(self, error: str) -> bool:
        return bool(self.error_pattern) and re.search(self.error_pattern, error or "") is not None

    def student_source(self) -> str:
        """The mistake written as the student would: `def <target>(...)` with its body."""
        if self.fn is None:
            raise ValueError(f"mistake {self.key} has no function")
        src = textwrap.dedent(inspect.getsource(self.fn))
        match = re.search(r"^def\s+\w+", src, flags=re.M)   # drop the (multi-line) decorator
        return f"def {self.target}" + src[match.end():].rstrip() + "\n"


@dataclass
class MistakeBook:
    """A registry of mistakes, keyed by target name."""
    entries: dict = field(default_factory=dict)

    def register(self, target: str, key: str, hint: str, error_pattern: Optional[str] = None):
        def deco(fn):
            self.add(Mistake(target, key, hint, fn, error_pattern))
            return fn
        return deco

    def add(self, mistake: Mistake) -> Mistake:
        self.entries.setdefault(mistake.target, []).append(mistake)
        return mistake

    def for_target(self, target: str) -> list:
        return list(self.entries.get(target, []))

    def get(self, target: str, key: str) -> Mistake:
        for m in self.entries.get(target, []):
            if m.key == key:
                return m
        raise KeyError(f"no mistake {key!r} registered for {target!r}")

    def all(self) -> list:
        return [m for ms in self.entries.values() for m in ms]
