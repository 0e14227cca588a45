"""`nbgrader validate` tells a student the truth: run the way a student runs it (stock nbgrader, in a
home folder outside the course, none of the grader's variables), the instructor's answers validate clean, a blank copy fails on every autograded cell,
and each registered mistake fails on the cells whose visible checks it breaks, and on no other."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import nbformat
import pytest

from dlgrader.authoring.solutions import answer, defined_name
from dlgrader.verdicts import reference

from ..conftest import ASSIGNMENTS, ROOT, notebook_path, read
from ..execution.test_grading import EXPECTED_LOSS

SUCCESS = "Success! Your notebook passes all the tests."
FAILED = re.compile(r"VALIDATION FAILED ON (\d+) CELL\(S\)!")

# The cells whose visible checks each registered mistake breaks: every registered mistake shows on
# the cell that tests its function (each has a visible check with a fixed input that reveals it:
# large logits, clipped 0/1 predictions, non-zero biases, sigmoid away from 0). A mistake in relu,
# sigmoid, df or one of ps2's functions also shows in the cells that use it.
VALIDATE_FAILS = {
    ("df", "power-rule"): {"ps1-df-test", "ps1-gd-test"},
    ("gradient_descent", "sign-flip"): {"ps1-gd-test"},
    ("gradient_descent", "no-x0"): {"ps1-gd-test"},
    ("gradient_descent", "uses-f"): {"ps1-gd-test"},
    ("gradient_descent", "hardcoded-hyperparameters"): {"ps1-gd-test"},
    ("softmax", "no-max-shift"): {"ps2-softmax-test"},
    ("softmax", "no-normalisation"): {"ps2-softmax-test", "ps2-check-test"},
    ("cross_entropy_loss", "missing-minus"): {"ps2-ce-test", "ps2-check-test"},
    ("cross_entropy_loss", "log-base"): {"ps2-ce-test", "ps2-check-test"},
    ("softmax_ce_gradient", "sign-flip"): {"ps2-grad-test", "ps2-check-test"},
    ("softmax_ce_gradient", "no-onehot"): {"ps2-grad-test", "ps2-check-test"},
    ("numerical_gradient", "one-h"): {"ps2-num-test", "ps2-check-test"},
    ("numerical_gradient", "forward-difference"): {"ps2-num-test", "ps2-check-test"},
    ("forward", "hadamard"): {"ps3-fwd-test"},
    ("forward", "missing-bias"): {"ps3-fwd-test"},
    ("forward", "sigmoid-hidden"): {"ps3-fwd-test"},
    ("forward", "no-output-sigmoid"): {"ps3-fwd-test"},
    ("forward", "shape-mismatch"): {"ps3-fwd-test"},
    ("binary_cross_entropy", "unclipped-log"): {"ps3-bce-test"},
    ("binary_cross_entropy", "mse"): {"ps3-bce-test"},
    ("binary_cross_entropy", "sum-not-mean"): {"ps3-bce-test"},
    ("relu", "abs"): {"ps3-relu-test", "ps3-fwd-test"},
    ("sigmoid", "sign"): {"ps3-sigmoid-test", "ps3-fwd-test"},
}


@pytest.fixture(scope="module")
def book():
    with pytest.MonkeyPatch.context() as m:        # the grader's side, in this process only
        m.setenv(reference.ENV_VAR, str(ROOT / "reference"))
        yield reference.load().mistakes.BOOK


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """A student's folder: outside the course, no course config in it."""
    return tmp_path_factory.mktemp("alice")


