"""Identities from the operating system, with real Unix accounts: alice, bob and eve submit with stock
`nbgrader submit`, each as their own account, through an exchange outside the course root. eve then
tries to pass work off as alice's (nbgrader's `--student=`, a hand-made inbound folder, her notebook
put into alice's folder whose name leaked), to invent students (an id with no account, an id with a
trailing newline) and to replace the exchange's course folder. Each is rejected with a reason in
`dlgrader collect`'s output, logs/collect-A.json, serve's log and the report; alice's and bob's grades stay.
"""
from __future__ import annotations

import json
import os
import resource
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from dlgrader.course import Course
from dlgrader.gradebook.scores import submission_scores

from .. import accounts
from ..conftest import notebook_path
from ..execution.cohort import filled
from ..serve.test_serve import mistake
from .test_collect import A, NB, FSIZE_CAP

COURSE_ID = "dl-math-toolkit"


def instructor(root: Path, exchange: Path, *args: str, prog: str = "dlgrader", check: bool = True,
               timeout: float = 600) -> subprocess.CompletedProcess:
    """A dlgrader (or stock nbgrader) command run by the instructor (root) in the course root. The
    copied nbgrader_config.py names the exchange (for both); DLGRADER_EXCHANGE is only its default."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLGRADER_") or k == "DLGRADER_SANDBOX_UID_BASE"}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["DLGRADER_EXCHANGE"] = str(exchange)
    module = "dlgrader.cli" if prog == "dlgrader" else "nbgrader"
    result = subprocess.run([sys.executable, "-m", module, *args], cwd=root, env=env, capture_output=True, text=True,
                            timeout=timeout,
                            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (FSIZE_CAP, FSIZE_CAP)))
    if check:
        assert result.returncode == 0, f"{prog} {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def nbgrader_as(who: accounts.Person, *args: str) -> subprocess.CompletedProcess:
    result = who.run(["-m", "nbgrader", *args])
    assert result.returncode == 0, f"{who.name}: nbgrader {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result


def put(who: accounts.Person, nb) -> None:
    """NB as WHO's answer in their fetched copy (theirs, as if they had typed it)."""
    path = who.home / A / f"{NB}.ipynb"
    if path.exists():
        path.unlink()
    nbformat.write(nb, str(path))
    os.chown(path, who.account.pw_uid, who.account.pw_gid)


def scores(course: Course) -> dict:
    return {s.student: (s.score, [(c.cell, c.score) for c in s.cells]) for s in submission_scores(course, A)}


def roster(course: Course) -> list:
    with Gradebook(course.db_url, course.course_id) as gb:
        return sorted(s.id for s in gb.students)


HAND_MADE = """
import os, shutil, sys
inbound, victim, notebook = sys.argv[1:]
folder = os.path.join(inbound, victim + "+{a}+2026-01-01 00:00:00.000000 UTC+handmade")
os.mkdir(folder)
shutil.copy(notebook, folder)
for name, text in (("timestamp.txt", "2026-01-01 00:00:00.000000 UTC"), ("submission_secret.txt", "x" * 128)):
    with open(os.path.join(folder, name), "w") as fh:
        fh.write(text)
""".replace("{a}", A)

SWAP_NOTEBOOK = """
import os, shutil, sys
folder, notebook = sys.argv[1:]
os.unlink(os.path.join(folder, os.path.basename(notebook)))
shutil.copy(notebook, folder)
"""


