"""`dlgrader doctor`: the course and its exchange as a student account sees them.

Run as root, it forks a process that becomes an unprivileged account (nobody, or the one named) and
tries to list, read and write each thing a student must not: the private folders and files of the
course (privacy.py), the course root and its nbgrader_config.py (Python the grader runs), release/,
and in the exchange the course folder, outbound/ (no writing), inbound/ and feedback/ (no listing:
nbgrader hides each submission and each feedback page behind a random name). Without root it judges
the same things from the modes, for an account outside the files' groups, and says so. Either way it
checks the exchange's layout: the root world-writable only with the sticky bit, the course folder
and its inbound/outbound/feedback owned by the instructor (the course root's owner), nothing
world-writable without the sticky bit (but inbound/ and the submissions in it, which nbgrader makes
so: their names are secret), no folder above the course or the exchange writable by others.
"""
from __future__ import annotations

import json
import os
import pwd
import stat
from dataclasses import dataclass, field
from pathlib import Path

from . import privacy
from .collection.guard import open_to_all
from .course import CONFIG_FILE, Course
from .errors import DlgraderError

CAP_FILES, CAP_DIRS = 2000, 400          # per private folder: what the student account tries to open
WALK_CAP = 20000                         # entries of the exchange's course folder looked at
MAX_DEPTH = 32                           # folders below a private folder or inbound/ looked into


@dataclass
class Exposure:
    what: str
    fix: str

    def line(self) -> str:
        return f"EXPOSED: {self.what} — fix: {self.fix}"


@dataclass
class Report:
    who: str
    tried: bool                          # True: tried as the account; False: judged from the modes
    exposures: list = field(default_factory=list)
    notes: list = field(default_factory=list)


# ---- what to look at -------------------------------------------------------------------------------
def db_password_in_config(course: Course) -> bool:
    from sqlalchemy.engine import make_url
    try:
        password = make_url(course.db_url).password
    except Exception:
        return False
    config = course.root / CONFIG_FILE
    return bool(password) and config.is_file() and str(password) in config.read_text(errors="replace")


def targets(course: Course) -> list[dict]:
    """Each path a student must not reach, with what they must not do to it."""
    out = []
    private = privacy.private_paths(course)
    if db_password_in_config(course):
        private.append(course.root / CONFIG_FILE)
    for path in private:
        if path.exists() or path.is_symlink():
            out.append({"path": str(path), "kind": "private", **_inside(path)})
    for path in (course.root, course.root / CONFIG_FILE, course.release):
        if path.exists():
            out.append({"path": str(path), "kind": "no-write"})
    course_folder = course.exchange / course.course_id
    for path, kind in ((course_folder, "no-write"), (course_folder / "outbound", "no-write"),
                       (course_folder / "inbound", "no-list"), (course_folder / "feedback", "no-list")):
        if path.is_dir():
            out.append({"path": str(path), "kind": kind, **(_inside(path) if kind == "no-list" else {})})
    return out


def _inside(path: Path) -> dict:
    """Files and folders under PATH (walked with the doctor's own rights, without recursion and at
    most MAX_DEPTH deep: students make what lies in inbound/), up to the caps."""
    files, dirs = [], []
    if not path.is_dir() or path.is_symlink():
        return {"files": files, "dirs": dirs}
    stack = [(str(path), 0)]
    while stack and (len(files) < CAP_FILES or len(dirs) < CAP_DIRS):
        folder, depth = stack.pop()
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        if len(dirs) < CAP_DIRS:
                            dirs.append(entry.path)
                        if depth + 1 < MAX_DEPTH:
                            stack.append((entry.path, depth + 1))
                    elif len(files) < CAP_FILES:
                        files.append(entry.path)
        except OSError:
            continue
    return {"files": files, "dirs": dirs}


# ---- trying, as the account (in a forked child) -----------------------------------------------
def _can_open(path: str, flags: int) -> bool:
    try:
        os.close(os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY))
        return True
    except OSError:
        return False


def _can_list(path: str) -> bool:
    try:
        os.listdir(path)
        return True
    except OSError:
        return False


def _can_create_in(path: str) -> bool:
    probe = os.path.join(path, f".dlgrader-doctor-probe-{os.getpid()}")
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
    except OSError:
        return False
    os.unlink(probe)
    return True


