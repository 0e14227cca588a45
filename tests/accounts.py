"""Real Unix accounts for the tests that need several people on one machine (students, a TA).

Names are a tag (`dlgd` for the tests that look at the course as a student would, `dlgb` for the
students who submit through the exchange) + the xdist worker's id + a short name (dlgdgw0alice), so
two test workers never share an account. `Accounts.close()` and `remove` delete them at the end (a
leftover of a killed run is replaced when made again). A forked child that becomes an account
(`as_account`) answers what that account can do to a path; a `Person` runs the project's Python as
the account, through one shared copy of the interpreter (tests/sandbox/ordinary_user.py: it lives
under /root, which others cannot enter).
"""
from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import grp
from dataclasses import dataclass
from pathlib import Path

from .sandbox.ordinary_user import as_account as becomes, python_for

FSIZE_CAP = 256 * 2**20        # no process of a test account writes a file larger than this


def prefix(tag: str = "dlgd") -> str:
    """TAG + this xdist worker's id (gw0, gw1, ...; "m" outside xdist)."""
    return tag + (os.environ.get("PYTEST_XDIST_WORKER") or "m")


class Accounts:
    """Accounts made with useradd for one test module (or session), removed by close()."""

    def __init__(self):
        self.made: list[str] = []
        self.groups: list[str] = []
        # homes in a folder every account can traverse (pytest's tmp_path is root's only)
        self.base = Path(tempfile.mkdtemp(prefix=f"{prefix()}-homes-"))
        self.base.chmod(0o755)

    def add(self, short: str) -> pwd.struct_passwd:
        name = prefix() + short
        self.remove(name)                                     # a left-over of an interrupted run
        home = self.base / name
        subprocess.run(["useradd", "--create-home", "--home-dir", str(home), "--shell", "/bin/sh",
                        "--user-group", name], check=True, capture_output=True, text=True)
        self.made.append(name)
        return pwd.getpwnam(name)

    @staticmethod
    def remove(name: str) -> None:
        try:
            pwd.getpwnam(name)
        except KeyError:
            return
        subprocess.run(["userdel", "--force", "--remove", name], capture_output=True)

    def group(self, short: str, members: list) -> grp.struct_group:
        name = prefix() + short
        subprocess.run(["groupdel", name], capture_output=True)
        subprocess.run(["groupadd", name], check=True, capture_output=True, text=True)
        self.groups.append(name)
        for m in members:
            subprocess.run(["usermod", "-a", "-G", name, m.pw_name], check=True, capture_output=True, text=True)
        return grp.getgrnam(name)

    def close(self) -> None:
        for name in self.made:
            self.remove(name)
        for name in self.groups:
            subprocess.run(["groupdel", name], capture_output=True)
        shutil.rmtree(self.base, ignore_errors=True)


def open_folder() -> Path:
    """A fresh folder every account can traverse (for a course the accounts look at)."""
    folder = Path(tempfile.mkdtemp(prefix=f"{prefix()}-"))
    folder.chmod(0o755)
    return folder


def cloned_course(template: Path) -> Path:
    """The course at TEMPLATE copied (without logs) into a fresh folder every account can pass, every
    file with the modes a git clone (or a copy by an instructor with umask 022) gets: folders 755,
    files 644. The caller removes its parent."""
    root = open_folder() / "course"
    shutil.copytree(template, root, ignore=shutil.ignore_patterns("logs"))
    for folder, _dirs, files in os.walk(root):
        os.chmod(folder, 0o755)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o644)
    return root


def as_account(account: pwd.struct_passwd, fn, *args):
    """FN(*ARGS) in a forked child that has become ACCOUNT (its uid, gid and groups); its result
    (JSON-able). The doctor's own way of looking as a student; an error in the child fails the test."""
    from dlgrader.doctor import run_as
    return run_as(account, fn, *args)


def reachable(paths: list[str]) -> dict:
    """For each path: what this process can do to it ('list', 'read'), tried for real."""
    out = {}
    for path in paths:
        done = []
        try:
            os.listdir(path)
            done.append("list")
        except NotADirectoryError:
            try:
                with open(path, "rb") as f:
                    f.read(1)
                done.append("read")
            except OSError:
                pass
        except OSError:
            pass
        out[path] = done
    return out


# ---- students who submit through the exchange as themselves -------------------------------------
def _userdel(name: str) -> None:
    subprocess.run(["userdel", name], capture_output=True)


def make(base: str) -> pwd.struct_passwd:
    """A fresh account dlgb<worker>BASE (a leftover of a killed run is replaced), no home, no shell."""
    name = prefix("dlgb") + base
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
                              preexec_fn=becomes(self.account, FSIZE_CAP), capture_output=True, text=True,
                              timeout=timeout)

    def python_code(self, code: str, *argv: str) -> subprocess.CompletedProcess:
        return self.run(["-c", code, *argv])


def person(account: pwd.struct_passwd, homes: Path, python: Path) -> Person:
    home = homes / account.pw_name
    home.mkdir(mode=0o700)
    os.chown(home, account.pw_uid, account.pw_gid)
    return Person(account, home, python)
