"""What runs inside the sandbox: the student's cells, and calls into the student's functions.

Speaks the codec protocol over one socket. It only ever sends plain data; the grader decides
pass/fail elsewhere. Nothing here is trusted: student code can change anything in this process.
"""
from __future__ import annotations

import base64
import builtins
import io
import os
import socket
import sys
import types

from . import codec

MAX_CAPTURE = 16 * 1024


class _Capped(io.TextIOBase):
    """A stdout that keeps the first few KB and drops the rest (megabytes of prints cost nothing)."""

    def __init__(self):
        self.parts, self.size = [], 0

    def write(self, text):
        text = str(text)
        if self.size < MAX_CAPTURE:
            self.parts.append(text[: MAX_CAPTURE - self.size])
        self.size += len(text)
        return len(text)

    def take(self) -> str:
        out = "".join(self.parts)
        if self.size > MAX_CAPTURE:
            out += f"\n[... {self.size - MAX_CAPTURE} more characters of output dropped]"
        self.parts, self.size = [], 0
        return out


class _FakeShell:
    """Enough of IPython's shell for magics in student cells to be harmless no-ops."""

    def run_line_magic(self, *args, **kwargs):
        return None

    def run_cell_magic(self, *args, **kwargs):
        return None

    def system(self, *args, **kwargs):
        return None

    getoutput = system


class Channel:
    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buffer = codec.Buffer()

    def send(self, message: dict) -> None:
        self.sock.sendall(codec.pack(message))

    def recv(self) -> dict:
        header = self.buffer.take(codec.header_size(), self.sock.recv)
        return codec.unpack(self.buffer.take(codec.body_length(header), self.sock.recv))


def _figures() -> list:
    """PNG images of the figures a cell drew (for the TA grading the plot by hand)."""
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is None:
        return []
    images = []
    try:
        for number in plt.get_fignums()[:3]:
            buf = io.BytesIO()
            plt.figure(number).savefig(buf, format="png", dpi=72)
            if buf.tell() < 1_000_000:
                images.append(base64.b64encode(buf.getvalue()).decode("ascii"))
        plt.close("all")
    except Exception:
        return images
    return images


def _error(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text[:300]}" if text else type(exc).__name__


def _cpu() -> float:
    """CPU seconds spent so far by this process and its waited-for children (statistics only: the
    grader counts it as the sandbox's share of the machine, never as a grade)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class Runner:
    def __init__(self, channel: Channel, transform=None):
        self.channel = channel
        self.transform = transform
        self.out = _Capped()
        self.ns = {"__name__": "__main__", "__builtins__": builtins, "get_ipython": lambda: _FakeShell()}

    # ---- callbacks: functions passed in by the grader are run by the grader ------------------
    def _callback(self, number: int):
        def call(*args, **kwargs):
            self.channel.send({"op": "callback", "id": number, "args": codec.encode(list(args)),
                               "kwargs": codec.encode(dict(kwargs))})
            reply = self.channel.recv()
            if "error" in reply:
                raise RuntimeError(str(reply["error"]))
            return codec.decode(reply["value"])
        return call

    def _decode_args(self, data):
        if isinstance(data, dict) and "__callback__" in data:
            return self._callback(int(data["__callback__"]))
        if isinstance(data, list):
            return [self._decode_args(d) for d in data]
        if isinstance(data, dict) and "__tuple__" in data:
            return tuple(self._decode_args(d) for d in data["__tuple__"])
        if isinstance(data, dict) and "__dict__" in data:
            return {k: self._decode_args(v) for k, v in data["__dict__"].items()}
        return codec.decode(data)

    # ---- operations --------------------------------------------------------------------------
    def run_cell(self, source: str) -> dict:
        try:
            code = self.transform(source) if self.transform else source
            compiled = compile(code, "<cell>", "exec")
        except BaseException as exc:  # SyntaxError and friends
            return {"error": _error(exc)}
        sys.stdout = sys.stderr = self.out
        try:
            exec(compiled, self.ns)
        except BaseException as exc:  # SystemExit included: the cell failed, the runner goes on
            return {"error": _error(exc), "output": self.out.take()}
        finally:
            sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        return {"ok": True, "output": self.out.take(), "images": _figures()}

    def lookup(self, name: str) -> dict:
        if name not in self.ns or name.startswith("__"):
            return {"kind": "missing"}
        value = self.ns[name]
        if isinstance(value, (types.FunctionType, types.BuiltinFunctionType, types.MethodType)) \
                or (callable(value) and not isinstance(value, type)):
            return {"kind": "callable"}
        try:
            return {"kind": "value", "value": codec.encode(value)}
        except Exception as exc:
            return {"kind": "unencodable", "type": type(value).__name__, "reason": str(exc)[:200]}

    def call(self, name: str, args, kwargs) -> dict:
        fn = self.ns.get(name)
        if fn is None or not callable(fn):
            return {"error": f"NameError: `{name}` is not a function"}
        try:
            args = self._decode_args(args)
            kwargs = self._decode_args(kwargs)
            sys.stdout = sys.stderr = self.out
            try:
                value = fn(*args, **kwargs)
            finally:
                sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
                self.out.take()
            return {"value": codec.encode(value)}
        except BaseException as exc:
            return {"error": _error(exc)}

    def serve(self) -> None:
        self.channel.send({"op": "ready"})
        while True:
            try:
                msg = self.channel.recv()
            except (EOFError, OSError, codec.CodecError):
                return
            op = msg.get("op")
            if op == "cell":
                start = _cpu()
                reply = self.run_cell(str(msg.get("source", "")))
                reply["cpu"] = _cpu() - start
            elif op == "lookup":
                reply = self.lookup(str(msg.get("name", "")))
            elif op == "call":
                start = _cpu()
                reply = self.call(str(msg.get("name", "")), msg.get("args", []), msg.get("kwargs", {}))
                reply["cpu"] = _cpu() - start
            elif op == "bye":
                return
            else:
                reply = {"error": f"unknown op {op!r}"}
            try:
                self.channel.send(reply)
            except codec.CodecError as exc:
                self.channel.send({"error": f"OverflowError: {exc}"})
