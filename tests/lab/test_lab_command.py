"""`dlgrader lab` without a browser: what each server is started with."""
from __future__ import annotations

import pytest

from dlgrader.course import Course
from dlgrader.errors import DlgraderError
from dlgrader.lab import lab

from ..conftest import ROOT, copy_course


@pytest.fixture
def course(tmp_path):
    return Course(copy_course(tmp_path / "course"))


def test_instructor_server_runs_in_the_course_root_with_the_graders_environment(course):
    cmd, cwd, env = lab(course, port=8899, token="t", open_browser=False)
    assert cwd == course.root and f"--ServerApp.root_dir={course.root}" in cmd
    assert "--port=8899" in cmd and "--IdentityProvider.token=t" in cmd
    assert env["DLGRADER_REFERENCE"] == str(course.reference)


def test_student_server_has_its_own_config_and_no_path_to_the_reference(course, tmp_path, monkeypatch):
    monkeypatch.setenv("DLGRADER_REFERENCE", str(ROOT / "reference"))
    cmd, cwd, env = lab(course, student="alice", home=tmp_path / "alice", port=8899, open_browser=False,
                        extra=("--ServerApp.log_level=DEBUG",))
    assert cwd == tmp_path / "alice" and cmd[-1] == "--ServerApp.log_level=DEBUG"
    assert not [k for k in env if k.startswith("DLGRADER_")]
    config = (cwd / "nbgrader_config.py").read_text()
    assert "c.CourseDirectory.student_id = 'alice'" in config
    assert f"c.Exchange.root = {str(course.exchange)!r}" in config
    assert "c.CourseDirectory.course_id = 'dl-math-toolkit'" in config


@pytest.mark.parametrize("student, home", [("alice", "inside"), ("a+b", None), ("", None)])
def test_bad_student_set_ups_are_refused(course, student, home):
    with pytest.raises(DlgraderError):
        lab(course, student=student, home=course.root / "students" / "alice" if home else None)
    assert not (course.root / "students").exists()
