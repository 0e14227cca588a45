"""`Checks`: a test cell's list of checks, each worth points, with plain-words messages."""
from __future__ import annotations

import contextlib
import contextvars
import copy
import io
import os
import sys
import textwrap
import warnings
import zlib
from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence

import numpy as np

from . import reference, seeds
from .compare import compare, same_value
from .mistakes import Mistake


# When the grading engine runs a test cell outside the sandbox, the student's names come from a
# proxy of the sandboxed namespace instead of the calling frame's globals.
_NAMESPACE: contextvars.ContextVar = contextvars.ContextVar("dlgrader_student_namespace", default=None)


_CREATED: contextvars.ContextVar = contextvars.ContextVar("dlgrader_checks_created", default=None)


@contextlib.contextmanager
def collecting():
    """Collect every Checks object created inside the block (the engine reads their results)."""
    created: list = []
    token = _CREATED.set(created)
    try:
        yield created
    finally:
        _CREATED.reset(token)


@contextlib.contextmanager
def student_namespace(namespace):
    token = _NAMESPACE.set(namespace)
    try:
        yield
    finally:
        _NAMESPACE.reset(token)


@dataclass
class CheckResult:
    description: str
    points: float
    passed: bool
    message: str = ""
    hidden: bool = False
    mistake: str = ""        # the named common mistake the wrong answer matched, "target: key"
    answer: Optional[str] = None   # the option chosen, for multiple-choice checks

    @property
    def earned(self) -> float:
        return self.points if self.passed else 0.0

    def to_dict(self) -> dict:
        return {"description": self.description, "points": self.points, "passed": self.passed,
                "message": self.message, "hidden": self.hidden, "mistake": self.mistake,
                "answer": self.answer}


@dataclass
class Call:
    value: Any = None
    error: Optional[str] = None      # "ValueError: ..." if the call raised

    @property
    def ok(self) -> bool:
        return self.error is None


@contextlib.contextmanager
def quiet():
    """Silence warnings and stray prints while student or reference code runs inside a check.

    nbgrader gives 0 to a test cell that writes to stderr, so a harmless RuntimeWarning raised by an
    honest answer must not reach it.
    """
    with warnings.catch_warnings(), np.errstate(all="ignore"), \
            contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


