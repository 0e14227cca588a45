"""`dlgrader doctor`: passes on the default layout after `dlgrader build` and `dlgrader release` (with a
submission in the exchange and feedback released through nbgrader's own release_feedback), and finds
each planted exposure with a non-zero exit, one line naming it and the chmod/chown that fixes it:
looking as root through a child that became `nobody` (or --as a student account made here), and
without root, judging from the modes."""
from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import pytest

from dlgrader import nbgrader_cli
from dlgrader.collection import student as exchange_student
from dlgrader.course import Course

from .accounts import as_account, cloned_course
from .conftest import dlgrader

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="trying as another account needs root")
A = "ps4_quiz"


@pytest.fixture(scope="module")
def course(built_template):
    """The built course with a clone's modes, built and released again the default way, with one
    submission in the exchange's inbound and one student's feedback released."""
    root = cloned_course(built_template)
    where = root.parent
    with open(root / "nbgrader_config.py", "a") as config:        # where this course's exchange is
        config.write(f"\nc.Exchange.root = {str(root / 'exchange')!r}\n"
                     "c.DlgraderCollect.accounts = {}\n")     # the safe default, not the suite's single account
    os.environ["DLGRADER_EXCHANGE"] = str(root / "exchange")
    course = Course(root)
    try:
        dlgrader(root, "build", A)
        dlgrader(root, "release", A)
        work = where / "carol"
        exchange_student.fetch(course, work, "carol", A)
        exchange_student.submit(course, work, "carol", A)
        page = root / "feedback" / "carol" / A
        page.mkdir(parents=True)
        (page / "quiz.html").write_text("<p>carol's feedback</p>")
        (page / "timestamp.txt").write_text("2026-01-01 00:00:00.000000 UTC")
        (page / "submission_secret.txt").write_text("a-secret-of-carols-submission")
        nbgrader_cli.run(course, "release_feedback", A, log_name="release-feedback")
        assert list((root / "exchange" / course.course_id / "feedback").glob("*.html"))
        yield course
    finally:
        del os.environ["DLGRADER_EXCHANGE"]
        shutil.rmtree(where)


def doctor(course: Course, *args: str):
    done = dlgrader(course.root, "doctor", *args, check=False)
    assert "Traceback" not in done.stderr, done.stderr
    exposed = [line for line in done.stdout.splitlines() if line.startswith("EXPOSED: ")]
    return done, exposed


@contextlib.contextmanager
def mode(path: Path, new: int):
    old = path.stat().st_mode & 0o7777
    path.chmod(new)
    try:
        yield
    finally:
        path.chmod(old)


def test_passes_on_the_default_layout(course):
    done, exposed = doctor(course)
    assert done.returncode == 0, done.stdout + done.stderr
    assert exposed == []
    assert "tried as nobody" in done.stdout
    assert "no exposures" in done.stdout


def test_finds_a_gradebook_readable_by_others(course):
    db = course.root / "gradebook.db"
    with mode(db, 0o644):
        done, exposed = doctor(course)
    assert done.returncode == 1
    assert exposed == [f"EXPOSED: nobody (uid 65534) can read {db}: everyone's grades — fix: chmod 600 {db}"]
    assert doctor(course)[0].returncode == 0


def test_finds_a_reference_others_can_list_and_read(course):
    ref = course.root / "reference"
    with mode(ref, 0o755):
        done, exposed = doctor(course)
    assert done.returncode == 1
    [line] = exposed
    assert line.startswith("EXPOSED: nobody (uid 65534) can list and read ")
    assert f"file(s) in {ref} (e.g. {ref}/" in line
    assert line.endswith(f"— fix: chmod 700 {ref}")


def test_finds_an_exchange_root_writable_without_the_sticky_bit(course):
    root = course.exchange
    with mode(root, 0o777):
        done, exposed = doctor(course)
    assert done.returncode == 1
    assert exposed == [f"EXPOSED: the exchange root {root} is writable by every account without the sticky bit: "
                       f"a student can rename the course folder and put up her own — fix: chmod 1777 {root}"]


def test_finds_a_course_folder_owned_by_a_student(course, accounts):
    student = accounts.add("eve")
    folder = course.exchange / course.course_id
    os.chown(folder, student.pw_uid, student.pw_gid)
    try:
        done, exposed = doctor(course)
    finally:
        os.chown(folder, 0, 0)
    assert done.returncode == 1
    assert exposed == [f"EXPOSED: {folder} is owned by {student.pw_name}, not the instructor's (root): its owner "
                       f"can replace what students fetch and read what they submit — fix: chown -R root {folder}"]


def test_finds_other_students_feedback_readable(course, accounts):
    student = accounts.add("dan")
    feedback = course.exchange / course.course_id / "feedback"
    with mode(feedback, 0o755):
        done, exposed = doctor(course, "--as", student.pw_name)
    assert done.returncode == 1
    [line] = exposed
    assert line.startswith(f"EXPOSED: {student.pw_name} (uid {student.pw_uid}) can list and read what it lists in "
                           f"{feedback} (e.g. {feedback}/")
    assert line.endswith(f"every student's released feedback — fix: chmod o-r {feedback}")


