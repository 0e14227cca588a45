"""The wire: what crosses the sandbox boundary is plain data, and nothing a submission sends can
make the grader raise anything but the codec's own error (or end the session)."""
from __future__ import annotations

import math
import socket
import struct

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from dlgrader.sandbox import codec
from dlgrader.sandbox.session import Session, SessionDied

# ---- values that round-trip ---------------------------------------------------------------------
scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=True),
                    st.text(max_size=20), st.complex_numbers(allow_nan=False, allow_infinity=False))
arrays = st.builds(lambda dt, shape, seed: np.random.default_rng(seed).normal(size=shape).astype(dt),
                   st.sampled_from(["float64", "float32", "int64", "int8", "bool", "complex128"]),
                   st.lists(st.integers(0, 4), max_size=3).map(tuple), st.integers(0, 1000))
values = st.recursive(st.one_of(scalars, arrays),
                      lambda inner: st.one_of(st.lists(inner, max_size=4), st.tuples(inner, inner),
                                              st.dictionaries(st.text(max_size=5), inner, max_size=4)),
                      max_leaves=12)


def same(a, b) -> bool:
    if isinstance(a, np.ndarray) and a.ndim == 0:          # a 0-d array comes back as a numpy scalar
        return isinstance(b, np.generic) and b.dtype == a.dtype and \
            np.array_equal(a, np.asarray(b), equal_nan=a.dtype.kind in "fc")
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape and \
            np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


@settings(max_examples=300, deadline=None)
@given(values)
def test_plain_values_round_trip_through_a_frame(value):
    frame = codec.pack({"value": codec.encode(value)})
    body = frame[codec.header_size():]
    assert codec.body_length(frame[:codec.header_size()]) == len(body)
    assert same(value, codec.decode(codec.unpack(body)["value"]))


def test_numeric_object_arrays_cross_as_numbers():
    mixed = np.array([1, 2.5, True], dtype=object)
    out = codec.decode(codec.encode(mixed))
    assert out.dtype == np.float64 and out.tolist() == [1.0, 2.5, 1.0]
    frompyfunc = np.frompyfunc(lambda x: x * 2, 1, 1)(np.arange(4))
    assert frompyfunc.dtype == object
    assert codec.decode(codec.encode(frompyfunc)).tolist() == [0, 2, 4, 6]
    with pytest.raises(codec.CodecError):
        codec.encode(np.array([1, "two"], dtype=object))         # not numbers: still refused
    with pytest.raises(codec.CodecError):
        codec.encode(np.array([object()], dtype=object))


def test_nothing_but_plain_data_is_accepted():
    for value in (object(), {1: 2}, {"f": lambda: 0}, np.array(["a"]), type, b"bytes"):
        with pytest.raises(codec.CodecError):
            codec.encode(value)


# ---- what a hostile sandbox can send ------------------------------------------------------------
json_values = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(),
                                     st.floats(allow_nan=False, allow_infinity=False),
                                     st.text(max_size=8)),
                           lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                   st.dictionaries(st.sampled_from(
                                                       ["__nd__", "shape", "data", "__tuple__", "__dict__", "__float__",
                                                        "__int__", "__complex__", "x"]), inner, max_size=4)),
                           max_leaves=15)


@settings(max_examples=500, deadline=None)
@given(json_values)
def test_any_json_value_decodes_or_is_a_codec_error(data):
    try:
        codec.decode(data)
    except codec.CodecError:
        pass


@pytest.mark.parametrize("data", [
    {"__nd__": "float64", "shape": [-1], "data": ""},
    {"__nd__": "float64", "shape": "ab", "data": ""},
    {"__nd__": "float64", "shape": [2**40, 2**40], "data": ""},
    {"__nd__": "float64", "shape": [1], "data": 5},
    {"__nd__": "float64", "shape": [3], "data": "AAAA"},
    {"__nd__": "object", "shape": [1], "data": ""},
    {"__complex__": [1]}, {"__complex__": [[1], {"__dict__": {}}]}, {"__tuple__": 3}, {"__dict__": [1, 2]},
    {"__float__": "1e400"}, {"__int__": "0x10"},
])
def test_malformed_values_are_codec_errors(data):
    with pytest.raises(codec.CodecError):
        codec.decode(data)


