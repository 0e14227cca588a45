"""Stock `nbgrader collect` (and so Formgrader's Collect button, which runs the same exchange class)
goes through dlgrader's collector: a linked notebook is refused, an honest one collected."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dlgrader.collection import arrival
from dlgrader.course import Course

from ..conftest import dlgrader, notebook_path
from ..execution.cohort import filled
from .test_collect import A, NB, inbound, replace, submit

FSIZE_CAP = 256 * 2**20


def test_stock_nbgrader_collect_refuses_a_link_and_collects_the_rest(course, tmp_path):
    import resource
    dlgrader(course.root, "release", A)
    src = notebook_path(course.root, "source", A)
    submit(course, tmp_path / "alice", "alice", filled(src))
    replace(submit(course, tmp_path / "mallory", "mallory", filled(src)) / f"{NB}.ipynb").symlink_to("/dev/zero")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLGRADER_")}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    result = subprocess.run([sys.executable, "-m", "nbgrader", "collect", A], cwd=course.root, env=env,
                            capture_output=True, text=True, timeout=300,
                            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (FSIZE_CAP, FSIZE_CAP)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Refused the submission of mallory" in result.stdout + result.stderr
    alice = course.submitted / "alice" / A / f"{NB}.ipynb"
    assert alice.is_file() and not alice.is_symlink() and alice.read_bytes() == \
        next(inbound(course).glob("alice+*")).joinpath(f"{NB}.ipynb").read_bytes()
    assert arrival.read_record(course.submitted, "mallory", A)["status"] == "refused"
    assert not (course.submitted / "mallory" / A / f"{NB}.ipynb").exists()
    from dlgrader.gradebook.scores import submission_scores
    scores = {s.student: s for s in submission_scores(Course(course.root), A)}
    assert scores["mallory"].auto_score == 0 and scores["mallory"].needs_manual