def test_finds_inbound_listable_and_outbound_writable(course):
    folder = course.exchange / course.course_id
    with mode(folder / "inbound", 0o2777), mode(folder / "outbound", 0o777):
        done, exposed = doctor(course)
    assert done.returncode == 1
    assert len(exposed) == 2
    assert f"can list and read what it lists in {folder / 'inbound'} (e.g. {folder / 'inbound'}/" in exposed[1]
    assert exposed[1].endswith(f"every student's submission — fix: chmod o-r {folder / 'inbound'}")
    assert f"can create files in {folder / 'outbound'}: what students fetch — fix: chmod go-w" in exposed[0]


def test_without_root_it_judges_from_the_modes_and_says_so(course, accounts):
    """Run by an ordinary account (a forked child of the test: this Python lives under /root), the doctor
    cannot switch users; the modes tell it the gradebook is readable by others."""
    from dlgrader.doctor import examine
    ta = accounts.add("ta2")

    def look(root: str):
        report = examine(Course(Path(root)))
        return {"tried": report.tried, "notes": report.notes, "lines": [e.line() for e in report.exposures]}

    clean = as_account(ta, look, str(course.root))
    assert not clean["tried"] and clean["lines"] == []
    assert clean["notes"][0].startswith("not root: judged from the modes")
    db = course.root / "gradebook.db"
    with mode(db, 0o644):
        seen = as_account(ta, look, str(course.root))
    assert seen["lines"] == [f"EXPOSED: an account outside the files' groups can read {db}: everyone's grades "
                             f"— fix: chmod 600 {db}"]


def test_refuses_root_and_unknown_accounts_in_one_line(course):
    for name, says in (("root", "root is root: name an unprivileged account"),
                       ("no-such-dlgd", "no Unix account named 'no-such-dlgd'")):
        done = dlgrader(course.root, "doctor", "--as", name, check=False)
        assert done.returncode == 1 and done.stderr.strip().startswith(f"dlgrader: error: {says}")


def test_finds_a_database_password_in_a_readable_config(course, monkeypatch):
    """nbgrader_config.py must stay readable unless it holds the database's password."""
    from dlgrader.doctor import examine
    url = "postgresql://grader:s3cret-dlgd@127.0.0.1/dl"
    config = course.root / "nbgrader_config.py"
    before = config.read_text()
    monkeypatch.setenv("DLGRADER_DB_URL", url)
    config.write_text(before + f"\nc.CourseDirectory.db_url = {url!r}\n")
    try:
        exposed = [e.line() for e in examine(course).exposures]
        config.chmod(0o600)
        after_fix = [e.line() for e in examine(course).exposures]
    finally:
        config.write_text(before)
        config.chmod(0o644)
    assert exposed == [f"EXPOSED: nobody (uid 65534) can read {config}: the gradebook's database password "
                       f"— fix: chmod 600 {config}"]
    assert after_fix == []


STOCK_EXECUTE = ('c.Autograde.autograde_preprocessors = ["nbgrader.preprocessors.Execute", '
                 '"nbgrader.preprocessors.SaveAutoGrades"]')


@pytest.mark.parametrize("line, says", [
    (STOCK_EXECUTE, ["stock `nbgrader autograde` and Formgrader's Autograde button run student code in a kernel",
                     "also runs nbgrader.preprocessors.Execute: student code in a kernel outside the sandbox"]),
    ('c.ExchangeFactory.collect = "nbgrader.exchange.default.collect.ExchangeCollect"',
     ["stock `nbgrader collect` and Formgrader's button use nbgrader's own exchange step"]),
    ("c.DlgraderCollect.accounts = {'*': 'root'}",
     ["sets single-account mode (c.DlgraderCollect.accounts = {'*': 'root'}): any account that can write to "
      "the exchange submits as any student"]),
])
def test_finds_a_configuration_that_bypasses_the_sandbox_or_the_identity_checks(course, line, says):
    """nbgrader_config.py decides what stock nbgrader and Formgrader's buttons run: an Autograde chain
    with nbgrader's Execute, nbgrader's own collect step, or single-account mode is an exposure."""
    config = course.root / "nbgrader_config.py"
    before = config.read_text()
    config.write_text(before + "\n" + line + "\n")
    try:
        done, exposed = doctor(course)
    finally:
        config.write_text(before)
    assert done.returncode == 1
    assert len(exposed) == len(says), exposed
    for text, found in zip(says, exposed):
        assert text in found, found
    assert doctor(course)[0].returncode == 0


def test_finds_a_root_owned_folder_above_the_course_anyone_may_write(course):
    """A folder above the course (root's, 0777 without the sticky bit): anyone can rename the course
    away and put up a nbgrader_config.py of their own, which the grader then runs."""
    above = course.root.parent
    with mode(above, 0o777):
        done, exposed = doctor(course)
    assert done.returncode == 1
    assert exposed == [f"EXPOSED: {above} (above the course or the exchange) is writable by every account without "
                       f"the sticky bit: anyone can replace what lies below it — fix: chmod o-w {above}"]


def test_a_deep_tree_in_inbound_does_not_stop_the_doctor(course):
    """Students make what lies in inbound/: 1200 nested folders in a submission (deeper than Python's
    recursion limit) used to end the doctor with a RecursionError traceback."""
    import subprocess
    inbound = course.exchange / course.course_id / "inbound"
    [submission] = [p for p in inbound.iterdir() if p.is_dir()][:1]
    top = submission / "d"
    path = top
    for _ in range(1200):
        path.mkdir()
        path = path / "d"
    try:
        done, exposed = doctor(course)                  # (doctor() asserts no traceback)
    finally:
        subprocess.run(["rm", "-rf", str(top)], check=True)
    assert done.returncode == 0 and exposed == [], done.stdout + done.stderr
