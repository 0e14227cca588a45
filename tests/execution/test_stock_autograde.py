"""Stock `nbgrader autograde`, run from the course root as Formgrader's button runs it, grades in
dlgrader's sandbox (nbgrader_config.py: SandboxedExecute in Autograde.autograde_preprocessors): a
submission whose `softmax` writes on the host and globs the reference writes nothing, the honest
one beside it gets its full score, and the scores are the ones `dlgrader grade` gives."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dlgrader.gradebook.scores import submission_scores

from ..conftest import notebook_path, sandbox_uid, submit_notebook
from .cohort import filled

A = "ps2_softmax_cross_entropy"
UIDS = sandbox_uid(68000)    # this module's sandboxes, apart from parallel tests


def hostile_softmax(escape: Path, course_root: Path) -> str:
    """A right softmax that, first, lists the reference and writes the list (and its uid) on the host."""
    return (
        "import glob, os\n\n"
        "def softmax(z):\n"
        "    try:\n"
        f"        ref = os.environ.get('DLGRADER_REFERENCE') or {str(course_root / 'reference')!r}\n"
        "        found = glob.glob(os.path.join(ref, '**', '*.py'), recursive=True)\n"
        f"        with open(os.path.join({str(escape)!r}, 'uid-%d' % os.getuid()), 'w') as fh:\n"
        "            fh.write('\\n'.join(found))\n"
        "    except Exception:\n"
        "        pass\n"
        "    z = np.asarray(z, dtype=float)\n"
        "    e = np.exp(z - z.max())\n"
        "    return e / e.sum()\n")


def typed(root: Path, tool: str, *args: str, uids: int = UIDS) -> subprocess.CompletedProcess:
    """`TOOL ARGS` typed in the course root: no flags, no dlgrader variables but the sandbox uids."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLGRADER_")}
    env.update(DLGRADER_SANDBOX_UID_BASE=str(uids),
               PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]))
    module = {"nbgrader": "nbgrader", "dlgrader": "dlgrader.cli"}[tool]
    return subprocess.run([sys.executable, "-m", module, *args], cwd=root, env=env, capture_output=True,
                          text=True, timeout=600)


def scores(course) -> dict:
    return {s.student: (s.score, {c.cell: c.score for c in s.cells}) for s in submission_scores(course, A)}


@pytest.fixture
def escape(tmp_path) -> Path:
    folder = tmp_path / "escape"
    folder.mkdir()
    folder.chmod(0o777)     # writable by any uid: only the sandbox's view keeps the write out
    return folder


def test_stock_autograde_runs_student_code_in_the_sandbox(course, escape):
    src = notebook_path(course.root, "source", A)
    submit_notebook(course, "honest", A, filled(src))
    submit_notebook(course, "hostile", A, filled(src, {"softmax": hostile_softmax(escape, course.root)}))

    for student in ("honest", "hostile"):
        done = typed(course.root, "nbgrader", "autograde", A, "--student", student)
        assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(os.listdir(escape)) == []          # nothing written on the host, as any uid
    stock = scores(course)
    assert stock["honest"][0] == 13.0 and stock["hostile"][0] == 13.0, stock
    autograded = (course.autograded / "hostile" / A / "softmax_cross_entropy.ipynb").read_text()
    assert "[PASS]" in autograded and "dlgrader" in autograded     # the sandboxed engine's check reports

    done = typed(course.root, "dlgrader", "grade", A, "--force")    # dlgrader's own grading
    assert done.returncode == 0, done.stdout + done.stderr
    assert scores(course) == stock
    assert sorted(os.listdir(escape)) == []


def test_without_a_sandbox_the_notebook_fails_with_the_reason_and_nothing_runs(course, escape):
    """A sandbox that cannot drop root (its uid is (uid_t)-1, which setuid ignores): the notebook is not
    graded, saying why in one line, and the student's code never ran (no fall-back to a kernel)."""
    src = notebook_path(course.root, "source", A)
    submit_notebook(course, "hostile", A, filled(src, {"softmax": hostile_softmax(escape, course.root)}))
    done = typed(course.root, "nbgrader", "autograde", A, "--student", "hostile", uids=2**32 - 1)
    assert done.returncode != 0
    lines = [line for line in (done.stdout + done.stderr).splitlines() if "not graded: " in line]
    assert len(lines) == 1 and "sandbox" in lines[0], done.stdout + done.stderr
    assert sorted(os.listdir(escape)) == []
    assert not (course.autograded / "hostile" / A / "softmax_cross_entropy.ipynb").exists()


def test_the_notebook_handed_to_nbgrader_keeps_nbgraders_metadata_and_no_widget_state():
    """merged(): the graded cells, with the nbgrader metadata of nbgrader's sanitized cells (the
    checksum SaveAutoGrades compares), and no notebook-level widget state (it loads code)."""
    import nbformat

    from dlgrader.execution.nbgrader_execute import merged
    v4 = nbformat.v4
    kernel = {"name": "python3", "display_name": "Python 3"}
    sanitized = v4.new_notebook(metadata={"kernelspec": kernel, "widgets": {"state": "<script>"}})
    sanitized.cells = [v4.new_code_cell("x = 1", metadata={"nbgrader": {"grade_id": "a", "checksum": "nbg"}})]
    graded = v4.new_notebook()
    answer = v4.new_code_cell("x = 1", metadata={"nbgrader": {"grade_id": "a", "checksum": "src"}})
    answer.outputs = [v4.new_output("stream", text="ran in the sandbox\n")]
    graded.cells = [answer, v4.new_code_cell("restored test", metadata={"nbgrader": {"grade_id": "t"}})]
    out = merged(sanitized, graded)
    assert [c.source for c in out.cells] == ["x = 1", "restored test"]
    assert out.cells[0].metadata.nbgrader.checksum == "nbg" and out.cells[0].outputs[0].text.startswith("ran")
    assert out.cells[1].metadata.nbgrader == {"grade_id": "t"}
    assert "widgets" not in out.metadata and out.metadata.kernelspec.name == "python3"