@contextlib.contextmanager
def quiet_warnings():
    """Keep warnings raised while checks run from reaching stderr."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


def _copy_args(args):
    return tuple(copy.deepcopy(a) for a in args)


def _short_error(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if len(text) > 160:
        text = text[:157] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Checks:
    """Collects the checks of one test cell. End the cell with `t.score()`."""

    def __init__(self, title: str, namespace: Optional[dict] = None):
        self.title = title
        self.results: list[CheckResult] = []
        if namespace is None:
            namespace = _NAMESPACE.get()
        self._ns = namespace if namespace is not None else sys._getframe(1).f_globals
        self._in_hidden = False
        self._ran_hidden = False
        created = _CREATED.get()
        if created is not None:
            created.append(self)

    # ---- reaching the student's code -------------------------------------------------------
    def lookup(self, name: str):
        """The student's object called `name`, or None if it is not defined."""
        return self._ns.get(name)

    def call(self, name: str, *args, **kwargs) -> Call:
        """Call the student's function `name` on copies of the arguments; never raises."""
        fn = self.lookup(name)
        if fn is None:
            return Call(error=f"`{name}` is not defined (did you run the cell that defines it?)")
        if not callable(fn):
            return Call(error=f"`{name}` is a {type(fn).__name__}, not a function")
        try:
            with quiet():
                value = fn(*_copy_args(args), **copy.deepcopy(kwargs))
        except NotImplementedError:
            return Call(error=f"`{name}` is not written yet (it raises NotImplementedError)")
        except RecursionError:
            return Call(error=f"`{name}` recursed too deeply")
        except Exception as exc:  # the student's bug, reported as a failed check
            return Call(error=_short_error(exc))
        return Call(value=value)

    # ---- recording -------------------------------------------------------------------------
    def record(self, description: str, passed: bool, message: str = "", points: float = 1.0,
               mistake: str = "", answer: Optional[str] = None) -> bool:
        self.results.append(CheckResult(description, float(points), bool(passed),
                                         "" if passed else message, self._in_hidden,
                                         "" if passed else mistake, answer))
        return bool(passed)

    def value_is_close(self, description: str, actual, expected, *, points: float = 1.0,
                       atol: float = 1e-8, rtol: float = 1e-6, flexible_shape: bool = False,
                       reveal: bool = True, what: str = "the result") -> bool:
        ok, reason = compare(actual, expected, atol=atol, rtol=rtol,
                             flexible_shape=flexible_shape, reveal=reveal)
        return self.record(description, ok, f"{what} {reason}.", points)

    def returns(self, description: str, name: str, args: Sequence, expected, *,
                kwargs: Optional[dict] = None, points: float = 1.0, atol: float = 1e-8,
                rtol: float = 1e-6, flexible_shape: bool = False,
                mistakes: Sequence[Mistake] = (), also: Optional[Callable[[Any], str]] = None) -> bool:
        """Check that `name(*args, **kwargs)` is close to `expected`.

        `mistakes` are the known wrong versions of this function; if the student's output matches
        one of them, the message names it. `also(value)` may return an extra failure reason.
        """
        kwargs = kwargs or {}
        result = self.call(name, *args, **kwargs)
        shown = f"{name}({_show_args(args, kwargs)})"
        if not result.ok:
            hint, label = _hint_for_error(result.error, mistakes)
            return self.record(description, False, f"{shown} raised {result.error}.{hint}", points, label)
        ok, reason = compare(result.value, expected, atol=atol, rtol=rtol, flexible_shape=flexible_shape)
        if ok and also is not None:
            extra = also(result.value)
            ok, reason = (not extra), extra
        if ok:
            return self.record(description, True, points=points)
        hint, label = _hint_for_value(result.value, expected, args, kwargs, mistakes,
                                      atol=atol, rtol=rtol, flexible_shape=flexible_shape)
        return self.record(description, False, f"{shown} {reason}.{hint}", points, label)

    def answer(self, description: str, name: str, expected, *, points: float = 1.0,
               atol: float = 1e-6, flexible_shape: bool = False, wrong: Optional[dict] = None) -> bool:
        """Check a numeric answer variable without revealing the expected value.

        `wrong` maps known wrong values (numbers or tuples) to the mistake they reveal.
        """
        if name not in self._ns:
            return self.record(description, False, f"`{name}` is not defined.", points)
        value = self._ns[name]
        ok, reason = compare(value, expected, atol=atol, rtol=0.0,
                             flexible_shape=flexible_shape, reveal=False)
        if ok:
            return self.record(description, True, points=points)
        for wrong_value, hint in (wrong or {}).items():
            if same_value(value, wrong_value, atol=atol, rtol=0.0, flexible_shape=flexible_shape):
                return self.record(description, False, f"`{name}` {reason}. Common mistake: {hint}", points,
                                   mistake=f"{name}: {hint}")
        return self.record(description, False, f"`{name}` {reason}.", points)

    def choice(self, description: str, name: str, correct: Optional[str] = None, *,
               points: float = 1.0, hints: Optional[dict] = None) -> bool:
        """Check a multiple-choice answer ("a".."d"; case, spaces, "(b)" and "b)" accepted).

        With `correct=None` only the format is checked (the visible check).
        """
        raw = self._ns.get(name)
        option = normalise_option(raw)
        if option is None:
            shown = "not defined" if name not in self._ns else f"{raw!r}"[:40]
            return self.record(description, False,
                               f"`{name}` must be one of \"a\", \"b\", \"c\", \"d\"; it is {shown}.", points,
                               answer="")
        if correct is None or option == correct:
            return self.record(description, True, points=points, answer=option)
        hint = (hints or {}).get(option)
        message = f"`{name}` = {option!r} is not the right option."
        return self.record(description, False, message + (f" {hint}" if hint else ""), points,
                           mistake=f"{name}: {hint}" if hint else "", answer=option)

    def rng(self, salt: str = "") -> np.random.Generator:
        """A random generator: seeded from the cell title (visible checks, same every run), or in a
        hidden suite being graded from the submission's seed (seeds.py: different per submission)."""
        seed = seeds.hidden_seed(self.title, salt) if self._in_hidden else None
        return np.random.default_rng(zlib.crc32(f"{self.title}|{salt}".encode()) if seed is None else seed)

    # ---- hidden suites ---------------------------------------------------------------------
    def hidden(self, suite_name: str) -> None:
        """Run the course's hidden suite `suite_name` (e.g. "ps2.softmax") against this namespace."""
        suite = reference.suite(suite_name)
        self._in_hidden = True
        try:
            suite(self)
        finally:
            self._in_hidden = False
            self._ran_hidden = True

    # ---- result ----------------------------------------------------------------------------
    @property
    def earned(self) -> float:
        return round(sum(r.earned for r in self.results), 6)

    @property
    def possible(self) -> float:
        return round(sum(r.points for r in self.results), 6)

    def report(self) -> str:
        lines = [f"{self.title}: {_num(self.earned)} / {_num(self.possible)} points"]
        for r in self.results:
            mark = "PASS" if r.passed else "FAIL"
            pts = f"{_num(r.earned)}/{_num(r.points)}"
            lines.append(f"  [{mark}] ({pts}) {r.description}")
            if not r.passed and r.message:
                lines.append(f"         {r.message}")
        if not self._ran_hidden:
            lines.append("  (These are the visible checks; more checks run when your work is graded.)")
        return "\n".join(lines)

    def _grading(self) -> bool:
        """Is this cell being graded? The hidden suite ran, dlgrader's engine is running it (the
        student's names come from the sandbox), or stock `nbgrader autograde` is."""
        return (self._ran_hidden or _NAMESPACE.get() is not None
                or os.environ.get("NBGRADER_EXECUTION") == "autograde")

    def score(self) -> Optional[float]:
        """Print the report; when grading, return the points earned.

        Grading: the points earned, which nbgrader reads as partial credit.
        The student's side (visible checks only): nothing, because the visible checks carry only part
        of the cell's points and nbgrader would read any number below them as a failure. A failed
        visible check is reported by the printed report and, under `nbgrader validate` (also the
        Assignment List's Validate button), by an error naming the check, which is how validate
        marks exactly that cell as failing. Outside validate the cell does not raise, so Restart &
        Run All still shows every question's checks.
        """
        print(self.report())
        if self._grading():
            return float(self.earned)
        failed = [r for r in self.results if not r.passed]
        if failed and os.environ.get("NBGRADER_EXECUTION") == "validate":
            raise VisibleChecksFailed(self.title, failed)
        return None


