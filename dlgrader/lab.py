"""`dlgrader lab`: JupyterLab on the course with nbgrader's extensions, as the instructor or as a student.

The instructor's server runs in the course root, so nbgrader's extensions read the course's
`nbgrader_config.py` (Formgrader gets the gradebook, the exchange and the course id).

A student's server runs AS the student's Unix account (its uid, gid and groups, its HOME; never
`--allow-root`), so its kernels can read only what that account can: not reference/ nor source/
(`dlgrader build` makes them owner-only). The student id is the account's name, which nbgrader takes
from the OS when no id is configured; no file of the student's names it. The course id and the
exchange root come from a nbgrader_config.py in a folder owned by the caller that the student cannot
write, put on JUPYTER_CONFIG_PATH. Only root (or the account itself) can start it, and the account
must be able to run this Python: one installed where every account can read it (e.g. /opt).
"""
from __future__ import annotations

import os
import pwd
import re
import stat
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .course import Course
from .errors import DlgraderError

STUDENT_CONFIG = """\
# Written by `dlgrader lab --student`: the course a student's server sees. The student id is the
# OS account's name (nbgrader's default), so none is set here.
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = {course_id!r}
c.Exchange.root = {exchange!r}
"""
ACCOUNT_NAME = re.compile(r"[a-z_][a-z0-9_.-]{0,31}\Z", re.IGNORECASE)
# What a student's server keeps of the caller's environment: nothing of the grader's (no DLGRADER_*,
# no Jupyter or Python paths of the caller's), just the locale and where programs and libraries are.
KEPT = ("PATH", "LANG", "LANGUAGE", "TZ", "TERM", "LD_LIBRARY_PATH")


@dataclass
class Server:
    cmd: list
    cwd: Path
    env: dict
    account: pwd.struct_passwd | None = None      # the student's account, or None: the caller's


def student_account(student: str) -> pwd.struct_passwd:
    """The student's Unix account (the student id is its name); refused when it cannot be used."""
    if not student or not ACCOUNT_NAME.match(student):
        raise DlgraderError(f"bad student id {student!r}: a student id is the name of the student's Unix account")
    try:
        account = pwd.getpwnam(student)
    except KeyError:
        raise DlgraderError(f"no Unix account named {student!r}: a student's server runs as the student's "
                            "own account (create it, or use JupyterHub)") from None
    if account.pw_uid == 0:
        raise DlgraderError(f"{student} is root: a student's server runs as an unprivileged account")
    if os.geteuid() not in (0, account.pw_uid):
        raise DlgraderError(f"starting {student}'s server as {student} needs root (or run it as {student})")
    return account


def config_folder(course: Course, folder: Path | str | None = None) -> Path:
    """A folder holding the student's view of the course, owned by the caller and not writable by
    anyone else (a student could otherwise point classmates at an exchange of her own)."""
    path = Path(folder) if folder else Path(tempfile.gettempdir()) / f"dlgrader-{course.course_id}-students"
    try:
        path.mkdir(mode=0o755)
    except FileExistsError:
        pass
    st = path.lstat()
    if (not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o022):
        raise DlgraderError(f"{path} must be a folder of yours that nobody else can write (it holds the "
                            "course id and exchange students get); remove it or pick another with --config-dir")
    path.chmod(0o755)
    text = STUDENT_CONFIG.format(course_id=course.course_id, exchange=str(course.exchange))
    partial = path / f".nbgrader_config.py.{os.getpid()}"
    partial.write_text(text, encoding="utf-8")
    partial.chmod(0o644)
    partial.replace(path / "nbgrader_config.py")
    return path


def student_environment(account: pwd.struct_passwd, config: Path) -> dict:
    """The environment of a student's server and kernels: the account's identity and home, the
    course's config folder, and none of the grader's variables."""
    env = {k: v for k, v in os.environ.items() if k in KEPT or k.startswith("LC_")}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "/usr/bin:/bin")])
    env.update(HOME=account.pw_dir, USER=account.pw_name, LOGNAME=account.pw_name, SHELL=account.pw_shell,
               JUPYTER_CONFIG_PATH=str(config))
    return env


def command(root_dir: Path, *, port: int, token: str | None, open_browser: bool,
            extra: tuple[str, ...] = (), allow_root: bool = False) -> list[str]:
    """`jupyter lab` serving ROOT_DIR (nbgrader's extensions are enabled in this environment)."""
    cmd = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={root_dir}", f"--port={port}",
           "--ServerApp.port_retries=0", f"--ServerApp.open_browser={open_browser}"]
    if token is not None:
        cmd.append(f"--IdentityProvider.token={token}")
    if allow_root:
        cmd.append("--allow-root")
    return cmd + list(extra)