@pytest.fixture(scope="module")
def world(built_template):
    base = accounts.traversable_folder("ids")
    made = []
    try:
        python = accounts.shared_python(base)
        homes = base / "homes"
        homes.mkdir(mode=0o711)
        people = {}
        for who in ("alice", "bob", "eve"):
            made.append(accounts.make(who))
            people[who] = accounts.person(made[-1], homes, python)
        course = Course(base / "course")
        shutil.copytree(built_template, course.root)
        course.root.chmod(0o700)
        exchange = base / "exchange"                # outside the course root, which students cannot enter
        with open(course.root / "nbgrader_config.py", "a", encoding="utf-8") as fh:
            fh.write("\n# real accounts: the safe default (each id submits from its own account, roster enforced)\n"
                     f"c.DlgraderCollect.accounts = {{}}\nc.Exchange.root = {str(exchange)!r}\n")
        for who in people.values():
            instructor(course.root, exchange, "db", "student", "add", who.name, prog="nbgrader")
        instructor(course.root, exchange, "release", A)
        src = notebook_path(course.root, "source", A)
        right = filled(src)
        wrong = filled(src, {"softmax": mistake("softmax", "no-max-shift").student_source()})
        blank = nbformat.read(str(notebook_path(course.root, "release", A)), as_version=4)     # scores 0
        for who, nb in (("alice", right), ("bob", wrong), ("eve", right)):
            p = people[who]
            (p.home / "nbgrader_config.py").write_text(
                f"c = get_config()\nc.CourseDirectory.course_id = {COURSE_ID!r}\nc.Exchange.root = {str(exchange)!r}\n")
            nbgrader_as(p, "fetch_assignment", A)
            put(p, nb)
            nbgrader_as(p, "submit", A)
        inbound = exchange / COURSE_ID / "inbound"
        first = instructor(course.root, exchange, "collect", A)
        assert "collected 3 submission(s)" in first.stdout, first.stdout
        instructor(course.root, exchange, "grade", A)
        before = scores(course)
        [alices] = [p.name for p in inbound.iterdir() if p.name.startswith(people["alice"].name + "+")]

        # eve's attacks, each as eve's own account
        alice, zed, eve = people["alice"].name, accounts.prefix() + "zed", people["eve"]
        put(eve, blank)
        nbgrader_as(eve, "submit", A, f"--student={alice}")                    # nbgrader's own option
        made_by_hand = eve.python_code(HAND_MADE, str(inbound), alice, str(eve.home / A / f"{NB}.ipynb"))
        assert made_by_hand.returncode == 0, made_by_hand.stderr
        nbgrader_as(eve, "submit", A, f"--student={zed}")                      # an id with no account
        newline = eve.python_code(HAND_MADE, str(inbound), alice + "\n", str(eve.home / A / f"{NB}.ipynb"))
        assert newline.returncode == 0, newline.stderr       # (nbgrader's --student= strips the newline)
        swapped = eve.python_code(SWAP_NOTEBOOK, str(inbound / alices), str(eve.home / A / f"{NB}.ipynb"))
        assert swapped.returncode == 0, swapped.stderr                       # (nbgrader leaves it 0777)
        names = {p.name: p.stat().st_uid for p in inbound.iterdir()}

        collected = instructor(course.root, exchange, "collect", A)
        log = json.loads((course.root / "logs" / f"collect-{A}.json").read_text())
        stock = instructor(course.root, exchange, "collect", A, prog="nbgrader")    # Formgrader's Collect
        instructor(course.root, exchange, "grade", A)
        after = scores(course)
        feedback = instructor(course.root, exchange, "feedback", A, check=False)
        served = instructor(course.root, exchange, "serve", "--once", "--workers", "1")
        events = [json.loads(line) for line in (course.root / "logs" / "serve.jsonl").read_text().splitlines()]
        yield {"base": base, "course": course, "exchange": exchange, "people": people, "before": before,
               "after": after, "after_serve": scores(course), "collected": collected, "log": log, "events": events,
               "served": served, "feedback": feedback, "stock": stock, "names": names, "alices": alices, "zed": zed}
    finally:
        accounts.remove(*made)
        shutil.rmtree(base, ignore_errors=True)


def rejected_lines(world, student: str) -> list[str]:
    return [line for line in world["collected"].stdout.splitlines() if line.startswith(f"{student}: rejected:")]


def logged(world, student: str) -> list[dict]:
    return [s for s in world["log"]["submissions"] if s["student"] == student and s["status"] == "rejected"]


def serve_rejected(world, student: str) -> list[dict]:
    return [e for e in world["events"] if e["event"] == "rejected" and e.get("student") == student]


def eves_folders_for(world, student: str) -> list[str]:
    eve = world["people"]["eve"].account.pw_uid
    return sorted(n for n, uid in world["names"].items() if uid == eve and n.startswith(student + "+"))


