"""Rootless: an ordinary account (created here) grades with the same isolation as root.

The account runs the sandbox's own isolation tests, and `dlgrader grade` on a course it owns, with
an honest, a wrong and a hostile submission; the scores equal root's on the same submissions.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from dlgrader.course import Course
from dlgrader.gradebook.scores import submission_scores

from ..conftest import ROOT, dlgrader, mistake_book, notebook_path, submit_notebook
from ..execution.cohort import filled
from .ordinary_user import as_account, ensure_account, python_for, reachable_by_others

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="creating an ordinary account needs root")
A = "ps2_softmax_cross_entropy"
FSIZE_CAP = 256 * 2**20          # what the account's commands may write in one file (a /dev/zero link)

WALKER = '''import os

FOUND = None
for root, dirs, files in os.walk("/"):          # once, when the cell runs: look for the reference
    if root.startswith(("/proc", "/usr/share", "/usr/lib/x86_64-linux-gnu", "/usr/include")):
        dirs[:] = []
    elif root.endswith("/reference") and "ps2.py" in files:
        FOUND = os.path.join(root, "ps2.py")
        break

def softmax(z):
    """Answer with the course's own reference if it was found anywhere on the machine."""
    if FOUND:
        namespace = {}
        exec(open(FOUND).read(), namespace)
        return namespace["softmax"](z)
    return np.zeros(len(z))
