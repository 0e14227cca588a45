"""`dlgrader collect` and `dlgrader grade` through nbgrader's real exchange, with students who tamper
with their own inbound folders afterwards (as the owner of that folder can)."""
from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from dlgrader.collection import student as exchange_student
from dlgrader.course import Course
from dlgrader.gradebook.scores import submission_scores

from ..conftest import dlgrader, notebook_path, submit_notebook
from ..execution.cohort import filled
from ..serve.test_serve import mistake

A, NB = "ps2_softmax_cross_entropy", "softmax_cross_entropy"
FSIZE_CAP = 256 * 2**20
HONEST = ("alice", "bob")
DUE_AGO = timedelta(minutes=10)


def run_capped(root: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """A dlgrader command that cannot write a file over 256 MB nor run past TIMEOUT."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLGRADER_") or k == "DLGRADER_SANDBOX_UID_BASE"}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])

    def cap():
        resource.setrlimit(resource.RLIMIT_FSIZE, (FSIZE_CAP, FSIZE_CAP))
    result = subprocess.run([sys.executable, "-m", "dlgrader.cli", *args], cwd=root, env=env, capture_output=True,
                            text=True, preexec_fn=cap, timeout=timeout)
    assert result.returncode == 0, f"dlgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def inbound(course: Course) -> Path:
    return course.exchange / course.course_id / "inbound"


def submit(course: Course, home: Path, who: str, nb) -> Path:
    """WHO submits NB through nbgrader's ExchangeSubmit; returns the new inbound folder."""
    if not (home / A).is_dir():
        exchange_student.fetch(course, home, who, A)
    nbformat.write(nb, str(home / A / f"{NB}.ipynb"))
    before = set(inbound(course).iterdir())
    exchange_student.submit(course, home, who, A)
    [folder] = set(inbound(course).iterdir()) - before
    return folder


def replace(path: Path) -> Path:
    """The student's own file, made writable and removed (nbgrader submits it read-only)."""
    path.chmod(0o644)
    path.unlink()
    return path


def claim(folder: Path, when: datetime) -> Path:
    """Claim WHEN in the folder name and timestamp.txt, as a student with a faked clock would."""
    stamp = when.strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    replace(folder / "timestamp.txt").write_text(stamp)
    who, assignment, _, rand = folder.name.rsplit("+", 3)
    return folder.rename(folder.with_name(f"{who}+{assignment}+{stamp}+{rand}"))


def scores_by_cell(course: Course) -> dict:
    return {s.student: s for s in submission_scores(course, A)}


@pytest.fixture(scope="module")
def batch(built_template, tmp_path_factory):
    base = tmp_path_factory.mktemp("collect")
    course = Course(base / "course")
    shutil.copytree(built_template, course.root)
    dlgrader(course.root, "release", A)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    with Gradebook(course.db_url, course.course_id) as gb:
        gb.update_or_create_assignment(A, duedate=now - DUE_AGO)
    src = notebook_path(course.root, "source", A)
    homes = base / "homes"
    wrong = filled(src, {"softmax": mistake("softmax", "no-max-shift").student_source()})
    right = filled(src)
    notebooks = {"alice": right, "bob": wrong}
    for who, nb in notebooks.items():
        submit(course, homes / who, who, nb)
    submit(course, homes / "mallory", "mallory", right)            # an honest first submission...
    first = run_capped(course.root, "collect", A)
    assert "collected 3 submission(s)" in first.stdout, first.stdout

    # ... then the tampering, each in the student's own inbound folder
    m = submit(course, homes / "mallory", "mallory", wrong)
    replace(m / f"{NB}.ipynb").symlink_to(src)                     # (a) the instructor's source notebook
    replace(submit(course, homes / "zed", "zed", right) / f"{NB}.ipynb").symlink_to("/dev/zero")   # (b)
    os.mkfifo(replace(submit(course, homes / "fiona", "fiona", right) / f"{NB}.ipynb"))           # (c)
    with open(replace(submit(course, homes / "hal", "hal", right) / f"{NB}.ipynb"), "wb") as fh:  # (d)
        fh.truncate(2**40)                                         # 1 TB, sparse: the test uses no disk
    lou = claim(submit(course, homes / "lou", "lou", right), now - timedelta(days=1))              # (e)
    submit(course, homes / "olga", "olga", wrong)                  # (f) first, wrong ...
    olga = claim(submit(course, homes / "olga", "olga", right), now - timedelta(days=1))   # ... then right, "earlier"
    inbound_before = {p.name: sorted(q.name for q in p.iterdir()) for p in inbound(course).iterdir()
                      if p.is_dir() and not p.is_symlink()}

    collected = run_capped(course.root, "collect", A, timeout=120)
    graded = run_capped(course.root, "grade", A, timeout=600)
    grade_log = json.loads((course.root / "logs" / f"grade-{A}.json").read_text())
    graded_again = run_capped(course.root, "grade", A, timeout=300)

    clean = Course(base / "clean")
    shutil.copytree(built_template, clean.root)
    for who, nb in notebooks.items():
        submit_notebook(clean, who, A, nb)
    run_capped(clean.root, "grade", A, timeout=600)
    return {"course": course, "collected": collected, "graded": graded, "graded_again": graded_again,
            "scores": scores_by_cell(course), "clean": scores_by_cell(clean), "lou": lou, "olga": olga,
            "now": now, "right": right, "inbound_before": inbound_before,
            "log": json.loads((course.root / "logs" / f"collect-{A}.json").read_text()),
            "grade_log": grade_log}


REFUSED = {"mallory": "is a symbolic link", "zed": "is a symbolic link", "fiona": "is a FIFO",
           "hal": "over the 64 MB limit per file"}


@pytest.mark.parametrize("who", sorted(REFUSED))
def test_tampered_submissions_are_refused_recorded_and_gain_nothing(batch, who):
    course, why = batch["course"], REFUSED[who]
    line = next(line for line in batch["collected"].stdout.splitlines() if line.startswith(f"{who}:"))
    assert "refused" in line and why in line, line
    [logged] = [s for s in batch["log"]["submissions"] if s["student"] == who]
    assert logged["status"] == "refused" and why in logged["reason"]
    assert why in batch["grade_log"]["refused"][who]
    # nothing of the tampered submission was collected, and no older copy is graded over the refusal
    assert sorted(os.listdir(course.submitted / who / A)) == ["submission_secret.txt", "timestamp.txt"]
    score = batch["scores"][who]
    assert score.auto_score == 0 and score.needs_manual and all(c.needs_manual for c in score.cells)
    with Gradebook(course.db_url, course.course_id) as gb:
        comments = [c.auto_comment for nb in gb.find_submission(A, who).notebooks for c in nb.comments]
    assert comments and all(why in (c or "") for c in comments)


def test_honest_submissions_score_as_in_a_clean_batch(batch):
    for who in HONEST:
        hostile, clean = batch["scores"][who], batch["clean"][who]
        assert [(c.cell, c.score) for c in hostile.cells] == [(c.cell, c.score) for c in clean.cells], who
    assert batch["scores"]["alice"].auto_score == batch["scores"]["alice"].auto_max > batch["scores"]["bob"].auto_score


def test_collection_neither_filled_the_disk_nor_lost_anything(batch):
    course = batch["course"]
    assert sum(p.stat().st_size for p in course.submitted.rglob("*") if p.is_file() and not p.is_symlink()) < 2**24
    after = {p.name: sorted(q.name for q in p.iterdir()) for p in inbound(course).iterdir()
             if p.is_dir() and not p.is_symlink()}
    assert after == batch["inbound_before"]                      # the inbound folders are never touched
    assert not list(course.submitted.rglob("*.dlgrader-collect*"))


def test_a_forged_earlier_claim_is_late_by_the_real_amount_and_flagged(batch):
    course = batch["course"]
    with Gradebook(course.db_url, course.course_id) as gb:
        sub = gb.find_submission(A, "lou")
        late, stamp = sub.total_seconds_late, sub.timestamp
    arrived = datetime.fromtimestamp(os.stat(batch["lou"]).st_ctime, timezone.utc).replace(tzinfo=None)
    assert abs((stamp - arrived).total_seconds()) < 5
    assert abs(late - ((arrived - batch["now"]) + DUE_AGO).total_seconds()) < 5 and late > 0.8 * DUE_AGO.total_seconds()
    assert batch["scores"]["lou"].auto_score == batch["scores"]["lou"].auto_max   # graded, only late
    for out in (batch["collected"].stdout, batch["graded"].stdout):
        assert any(line.startswith("lou: claimed time flagged: folder name claims") for line in out.splitlines()), out
    assert any("timestamp.txt claims" in f for f in batch["grade_log"]["claimed_time_flags"]["lou"])
    record = json.loads((course.submitted / "lou" / f".{A}.arrival.json").read_text())
    assert record["claimed_file"].startswith((batch["now"] - timedelta(days=1)).strftime("%Y-%m-%d"))
    assert "alice" not in batch["grade_log"]["claimed_time_flags"]


def test_the_newest_submission_is_the_last_to_arrive_whatever_its_name_claims(batch):
    course = batch["course"]
    assert nbformat.read(str(course.submitted / "olga" / A / f"{NB}.ipynb"), as_version=4) == batch["right"]
    record = json.loads((course.submitted / "olga" / f".{A}.arrival.json").read_text())
    assert record["inbound"] == batch["olga"].name
    assert batch["scores"]["olga"].auto_score == batch["scores"]["olga"].auto_max


def test_a_rerun_regrades_nothing(batch):
    assert "already graded and unchanged since" in batch["graded_again"].stdout
    assert not json.loads((batch["course"].root / "logs" / f"grade-{A}.json").read_text())["refused"]


def test_the_report_shows_lateness_from_the_arrival_and_flags_the_claim(batch, tmp_path):
    from dlgrader.report.page import build_section, write_report
    section = build_section(batch["course"], A)
    late = {student: seconds for student, seconds, _ in section.late}
    assert late["lou"] > 0.8 * DUE_AGO.total_seconds()
    assert any("folder name claims" in f for f in section.claims["lou"]) and "alice" not in section.claims
    page = write_report(batch["course"], [A], tmp_path / "report.html").read_text()
    table = page[page.index("<h3>Late submissions</h3>"):page.index("<h3>Similar answer code</h3>")]
    lou = table[table.index("<td>lou</td>"):]
    assert "timestamp.txt claims" in lou[:lou.index("</tr>")]