def student_environment() -> dict:
    """A student's environment: none of the grader's variables (so no path to the reference)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLGRADER_")}
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
    return env


def student_copy(assignment: str, replacements: dict | None = None, blank: bool = False):
    """The released notebook as the student fetched it, with the instructor's answers typed in
    (or `replacements`: name -> the code the student wrote instead)."""
    nb = read(notebook_path(ROOT, "release", assignment))
    if blank:
        return nb
    solutions = {c.metadata["nbgrader"]["grade_id"]: c.source for c in read(notebook_path(ROOT, "source", assignment)).cells
                 if c.metadata.get("nbgrader", {}).get("solution")}
    for cell in nb.cells:
        solution = solutions.get(cell.metadata.get("nbgrader", {}).get("grade_id"))
        if solution is None:
            continue
        if cell.cell_type != "code":        # a written answer, graded by hand
            cell.source = answer(solution)
            continue
        name = defined_name(solution)
        cell.source = ("import numpy as np\n\n" + replacements[name] if name in (replacements or {})
                       else answer(solution))
    return nb


def validate(home, name: str, nb) -> tuple[str, dict[str, str]]:
    """Stock `nbgrader validate` on NB in the student's folder: (its output, failed cell -> error)."""
    path = home / f"{name}.ipynb"
    nbformat.write(nb, str(path))
    env = student_environment()
    assert not [k for k in env if k.startswith("DLGRADER_")]
    done = subprocess.run([sys.executable, "-m", "nbgrader", "validate", path.name], cwd=home, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    titles = {f'Checks("{t}")': gid for t, gid in cell_titles(nb).items()}
    failed = {}
    for i, block in enumerate(out.split("The following cell failed:")[1:]):
        code, _, error = block.partition("The error was:")
        gid = next((g for marker, g in titles.items() if marker in code), f"answer cell {i}")
        failed[gid] = error
    count = FAILED.search(out)
    assert (int(count.group(1)) if count else 0) == len(failed), out
    assert (SUCCESS in out) == (not failed), out
    return out, failed


def cell_titles(nb) -> dict[str, str]:
    """Checks title -> grade id of each autograded cell."""
    titles = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        match = re.search(r'Checks\("([^"]+)"\)', cell.source)
        if meta.get("grade") and not meta.get("solution") and match:
            titles[match.group(1)] = meta["grade_id"]
    return titles


@pytest.mark.parametrize("assignment", sorted(ASSIGNMENTS))
def test_the_instructors_answers_validate_clean(home, assignment):
    out, failed = validate(home, f"{assignment}-solution", student_copy(assignment))
    assert failed == {} and SUCCESS in out, out


@pytest.mark.parametrize("assignment", sorted(ASSIGNMENTS))
def test_a_blank_copy_fails_on_every_autograded_cell(home, assignment):
    nb = student_copy(assignment, blank=True)
    _, failed = validate(home, f"{assignment}-blank", nb)
    tests = {gid: error for gid, error in failed.items() if not gid.startswith("answer cell")}
    assert set(tests) == set(cell_titles(nb).values())
    for error in tests.values():
        assert "VisibleChecksFailed" in error and "[FAIL]" in error


def test_every_registered_mistake_has_an_expectation(book):
    assert {(m.target, m.key) for m in book.all()} == set(VALIDATE_FAILS)
    assert all(VALIDATE_FAILS.values())             # validate shows every registered mistake somewhere
    for mistake, cells in VALIDATE_FAILS.items():   # validate never flags a cell grading gives full marks
        assert cells <= set(EXPECTED_LOSS[mistake]), mistake


@pytest.mark.parametrize("target,key", sorted(VALIDATE_FAILS))
def test_a_mistake_fails_only_the_cells_it_breaks_and_says_which_check(home, book, target, key):
    assignment = next(a for a in ASSIGNMENTS if f"def {target}(" in notebook_path(ROOT, "source", a).read_text())
    nb = student_copy(assignment, {target: book.get(target, key).student_source()})
    _, failed = validate(home, f"{target}-{key}", nb)
    assert set(failed) == VALIDATE_FAILS[(target, key)]
    for error in failed.values():
        lines = [line.strip() for line in error.strip().splitlines()]
        assert lines[0].startswith("VisibleChecksFailed: ")
        assert lines[1].startswith("[FAIL] ") and len(lines) >= 3   # the check, then why it failed
        assert not any(line.endswith("...") for line in lines)     # nothing cut at validate's width
