"""Bad input gets one clear line, not a traceback, and changes nothing."""
from __future__ import annotations

from .conftest import dlgrader


def one_line_error(result) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    lines = [ln for ln in result.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("dlgrader: error:"), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_outside_a_course(tmp_path):
    msg = one_line_error(dlgrader(tmp_path, "grade", "ps1_gradient_descent", check=False))
    assert "no course found" in msg


def test_unknown_assignment(course):
    msg = one_line_error(dlgrader(course.root, "grade", "ps9_nope", check=False))
    assert "unknown assignment 'ps9_nope'" in msg and "ps2_softmax_cross_entropy" in msg


def test_grade_with_no_submissions(course):
    before = course.gradebook_path.read_bytes()
    msg = one_line_error(dlgrader(course.root, "grade", "ps4_quiz", check=False))
    assert "no submissions of ps4_quiz" in msg
    assert course.gradebook_path.read_bytes() == before


def test_grade_unknown_student(course):
    (course.submitted / "alice" / "ps4_quiz").mkdir(parents=True)
    msg = one_line_error(dlgrader(course.root, "grade", "ps4_quiz", "--student", "bob", check=False))
    assert "no submission of ps4_quiz for: bob" in msg


def test_demo_refuses_to_wipe_a_folder_it_did_not_make(tmp_path):
    from .conftest import ROOT
    keep = tmp_path / "precious"
    keep.mkdir()
    (keep / "thesis.tex").write_text("do not delete")
    msg = one_line_error(dlgrader(ROOT, "demo", "--workdir", str(keep), check=False))
    assert "not a demo folder" in msg
    assert (keep / "thesis.tex").read_text() == "do not delete"


def test_grade_only_the_chosen_students(course):
    import shutil

    from .conftest import notebook_path
    for student in ("alice", "bob", "carol"):
        dest = notebook_path(course.root, f"submitted/{student}", "ps4_quiz")
        dest.parent.mkdir(parents=True)
        shutil.copy(notebook_path(course.root, "release", "ps4_quiz"), dest)
    result = dlgrader(course.root, "grade", "ps4_quiz", "--student", "alice", "--student", "carol")
    assert "ps4_quiz: 2 graded" in result.stdout
    graded = sorted(p.name for p in course.autograded.iterdir())
    assert graded == ["alice", "carol"]
