"""Plain data across the sandbox boundary: length-prefixed JSON, arrays as typed bytes, no pickle.

Only these travel: None, bool, int, float (incl. nan/inf), complex, str, list, tuple, dict with str
keys, and numpy arrays/scalars of numeric or bool dtype. Anything else is refused on the sending
side and rejected on the receiving side. Sizes are capped so a submission cannot flood the grader.
"""
from __future__ import annotations

import base64
import json
import math
import struct

import numpy as np

MAX_MESSAGE = 32 * 1024 * 1024
MAX_DEPTH = 32
_DTYPES = {"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
           "float16", "float32", "float64", "complex64", "complex128"}


class CodecError(ValueError):
    pass


def encode(value, depth: int = 0):
    """Turn a value into JSON-able plain data (tagged where JSON has no type for it)."""
    if depth > MAX_DEPTH:
        raise CodecError("value nested too deeply")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        if abs(value) < 2**53:
            return value
        return {"__int__": str(value)}
    if isinstance(value, float):
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, complex):
        return {"__complex__": [encode(value.real), encode(value.imag)]}
    if isinstance(value, np.generic):
        return encode(np.asarray(value), depth)
    if isinstance(value, np.ndarray):
        arr = np.asarray(value)
        if arr.dtype == object:
            arr = _numeric(arr)
        if arr.dtype.name not in _DTYPES:
            raise CodecError(f"an array of dtype {arr.dtype} cannot be graded")
        arr = np.asarray(arr, order="C")           # (ascontiguousarray would make a 0-d array 1-d)
        return {"__nd__": arr.dtype.name, "shape": list(arr.shape),
                "data": base64.b64encode(arr.tobytes()).decode("ascii")}
    if isinstance(value, (list, tuple)):
        items = [encode(v, depth + 1) for v in value]
        return items if isinstance(value, list) else {"__tuple__": items}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise CodecError("dict keys must be strings")
        return {"__dict__": {k: encode(v, depth + 1) for k, v in value.items()}}
    raise CodecError(f"a {type(value).__name__} cannot be graded")


_PLAIN = (bool, int, float, complex, np.bool_, np.integer, np.floating, np.complexfloating)


def _numeric(arr: np.ndarray) -> np.ndarray:
    """An object array of plain numbers (np.frompyfunc's results, lists of mixed ints and floats)
    as the numeric array it stands for; anything else stays object and is refused."""
    items = arr.ravel().tolist()
    if arr.size == 0 or not all(type(x) in _PLAIN or isinstance(x, _PLAIN) for x in items):
        return arr
    try:
        out = np.array(items).reshape(arr.shape)
    except (TypeError, ValueError, OverflowError):
        return arr
    return out if out.dtype.name in _DTYPES else arr


def decode(data, depth: int = 0):
    """Inverse of encode, validating every piece; never executes or unpickles anything. Whatever is
    wrong with DATA (types, shapes, nesting, sizes) is a CodecError, never another exception."""
    try:
        return _decode(data, depth)
    except CodecError:
        raise
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError, RecursionError,
            MemoryError) as exc:
        raise CodecError(f"malformed value ({type(exc).__name__})") from None


def _decode(data, depth: int = 0):
    if depth > MAX_DEPTH:
        raise CodecError("value nested too deeply")
    if data is None or isinstance(data, (bool, str, int, float)):
        return data
    if isinstance(data, list):
        return [_decode(v, depth + 1) for v in data]
    if isinstance(data, dict):
        if "__nd__" in data:
            dtype = data["__nd__"]
            if dtype not in _DTYPES:
                raise CodecError(f"refused dtype {dtype!r}")
            shape = data["shape"]
            if not isinstance(shape, list) or len(shape) > MAX_DEPTH or \
                    not all(type(n) is int and 0 <= n <= MAX_MESSAGE for n in shape):
                raise CodecError("bad array shape")
            shape = tuple(shape)
            if not isinstance(data["data"], str):
                raise CodecError("bad array data")
            raw = base64.b64decode(data["data"], validate=True)
            arr = np.frombuffer(raw, dtype=np.dtype(dtype))
            if arr.size != math.prod(shape):
                raise CodecError("array size does not match its shape")
            arr = arr.reshape(shape).copy()
            return arr[()] if arr.ndim == 0 else arr       # a numpy scalar stays one
        if "__tuple__" in data:
            if not isinstance(data["__tuple__"], list):
                raise CodecError("bad tuple")
            return tuple(_decode(v, depth + 1) for v in data["__tuple__"])
        if "__dict__" in data:
            return {str(k): _decode(v, depth + 1) for k, v in data["__dict__"].items()}
        if "__float__" in data:
            text = data["__float__"]
            if text not in ("nan", "inf", "-inf"):
                raise CodecError("bad float")
            return float(text)
        if "__int__" in data:
            return int(str(data["__int__"])[:400])
        if "__complex__" in data:
            re_, im = data["__complex__"]
            re_, im = _decode(re_, depth + 1), _decode(im, depth + 1)
            if not all(type(v) in (int, float) for v in (re_, im)):
                raise CodecError("bad complex")
            return complex(re_, im)
    raise CodecError("unrecognised data")


# ---- framing --------------------------------------------------------------------------------
_HEADER = struct.Struct("!I")


def pack(message: dict) -> bytes:
    body = json.dumps(message, separators=(",", ":"), allow_nan=False).encode("utf-8")
    if len(body) > MAX_MESSAGE:
        raise CodecError(f"message of {len(body)} bytes is over the {MAX_MESSAGE} byte limit")
    return _HEADER.pack(len(body)) + body


def header_size() -> int:
    return _HEADER.size


def body_length(header: bytes) -> int:
    (length,) = _HEADER.unpack(header)
    if length > MAX_MESSAGE:
        raise CodecError(f"message of {length} bytes is over the {MAX_MESSAGE} byte limit")
    return length


def unpack(body: bytes) -> dict:
    try:
        message = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError) as exc:    # bad UTF-8 or JSON, nesting too deep, huge ints
        raise CodecError(f"malformed message: {type(exc).__name__}: {str(exc)[:100]}") from None
    if not isinstance(message, dict):
        raise CodecError("message is not an object")
    return message


class Buffer:
    """Bytes received from a socket but not consumed yet. Reading up to 64 KB at a time usually
    brings a whole frame, header and body, in one system call (one select on the grader's side)
    where reading exactly the header, then exactly the body, took two. Never holds more than the
    frame being read plus one read's worth."""

    def __init__(self):
        self.data = bytearray()

    def take(self, n: int, receive) -> bytes:
        """N bytes; RECEIVE(max_bytes) reads more (b"" at the end of the stream: EOFError)."""
        while len(self.data) < n:
            chunk = receive(min(max(n - len(self.data), 1 << 16), 1 << 20))
            if not chunk:
                raise EOFError
            self.data += chunk
        out = bytes(self.data[:n])
        del self.data[:n]
        return out
