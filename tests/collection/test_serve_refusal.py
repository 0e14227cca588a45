"""`dlgrader serve` collects with the safe collector: a tampered submission gets a notice, the honest
one its feedback, and the server keeps running."""
from __future__ import annotations

import json
import os
import threading

import nbformat

from dlgrader.collection import student as exchange_student

from ..serve.test_serve import NB, A, Serve, answers, events, graded_times, nbgrader, released  # noqa: F401


def test_a_symlinked_notebook_gets_a_notice_and_the_server_goes_on(released, tmp_path):
    course = released
    inbound = course.exchange / course.course_id / "inbound"
    for who in ("mallory", "alice"):
        exchange_student.fetch(course, tmp_path / who, who, A)
        nbformat.write(answers(course), str(tmp_path / who / A / f"{NB}.ipynb"))
    exchange_student.submit(course, tmp_path / "mallory", "mallory", A)
    [folder] = inbound.iterdir()
    notebook = folder / f"{NB}.ipynb"
    notebook.chmod(0o644)
    notebook.unlink()
    notebook.symlink_to(course.source / A / f"{NB}.ipynb")       # the instructor's solutions
    serve = Serve(course)
    deadline = threading.Timer(300, serve.proc.kill)       # however many lines it prints: at most 5 min
    deadline.start()
    try:
        serve.wait_for("refused", "mallory", "symbolic link")
        serve.wait_for("mallory", A, "0/13", "feedback released")
        exchange_student.submit(course, tmp_path / "alice", "alice", A)     # while serving, after the refusal
        serve.wait_for("alice", A, "13/13", "feedback released")
    finally:
        deadline.cancel()
        stopped = serve.stop()
    assert "1 graded, 2 feedback released, 0 failed" in stopped, stopped
    nbgrader(tmp_path / "mallory", course, "fetch_feedback", A, "--student=mallory")
    [page] = (tmp_path / "mallory" / A / "feedback").glob(f"*/{NB}.html")
    text = page.read_text()
    assert "could not be graded automatically" in text and "symbolic link" in text
    [refused] = events(course, "refused")
    assert refused["student"] == "mallory" and refused["inbound"] == folder.name
    assert sorted(os.listdir(course.submitted / "mallory" / A)) == ["submission_secret.txt", "timestamp.txt"]
    assert graded_times(course) == {"mallory": 1, "alice": 1}
    record = json.loads((course.submitted / "mallory" / f".{A}.arrival.json").read_text())
    assert record["status"] == "refused" and record["first_seen"] >= record["observed"]
