"""Real Unix accounts for the tests that look at the course as a student would.

Names are `dlgd` + the xdist worker's id + a short name (dlgdgw0alice), so two test workers never
share an account; `Accounts.close()` removes them (and their home folders) at the end. A forked
child that becomes an account (`as_account`) answers what that account can do to a path.
"""
from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import tempfile
import grp
from pathlib import Path


def prefix() -> str:
    return "dlgd" + os.environ.get("PYTEST_XDIST_WORKER", "m")


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


def as_account(account: pwd.struct_passwd, fn, *args):
    """FN(*ARGS) in a forked child that has become ACCOUNT (its uid, gid and groups); its result
    (JSON-able) comes back through a pipe. The child never returns into the test."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(r)
            os.initgroups(account.pw_name, account.pw_gid)
            os.setresgid(account.pw_gid, account.pw_gid, account.pw_gid)
            os.setresuid(account.pw_uid, account.pw_uid, account.pw_uid)
            data = json.dumps({"result": fn(*args)})
            code = 0
        except BaseException as exc:                     # noqa: BLE001 - reported in the test
            data = json.dumps({"error": f"{type(exc).__name__}: {exc}"})
        try:
            with os.fdopen(w, "w") as out:
                out.write(data)
        finally:
            os._exit(code)
    os.close(w)
    with os.fdopen(r) as inp:
        data = inp.read()
    os.waitpid(pid, 0)
    answer = json.loads(data)
    assert "error" not in answer, answer["error"]
    return answer["result"]


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