def test_submissions_eve_made_under_alices_name_are_rejected_with_the_reason(world):
    alice, eve = world["people"]["alice"].name, world["people"]["eve"].name
    forged = eves_folders_for(world, alice)
    assert len(forged) == 2 and any(n.endswith("+handmade") for n in forged)     # --student=, and by hand
    for name in forged:
        [line] = [line for line in rejected_lines(world, alice) if f"inbound {name}" in line]
        assert f"owned by {eve}, not by {alice}'s account {alice}" in line, line
        [entry] = [e for e in logged(world, alice) if e["inbound"] == name]
        assert f"owned by {eve}" in entry["reason"]
        assert [e for e in serve_rejected(world, alice) if e["inbound"] == name]


def test_stock_nbgrader_collect_rejects_them_too(world):
    alice, eve = world["people"]["alice"].name, world["people"]["eve"].name
    out = world["stock"].stdout + world["stock"].stderr
    rejected = [line for line in out.splitlines() if f"Rejected {alice} (" in line]
    assert len(rejected) == 3 and all(f"owned by {eve}" in line for line in rejected), out
    assert f"Rejected {world['zed']} (" in out and "not a valid id" in out


def test_eves_notebook_in_alices_own_folder_is_found_on_the_file_itself(world):
    """The folder is alice's (its name leaked; nbgrader leaves it 0777): the walk checks every entry."""
    alice, eve, name = world["people"]["alice"].name, world["people"]["eve"].name, world["alices"]
    assert world["names"][name] == world["people"]["alice"].account.pw_uid
    [entry] = [e for e in logged(world, alice) if e["inbound"] == name]
    assert entry["reason"].startswith(f"{name}/{NB}.ipynb is owned by {eve}, not by {alice}'s account"), entry
    # alice's collected copy is still her own notebook, not eve's
    record = json.loads((world["course"].submitted / alice / f".{A}.arrival.json").read_text())
    assert record["inbound"] == name and record["status"] == "collected"
    assert not nbformat.read(str(world["course"].submitted / alice / A / f"{NB}.ipynb"), as_version=4) == \
        nbformat.read(str(notebook_path(world["course"].root, "release", A)), as_version=4)


def test_alices_and_bobs_grades_are_unchanged(world):
    alice, bob = world["people"]["alice"].name, world["people"]["bob"].name
    for who in (alice, bob):
        assert world["after"][who] == world["before"][who] == world["after_serve"][who], who
    assert world["after"][alice][0] == 13 and 0 < world["after"][bob][0] < 13
    assert "rejected" in world["served"].stdout + world["served"].stderr


def test_eves_own_submission_counts(world):
    eve = world["people"]["eve"].name
    assert world["after"][eve][0] == 13
    assert not logged(world, eve)


def test_an_id_without_an_account_or_a_place_on_the_roster_creates_no_student(world):
    zed = world["zed"]
    [line] = rejected_lines(world, zed)
    assert "not on the course's roster" in line and "nothing recorded" in line
    assert logged(world, zed) and serve_rejected(world, zed)
    assert roster(world["course"]) == sorted(p.name for p in world["people"].values())
    assert not (world["course"].submitted / zed).exists() and zed not in world["after"]


def test_an_id_with_a_trailing_newline_is_no_second_alice(world):
    alice = world["people"]["alice"].name
    [name] = [n for n in world["names"] if n.startswith(alice + "\n+")]
    claimed = alice + "\\n"
    [line] = rejected_lines(world, claimed)
    assert "is not a valid id" in line
    assert [e for e in world["log"]["submissions"] if e["inbound"] == name and e["status"] == "rejected"]
    assert [e for e in world["events"] if e["event"] == "rejected" and e.get("inbound") == name]
    assert roster(world["course"]) == sorted(p.name for p in world["people"].values())
    assert sorted(os.listdir(world["course"].submitted)) == sorted(p.name for p in world["people"].values())
    assert world["feedback"].returncode == 0, world["feedback"].stdout + world["feedback"].stderr