class VisibleChecksFailed(AssertionError):
    """A visible check failed while `nbgrader validate` ran the notebook.

    IPython shows `_render_traceback_()` instead of a traceback, so validate prints (and the
    Validate button shows) only which checks failed and why, wrapped to fit validate's 90 columns.
    """

    WIDTH = 80

    def __init__(self, title: str, failed: Sequence[CheckResult]):
        self.title, self.failed = title, list(failed)
        count = f"{len(self.failed)} visible check{'s' if len(self.failed) != 1 else ''}"
        super().__init__(f"{title}: {count} failed: " + "; ".join(r.description for r in self.failed))

    def _render_traceback_(self) -> list[str]:
        count = f"{len(self.failed)} visible check{'s' if len(self.failed) != 1 else ''}"
        lines = [f"{type(self).__name__}: {self.title}: {count} failed"]
        for r in self.failed:
            lines += textwrap.wrap(f"[FAIL] {r.description}", self.WIDTH, initial_indent="  ",
                                   subsequent_indent="         ")
            if r.message:
                lines += textwrap.wrap(r.message, self.WIDTH, initial_indent="         ",
                                       subsequent_indent="         ")
        return lines


def normalise_option(raw) -> Optional[str]:
    """"(B) " -> "b"; anything that is not a single option a-d -> None."""
    if not isinstance(raw, str):
        return None
    text = raw.strip().lower().strip("()[]. ")
    text = text.rstrip(")").strip()
    return text if text in ("a", "b", "c", "d") else None


def _num(x: float) -> str:
    return f"{x:g}"


def _show_args(args, kwargs) -> str:
    def one(a):
        arr = np.asarray(a) if isinstance(a, (list, tuple, np.ndarray)) else None
        if arr is not None and arr.dtype != object and (arr.size > 6 or arr.ndim > 1):
            return f"<array {arr.shape}>"
        if callable(a):
            return getattr(a, "__name__", "f")
        if isinstance(a, np.ndarray):
            return np.array2string(a, precision=4, separator=", ")
        return repr(a)
    parts = [one(a) for a in args] + [f"{k}={one(v)}" for k, v in kwargs.items()]
    return ", ".join(parts)


def _hint_for_error(error: str, mistakes: Sequence[Mistake]) -> tuple[str, str]:
    for m in mistakes:
        if m.matches_error(error):
            return f" Common mistake: {m.hint}", f"{m.target}: {m.key}"
    return "", ""


def _hint_for_value(value, expected, args, kwargs, mistakes, **tol) -> tuple[str, str]:
    for m in mistakes:
        if m.fn is None:
            continue
        try:
            with quiet():
                wrong = m.fn(*_copy_args(args), **copy.deepcopy(kwargs))
        except Exception:
            continue
        if same_value(wrong, expected, **tol):
            continue  # this mistake is invisible on this input
        if same_value(value, wrong, **tol):
            return f" Common mistake: {m.hint}", f"{m.target}: {m.key}"
    return "", ""