def probe(plan: list[dict]) -> list[dict]:
    """What this process can do to each target: [{path, verbs, example}] for those it can touch."""
    found = []
    for t in plan:
        path, verbs, example = t["path"], [], None
        is_dir = os.path.isdir(path) and not os.path.islink(path)
        if t["kind"] in ("private", "no-list"):
            if is_dir and _can_list(path):
                verbs.append("list")
            readable = [f for f in t.get("files", []) if _can_open(f, os.O_RDONLY)]
            listable = [d for d in t.get("dirs", []) if _can_list(d)]
            if not is_dir and _can_open(path, os.O_RDONLY):
                verbs.append("read")
            elif readable and t["kind"] == "private":
                verbs.append(f"read {len(readable)} file(s) in")
                example = readable[0]
            elif readable and "list" in verbs:
                verbs.append("read what it lists in")
                example = readable[0]
            if listable and t["kind"] == "private" and "list" not in verbs:
                verbs.append("list folders in")
                example = example or listable[0]
        if t["kind"] in ("private", "no-write"):
            if is_dir and _can_create_in(path):
                verbs.append("create files in")
            elif not is_dir and _can_open(path, os.O_WRONLY | os.O_APPEND):
                verbs.append("write")
        if verbs:
            found.append({"path": path, "kind": t["kind"], "verbs": verbs, "example": example})
    return found


