"""HideTestTracebacks as it really runs: listed by name in the course's nbgrader_config.py, loaded by
nbgrader's GenerateFeedback (which registers configured preprocessors the nbconvert way). A graded
test cell's traceback, which can quote hidden test code, becomes its one-line summary; other cells
keep theirs."""
from __future__ import annotations

import os
import shutil
import sys

import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

from dlgrader.feedback_html.preprocessors import HideTestTracebacks

from ..conftest import ROOT

HIDDEN = "t.hidden('softmax', secret_case=42)"
TRACEBACK = ["\x1b[0;31mNameError\x1b[0m  Traceback (most recent call last)",
             f"Cell In[7], line 3\n      1 from dlgrader.verdicts import Checks\n----> 3 {HIDDEN}",
             "\x1b[0;31mNameError\x1b[0m: name 'softmax' is not defined"]
STUDENT_TB = ["ZeroDivisionError  Traceback (most recent call last)", "----> 1 1 / 0  # my own line",
              "ZeroDivisionError: division by zero"]


def meta(gid, **flags):
    return {"nbgrader": {"grade_id": gid, "schema_version": 3, "grade": False, "solution": False,
                         "locked": False, "task": False, **flags}}


def error(ename, evalue, tb):
    return new_output("error", ename=ename, evalue=evalue, traceback=tb)


def graded_notebook():
    return new_notebook(cells=[
        new_code_cell("1 / 0", metadata=meta("mine", solution=True),
                      outputs=[error("ZeroDivisionError", "division by zero", STUDENT_TB)]),
        new_code_cell(HIDDEN, metadata=meta("t1", grade=True, locked=True, points=2),
                      outputs=[new_output("stream", name="stdout", text="[PASS] (1/1) shape\n"),
                               error("NameError", "name 'softmax' is not defined", TRACEBACK)]),
        new_code_cell("raise ValueError('manual')", metadata=meta("m1", grade=True, solution=True, points=1),
                      outputs=[error("ValueError", "manual", ["ValueError  Traceback", "----> 1 raise"])]),
    ])


def test_the_preprocessor_replaces_only_test_cell_tracebacks():
    nb, _ = HideTestTracebacks(enabled=True).preprocess(graded_notebook(), {})
    assert nb.cells[1].outputs[1].traceback == ["NameError: name 'softmax' is not defined"]
    assert nb.cells[1].outputs[0].text == "[PASS] (1/1) shape\n"
    assert nb.cells[0].outputs[0].traceback == STUDENT_TB
    assert nb.cells[2].outputs[0].traceback == ["ValueError  Traceback", "----> 1 raise"]


def gradebook(root):
    """A real SQLite gradebook for the notebook: assignment ps9, alice's graded submission."""
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "dl-math-toolkit") as gb:
        gb.add_assignment("ps9")
        gb.add_notebook("nb", "ps9")
        gb.add_grade_cell("t1", "nb", "ps9", max_score=2, cell_type="code")
        gb.add_grade_cell("m1", "nb", "ps9", max_score=1, cell_type="code")
        gb.add_solution_cell("mine", "nb", "ps9")
        gb.add_solution_cell("m1", "nb", "ps9")
        gb.add_student("alice")
        gb.add_submission("ps9", "alice")
        gb.find_grade("t1", "nb", "ps9", "alice").auto_score = 1
        gb.db.commit()


def test_generate_feedback_with_the_course_config_hides_the_test_traceback(tmp_path, monkeypatch):
    """Through nbgrader's own GenerateFeedback app on a course folder with the course's config."""
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    root = tmp_path / "course"
    root.mkdir()
    shutil.copy2(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    folder = root / "autograded" / "alice" / "ps9"
    folder.mkdir(parents=True)
    nbformat.write(graded_notebook(), str(folder / "nb.ipynb"))
    (root / "source" / "ps9").mkdir(parents=True)

    monkeypatch.setenv("PATH", os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")]))
    gradebook(root)
    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    assert "dlgrader.feedback_html.preprocessors.HideTestTracebacks" in config.GenerateFeedback.preprocessors
    assert config.CourseDirectory.root == str(root)
    monkeypatch.chdir(root)
    api = NbGraderAPI(config=Config(config))
    result = api.generate_feedback("ps9", student_id="alice", force=True)
    assert result["success"], (result.get("log") or "")[-3000:]
    page = (root / "feedback" / "alice" / "ps9" / "nb.html").read_text()
    assert "Cell In[7]" not in page, "the test cell's traceback (quoting hidden test code) is on the page"
    assert "NameError: name &#39;softmax&#39; is not defined" in page or "NameError: name 'softmax' is not defined" in page
    assert "my own line" in page                               # the student's own traceback stays
