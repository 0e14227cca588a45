"""release/ is fresh, leaks nothing, and students cannot reach the reference."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from dlgrader.authoring.build import release_leaks
from dlgrader.authoring.solutions import SOLUTION_REGION

from ..conftest import ASSIGNMENTS, ROOT, notebook_path, read


def _normalised(path: Path) -> list:
    nb = read(path)
    return [(c.cell_type, c.source, c.metadata.get("nbgrader")) for c in nb.cells]


@pytest.mark.parametrize("assignment", sorted(ASSIGNMENTS))
def test_committed_release_matches_a_fresh_build(built_template, assignment):
    """The committed release/ equals what `dlgrader build` makes from source/ (rebuild and commit)."""
    fresh = notebook_path(built_template, "release", assignment)
    committed = notebook_path(ROOT, "release", assignment)
    assert _normalised(committed) == _normalised(fresh), \
        "release/ is stale: run `dlgrader build` and commit release/"


@pytest.mark.parametrize("assignment", sorted(ASSIGNMENTS))
def test_release_has_no_solution_hidden_test_or_reference(assignment):
    release = notebook_path(ROOT, "release", assignment)
    assert release_leaks(release) == []
    text = "\n".join(c.source for c in read(release).cells)
    source = read(notebook_path(ROOT, "source", assignment))
    for cell in source.cells:
        for region in SOLUTION_REGION.finditer(cell.source + "\n"):
            for line in region.group(1).splitlines():
                line = line.strip()
                if len(line) > 12 and not line.startswith("#"):
                    assert line not in text, f"solution line leaked: {line}"
    # hidden suites and reference modules are named nowhere
    assert not re.search(r"\b(suites|_dlgrader_reference|reference\.)\b", text)
    graded = [c for c in read(release).cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert graded and all("HIDDEN" not in c.source for c in graded)


def test_release_notebooks_run_for_a_student_without_reference_access(tmp_path):
    """In a student's folder (no course root, no grader environment) the reference cannot be
    imported, and the hidden-suite loader refuses with a clear message."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLGRADER_")}
    code = ("import importlib\n"
            "try:\n    importlib.import_module('reference')\n    print('IMPORTED')\n"
            "except ModuleNotFoundError:\n    print('no reference module')\n"
            "from dlgrader.verdicts import reference\n"
            "try:\n    reference.load()\n    print('LOADED')\n"
            "except reference.ReferenceUnavailable as exc:\n    print('refused:', exc)\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "no reference module" in proc.stdout
    assert "refused: hidden checks need the course reference" in proc.stdout


def test_release_notebook_executes_in_a_student_folder(tmp_path, monkeypatch):
    """A fetched copy runs top to bottom in a kernel: visible checks work and report the blanks
    as not written, without stopping the run or printing a score under the cell."""
    from nbclient import NotebookClient
    nb = read(notebook_path(ROOT, "release", "ps2_softmax_cross_entropy"))
    for name in [k for k in os.environ if k.startswith("DLGRADER_")]:
        monkeypatch.delenv(name)                 # the kernel inherits no grader variable
    client = NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "execute_result"]
    errors = [o.ename for o in outputs if o.output_type == "error"]
    assert set(errors) == {"NotImplementedError"}          # only the blank answer cells raise
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "not written yet" in text and "more checks run when your work is graded" in text


def test_build_refuses_a_source_that_would_leak(built_template, tmp_path):
    import shutil

    from ..conftest import dlgrader
    root = tmp_path / "course"
    shutil.copytree(built_template, root)
    src = notebook_path(root, "source", "ps4_quiz")
    nb = read(src)
    nb.cells[0].source += "\n\nUse the reference answers."
    nbformat.write(nb, str(src))
    result = dlgrader(root, "build", "ps4_quiz", check=False)
    assert result.returncode == 1
    assert "would leak 'reference'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
