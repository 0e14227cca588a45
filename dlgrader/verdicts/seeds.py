"""Seeds of the hidden random cases: one per submission, from a course secret kept by the grader.

Hidden cases drawn from the cell title alone were the same for every student and every resubmission,
so a table of inputs and answers copied from feedback (or from a classmate) passed. On the grader's
side each submission gets a seed

    HMAC-SHA256(course secret, assignment | student | digest of the submitted files)

and a hidden suite's `t.rng()` draws from HMAC(seed, notebook | check title | salt). Two submissions
(two students, or one student's two attempts) see different inputs; grading the same submission again
draws the same ones. Visible checks, and anything run without a seed (the student's own notebook),
keep the title-based generator. The secret never leaves the grader: it is not in the bundle sent to
workers (only a fingerprint, so a new secret means a new grading), nor in the sandbox.
"""
from __future__ import annotations

import contextlib
import contextvars
import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import Optional

from ..errors import DlgraderError

_SEED: contextvars.ContextVar = contextvars.ContextVar("dlgrader_submission_seed", default=None)


@contextlib.contextmanager
def submission(seed: Optional[str], notebook: str = ""):
    """Hidden suites run inside this block draw from SEED (None: the title-based generator)."""
    token = _SEED.set((seed, notebook) if seed else None)
    try:
        yield
    finally:
        _SEED.reset(token)


def hidden_seed(title: str, salt: str = "") -> Optional[int]:
    """The seed of a hidden check's generator in the current submission, or None outside one."""
    current = _SEED.get()
    if current is None:
        return None
    seed, notebook = current
    mac = hmac.new(seed.encode(), f"{notebook}|{title}|{salt}".encode(), hashlib.sha256)
    return int.from_bytes(mac.digest()[:16], "big")


# ---- the grader's side ---------------------------------------------------------------------------
# Only `dlgrader build` on a new course creates the secret: a grader on a second machine or a fresh
# clone who silently got a new one would change every hidden input and re-grade everything.
def missing(path: Path, what: str = "is missing") -> DlgraderError:
    return DlgraderError(
        f"the course secret {path} {what}: restore it from the grader's backup of c.Dlgrader.secret_file "
        "(a new secret changes every student's hidden inputs); `dlgrader build` creates one only for "
        "a new course, whose gradebook has no gradings")


def ensure_secret(path: Path) -> Path:
    """Create the course secret at PATH (mode 600) unless it exists; never overwrite one. Only for
    a new course: see build_secret."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_hex(32) + "\n")
    return path


def build_secret(path: Path, db_url: str) -> Path:
    """`dlgrader build`: check the secret at PATH, or create it if the gradebook at DB_URL has no
    gradings yet (a new course); otherwise refuse, as grading does."""
    if os.path.lexists(path):
        read_secret(path)
        return path
    if has_gradings(db_url):
        raise missing(path)
    return ensure_secret(path)


def has_gradings(db_url: str) -> bool:
    """Whether the gradebook records any submission (graded, or refused and scored 0)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError, ProgrammingError
    if db_url.startswith("sqlite:///") and not os.path.exists(db_url[len("sqlite:///"):]):
        return False
    from sqlalchemy import inspect
    from sqlalchemy.engine import make_url
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("submitted_assignment"):
                return False                            # no table yet: nothing was ever recorded
            return bool(connection.execute(text("select count(*) from submitted_assignment")).scalar())
    except (OperationalError, ProgrammingError) as exc:
        # unreachable, locked or unreadable: never taken for a new course (a new secret would change
        # every student's hidden inputs)
        where = make_url(db_url).render_as_string(hide_password=True)
        raise DlgraderError(f"cannot tell whether the gradebook {where} has gradings, so no course secret "
                            f"is made: {type(exc.orig).__name__ if exc.orig else type(exc).__name__}") from None
    finally:
        engine.dispose()


def read_secret(path: Path) -> bytes:
    """The course secret; never created here (a missing, empty or unreadable one is a one-line
    DlgraderError saying where to restore it from)."""
    try:
        text = path.read_bytes().decode("utf-8").strip()
    except FileNotFoundError:
        raise missing(path) from None
    except UnicodeDecodeError:
        raise missing(path, "is not UTF-8 text") from None
    except OSError as exc:
        raise missing(path, f"cannot be read ({exc.strerror or type(exc).__name__})") from None
    if not text:
        raise missing(path, "is empty")
    if len(text) < 32:
        raise missing(path, "is too short (under 32 characters)")
    return text.encode()


def fingerprint(secret: bytes) -> str:
    """Names the secret without revealing it (changes the grading digest when the secret changes)."""
    return hmac.new(secret, b"dlgrader secret fingerprint", hashlib.sha256).hexdigest()[:16]


def for_submission(secret: bytes, assignment: str, student: str, files_digest: str) -> str:
    """The seed of one submission (hex)."""
    message = "\0".join((assignment, student, files_digest)).encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()
