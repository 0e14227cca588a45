"""What the browser tests run: `dlgrader lab` servers on free loopback ports (each with a throw-away
HOME, stopped with every process it started) and Debian's Chromium driven by Playwright."""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ..conftest import free_port, screenshots_dir

CHROMIUM = "/usr/bin/chromium"
# Headless, as root, on a machine without outside network: no sandbox, no background fetches.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# JupyterLab would ask (in a toast over the page) whether to fetch Jupyter news: say no up front.
PORT_ATTEMPTS = 4
PORT_TAKEN = "could not be started because port"
NOTIFICATION_SETTINGS = ".jupyter/lab/user-settings/@jupyterlab/apputils-extension/notification.jupyterlab-settings"


@dataclass
class StudentPython:
    """A Python the students' accounts can run (and the folder of its libpython)."""
    python: Path
    libs: Path


@dataclass
class Lab:
    port: int
    token: str
    pid: int

    def url(self, path: str = "lab") -> str:
        return f"http://127.0.0.1:{self.port}/{path}?token={self.token}"


def _ready(lab: Lab, proc: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    """Poll /api/status with the token until the server answers (or fail with its log)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"dlgrader lab exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(lab.url("api/status"), timeout=5) as resp:
                if resp.status == 200 and "started" in json.load(resp):
                    return
        except OSError:
            time.sleep(0.25)
    raise AssertionError(f"JupyterLab did not answer within {timeout:.0f}s:\n{log.read_text()[-3000:]}")


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM the server (it shuts its kernels down), then kill whatever of its tree is left."""
    import psutil
    try:
        tree = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        tree = []
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    for child in tree:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()


def quiet_jupyter(home: Path, owner=None) -> None:
    """JupyterLab's settings in HOME: no news, no update checks (owned by OWNER, an account)."""
    settings = home / NOTIFICATION_SETTINGS
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    if owner is not None:
        for folder in [settings, *settings.relative_to(home).parents]:
            os.chown(home / folder, owner.pw_uid, owner.pw_gid)


@contextlib.contextmanager
def lab_server(course_root: Path, home: Path, *lab_args: str, student=None, python: StudentPython = None,
               extra_env: dict | None = None):
    """`dlgrader lab [LAB_ARGS]` for COURSE_ROOT; yields a Lab. The instructor's runs as root with HOME
    as its home; a STUDENT's (an account: LAB_ARGS has --student) is started by root with PYTHON, a
    Python the account can run, and runs as the account in its own home (HOME). EXTRA_ENV is added
    to the server's environment."""
    quiet_jupyter(home, student)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLGRADER_")}
    env.update(HOME=str(home), IPYTHONDIR=str(home / ".ipython"),
               PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]))
    env.update(extra_env or {})
    interpreter = sys.executable
    if student is not None:
        interpreter = str(python.python)
        env.update(LD_LIBRARY_PATH=str(python.libs), PYTHONDONTWRITEBYTECODE="1",
                   PATH=os.pathsep.join([str(python.python.parent), "/usr/bin:/bin"]))
        log_dir = Path(tempfile.mkdtemp(prefix="dlgrader-lab-"))     # root's: the log, and the
        log = log_dir / "lab.log"                                    # students' config folder of this server
        config = log_dir / "config"                                  # (another worker's has another exchange)
        log_dir.chmod(0o711)
        lab_args = (*lab_args, "--config-dir", str(config))
    else:
        log = home / "lab.log"
    # A free port can be taken by another process (the other test worker's servers and kernels)
    # between free_port() and the server's bind; the server then exits saying so: try a new port.
    for attempt in range(PORT_ATTEMPTS):
        lab = Lab(free_port(), secrets.token_hex(16), 0)
        cmd = [interpreter, "-m", "dlgrader.cli", "lab", "--course", str(course_root), "--port", str(lab.port),
               "--token", lab.token, "--no-browser", *lab_args,
               "--", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
        with open(log, "w") as out:
            proc = subprocess.Popen(cmd, cwd=home, env=env, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        lab.pid = proc.pid
        try:
            _ready(lab, proc, log)
            if student is not None:        # the server is the child that became the student (the
                import psutil              # root process that started it only relays its output)
                [server] = psutil.Process(proc.pid).children()
                lab.pid = server.pid
            break
        except AssertionError:
            _stop(proc)
            if attempt + 1 == PORT_ATTEMPTS or PORT_TAKEN not in log.read_text():
                print(f"--- {log} (end) ---\n{log.read_text()[-4000:]}")   # shown with the failure
                raise
    try:
        yield lab
    except BaseException:
        print(f"--- {log} (end) ---\n{log.read_text()[-4000:]}")   # shown with the failure
        raise
    finally:
        _stop(proc)
        if student is not None:
            shutil.rmtree(log.parent, ignore_errors=True)


def shot(page, name: str) -> Path:
    """Save a screenshot as screenshots/<run>/lab-NAME.png (git-ignored) for a person to look at."""
    path = screenshots_dir() / f"lab-{name}.png"
    page.screenshot(path=str(path))
    return path
