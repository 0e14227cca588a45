"""The sandbox holds: tests try the network, the course, the filesystem and leftover processes."""
from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import pytest

from dlgrader.sandbox.isolation import default_policy, probe
from dlgrader.sandbox.session import SessionDied, Zygote

from ..conftest import ROOT, gone, sandbox_uid

UID = sandbox_uid(64900)


@pytest.fixture(scope="module")
def zygote(tmp_path_factory):
    course = tmp_path_factory.mktemp("sandboxed") / "course"
    (course / "source").mkdir(parents=True)
    (course / "source" / "secret.txt").write_text("hidden tests")
    (course / "gradebook.db").write_text("grades")
    z = Zygote(default_policy([str(course), str(ROOT)], UID))
    z.course = course
    yield z
    z.close()


def run(zygote, source: str, timeout: float = 10) -> dict:
    session = zygote.spawn()
    try:
        return session.request({"op": "cell", "source": source}, timeout)
    finally:
        session.close()


def sandbox_processes() -> list[int]:
    """Live processes of this module's sandboxes: in another PID namespace, owned on the host by the
    sandbox uid (as root) or by this account (rootless, where the sandbox's uid is namespaced).
    A zombie has already ended (it only waits for its parent to collect its status): not counted."""
    own_ns = os.readlink("/proc/self/ns/pid")
    owner = UID if os.geteuid() == 0 else os.geteuid()
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == owner and os.readlink(entry / "ns" / "pid") != own_ns \
                        and (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] not in "ZX":
                    pids.append(int(entry.name))
            except (FileNotFoundError, PermissionError, ProcessLookupError):
                pass
    return pids


def test_probe_reports_a_working_sandbox():
    assert probe([str(ROOT)], UID) == ""


def test_runs_as_an_unprivileged_user(zygote):
    reply = run(zygote, "import os\nprint(os.getuid(), os.getgid(), os.getcwd())")
    assert reply["output"].split() == [str(UID), str(UID), "/tmp"]


def test_no_network_even_to_a_loopback_listener(zygote):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    reply = run(zygote, f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2)")
    assert "error" in reply and ("unreachable" in reply["error"] or "refused" in reply["error"])
    with pytest.raises(BlockingIOError):
        listener.accept()                      # nothing ever arrived
    listener.close()


def test_course_source_gradebook_and_home_are_invisible(zygote):
    course = zygote.course
    for path in (course / "source" / "secret.txt", course / "gradebook.db", ROOT / "reference" / "ps2.py",
                 Path.home() / ".bashrc"):
        reply = run(zygote, f"print(open({str(path)!r}).read())")
        assert "FileNotFoundError" in reply.get("error", ""), (path, reply)
    for folder in (course, ROOT):
        reply = run(zygote, f"import os\nprint(sorted(os.listdir({str(folder)!r})))")
        # gone entirely, or an empty stand-in (the tool's checkout keeps only its .venv and the dlgrader package)
        assert "FileNotFoundError" in reply.get("error", "") or \
            reply["output"].strip() in ("[]", "['.venv', 'dlgrader']"), reply


def test_filesystem_is_read_only_except_a_private_scratch(zygote, tmp_path):
    marker = f"/tmp/dlgrader-sandbox-marker-{os.getpid()}"
    target = tmp_path / "written-by-student"
    reply = run(zygote, f"open({marker!r}, 'w').write('scratch ok')\nprint(open({marker!r}).read())\n"
                        f"open({str(target)!r}, 'w')")
    assert reply["output"].strip() == "scratch ok"
    assert "Read-only file system" in reply["error"] or "No such file" in reply["error"]
    assert not Path(marker).exists() and not target.exists()
    reply = run(zygote, "open('/etc/dlgrader-was-here', 'w')")
    assert "Read-only file system" in reply["error"]
    assert not Path("/etc/dlgrader-was-here").exists()


def test_no_process_survives_the_submission(zygote):
    session = zygote.spawn()
    reply = session.request({"op": "cell", "source":
                             "import os, subprocess\n"
                             "kids = [subprocess.Popen(['sleep', '300']) for _ in range(3)]\n"
                             "if os.fork() == 0:\n    os.setsid()\n    import time\n    time.sleep(300)\n"
                             "print(len(kids))"}, 10)
    assert reply.get("output", "").strip() == "3"
    pids = sandbox_processes()
    assert len(pids) >= 5
    session.close()
    # the sandbox's PID 1 too: rootless, it is not readable (not dumpable) until it is exiting
    for pid in set(pids) | {session.pid}:      # the kernel tears the PID namespace down
        assert gone(pid, 10.0), f"sandbox process {pid} survived its session"
    assert sandbox_processes() == []


def test_limits_memory_processes_output(zygote):
    assert "MemoryError" in run(zygote, "x = bytearray(8 * 1024**3)")["error"]
    reply = run(zygote, "import os\nn = 0\ntry:\n    while True:\n        if os.fork() == 0:\n"
                        "            import time; time.sleep(30)\n        n += 1\nexcept OSError:\n    print(n)")
    assert 0 < int(reply["output"].strip()) < 64
    reply = run(zygote, "for _ in range(2000):\n    print('x' * 10000)")
    assert reply["ok"] and len(reply["output"]) < 20000 and "dropped" in reply["output"]
    # the 8 MB file limit stops the write, before the 32 MB scratch could fill up
    reply = run(zygote, "import os\ntry:\n    open('/tmp/big', 'wb').write(b'0' * 64 * 1024**2)\n"
                        "except OSError as e:\n    print(e.strerror, os.path.getsize('/tmp/big'))")
    assert reply["output"].split() == ["File", "too", "large", str(8 * 1024**2)], reply