def lab(course: Course, *, student: str | None = None, home: Path | str | None = None, port: int = 8888,
        token: str | None = None, open_browser: bool = True, extra: tuple[str, ...] = (),
        config_dir: Path | str | None = None) -> Server:
    """The command, working folder, environment (and account) of the instructor's or a student's server."""
    if student is None:
        from .collection import guard, settings as collect_settings
        # 1777 as `dlgrader release` makes it (a plain mkdir left it 0755: students could not submit)
        guard.make_root(course.exchange, collect_settings.settings(course).exchange_owner)
        return Server(command(course.root, port=port, token=token, open_browser=open_browser, extra=extra,
                              allow_root=hasattr(os, "geteuid") and os.geteuid() == 0),
                      course.root, course.environment())
    account = student_account(student)
    folder = Path(home or account.pw_dir).absolute()
    if folder == course.root or course.root in folder.parents:
        raise DlgraderError(f"the student's folder {folder} is inside the course root; pick a folder outside it")
    if not Path(account.pw_dir).is_dir():
        raise DlgraderError(f"{student}'s home folder {account.pw_dir} does not exist")
    env = student_environment(account, config_folder(course, config_dir))
    return Server(command(folder, port=port, token=token, open_browser=open_browser, extra=extra),
                  folder, env, account)


def become(account: pwd.struct_passwd) -> None:
    """Turn this process into ACCOUNT for good (uid, gid, groups); then check it can run this Python."""
    import jupyterlab          # (imported while this process can still read them: only their paths
    import nbgrader            # are looked at, as the account)
    needed = [(os.path.realpath(p), mode) for p, mode in ((sys.executable, os.X_OK), (os.__file__, os.R_OK),
                                                           (nbgrader.__file__, os.R_OK),
                                                           (jupyterlab.__file__, os.R_OK))]
    if os.geteuid() != account.pw_uid:
        os.initgroups(account.pw_name, account.pw_gid)
        os.setresgid(account.pw_gid, account.pw_gid, account.pw_gid)
        os.setresuid(account.pw_uid, account.pw_uid, account.pw_uid)
    for path, mode in needed:
        if not os.access(path, mode):
            raise DlgraderError(f"{account.pw_name} cannot run this Python ({path} is out of its reach): install "
                                "dlgrader where every account can read it (e.g. a venv under /opt) and start "
                                "`dlgrader lab --student` from there")


def start(server: Server) -> None:
    """Run the server: the instructor's replaces this process; a student's runs in a child that
    becomes the student's account in a session of its own (no controlling terminal, stdin from
    /dev/null), while this process relays its output with control characters removed and passes on
    Ctrl-C and SIGTERM. A student's code then cannot type into, nor take over, the terminal of the
    root who started it (TIOCSTI, escape sequences)."""
    if server.account is None:
        os.chdir(server.cwd)
        os.execve(server.cmd[0], server.cmd, server.env)
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    pid = os.fork()
    if pid == 0:                                        # the child: the student's server
        code = 1
        try:
            os.setsid()
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.dup2(out_w, 1)
            os.dup2(err_w, 2)
            for fd in (null, out_r, out_w, err_r, err_w):
                os.close(fd)
            become(server.account)
            try:
                server.cwd.mkdir(parents=True, exist_ok=True)
                os.chdir(server.cwd)
            except OSError as exc:
                raise DlgraderError(f"{server.account.pw_name} cannot use the folder {server.cwd}: "
                                    f"{exc.strerror}") from None
            os.execve(server.cmd[0], server.cmd, server.env)
        except DlgraderError as exc:
            os.write(2, f"dlgrader: error: {exc}\n".encode())
        except BaseException as exc:                    # noqa: BLE001 - the child must never return
            os.write(2, f"dlgrader: error: {type(exc).__name__}: {exc}\n".encode())
        finally:
            os._exit(code)
    os.close(out_w)
    os.close(err_w)
    sys.exit(relay(pid, {out_r: sys.stdout, err_r: sys.stderr}))


_CONTROL = bytes(c for c in range(32) if c not in (9, 10)) + b"\x7f"


def relay(pid: int, pipes: dict) -> int:
    """Copy the child's output to our streams (printable text only) until it exits; forward SIGINT,
    SIGTERM and SIGHUP to it as SIGTERM (the server then shuts its kernels down). Its exit code."""
    import selectors
    import signal

    def forward(signum, frame):
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, forward)
    with selectors.DefaultSelector() as selector:
        for fd, stream in pipes.items():
            selector.register(fd, selectors.EVENT_READ, stream)
        while selector.get_map():
            for key, _ in selector.select():
                data = os.read(key.fd, 65536)
                if not data:
                    selector.unregister(key.fd)
                    os.close(key.fd)
                    continue
                key.data.write(data.translate(None, _CONTROL).decode("utf-8", "replace"))
                key.data.flush()
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            return os.waitstatus_to_exitcode(status)
        except InterruptedError:
            continue