def test_deeply_nested_values_and_frames_are_codec_errors():
    deep = []
    for _ in range(100):
        deep = [deep]
    with pytest.raises(codec.CodecError):
        codec.decode(deep)
    with pytest.raises(codec.CodecError):
        codec.encode(deep)
    with pytest.raises(codec.CodecError):
        codec.unpack(b"[" * 200_000 + b"]" * 200_000)          # past the JSON parser's recursion limit
    with pytest.raises(codec.CodecError):
        codec.unpack(b"1" * 10_000)                             # an integer past Python's digit limit
    for body in (b"\xff\xfe", b"{", b"[1, 2]", b"null"):
        with pytest.raises(codec.CodecError):
            codec.unpack(body)
    with pytest.raises(codec.CodecError):
        codec.body_length(struct.pack("!I", codec.MAX_MESSAGE + 1))


frames = st.one_of(
    st.binary(max_size=64),
    st.builds(lambda body: struct.pack("!I", len(body)) + body, st.binary(max_size=64)),
    st.builds(lambda v: codec.pack({"op": "pid", "pid": v}), json_values),
    st.builds(lambda v: codec.pack(v) if isinstance(v, dict) else struct.pack("!I", 4) + b"null", json_values),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(frames, min_size=1, max_size=4))
def test_a_session_survives_whatever_the_sandbox_sends_at_start(chunks):
    """Session.start reads the sandbox's first frames: garbage ends the session (SessionDied) or is
    refused as a sandbox that could not start; no other exception reaches the grader."""
    from dlgrader.sandbox.session import SandboxUnavailable
    ours, theirs = socket.socketpair()
    try:
        theirs.sendall(b"".join(chunks))
        theirs.shutdown(socket.SHUT_WR)
        session = Session(ours)
        try:
            session.start(timeout=2)
        except (SessionDied, SandboxUnavailable):
            pass
    finally:
        ours.close()
        theirs.close()


def test_a_frame_announcing_more_than_the_limit_ends_the_session():
    ours, theirs = socket.socketpair()
    theirs.sendall(struct.pack("!I", codec.MAX_MESSAGE + 1))
    session = Session(ours)
    with pytest.raises(SessionDied, match="malformed"):
        session.start(timeout=2)
    theirs.close()


def test_a_reply_with_a_malformed_value_is_the_students_failed_call():
    """Through the engine: a student function whose reply cannot be decoded fails that call (a
    failed check), instead of raising past the session."""
    from dlgrader.execution.engine import StudentFunction

    class Box:
        def request(self, message):
            return {"value": {"__nd__": "float64", "shape": [5], "data": "AAAA"}}

        def register_callback(self, fn):
            raise AssertionError
    with pytest.raises(TypeError, match="cannot be graded"):
        StudentFunction(Box(), "softmax")(np.zeros(3))


@pytest.mark.parametrize("raw, counted", [(b"0.25", 0.25), (b"3", 3.0), (b"0", 0.0), (b"-1", 0.0),
                                          (b"11", 0.0), (b"NaN", 0.0), (b"Infinity", 0.0), (b"true", 0.0),
                                          (b'"0.5"', 0.0), (b"[1]", 0.0), (b"null", 0.0)])
def test_the_cpu_a_sandbox_reports_counts_only_if_plausible(raw, counted):
    """Each cell/call reply says how much CPU it took (statistics for benchmarks). The sandbox may
    lie: only a finite number between 0 and the request's time limit is added to session.cpu."""
    ours, theirs = socket.socketpair()
    body = b'{"ok":true,"output":"","cpu":' + raw + b"}"
    theirs.sendall(struct.pack("!I", len(body)) + body)
    session = Session(ours)
    try:
        reply = session.request({"op": "cell", "source": "1"}, timeout=10)
        assert reply == {"ok": True, "output": ""}
        assert session.cpu == counted and type(session.cpu) is float
    finally:
        ours.close()
        theirs.close()
