"""dlgrader's settings come from the course's nbgrader_config.py (c.Dlgrader...), and reach the engine."""
from __future__ import annotations

import nbformat
import pytest
from dlgrader import settings
from dlgrader.errors import DlgraderError
from dlgrader.execution.batch import grade_batch

from ..conftest import notebook_path, submit_notebook
from ..execution.cohort import filled

PS1 = "ps1_gradient_descent"


def configure(course, *lines: str) -> None:
    path = course.root / "nbgrader_config.py"
    path.write_text(path.read_text() + "\n" + "\n".join(lines) + "\n")


def test_settings_are_read_from_nbgrader_config(course):
    assert settings.load(course).level("ps4_quiz", after_due=False) == "nothing"   # the course's own
    configure(course, "c.Dlgrader.call_seconds = 2.5", "c.Dlgrader.memory_mb = 900",
              "c.Dlgrader.feedback_before_due = {'ps2_softmax_cross_entropy': 'score'}")
    s = settings.load(course)
    limits = s.limits()
    assert limits.call_seconds == 2.5 and limits.memory_bytes == 900 * 2**20
    assert s.level("ps2_softmax_cross_entropy", after_due=False) == "score"
    assert s.level("ps4_quiz", after_due=False) == "checks"       # the dict above replaced the course's
    assert s.level("ps1_gradient_descent", after_due=False) == "checks"
    assert s.level("ps1_gradient_descent", after_due=True) == "everything"
    assert s.secret_path(course) == course.root / ".dlgrader-secret"
    assert "Wall-clock seconds" in settings.Dlgrader.class_get_trait_help(settings.Dlgrader.cell_seconds)


def test_an_unknown_feedback_level_is_refused(course):
    configure(course, "c.Dlgrader.feedback_before_due = {'ps4_quiz': 'all of it'}")
    with pytest.raises(DlgraderError, match=r"c\.Dlgrader\.feedback_before_due = .*'all of it'.* must be any "
                                            r"of \['everything', 'checks', 'score', 'nothing'\]"):
        settings.load(course)


def test_the_cell_limit_set_in_nbgrader_config_stops_a_slow_cell(course):
    configure(course, "c.Dlgrader.cell_seconds = 1")
    nb = filled(notebook_path(course.root, "source", PS1))
    nb.cells.insert(2, nbformat.v4.new_code_cell("import time\ntime.sleep(4)"))
    submit_notebook(course, "slow", PS1, nb)
    result = grade_batch(course, PS1)
    assert any("time limit" in stop for stop in result.stops.get("slow", [])), result.stops
