"""Real Unix accounts for the tests that need several people on one machine (students, a TA).

Names start with `dlgb` and this xdist worker's id, so two workers never share an account; the
accounts are removed by `remove` (the fixtures call it at the end, and `make` removes leftovers of a
killed run on the next). Each account runs the project's Python through one shared copy of the
interpreter (tests/sandbox/ordinary_user.py: it lives under /root, which others cannot enter).
"""
from __future__ import annotations

import os
import pwd
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .sandbox.ordinary_user import as_account, python_for

FSIZE_CAP = 256 * 2**20        # no process of a test account writes a file larger than this


def prefix() -> str:
    """dlgb + this xdist worker's id (gw0, gw1, ...; "m" outside xdist)."""
    return "dlgb" + (os.environ.get("PYTEST_XDIST_WORKER") or "m")


def _userdel(name: str) -> None:
    subprocess.run(["userdel", name], capture_output=True)


def make(base: str) -> pwd.struct_passwd:
    """A fresh account PREFIX+BASE (a leftover of a killed run is replaced), no home, no shell."""
    name = prefix() + base
    _userdel(name)
    subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", "--user-group", name],
                   check=True, capture_output=True)
    return pwd.getpwnam(name)


def remove(*accounts: pwd.struct_passwd) -> None:
    for account in accounts:
        _userdel(account.pw_name)


def traversable_folder(label: str) -> Path:
    """A folder other accounts can pass through (not list): pytest's tmp_path is 0700 under a
    private parent, so places the test accounts must reach live here. The caller removes it."""
    where = Path(tempfile.mkdtemp(prefix=f"{prefix()}-{label}-", dir="/tmp"))
    where.chmod(0o711)
    return where


def shared_python(where: Path) -> Path:
    """A Python under WHERE (root's, readable by all) running this project's packages."""
    return python_for(pwd.getpwuid(0), where)


@dataclass
class Person:
    account: pwd.struct_passwd
    home: Path                 # theirs, 0700
    python: Path

    @property
    def name(self) -> str:
        return self.account.pw_name

    def env(self) -> dict:
        return {"PATH": f"{self.python.parent}:/usr/bin:/bin", "HOME": str(self.home), "LANG": "C.UTF-8",
                "LD_LIBRARY_PATH": str(self.python.parent.parent.parent / "python" / "lib"),
                "PYTHONDONTWRITEBYTECODE": "1", "USER": self.name, "LOGNAME": self.name}

    def run(self, args: list, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
        """ARGS run by this account's Python as this account (no supplementary groups, capped files)."""
        return subprocess.run([str(self.python), *args], cwd=cwd or self.home, env=self.env(),
                              preexec_fn=as_account(self.account, FSIZE_CAP), capture_output=True, text=True,
                              timeout=timeout)

    def python_code(self, code: str, *argv: str) -> subprocess.CompletedProcess:
        return self.run(["-c", code, *argv])


def person(account: pwd.struct_passwd, homes: Path, python: Path) -> Person:
    home = homes / account.pw_name
    home.mkdir(mode=0o700)
    os.chown(home, account.pw_uid, account.pw_gid)
    return Person(account, home, python)
