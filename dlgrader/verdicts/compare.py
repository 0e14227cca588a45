"""Comparing a student's value with the expected one, and saying in words how they differ."""
from __future__ import annotations

import numpy as np


def _describe(value) -> str:
    if value is None:
        return "None"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return f"a {type(value).__name__}"


def _fmt(x) -> str:
    arr = np.asarray(x)
    if arr.ndim == 0:
        return f"{float(arr):.6g}"
    return np.array2string(arr, precision=4, suppress_small=True, threshold=12)


def as_float_array(value):
    """Turn a student's value (array, list, tuple, scalar) into a float array, or None if impossible."""
    if value is None or isinstance(value, (str, bytes, dict, set)):
        return None
    try:
        with np.errstate(all="ignore"):
            arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError, OverflowError):
        return None
    return arr


def compare(actual, expected, *, atol: float, rtol: float, flexible_shape: bool = False,
            reveal: bool = True) -> tuple[bool, str]:
    """Return (ok, reason). `reason` is empty when ok.

    flexible_shape accepts any shape with the expected number of elements (for example (2,) or (2, 1)
    for a vector). reveal=False keeps the expected value out of the message (quiz answers).
    """
    if actual is None:
        return False, "returned None (is a `return` statement missing?)"
    arr = as_float_array(actual)
    if arr is None:
        return False, f"returned {_describe(actual)}, which is not a number or an array of numbers"
    exp = np.asarray(expected, dtype=float)
    if flexible_shape:
        if arr.size != exp.size:
            return False, f"has {arr.size} element(s); {exp.size} expected"
        arr, exp = arr.reshape(-1), exp.reshape(-1)
    elif arr.shape != exp.shape:
        return False, f"has shape {arr.shape}; shape {exp.shape} expected"
    nan_bad = np.isnan(arr) & ~np.isnan(exp)
    if nan_bad.any():
        return False, "contains NaN where a number was expected"
    inf_bad = np.isinf(arr) & ~np.isinf(exp)
    if inf_bad.any():
        return False, "contains inf where a finite number was expected"
    with np.errstate(all="ignore"):
        close = np.isclose(arr, exp, atol=atol, rtol=rtol, equal_nan=True)
    if close.all():
        return True, ""
    if not reveal:
        return False, "is not the expected value"
    if arr.ndim == 0:
        return False, f"is {_fmt(arr)}; {_fmt(exp)} expected (tolerance {atol:g})"
    bad = np.argwhere(~close)
    idx = tuple(int(i) for i in bad[0])
    with np.errstate(all="ignore"):
        err = float(np.nanmax(np.abs(arr - exp)))
    return False, (f"differs at {len(bad)} of {arr.size} entries, first at index {idx}: "
                   f"got {_fmt(arr[idx])}, expected {_fmt(exp[idx])} (max abs error {err:.3g})")


def same_value(a, b, *, atol: float, rtol: float, flexible_shape: bool = False) -> bool:
    """True if two values agree (NaN matching NaN), used to recognise a known mistake's output."""
    x, y = as_float_array(a), as_float_array(b)
    if x is None or y is None:
        return False
    if flexible_shape:
        x, y = x.reshape(-1), y.reshape(-1)
    if x.shape != y.shape:
        return False
    with np.errstate(all="ignore"):
        return bool(np.isclose(x, y, atol=atol, rtol=rtol, equal_nan=True).all())