def run_as(account: pwd.struct_passwd, fn, *args):
    """FN(*ARGS) in a forked child that has become ACCOUNT (its uid, gid and groups, nothing else);
    its result (JSON-able) comes back through a pipe. The child never returns into the caller; an
    exception in it (or its death) is a DlgraderError here."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:                                     # the child: never returns
        code = 1
        try:
            os.close(r)
            os.initgroups(account.pw_name, account.pw_gid)
            os.setresgid(account.pw_gid, account.pw_gid, account.pw_gid)
            os.setresuid(account.pw_uid, account.pw_uid, account.pw_uid)
            data = json.dumps({"result": fn(*args)})
            code = 0
        except BaseException as exc:                 # noqa: BLE001 - reported by the parent
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
    result = json.loads(data or '{"error": "the process died"}')
    if "error" in result:
        raise DlgraderError(result["error"])
    return result["result"]


def _probe_from_root(plan: list[dict]) -> list[dict]:
    os.chdir("/")
    return probe(plan)


def tried_as(account: pwd.struct_passwd, plan: list[dict]) -> list[dict]:
    """probe(PLAN) in a child that has become ACCOUNT."""
    try:
        return run_as(account, _probe_from_root, plan)
    except DlgraderError as exc:
        raise DlgraderError(f"could not look as {account.pw_name}: {exc}") from None


# ---- judging from the modes (without root) ----------------------------------------------------
def _others(path: Path) -> int:
    """The 'other' permission bits of PATH (0 when an account outside its group cannot reach it)."""
    try:
        for folder in path.parents:
            if not folder.stat().st_mode & stat.S_IXOTH:
                return 0
        return path.lstat().st_mode & 0o007
    except OSError:
        return 0


def judged(plan: list[dict]) -> list[dict]:
    found = []
    for t in plan:
        path = Path(t["path"])
        bits, verbs = _others(path), []
        is_dir = path.is_dir() and not path.is_symlink()
        if t["kind"] in ("private", "no-list"):
            if is_dir and bits & 0o4 and bits & 0o1:
                verbs.append("list")
            if not is_dir and bits & 0o4:
                verbs.append("read")
            elif is_dir and bits & 0o1 and t["kind"] == "private":
                verbs.append("open files whose names it knows in")
        if t["kind"] in ("private", "no-write") and bits & 0o2 and (bits & 0o1 or not is_dir):
            verbs.append("create files in" if is_dir else "write")
        if verbs:
            found.append({"path": str(path), "kind": t["kind"], "verbs": verbs, "example": None})
    return found


# ---- the exchange's layout -------------------------------------------------------------------------
def _owner(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def layout(course: Course, report: Report) -> None:
    instructor = course.root.stat().st_uid
    trusted = {0, instructor}
    root, folder = course.exchange, course.exchange / course.course_id
    looked = set()
    for above in [*reversed(course.root.parents), *reversed(root.parents), root]:
        if above in looked:
            continue
        looked.add(above)
        try:
            st = os.lstat(above)
        except OSError:
            continue
        if stat.S_ISLNK(st.st_mode):
            if st.st_uid not in trusted:
                report.exposures.append(Exposure(f"{above} (on the way to the course or the exchange) is a link "
                                                 f"owned by {_owner(st.st_uid)}, who can point it elsewhere at any time",
                                                 f"name the real folder instead of {above}"))
        elif above != root and open_to_all(st):
            report.exposures.append(Exposure(f"{above} (above the course or the exchange) is writable by every "
                                             "account without the sticky bit: anyone can replace what lies below it",
                                             f"chmod o-w {above}"))
    if not root.is_dir():
        report.notes.append(f"the exchange root {root} does not exist yet (`dlgrader release` creates it)")
        return
    st = root.stat()
    if open_to_all(st):
        report.exposures.append(Exposure(f"the exchange root {root} is writable by every account without the "
                                         "sticky bit: a student can rename the course folder and put up her own",
                                         f"chmod 1777 {root}"))
    if st.st_uid not in trusted:
        report.exposures.append(Exposure(f"the exchange root {root} is owned by {_owner(st.st_uid)}",
                                         f"chown {_owner(instructor)} {root}"))
    if not folder.is_dir():
        report.notes.append(f"the exchange has no folder {folder} yet (`dlgrader release` creates it)")
        return
    tops = {folder, folder / "inbound", folder / "outbound", folder / "feedback"}
    for path in sorted(tops):
        if path.is_symlink() or (path.exists() and path.lstat().st_uid != instructor):
            who = "a link" if path.is_symlink() else f"owned by {_owner(path.lstat().st_uid)}"
            report.exposures.append(Exposure(f"{path} is {who}, not the instructor's ({_owner(instructor)}): "
                                             "its owner can replace what students fetch and read what they submit",
                                             f"chown -R {_owner(instructor)} {path}" if not path.is_symlink()
                                             else f"rm {path} and run `dlgrader release` again"))
    inbound = folder / "inbound"
    seen = 0
    for dirpath, dirs, files in os.walk(folder):
        here = Path(dirpath)
        if here == inbound:
            dirs[:] = []                  # the submissions: 0777 by nbgrader's design, behind secret names
            continue
        for name in dirs + files:
            seen += 1
            path = here / name
            if path in tops or seen > WALK_CAP:
                continue
            st = path.lstat()
            if not stat.S_ISLNK(st.st_mode) and open_to_all(st):
                report.exposures.append(Exposure(f"{path} in the exchange is writable by every account",
                                                 f"chmod o-w {path}"))


SANDBOXED_EXECUTE = "dlgrader.execution.nbgrader_execute.SandboxedExecute"
SAFE_PLUGINS = {"collect": "dlgrader.collection.nbgrader_plugin.SafeExchangeCollect",
                "release_assignment": "dlgrader.collection.nbgrader_plugin.SafeExchangeReleaseAssignment"}


def _dotted(item) -> str:
    return item if isinstance(item, str) else f"{item.__module__}.{item.__qualname__}"


def configuration(course: Course, report: Report) -> None:
    """What nbgrader_config.py makes stock nbgrader and Formgrader's buttons do: autograde only in the
    sandbox, collect and release only through dlgrader's checks, no single-account mode."""
    config = course.nbgrader_config(missing_ok=True)
    file = course.root / CONFIG_FILE
    chain = [_dotted(p) for p in config.Autograde.get("autograde_preprocessors", [])]
    if SANDBOXED_EXECUTE not in chain:
        report.exposures.append(Exposure(
            "stock `nbgrader autograde` and Formgrader's Autograde button run student code in a kernel of "
            f"the grader's account (c.Autograde.autograde_preprocessors in {file} lacks {SANDBOXED_EXECUTE})",
            f"put {SANDBOXED_EXECUTE} in place of nbgrader's Execute in c.Autograde.autograde_preprocessors"))
    for name in chain:
        if name.rsplit(".", 1)[-1] in ("Execute", "ExecutePreprocessor"):
            report.exposures.append(Exposure(
                f"c.Autograde.autograde_preprocessors in {file} also runs {name}: student code in a kernel "
                "outside the sandbox", f"remove {name} from c.Autograde.autograde_preprocessors"))
    for step, plugin in SAFE_PLUGINS.items():
        named = config.ExchangeFactory.get(step)
        if named is None or _dotted(named) != plugin:
            report.exposures.append(Exposure(
                f"stock `nbgrader {step}` and Formgrader's button use nbgrader's own exchange step "
                f"(c.ExchangeFactory.{step} in {file} is {_dotted(named) if named else 'not set'}): no owner, "
                "roster or link checks", f"c.ExchangeFactory.{step} = {plugin!r}"))
    accounts = config.DlgraderCollect.get("accounts", {})
    if "*" in accounts:
        report.exposures.append(Exposure(
            f"{file} sets single-account mode (c.DlgraderCollect.accounts = {{'*': {accounts['*']!r}}}): any "
            "account that can write to the exchange submits as any student",
            "remove that line (each id then submits from its own account, on the roster)"))