'''


def give(folder: Path, user) -> None:
    """FOLDER and everything in it to USER (the course the account grades)."""
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            os.lchown(os.path.join(root, name), user.pw_uid, user.pw_gid)
    os.chown(folder, user.pw_uid, user.pw_gid)


@pytest.fixture(scope="module")
def account(tmp_path_factory):
    site = Path(next(p for p in sys.path if p.endswith("site-packages")))
    for needed in (ROOT / "dlgrader", site):
        if not reachable_by_others(needed):
            pytest.skip(f"{needed} cannot be read by other accounts (the checkout lives in a private folder)")
    user = ensure_account()
    where = Path(tempfile.mkdtemp(prefix="dlgrader-rootless-"))    # not under pytest's private tmp
    os.chmod(where, 0o755)
    try:
        python = python_for(user, where)
        home = where / "home"
        home.mkdir()
        os.chown(home, user.pw_uid, user.pw_gid)
        env = {"PATH": f"{python.parent}:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
               "LD_LIBRARY_PATH": str(where / "python" / "lib"), "PYTHONDONTWRITEBYTECODE": "1"}

        def run(args, cwd, timeout=600):
            return subprocess.run([str(python), *args], cwd=cwd, env=env, preexec_fn=as_account(user, FSIZE_CAP),
                                  capture_output=True, text=True, timeout=timeout)
        yield {"user": user, "where": where, "run": run, "python": python, "env": env}
    finally:
        shutil.rmtree(where, ignore_errors=True)


def test_the_isolation_tests_pass_for_an_ordinary_account(account):
    result = account["run"](["-m", "pytest", "-q", "-p", "no:cacheprovider", f"--basetemp={account['where'] / 'pt'}",
                             "tests/sandbox/test_isolation.py", "tests/sandbox/test_filesystem.py"], cwd=ROOT)
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr[-500:]
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    passed = int(re.search(r"(\d+) passed", summary).group(1))
    assert passed >= 15 and "failed" not in summary, summary
    assert "unshare" not in result.stdout


def place(course: Course) -> None:
    src = notebook_path(course.root, "source", A)
    submit_notebook(course, "solution", A, filled(src))
    wrong = mistake_book().get("softmax", "no-max-shift").student_source()
    submit_notebook(course, "mistake", A, filled(src, {"softmax": wrong}))
    submit_notebook(course, "walker", A, filled(src, {"softmax": WALKER}))


def test_grade_as_an_ordinary_account_scores_like_root(account, built_template, course):
    place(course)
    dlgrader(course.root, "grade", A)
    as_root = {s.student: [(c.cell, c.score) for c in s.cells] for s in submission_scores(course, A)}

    mine = Course(account["where"] / "course")
    shutil.copytree(built_template, mine.root, ignore=shutil.ignore_patterns("logs"))
    place(mine)
    user = account["user"]
    give(mine.root, user)
    result = account["run"](["-m", "dlgrader.cli", "grade", A], cwd=mine.root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "unsafe" not in result.stdout + result.stderr
    rootless = {s.student: [(c.cell, c.score) for c in s.cells] for s in submission_scores(mine, A)}
    assert rootless == as_root
    scores = {s.student: s for s in submission_scores(mine, A)}
    assert scores["solution"].auto_score == scores["solution"].auto_max
    assert scores["walker"].auto_score < scores["mistake"].auto_score     # found no reference to copy


def test_dask_workers_of_an_ordinary_account_grade_like_local_root_workers(account, built_template, course,
                                                                          tmp_path):
    """A scheduler, and two workers running as the ordinary account (with its Python): the batch
    is graded in their rootless sandboxes with the same scores as root's local workers."""
    from dlgrader.execution.batch import grade_batch

    from ..conftest import free_port
    place(course)
    grade_batch(course, A)
    expected = {s.student: [(c.cell, c.score) for c in s.cells] for s in submission_scores(course, A)}

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    user, python = account["user"], account["python"]
    env = dict(account["env"], DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION="1.0")
    procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                               "--port", str(port), "--no-dashboard"], cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    for i in range(2):
        procs.append(subprocess.Popen([str(python), "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                                       "--no-dashboard", "--host", "127.0.0.1", "--memory-limit", "0",
                                       "--name", f"rootless{i}"], cwd=account["where"], env=env,
                                      preexec_fn=as_account(user), stdout=subprocess.DEVNULL,
                                      stderr=open(tmp_path / f"worker{i}.log", "w")))
    try:
        from distributed import Client
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
            owners = client.run(os.geteuid)
        mine = Course(tmp_path / "course-dask")
        shutil.copytree(built_template, mine.root, ignore=shutil.ignore_patterns("logs"))
        place(mine)
        run = grade_batch(mine, A, scheduler=address)
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    assert set(owners.values()) == {user.pw_uid}                 # the workers really were the account
    assert not run.failed, run.failed
    assert {s.student: [(c.cell, c.score) for c in s.cells] for s in submission_scores(mine, A)} == expected


def test_serve_as_an_ordinary_account_through_the_exchange(account, built_template, tmp_path):
    """The course account runs `dlgrader release` and `dlgrader serve --once`; students submit through
    nbgrader's exchange: an honest one, a walker looking for the reference, one whose notebook is a
    link to the course's own source, one linked to /dev/zero, and one claiming a day-earlier time
    after the due date. Only honest work earns points; the links are refused without filling the
    disk; the forged claim is late by the real amount and flagged."""
    from datetime import datetime, timedelta, timezone

    from nbgrader.api import Gradebook

    from dlgrader.collection import arrival

    from ..collection.test_collect import NB, claim, replace, submit
    user = account["user"]
    mine = Course(account["where"] / "course-serve")
    shutil.copytree(built_template, mine.root, ignore=shutil.ignore_patterns("logs"))
    give(mine.root, user)
    released = account["run"](["-m", "dlgrader.cli", "release", A], cwd=mine.root)
    assert released.returncode == 0, released.stdout + released.stderr
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    with Gradebook(mine.db_url, mine.course_id) as gb:
        gb.update_or_create_assignment(A, duedate=now - timedelta(minutes=10))
    src = notebook_path(mine.root, "source", A)
    submit(mine, tmp_path / "ann", "ann", filled(src))
    submit(mine, tmp_path / "wally", "wally", filled(src, {"softmax": WALKER}))
    replace(submit(mine, tmp_path / "lin", "lin", filled(src)) / f"{NB}.ipynb").symlink_to(src)
    replace(submit(mine, tmp_path / "zed", "zed", filled(src)) / f"{NB}.ipynb").symlink_to("/dev/zero")
    lou = claim(submit(mine, tmp_path / "lou", "lou", filled(src)), now - timedelta(days=1))
    served = account["run"](["-m", "dlgrader.cli", "serve", "--once", "--workers", "2"], cwd=mine.root)
    assert served.returncode == 0, served.stdout + served.stderr
    scores = {s.student: s for s in submission_scores(mine, A)}
    assert scores["ann"].auto_score == scores["ann"].auto_max == scores["lou"].auto_score
    assert scores["wally"].auto_score < scores["ann"].auto_score
    for who in ("lin", "zed"):
        assert scores[who].auto_score == 0 and scores[who].needs_manual, who
        assert arrival.read_record(mine.submitted, who, A)["status"] == "refused", who
    with Gradebook(mine.db_url, mine.course_id) as gb:
        late = gb.find_submission(A, "lou").total_seconds_late
        ann_late = gb.find_submission(A, "ann").total_seconds_late
    arrived = datetime.fromtimestamp(os.stat(lou).st_ctime, timezone.utc).replace(tzinfo=None)
    assert abs(late - (arrived - (now - timedelta(minutes=10))).total_seconds()) < 5 and ann_late > 0
    assert "claim-flagged: lou" in served.stdout + served.stderr
    feedback = list((mine.exchange / mine.course_id / "feedback").glob("*.html"))
    assert len(feedback) == 5                      # a page for each (lin's and zed's say why they were refused)
    assert all(p.stat().st_uid == user.pw_uid for p in feedback)     # written by the account, not root
