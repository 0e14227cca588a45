"""An ordinary (non-root) account for the rootless tests, and a Python it can run.

On this kind of machine the interpreter lives under root's home, which other accounts cannot enter:
the account gets a copy of the base installation (the standard library, without its tests and
packages; about 110 MB) and a venv whose site-packages and Jupyter data point at the project's own,
so the grader it runs imports the same pinned packages and this checkout's dlgrader.
"""
from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

NAME = "dlgrader-rootless-test"


def ensure_account() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(NAME)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", NAME],
                       check=True, capture_output=True)
        return pwd.getpwnam(NAME)


def reachable_by_others(path: Path) -> bool:
    """Can an account that is neither owner nor group member traverse to PATH and read it?"""
    for folder in [path, *path.parents]:
        mode = folder.stat().st_mode
        if not mode & 0o001 or (folder == path and not mode & 0o004):
            return False
    return True


def python_for(account: pwd.struct_passwd, where: Path) -> Path:
    """A venv under WHERE (owned by ACCOUNT) that runs this project's packages."""
    base = Path(sys.base_prefix)
    copy = where / "python"
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    (copy / "lib").mkdir(parents=True)
    shutil.copytree(base / "bin", copy / "bin", symlinks=True)
    for lib in (base / "lib").glob("libpython*"):
        shutil.copy2(lib, copy / "lib" / lib.name, follow_symlinks=False)
    shutil.copytree(base / "lib" / version, copy / "lib" / version, symlinks=True,
                    ignore=shutil.ignore_patterns("test", "site-packages", "config-*", "__pycache__"))
    (copy / "lib" / version / "site-packages").mkdir()
    venv = where / "venv"
    subprocess.run([str(copy / "bin" / version), "-m", "venv", "--without-pip", str(venv)], check=True,
                   env={"PATH": "/usr/bin:/bin", "LD_LIBRARY_PATH": str(copy / "lib")})
    site = Path(sysconfig.get_paths()["purelib"])
    (venv / "lib" / version / "site-packages" / "project.pth").write_text(
        f"import site; site.addsitedir({str(site)!r})\n")
    (venv / "share").mkdir(exist_ok=True)             # Jupyter's data files (nbconvert's templates)
    (venv / "share" / "jupyter").symlink_to(Path(sys.prefix) / "share" / "jupyter")
    for root, dirs, files in os.walk(where):
        for name in dirs + files:
            os.lchown(os.path.join(root, name), account.pw_uid, account.pw_gid)
    os.chown(where, account.pw_uid, account.pw_gid)
    return venv / "bin" / "python"


def as_account(account: pwd.struct_passwd, file_bytes: int = 0):
    """preexec_fn for subprocess: become ACCOUNT (no supplementary groups); with FILE_BYTES, it can
    write no file larger than that (a test that could fill the disk caps itself)."""
    def become():
        if file_bytes:
            import resource
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
        os.setgroups([])
        os.setresgid(account.pw_gid, account.pw_gid, account.pw_gid)
        os.setresuid(account.pw_uid, account.pw_uid, account.pw_uid)
    return become
