"""`dlgrader grade` reads submitted/ under the collection rules: a link, FIFO or linked folder placed
there (e.g. by stock `nbgrader collect`, or by hand) is refused and recorded, never followed."""
from __future__ import annotations

import json
import os

from dlgrader.gradebook.scores import submission_scores

from ..conftest import notebook_path, submit_notebook
from ..execution.cohort import filled
from .test_collect import A, NB, run_capped


def test_grade_refuses_links_and_fifos_in_submitted(course):
    src = notebook_path(course.root, "source", A)
    submit_notebook(course, "alice", A, filled(src))
    (course.submitted / "linky" / A).mkdir(parents=True)
    (course.submitted / "linky" / A / f"{NB}.ipynb").symlink_to(src)
    (course.submitted / "fifo" / A).mkdir(parents=True)
    os.mkfifo(course.submitted / "fifo" / A / f"{NB}.ipynb")
    (course.submitted / "dirlink").mkdir()
    (course.submitted / "dirlink" / A).symlink_to(src.parent)
    result = run_capped(course.root, "grade", A, timeout=300)
    log = json.loads((course.root / "logs" / f"grade-{A}.json").read_text())
    expected = {"linky": "is a symbolic link", "fifo": "is a FIFO", "dirlink": "not a plain folder"}
    scores = {s.student: s for s in submission_scores(course, A)}
    for who, why in expected.items():
        assert why in log["refused"][who], log["refused"]
        assert any(line.startswith(f"{who}: refused") and why in line for line in result.stdout.splitlines()), result.stdout
        assert scores[who].auto_score == 0 and scores[who].needs_manual
    assert scores["alice"].auto_score == scores["alice"].auto_max and "alice" not in log["refused"]
