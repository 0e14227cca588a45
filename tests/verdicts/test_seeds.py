"""Hidden inputs per submission: drawn from the course secret, the student and the submission, so two
submissions see different hidden cases and a re-grade sees the same; visible checks stay fixed."""
from __future__ import annotations

import json
import stat

import numpy as np

from dlgrader import settings
from dlgrader.execution.batch import grade_batch
from dlgrader.verdicts import Checks, seeds

from ..conftest import dlgrader, notebook_path, submit_notebook
from ..execution.cohort import filled

PS2 = "ps2_softmax_cross_entropy"
CHECK = "random logits (some negative) match the reference"
# the same wrong softmax (no normalisation), handed in by two students
WRONG = "def softmax(z):\n    z = np.asarray(z, dtype=float)\n    return np.exp(z - z.max())\n"


def draws(seed):
    t = Checks("softmax", {})
    visible = t.rng().normal(size=3)
    with seeds.submission(seed, "nb"):
        t._in_hidden = True
        hidden = t.rng().normal(size=3)
    return visible, hidden


def test_visible_cases_stay_fixed_and_hidden_ones_follow_the_seed():
    v1, h1 = draws("a" * 64)
    v2, h2 = draws("b" * 64)
    v3, h3 = draws("a" * 64)
    v0, h0 = draws(None)
    assert np.array_equal(v1, v2) and np.array_equal(v1, v0)          # the chapter's examples
    assert not np.allclose(h1, h2) and np.array_equal(h1, h3)
    assert np.array_equal(h0, v0)                                       # no seed: the old behaviour


def hidden_message(course, student) -> tuple[str, float]:
    folder = course.root / "autograded" / student / PS2
    verdicts = json.loads((folder / "dlgrader-verdicts.json").read_text())
    cell = [c for c in verdicts["softmax_cross_entropy"]["cells"] if c["grade_id"] == "ps2-softmax-test"][0]
    record = [r for r in cell["checks"] if r["description"] == CHECK][0]
    assert record["hidden"] and not record["passed"]
    return record["message"], cell["score"]


def test_identical_wrong_submissions_get_different_hidden_inputs_and_a_regrade_the_same(course):
    secret = settings.load(course).secret_path(course)
    secret.unlink()
    dlgrader(course.root, "build", "ps4_quiz")
    assert secret.is_file() and stat.S_IMODE(secret.stat().st_mode) == 0o600     # made by `dlgrader build`
    nb = filled(notebook_path(course.root, "source", PS2), {"softmax": WRONG})
    for student in ("alice", "bob"):
        folder = submit_notebook(course, student, PS2, nb).parent
        (folder / "timestamp.txt").write_text("2026-03-01 10:00:00.000000 UTC")
    grade_batch(course, PS2)
    alice, alice_score = hidden_message(course, "alice")
    bob, bob_score = hidden_message(course, "bob")
    assert "softmax([" in alice and "softmax([" in bob
    assert alice != bob                          # same code, same time: different hidden inputs

    grade_batch(course, PS2, students=["alice"])                # a re-grade of the same submission
    assert hidden_message(course, "alice") == (alice, alice_score)

    (course.submitted / "alice" / PS2 / "timestamp.txt").write_text("2026-03-01 11:00:00.000000 UTC")
    grade_batch(course, PS2, students=["alice"])                # alice submits the same code again
    assert hidden_message(course, "alice")[0] != alice
