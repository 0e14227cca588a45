"""Grading one submitted notebook: student cells run in the sandbox, verdicts run here.

The instructor's test cells (taken from source/, never from the submission) are executed in this
trusted process against a proxy of the sandboxed namespace: every student function call goes to
the sandbox as plain data and its result comes back as plain data. Pass/fail, the reference and
the hidden suites never enter the sandbox. If the sandbox dies or times out, it is restarted and
the cells that ran before are replayed, so the rest of the notebook is still graded.
"""
from __future__ import annotations

import ast
import builtins
import contextlib
import functools
import io
import re
from dataclasses import asdict, dataclass, field
from typing import Optional

import numpy as np

from ..verdicts import checks
from ..sandbox import codec
from ..sandbox.session import SessionDied, Zygote
from . import faults

CELL_SECONDS = 10.0
CALL_SECONDS = 10.0
NOTEBOOK_SECONDS = 120.0
MAX_RESTARTS = 6


class SubmissionStopped(RuntimeError):
    """Raised to the check library when the student's process had to be stopped."""


@dataclass
class CellOutcome:
    grade_id: str
    kind: str                       # "test" (autograded) or "manual"
    max_score: float
    score: Optional[float] = None   # None: a person must grade it
    output: str = ""                # the check report (tests) shown in feedback
    error: str = ""
    needs_manual: bool = False
    reason: str = ""
    checks: list = field(default_factory=list)    # per-check records (see verdicts.checks)


@dataclass
class Limits:
    cell_seconds: float = CELL_SECONDS
    call_seconds: float = CALL_SECONDS
    notebook_seconds: float = NOTEBOOK_SECONDS
    max_restarts: int = MAX_RESTARTS
    memory_bytes: int = 1536 * 2**20     # the sandbox's address space
    processes: int = 32                  # the sandbox's processes


# ---- the sandboxed side, restartable ------------------------------------------------------------
class Sandboxed:
    def __init__(self, zygote: Zygote, limits: Limits):
        self.zygote, self.limits = zygote, limits
        self.session = None
        self.replay: list[str] = []
        self.restarts = 0
        self.stops: list[str] = []
        self.cpu = 0.0          # CPU the sandboxes reported for the requests (statistics only)

    def _ensure(self):
        if self.session is not None and not self.session.dead:
            return self.session
        if self.restarts > self.limits.max_restarts:
            raise SubmissionStopped(f"stopped after {self.restarts} restarts ({'; '.join(self.stops)})")
        self.session = self.zygote.spawn()
        for source in list(self.replay):
            try:
                self.session.request({"op": "cell", "source": source}, self.limits.cell_seconds)
            except SessionDied as exc:          # it died again on replay: drop that cell for good
                self.replay.remove(source)
                self._stopped(exc)
                return self._ensure()
        return self.session

    def _count(self) -> None:
        if self.session is not None:
            self.cpu += getattr(self.session, "cpu", 0.0)

    def _stopped(self, exc: SessionDied) -> None:
        self._count()
        self.restarts += 1
        self.stops.append(exc.reason)
        self.session = None

    def run_cell(self, source: str) -> dict:
        try:
            session = self._ensure()
            reply = session.request({"op": "cell", "source": source}, self.limits.cell_seconds)
        except SessionDied as exc:
            self._stopped(exc)
            return {"error": f"the cell was stopped: {exc.reason}", "stopped": exc.reason}
        except SubmissionStopped as exc:
            return {"error": str(exc), "stopped": str(exc)}
        self.replay.append(source)
        return reply

    def request(self, message: dict) -> dict:
        try:
            return self._ensure().request(message, self.limits.call_seconds)
        except SessionDied as exc:
            self._stopped(exc)
            raise SubmissionStopped(f"the student's code was stopped: {exc.reason}") from None

    def register_callback(self, fn) -> dict:
        return self._ensure().register_callback(fn)

    def close(self) -> None:
        if self.session is not None:
            self._count()
            self.session.close()
            self.session = None


# ---- proxies the check library sees ------------------------------------------------------------
_BUILTIN_ERRORS = {name: getattr(builtins, name) for name in dir(builtins)
                   if isinstance(getattr(builtins, name), type) and issubclass(getattr(builtins, name), Exception)}


def _student_exception(text: str) -> Exception:
    name, _, message = str(text).partition(": ")
    cls = _BUILTIN_ERRORS.get(name)
    if cls is None:
        safe = re.sub(r"\W", "", name)[:40] or "Error"
        cls = type(safe if safe[0].isalpha() else "Error", (Exception,), {})
    try:
        return cls(message)
    except Exception:
        return RuntimeError(text)