def test_runaway_code_is_stopped_by_the_time_limit(zygote):
    session = zygote.spawn()
    started = time.monotonic()
    with pytest.raises(SessionDied, match="time limit"):
        session.request({"op": "cell", "source": "while True:\n    pass"}, 1.0)
    assert time.monotonic() - started < 3
    assert session.dead


def test_cells_and_calls_report_the_cpu_they_took(zygote):
    """Statistics for benchmarks: each cell and call reply carries the CPU the sandbox spent on it
    (its forked children included); the session adds them up."""
    session = zygote.spawn()
    try:
        session.request({"op": "cell", "source": "import os, time\ndef spin(s):\n    t = time.process_time()\n"
                                                  "    while time.process_time() - t < s:\n        pass\n"}, 10)
        after_cell = session.cpu
        assert 0 <= after_cell < 0.2
        session.request({"op": "call", "name": "spin", "args": [0.2], "kwargs": {"__dict__": {}}}, 10)
        assert 0.15 <= session.cpu - after_cell < 2        # os.times() counts in clock ticks
        session.request({"op": "cell", "source": "pid = os.fork()\nif pid == 0:\n    spin(0.2)\n    os._exit(0)\n"
                                                  "os.waitpid(pid, 0)"}, 10)
        assert session.cpu - after_cell >= 0.3
    finally:
        session.close()


def test_killing_itself_or_its_parent_only_ends_the_sandbox(zygote):
    session = zygote.spawn()
    with pytest.raises(SessionDied):
        session.request({"op": "cell", "source": "import os\nos._exit(3)"}, 5)
    # PID 1 of its namespace: its "parent" is outside (getppid() == 0) and out of reach
    for attack in ("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)",
                   "import os, signal\nos.kill(0, signal.SIGKILL)", "import os, signal\nos.kill(-1, signal.SIGKILL)"):
        session = zygote.spawn()
        try:
            session.request({"op": "cell", "source": attack}, 5)
        except SessionDied:
            pass
        session.close()
    assert run(zygote, "print('zygote still fine')")["output"].strip() == "zygote still fine"
    assert zygote.proc.poll() is None          # the zygote outside the namespaces was never reached


def test_grading_refuses_when_the_sandbox_cannot_be_made(monkeypatch, tmp_path):
    """Without namespaces (e.g. not root) grading stops with one clear line, unless told unsafe."""
    from dlgrader.course import Course
    from dlgrader.errors import DlgraderError
    from dlgrader.execution import batch
    from dlgrader.sandbox import isolation as sandbox

    def no_namespaces():
        raise PermissionError(1, "Operation not permitted")
    monkeypatch.setattr(sandbox, "isolate", no_namespaces)
    course = Course(tmp_path)
    with pytest.raises(DlgraderError, match="Operation not permitted.*(namespaces|CAP_SYS_ADMIN).*"
                                            "refusing to run student code unsandboxed"):
        batch.probe_sandbox(course, unsafe=False)
    batch.probe_sandbox(course, unsafe=True)          # the explicit flag skips the check


def test_a_python_installation_under_tmp_stays_usable_and_read_only(tmp_path):
    """A checkout (and its .venv) under /tmp: its modules import lazily inside the sandbox (the plot
    cell's matplotlib backend did not), read-only, while the private scratch /tmp still works."""
    lib = tmp_path / "venv" / "site-packages"
    (lib / "lazy_pkg").mkdir(parents=True)
    (lib / "lazy_pkg" / "__init__.py").write_text("VALUE = 42\n")
    course = tmp_path / "course"
    (course / "reference").mkdir(parents=True)
    policy = default_policy([str(course)], UID + 1, extra=[str(lib)])
    z = Zygote(policy)
    try:
        reply = run(z, f"import sys\nsys.path.insert(0, {str(lib)!r})\nimport lazy_pkg\nprint(lazy_pkg.VALUE)\n"
                       "open('/tmp/scratch.txt', 'w').write('ok')\nprint(open('/tmp/scratch.txt').read())\n"
                       f"open({str(lib / 'lazy_pkg' / 'evil.py')!r}, 'w')")
        assert reply["output"].split() == ["42", "ok"], reply
        assert "Read-only file system" in reply["error"], reply
        assert not (lib / "lazy_pkg" / "evil.py").exists()
    finally:
        z.close()


def test_sys_path_entries_holding_the_course_are_never_kept(monkeypatch, tmp_path):
    course = tmp_path / "course"
    site = course / ".venv" / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    monkeypatch.setattr("sys.path", [str(course), str(tmp_path), str(site)])
    keep = default_policy([str(course)], UID).view["binds"]
    assert str(course) not in keep and str(tmp_path) not in keep       # would show source/, reference/
    assert str(site) in keep                                            # a venv inside it is fine


def test_a_zygote_started_without_plots_still_lets_a_cell_plot():
    """The zygote preloads pyplot only for assignments that plot; a sandbox that imports it anyway
    (a student plotting in ps2) gets it, in its own cell's time, and the figure comes back."""
    z = Zygote(default_policy([str(ROOT)], UID), plots=False)
    try:
        session = z.spawn()
        try:
            reply = session.request({"op": "cell", "source": "import sys\nprint('matplotlib.pyplot' in sys.modules)\n"
                                     "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])"}, 30)
        finally:
            session.close()
    finally:
        z.close()
    assert reply["output"].strip() == "False", reply
    assert len(reply["images"]) == 1 and "error" not in reply