# ---- the whole look ----------------------------------------------------------------------------
WHAT = {"source": "solutions and hidden tests", "reference": "the reference the hidden tests load",
        "submitted": "every student's submissions", "autograded": "every student's graded notebooks",
        "feedback": "every student's feedback", "logs": "logs of every collection and grading",
        CONFIG_FILE: "the gradebook's database password", "inbound": "every student's submission",
        "release": "what students fetch", "outbound": "what students fetch"}


def why(course: Course, t: dict) -> str:
    path = Path(t["path"])
    if path == privacy.secret_file(course):
        return "the course secret that seeds every hidden input"
    if privacy.sqlite_file(course) in (path, path.with_name(path.name.split("-")[0])):
        return "everyone's grades"
    if t["kind"] == "no-list" and path.name == "feedback":
        return "every student's released feedback"
    if path == course.root or (t["kind"] == "no-write" and path.name == CONFIG_FILE):
        return "the grader runs nbgrader_config.py as Python"
    if path == course.exchange / course.course_id:
        return "a student could replace what classmates fetch"
    return WHAT.get(path.name, "the course's private files")


def fix_for(course: Course, t: dict, modes: privacy.Modes) -> str:
    path = Path(t["path"])
    if t["kind"] == "private":
        mode = modes.folder if path.is_dir() else modes.file
        group = f" and chgrp {course_group(course)} {path}" if modes.gid != -1 else ""
        return f"chmod {mode:o} {path}{group}"
    if t["kind"] == "no-list":
        return f"chmod o-r {path}"
    return f"chmod go-w {path}"


def course_group(course: Course) -> str:
    from . import settings
    return settings.load(course).course_group


def examine(course: Course, account: str | None = None) -> Report:
    """Everything a student account could read or write that it should not (see the module doc)."""
    root_caller = os.geteuid() == 0
    if root_caller:
        name = account or "nobody"
        try:
            who = pwd.getpwnam(name)
        except KeyError:
            raise DlgraderError(f"no Unix account named {name!r} to look at the course as") from None
        if who.pw_uid == 0:
            raise DlgraderError(f"{name} is root: name an unprivileged account (a student's) with --as")
        report = Report(f"{name} (uid {who.pw_uid})", tried=True)
    else:
        report = Report("an account outside the files' groups", tried=False)
        report.notes.append("not root: judged from the modes, not tried as a student account (run as root "
                            "to try; an account in the files' groups may see more)"
                            + (f"; --as {account} needs root" if account else ""))
    plan = targets(course)
    modes = privacy.modes(course)
    found = tried_as(who, plan) if root_caller else judged(plan)
    kinds = {(t["path"], t["kind"]): t for t in plan}
    for f in found:
        t = kinds[f["path"], f["kind"]]
        example = f" (e.g. {f['example']})" if f.get("example") else ""
        report.exposures.append(Exposure(
            f"{report.who} can {' and '.join(f['verbs'])} {f['path']}{example}: {why(course, t)}",
            fix_for(course, t, modes)))
    if privacy.sqlite_file(course) is None:
        report.notes.append("the gradebook is on a database server: check its accounts there")
    layout(course, report)
    configuration(course, report)
    return report
