"""Grading workers hold the reference in memory only: a grading run leaves nothing in the temp
folder (the reference used to be written to a `dlgrader-worker-*` folder there, never removed)."""
from __future__ import annotations

import os
import subprocess
import sys

from dlgrader.gradebook.scores import submission_scores

from .cohort import ps2_cohort

A = "ps2_softmax_cross_entropy"


def test_a_grading_run_writes_nothing_to_the_temp_folder(built_template, tmp_path):
    course = ps2_cohort(built_template, tmp_path / "course", 4)
    temp = tmp_path / "temp"
    temp.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLGRADER_")}
    env.update(TMPDIR=str(temp), PATH=os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")]))
    result = subprocess.run([sys.executable, "-m", "dlgrader.cli", "grade", A, "--workers", "2"], cwd=course.root,
                            env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    graded = {s.student: s for s in submission_scores(course, A)}
    assert graded["d00"].auto_score == graded["d00"].auto_max > 0      # the reference was there to grade
    assert sorted(os.listdir(temp)) == []
