"""`make demo` on a machine that cannot create the grading sandbox: the refusal names an option that
`dlgrader demo` accepts, and with it the demo runs to its grade table. The missing namespaces are
simulated by making the sandbox's probe report what such a machine reports."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from dlgrader.cli import main
from dlgrader.course import Course
from dlgrader.demo.run import run_demo
from dlgrader.errors import DlgraderError

from ..conftest import ROOT

NO_NAMESPACES = "PermissionError: [Errno 1] Operation not permitted (unshare)"


@pytest.fixture
def no_namespaces(monkeypatch):
    monkeypatch.setenv("DLGRADER_REFERENCE", "")        # the demo sets it; put it back afterwards
    monkeypatch.setattr("dlgrader.sandbox.isolation.probe", lambda hidden, uid: NO_NAMESPACES)


def test_the_refusal_names_an_option_the_demo_accepts(no_namespaces, tmp_path):
    with pytest.raises(DlgraderError) as info:
        run_demo(Course(ROOT), tmp_path / "demo", n_students=4, assignments=["ps4_quiz"])
    message = str(info.value)
    assert NO_NAMESPACES in message and "make demo DEMO_ARGS=--unsafe-no-sandbox" in message
    assert "--unsafe-no-sandbox" in CliRunner().invoke(main, ["demo", "--help"]).output
    assert "DEMO_ARGS" in (ROOT / "Makefile").read_text()


def test_with_the_option_the_demo_grades_anyway(no_namespaces, tmp_path):
    result = run_demo(Course(ROOT), tmp_path / "demo", n_students=4, assignments=["ps4_quiz"], unsafe=True)
    assert len(result["results"]["ps4_quiz"]) == 4 - len(result["failed"]["ps4_quiz"])
    assert result["feedback"]