class StudentFunction:
    def __init__(self, box: Sandboxed, name: str):
        self.box, self.__name__ = box, name

    def __call__(self, *args, **kwargs):
        enc_args = _encode_with_callbacks(list(args), self.box)
        enc_kwargs = _encode_with_callbacks(dict(kwargs), self.box)
        reply = self.box.request({"op": "call", "name": self.__name__, "args": enc_args, "kwargs": enc_kwargs})
        if "error" in reply:
            raise faults.student_raised(_student_exception(reply["error"]))
        try:
            return codec.decode(reply.get("value"))
        except codec.CodecError as exc:
            raise faults.student_raised(
                TypeError(f"`{self.__name__}` returned data that cannot be graded ({exc})")) from None


class Unencodable:
    def __init__(self, type_name: str):
        self.type_name = type_name

    def __repr__(self):
        return f"<a {self.type_name} that cannot be graded>"


class StudentNamespace:
    """Read-only mapping view of the sandboxed namespace."""

    def __init__(self, box: Sandboxed):
        self.box = box

    def _lookup(self, name: str):
        reply = self.box.request({"op": "lookup", "name": str(name)})
        kind = reply.get("kind")
        if kind == "callable":
            return True, StudentFunction(self.box, name)
        if kind == "value":
            try:
                return True, codec.decode(reply.get("value"))
            except codec.CodecError:
                return True, Unencodable("malformed value")
        if kind == "unencodable":
            return True, Unencodable(str(reply.get("type", "value"))[:60])
        return False, None

    def get(self, name, default=None):
        found, value = self._lookup(name)
        return value if found else default

    def __contains__(self, name) -> bool:
        return self._lookup(name)[0]

    def __getitem__(self, name):
        found, value = self._lookup(name)
        if not found:
            raise KeyError(name)
        return value


class _CellLocals(dict):
    """Locals of a test cell: its own assignments first, then the student's names."""

    def __init__(self, student: StudentNamespace):
        super().__init__()
        self.student = student

    def __missing__(self, name):
        if name in vars(builtins) or name in ("np",):
            raise KeyError(name)
        found, value = self.student._lookup(name)
        if not found:
            raise KeyError(name)
        return value


def _encode_with_callbacks(value, box: Sandboxed):
    if callable(value) and not isinstance(value, (type, np.ndarray)):
        return box.register_callback(value)
    if isinstance(value, list):
        return [_encode_with_callbacks(v, box) for v in value]
    if isinstance(value, tuple):
        return {"__tuple__": [_encode_with_callbacks(v, box) for v in value]}
    if isinstance(value, dict):
        return {"__dict__": {str(k): _encode_with_callbacks(v, box) for k, v in value.items()}}
    return codec.encode(value)


# ---- running a test cell here -------------------------------------------------------------------
@functools.lru_cache(maxsize=256)
def _split_last_expression(source: str):
    """A test cell's code objects: compiled once per worker (the same cells run for every student)."""
    tree = ast.parse(source)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    return compile(tree, "<test>", "exec"), (compile(last, "<test>", "eval") if last else None)


def run_test_cell(source: str, box: Sandboxed, max_score: float) -> tuple[float, str, str, list]:
    """Execute an instructor's test cell; return (score, printed report, error, check records)."""
    student = StudentNamespace(box)
    env = {"__builtins__": builtins, "np": np, "__name__": "__dlgrader_test__"}
    local = _CellLocals(student)
    out = io.StringIO()
    value, error = None, ""
    with checks.student_namespace(student), contextlib.redirect_stdout(out), checks.quiet_warnings(), \
            checks.collecting() as created:
        try:
            body, last = _split_last_expression(source)
            exec(body, env, local)
            if last is not None:
                value = eval(last, env, local)
        except SubmissionStopped as exc:
            error = str(exc)
        except Exception as exc:
            error = faults.grader_fault(exc) or f"{type(exc).__name__}: {exc}"
    records = [r.to_dict() for t in created for r in t.results]
    if error:
        return 0.0, out.getvalue(), error, records
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return float(min(max(float(value), 0.0), max_score)), out.getvalue(), "", records
    return max_score, out.getvalue(), "", records


def outcome_dict(o: CellOutcome) -> dict:
    return asdict(o)
