"""Shared fixtures: a throw-away copy of the course with its gradebook built once per test worker."""
from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from dlgrader.collection.identity import single_account

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = {
    "ps1_gradient_descent": "gradient_descent",
    "ps2_softmax_cross_entropy": "softmax_cross_entropy",
    "ps3_two_layer_forward": "two_layer_forward",
    "ps4_quiz": "quiz",
}
COURSE_FILES = ("source", "release", "reference", "nbgrader_config.py")
RUN_VAR = "TEST_SCREENSHOTS_RUN"


def pytest_configure(config):
    """One folder of screenshots per test run (shared by the xdist workers, which inherit the
    variable): two runs in one checkout never overwrite each other's pictures."""
    if RUN_VAR not in os.environ:
        import time
        os.environ[RUN_VAR] = time.strftime("run-%Y%m%d-%H%M%S-") + str(os.getpid())


def gone(pid: int, seconds: float) -> bool:
    """Wait (without polling) until process PID ends; False if it is still there after SECONDS."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([fd], [], [], seconds)[0])   # a pidfd is readable once it ends
    finally:
        os.close(fd)


def crash_on(student: str) -> dict:
    """Environment for a process started by a test: grading STUDENT kills its worker process
    (tests/faults/sitecustomize.py, put on that process's PYTHONPATH)."""
    faults = str(ROOT / "tests" / "faults")
    return {"DLGRADER_TEST_CRASH_ON": student,
            "PYTHONPATH": os.pathsep.join(filter(None, [faults, os.environ.get("PYTHONPATH", "")]))}


def sandbox_uid(base: int) -> int:
    """A sandbox uid (or range start) of this xdist worker's own: two workers running the same
    module at once never see each other's sandbox processes or share their process limit."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return base + 10000 * int(worker[2:] or 0)


def free_port() -> int:
    """A loopback port for a server a test starts. Ports the kernel hands out for bind(0) and
    outgoing connections come from the ephemeral range (32768-60999 here), where a kernel's or
    client's socket can take the port before the server binds it; so pick below that range, in a
    slice of this xdist worker's own, and check that the port is free now."""
    import random
    import socket
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0)
    low = 20000 + 4000 * (worker % 3)
    for port in random.sample(range(low, low + 4000), 200):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free loopback port in {low}-{low + 3999}")


def screenshots_dir() -> Path:
    """screenshots/<run>/ in the checkout (git-ignored): where the tests leave pictures for a person."""
    folder = ROOT / "screenshots" / os.environ.get(RUN_VAR, "run-unnamed")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# Appended to every test course's nbgrader_config.py: its own exchange in the course copy (the
# shipped default is /srv/nbgrader/exchange, which the tests never touch). Relative to the file, so
# a copy of a copy (built_template -> course) gets its own too; a later `c.Exchange.root` line wins.
OWN_EXCHANGE = """
# tests: this copy's own exchange
c.Exchange.root = str(Path(__file__).resolve().parent / "exchange")
"""


def configure(root: Path, *lines: str) -> None:
    """Append LINES to the nbgrader_config.py of the course at ROOT (later lines win)."""
    path = root / "nbgrader_config.py"
    path.write_text(path.read_text(encoding="utf-8") + "\n" + "\n".join(lines) + "\n", encoding="utf-8")


def copy_course(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in COURSE_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dest / name)
    configure(dest, OWN_EXCHANGE)
    single_account(dest / "nbgrader_config.py", "the test suite")   # tests/collection/test_identities.py: real accounts
    return dest


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for var in ("DLGRADER_EXCHANGE", "DLGRADER_DB_URL", "DLGRADER_REFERENCE", "DLGRADER_COURSE_ID"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="session")
def built_template(tmp_path_factory) -> Path:
    """The course with its release rebuilt and its gradebook populated (once per worker)."""
    root = copy_course(tmp_path_factory.mktemp("template") / "course")
    # a fixed course secret: the hidden inputs (seeded per submission from it) are the same every run
    secret = root / ".dlgrader-secret"
    secret.write_text("fixed-secret-of-the-test-suite-" + "0" * 33 + "\n")
    secret.chmod(0o600)
    dlgrader(root, "build")
    return root


@pytest.fixture
def course(built_template, tmp_path):
    """A fresh copy of the built course, gradebook included."""
    from dlgrader.course import Course
    dest = tmp_path / "course"
    shutil.copytree(built_template, dest, ignore=shutil.ignore_patterns("logs"))
    return Course(dest)


def dlgrader(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLGRADER_")}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    result = subprocess.run([sys.executable, "-m", "dlgrader.cli", *args], cwd=cwd, env=env,
                            capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"dlgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def mistake_book():
    """The registered common mistakes of the course's reference (to write wrong submissions with),
    loaded without leaving DLGRADER_REFERENCE set for the rest of the process."""
    from dlgrader.verdicts import reference
    old = os.environ.get(reference.ENV_VAR)
    os.environ[reference.ENV_VAR] = str(ROOT / "reference")
    try:
        return reference.load().mistakes.BOOK
    finally:
        if old is None:
            del os.environ[reference.ENV_VAR]
        else:
            os.environ[reference.ENV_VAR] = old


def notebook_path(root: Path, folder: str, assignment: str) -> Path:
    return root / folder / assignment / f"{ASSIGNMENTS[assignment]}.ipynb"


def submit_notebook(course, student: str, assignment: str, nb) -> Path:
    """Place a notebook (NotebookNode or raw text) as STUDENT's submission of ASSIGNMENT."""
    dest = notebook_path(course.root, f"submitted/{student}", assignment)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(nb, str):
        dest.write_text(nb, encoding="utf-8")
    else:
        nbformat.write(nb, str(dest))
    return dest


def read(path: Path):
    return nbformat.read(str(path), as_version=4)


@pytest.fixture(scope="module")
def accounts():
    """Real Unix accounts for one test module (tests/accounts.py), removed at its end."""
    if os.geteuid() != 0:
        pytest.skip("creating Unix accounts needs root")
    from .accounts import Accounts
    made = Accounts()
    try:
        yield made
    finally:
        made.close()