def test_the_exchange_is_made_safe_for_a_shared_machine(world):
    exchange = world["exchange"]
    assert stat.S_IMODE(exchange.stat().st_mode) == 0o1777
    course = exchange / COURSE_ID
    assert course.stat().st_uid == os.geteuid() and stat.S_IMODE(course.stat().st_mode) == 0o755
    assert stat.S_IMODE((course / "inbound").stat().st_mode) == 0o2733


RENAME = """
import os, shutil, sys
course, notebook, assignment = sys.argv[1:]
os.rename(course, course + "-old")
os.makedirs(os.path.join(course, "outbound", assignment))
shutil.copy(notebook, os.path.join(course, "outbound", assignment))
os.mkdir(os.path.join(course, "inbound"))
os.chmod(os.path.join(course, "inbound"), 0o733)
"""


def test_a_course_folder_eve_put_up_in_the_exchange_is_refused(world):
    """The rename attack: with the exchange root 1777 it fails; on a root left 0777 (as stock
    nbgrader's release makes it) it succeeds, and then collect, serve and release (dlgrader's and
    stock nbgrader's) refuse that exchange with one line, and no grade changes."""
    course, eve = world["course"], world["people"]["eve"]
    ex2 = world["base"] / "exchange2"
    config = course.root / "nbgrader_config.py"
    saved = config.read_text(encoding="utf-8")
    config.write_text(saved + f"\nc.Exchange.root = {str(ex2)!r}\n", encoding="utf-8")   # the one source
    try:
        _rename_attack(course, eve, ex2)
    finally:
        config.write_text(saved, encoding="utf-8")
    assert scores(course) == world["after_serve"]


def _rename_attack(course, eve, ex2) -> None:
    instructor(course.root, ex2, "release", A)
    assert stat.S_IMODE(ex2.stat().st_mode) == 0o1777
    attempt = eve.python_code(RENAME, str(ex2 / COURSE_ID), str(eve.home / A / f"{NB}.ipynb"), A)
    assert attempt.returncode != 0 and "PermissionError" in attempt.stderr, attempt.stderr

    ex2.chmod(0o777)                              # as `nbgrader release_assignment` leaves a root
    attempt = eve.python_code(RENAME, str(ex2 / COURSE_ID), str(eve.home / A / f"{NB}.ipynb"), A)
    assert attempt.returncode == 0, attempt.stderr
    commands = [(("collect", A), "dlgrader"), (("release", A), "dlgrader"), (("serve", "--once"), "dlgrader"),
                (("collect", A, f"--Exchange.root={ex2}"), "nbgrader"),
                (("release_assignment", A, "--force", f"--Exchange.root={ex2}"), "nbgrader")]
    for why in (f"{ex2} is writable by everyone without the sticky bit",
                f"exchange folder {ex2 / COURSE_ID} belongs to {eve.name}, not to root"):
        for args, prog in commands:
            result = instructor(course.root, ex2, *args, prog=prog, check=False, timeout=300)
            out = result.stdout + result.stderr
            assert result.returncode != 0 and why in out, f"{prog} {args}: {out}"
            if prog == "dlgrader":
                assert out.strip().count("\n") == 0, out           # one line
        ex2.chmod(0o1777)                         # the instructor adds the sticky bit, not seeing the swap


def test_the_report_lists_the_rejected_submissions(world, tmp_path):
    from dlgrader.report.page import build_section, write_report
    alice, eve = world["people"]["alice"].name, world["people"]["eve"].name
    section = build_section(world["course"], A)
    folders = {inbound: (student, reason) for student, inbound, reason in section.rejected}
    expected = eves_folders_for(world, alice) + [world["alices"]] + \
        [n for n in world["names"] if n.startswith((world["zed"] + "+", alice + "\n+"))]
    assert sorted(folders) == sorted(expected)
    page = write_report(world["course"], [A], tmp_path / "report.html").read_text()
    table = page[page.index("<h3>Rejected submissions"):page.index("<h3>Similar answer code</h3>")]
    assert table.count(f"owned by {eve}, not by {alice}&#39;s account") == 3 and "roster" in table
