"""`dlgrader grade --engine nbgrader` runs the student's code in nbgrader's kernel (unsandboxed, the
parity path), but that kernel gets no grader variable: a student cell recording the kernel's
environment finds no DLGRADER_*, though the grader was started with some and nbgrader_config.py
is the course's; the hidden tests still find the reference (full score)."""
from __future__ import annotations

import json
import os
import sys
import subprocess
from pathlib import Path

import nbformat

from dlgrader.gradebook.scores import submission_scores

from ..conftest import notebook_path, submit_notebook
from .cohort import filled

A = "ps2_softmax_cross_entropy"
RECORD = "import os, json\nprint('ENVIRON=' + json.dumps(sorted(os.environ)))\n"


def test_the_kernel_gets_no_grader_variable(course):
    nb = filled(notebook_path(course.root, "source", A))
    nb.cells.insert(2, nbformat.v4.new_code_cell(RECORD))
    submit_notebook(course, "alice", A, nb)
    env = dict(os.environ, DLGRADER_SANDBOX_UID_BASE="68900", DLGRADER_EXCHANGE=str(course.root / "exchange"),
               DLGRADER_REFERENCE=str(course.reference), TEST_GRADER_MARK="1",
               PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    done = subprocess.run([sys.executable, "-m", "dlgrader.cli", "grade", A, "--engine", "nbgrader"],
                          cwd=course.root, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr

    graded = nbformat.read(str(course.autograded / "alice" / A / "softmax_cross_entropy.ipynb"), as_version=4)
    printed = [o.text for c in graded.cells if c.source == RECORD for o in c.outputs if o.output_type == "stream"]
    assert len(printed) == 1 and printed[0].startswith("ENVIRON="), printed
    names = json.loads(printed[0][len("ENVIRON="):])
    assert "TEST_GRADER_MARK" in names           # nbgrader's kernel, which inherits the grader's variables
    assert [n for n in names if n.startswith("DLGRADER")] == []
    (alice,) = submission_scores(course, A)
    assert (alice.score, alice.max_score) == (13.0, 13.0)     # the hidden tests found the reference
