"""Submissions for the grading tests: the solutions, a blank copy, correct answers written
differently from the reference, and one submission per registered common mistake."""
from __future__ import annotations

import re

import nbformat

from dlgrader.authoring.solutions import answer, defined_name

# Correct answers written differently from the reference (loops, np.where, np.dot, lists, math).
ALTERNATIVES = {
    "f": "def f(x):\n    return x**4 - 3*x**3 + 2",
    "df": "def df(x):\n    x = np.array(x, dtype=float)\n    return x * x * (4 * x - 9)",
    "gradient_descent": ("def gradient_descent(x0, lr, steps):\n    xs = [x0]\n    for _ in range(steps):\n"
                         "        xs.append(xs[-1] - lr * df(xs[-1]))\n    return np.array(xs, dtype=float)"),
    "softmax": ("def softmax(z):\n    z = np.array(z, dtype=float)\n    shifted = z - z.max()\n"
                "    log_norm = np.log(np.sum(np.exp(shifted)))\n    return np.exp(shifted - log_norm)"),
    "cross_entropy_loss": "import math\n\ndef cross_entropy_loss(probs, y):\n    return -math.log(probs[y])",
    "softmax_ce_gradient": "def softmax_ce_gradient(probs, y):\n    return probs - np.eye(len(probs))[y]",
    "numerical_gradient": (
        "def numerical_gradient(f, x, h=1e-5):\n    x = np.asarray(x, dtype=float)\n    flat = x.ravel()\n"
        "    g = np.zeros(flat.size)\n    for i in range(flat.size):\n        e = np.zeros(flat.size)\n"
        "        e[i] = h\n        g[i] = (f((flat + e).reshape(x.shape)) - f((flat - e).reshape(x.shape))) / (2 * h)\n"
        "    return g.reshape(x.shape)"),
    "relu": "def relu(z):\n    return np.where(z > 0, z, 0.0)",
    "sigmoid": "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))   # overflows (with a warning) at -1000: still right",
    "forward": ("def forward(X, W1, b1, W2, b2):\n    Z1 = np.dot(X, W1) + b1\n    A1 = relu(Z1)\n"
                "    Z2 = np.dot(A1, W2) + b2\n    return sigmoid(Z2)"),
    "binary_cross_entropy": (
        "def binary_cross_entropy(y_true, y_pred, eps=1e-15):\n    y_true = np.array(y_true, dtype=float)\n"
        "    y_pred = np.minimum(np.maximum(np.array(y_pred, dtype=float), eps), 1 - eps)\n"
        "    losses = [-(t * np.log(p) + (1 - t) * np.log(1 - p)) for t, p in zip(y_true.ravel(), y_pred.ravel())]\n"
        "    return sum(losses) / len(losses)"),
    "Q1": 'Q1 = "(B)"', "Q2": 'Q2 = " b "', "Q3": 'Q3 = "B"', "Q4": 'Q4 = "c)"', "Q5": 'Q5 = "b"',
    "Q6": 'Q6 = "C"', "Q7": 'Q7 = "(b) "', "Q8": 'Q8 = "c"', "Q9": 'Q9 = "b"', "Q10": 'Q10 = "B"',
    "B1_AB": "B1_AB = np.array([[14], [-3]])",
    "B2_dydx": "B2_dydx = lambda x: 6 * x * np.cos(3 * x**2) / np.sin(3 * x**2)",
    "B3_L": "B3_L = 4\nB3_GRAD = [-8, -12]",
    "B4_BCE": "B4_BCE = 0.1977   # the chapter's rounding",
    "B5_P_HAT": "B5_P_HAT = 160 / 200\nB5_LOGLIK = -100.08",
}


def filled(source_path, replacements: dict | None = None, blank_from=None):
    """The source notebook as a student would submit it: answers in place (markers gone), with
    `replacements` (name -> code) swapped in for the cells that define those names."""
    nb = nbformat.read(str(source_path), as_version=4)
    replacements = replacements or {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("solution"):
            continue
        if cell.cell_type == "code":
            name = defined_name(cell.source)
            if name in replacements:
                cell.source = "import numpy as np\n\n" + replacements[name]
            else:
                cell.source = answer(cell.source)
        else:
            cell.source = re.sub(r"### (BEGIN|END) SOLUTION\n?", "", cell.source)
    return nb


def alternative_replacements(names):
    return {n: ALTERNATIVES[n] for n in names if n in ALTERNATIVES}


def student_id(target: str, key: str) -> str:
    return f"m-{target}-{key}".replace("_", "-")


def ps2_cohort(built_template, dest, n: int):
    """A copy of the built course with N ps2 submissions (right, and three registered mistakes in
    turn) plus a blank and a broken one."""
    import shutil

    from dlgrader.course import Course

    from ..conftest import mistake_book, notebook_path, read, submit_notebook
    a = "ps2_softmax_cross_entropy"
    course = Course(dest)
    shutil.copytree(built_template, course.root)
    book = mistake_book()
    src = notebook_path(course.root, "source", a)
    variants = [{}, {"softmax": book.get("softmax", "no-max-shift").student_source()},
                {"numerical_gradient": book.get("numerical_gradient", "one-h").student_source()},
                {"softmax_ce_gradient": book.get("softmax_ce_gradient", "sign-flip").student_source()}]
    for i in range(n):
        nb = filled(src, variants[i % len(variants)])
        submit_notebook(course, f"d{i:02d}", a, nb)
    submit_notebook(course, "blank", a, read(notebook_path(course.root, "release", a)))
    submit_notebook(course, "broken", a, "{ not json")
    return course
