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
def ensure_secret(path: Path) -> Path:
    """Create the course secret at PATH (mode 600) unless it exists; never overwrite one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_hex(32) + "\n")
    return path


def read_secret(path: Path) -> bytes:
    """The course secret (created first if missing, e.g. a course built before secrets existed)."""
    text = ensure_secret(path).read_text().strip()
    if len(text) < 32:
        raise ValueError(f"the course secret {path} is too short (delete it to make a new one)")
    return text.encode()


def fingerprint(secret: bytes) -> str:
    """Names the secret without revealing it (changes the grading digest when the secret changes)."""
    return hmac.new(secret, b"dlgrader secret fingerprint", hashlib.sha256).hexdigest()[:16]


def for_submission(secret: bytes, assignment: str, student: str, files_digest: str) -> str:
    """The seed of one submission (hex)."""
    message = "\0".join((assignment, student, files_digest)).encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()
