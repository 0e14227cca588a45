"""A real PostgreSQL server on 127.0.0.1 for the tests (Debian's package, installed by make test)."""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from contextlib import contextmanager

from ..conftest import free_port


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def unavailable() -> str:
    """Why a server cannot be started here ("" if it can)."""
    if not _bin("initdb") or not _bin("pg_ctl"):
        return "Debian's postgresql is not installed (make test installs it where apt works)"
    if os.geteuid() != 0:
        return "starting PostgreSQL as another user needs root"
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return "no postgres system user"
    return ""


def _as_postgres(*cmd, **kwargs):
    return subprocess.run(["runuser", "-u", "postgres", "--", *cmd], check=True, capture_output=True,
                          text=True, **kwargs)


@contextmanager
def server():
    """Yield a URL prefix postgresql://postgres@127.0.0.1:PORT; the cluster is deleted afterwards."""
    base = tempfile.mkdtemp(prefix="dlgrader-pg-")
    data = os.path.join(base, "data")
    os.chmod(base, 0o755)
    shutil.chown(base, "postgres", "postgres")
    port = free_port()
    _as_postgres(_bin("initdb"), "-D", data, "-A", "trust", "-U", "postgres", "--no-sync")
    _as_postgres(_bin("pg_ctl"), "-D", data, "-w", "-t", "60", "-l", os.path.join(base, "log"),
                 "-o", f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={base} -c fsync=off",
                 "start")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(["runuser", "-u", "postgres", "--", _bin("pg_ctl"), "-D", data, "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def create_database(url: str, name: str) -> str:
    import sqlalchemy
    engine = sqlalchemy.create_engine(f"{url}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return f"{url}/{name}"
