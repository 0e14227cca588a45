"""A student's server started by root with `dlgrader lab --student ACCOUNT` runs as that account: the
server and its kernel are the account's processes, and code run in the kernel (sent over the server's
own websocket, as the notebook page sends it) cannot read reference/ (the quiz key), source/, the
gradebook or the course secret, nor list submitted/."""
from __future__ import annotations

import asyncio
import json
import os
import urllib.request
import uuid
from pathlib import Path

import psutil

from .servers import lab_server

PROBE = """import os
print("uid", os.getuid(), os.geteuid(), "grader variables", sorted(k for k in os.environ if k.startswith("DLGRADER")))
for path in {files!r}:
    try:
        open(path, "rb").read(1)
        print("READ", path)
    except OSError as exc:
        print("DENIED", type(exc).__name__, path)
for path in {folders!r}:
    try:
        os.listdir(path)
        print("LISTED", path)
    except OSError as exc:
        print("DENIED", type(exc).__name__, path)
"""


def api(lab, path: str, method: str = "GET", body=None):
    request = urllib.request.Request(lab.url(path), method=method, headers={"Content-Type": "application/json"},
                                     data=None if body is None else json.dumps(body).encode())
    with urllib.request.urlopen(request, timeout=30) as resp:
        return json.load(resp)


async def execute(lab, kernel: str, code: str) -> str:
    """Run CODE in the kernel through the server's websocket; its stdout once the kernel is idle again."""
    from tornado.websocket import websocket_connect
    ws = await websocket_connect(f"ws://127.0.0.1:{lab.port}/api/kernels/{kernel}/channels?token={lab.token}")
    msg_id = uuid.uuid4().hex
    ws.write_message(json.dumps({
        "header": {"msg_id": msg_id, "username": "test", "session": uuid.uuid4().hex, "msg_type": "execute_request",
                   "version": "5.3", "date": ""},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                    "allow_stdin": False, "stop_on_error": True}}))
    out = []
    while True:
        raw = await ws.read_message()
        assert raw is not None, "the kernel's websocket closed"
        msg = json.loads(raw)
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            out.append("ERROR " + msg["content"]["ename"])
        elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            ws.close()
            return "".join(out)


def test_student_kernel_runs_as_the_account_and_cannot_read_the_course(course, accounts, student_python):
    bea = accounts.add("bea")
    files = [str(course.reference / "ps4.py"), str(course.source / "ps4_quiz" / "quiz.ipynb"),
             str(course.gradebook_path), str(course.root / ".dlgrader-secret")]
    folders = [str(course.reference), str(course.source), str(course.submitted)]
    assert all(os.path.exists(p) for p in files + folders)
    with lab_server(course.root, Path(bea.pw_dir), "--student", bea.pw_name, student=bea,
                    python=student_python) as lab:
        assert psutil.Process(lab.pid).uids() == (bea.pw_uid,) * 3
        kernel = api(lab, "api/kernels", "POST", {"name": "python3"})["id"]
        text = asyncio.run(asyncio.wait_for(execute(lab, kernel, PROBE.format(files=files, folders=folders)), 120))
        kernels = [p for p in psutil.Process(lab.pid).children(recursive=True)
                   if "ipykernel_launcher" in " ".join(p.cmdline())]
        assert kernels and all(k.uids() == (bea.pw_uid,) * 3 for k in kernels)
    assert f"uid {bea.pw_uid} {bea.pw_uid} grader variables []" in text, text
    assert "READ" not in text and "LISTED" not in text, text
    assert text.count("DENIED PermissionError") == len(files) + len(folders), text
