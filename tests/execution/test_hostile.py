"""Hostile submissions, graded in one batch with honest ones by `dlgrader grade`'s engine.

Every attack rides on the same base submission (a softmax without the max shift, which loses
points honestly). An attack must gain nothing over that base, be flagged where it is code, leave
the honest submissions of the batch with their clean-batch scores, and change nothing outside the
sandbox.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
from pathlib import Path

import nbformat
import pytest

from dlgrader.course import Course
from dlgrader.execution.batch import grade_batch
from dlgrader.execution.engine import Limits
from dlgrader.gradebook.scores import submission_scores

from ..conftest import ROOT, mistake_book, notebook_path, read, sandbox_uid, submit_notebook
from .cohort import alternative_replacements, filled

A = "ps2_softmax_cross_entropy"
LIMITS = Limits(cell_seconds=3, call_seconds=2, notebook_seconds=60, max_restarts=6)
HONEST = ("honest-solution", "honest-alternative", "honest-mistake")
UIDS = sandbox_uid(66000)    # this module's sandboxes get their own uid range, apart from parallel tests


def base_notebook(root: Path):
    wrong = mistake_book().get("softmax", "no-max-shift").student_source()
    return filled(notebook_path(root, "source", A), {"softmax": wrong})


def with_cell(nb, code: str, after: int = 1):
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    nb.cells.insert(after + 1, nbformat.v4.new_code_cell(code))
    return nb


def replace_function(nb, name: str, code: str):
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    for cell in nb.cells:
        if cell.cell_type == "code" and f"def {name}(" in cell.source:
            cell.source = code
    return nb


def attacks(course: Course, port: int) -> dict:
    """name -> (notebook or raw text, expected flag text or None, extra files)."""
    base = base_notebook(course.root)
    src = notebook_path(course.root, "source", A)
    loop_softmax = ("def softmax(z):\n    z = np.asarray(z, dtype=float)\n    while len(z) > 3:\n        pass\n"
                    "    e = np.exp(z)\n    return e / e.sum()")
    frame_softmax = ("import sys\n\ndef softmax(z):\n    f = sys._getframe()\n    while f is not None:\n"
                     "        for key in ('expected', 'exp', 'ref'):\n            if key in f.f_locals:\n"
                     "                return f.f_locals[key]\n        f = f.f_back\n"
                     "    e = np.exp(np.asarray(z, dtype=float))\n    return e / e.sum()")
    no_test = nbformat.from_dict(json.loads(json.dumps(base)))
    no_test.cells = [c for c in no_test.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "ps2-softmax-test"]
    edited = nbformat.from_dict(json.loads(json.dumps(base)))
    for c in edited.cells:
        if c.metadata.get("nbgrader", {}).get("grade_id") == "ps2-softmax-test":
            c.source = "4.0"
    stripped = nbformat.from_dict(json.loads(json.dumps(base)))
    for c in stripped.cells:
        c.metadata = {}
    huge = nbformat.from_dict(json.loads(json.dumps(base)))       # 50 MB of stale output: graded on its sources
    huge.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="x" * (50 * 1024 * 1024))]
    huge_sources = with_cell(base, "# " + "x" * (21 * 1024 * 1024))
    non_utf8 = nbformat.writes(base).encode().replace(b"Problem set 2", b"Problem set \xff\xfe2", 1)
    assert b"\xff" in non_utf8
    return {
        "ipython-transformers": (with_cell(base, "get_ipython().input_transformers_cleanup.append(lambda lines: ['pass\\n'])"), "input_transformers_cleanup", ()),
        "showtraceback": (with_cell(base, "ip = get_ipython()\nip.showtraceback = lambda *a, **k: None"), "showtraceback", ()),
        "patch-numpy": (with_cell(base, "np.allclose = lambda *a, **k: True\nnp.isclose = lambda a, b, **k: np.ones(np.shape(a), bool)\nnp.all = lambda *a, **k: True"), "monkeypatches `np.allclose`", ()),
        "patch-builtins": (with_cell(base, "import builtins\nbuiltins.isinstance = lambda *a: True\nbuiltins.abs = lambda x: 0"), "touches builtins", ()),
        "shadow-numpy": (base, "shadow `numpy`", ("numpy.py",)),
        "import-reference": (with_cell(base, f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nimport reference\nsoftmax = reference.ps2.softmax"), "imports the course reference", ()),
        "import-grader": (with_cell(base, "from dlgrader.verdicts import reference as r\nsoftmax = r.load().ps2.softmax"), "grader's internals", ()),
        "frame-inspection": (replace_function(base, "softmax", frame_softmax), "inspects the caller's frame", ()),
        "gc-walk": (with_cell(base, "import gc\nfound = [o for o in gc.get_objects() if getattr(o, '__name__', '') == 'softmax']"), "walks the heap", ()),
        "read-source": (with_cell(base, f"print(open({str(src)!r}).read()[:100])"), "opens a file outside", ()),
        "write-gradebook": (with_cell(base, f"open({str(course.gradebook_path)!r}, 'w').write('')"), "opens a file outside", ()),
        "network": (with_cell(base, f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=1).sendall(b'leak')"), "network", ()),
        "infinite-loop-cell": (with_cell(base, "while True:\n    pass"), None, ()),
        "infinite-loop-function": (replace_function(base, "softmax", loop_softmax), None, ()),
        "memory-bomb": (with_cell(base, "hog = bytearray(64 * 1024**3)"), None, ()),
        "fork-storm": (with_cell(base, "import os\nwhile True:\n    os.fork()"), "forks processes", ()),
        "sys-exit": (with_cell(base, "import sys\nsys.exit(0)"), "exits the interpreter", ()),
        "os-exit": (with_cell(base, "import os\nos._exit(0)"), "kills its own process", ()),
        "kill-parent": (with_cell(base, "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"), "sends signals", ()),
        "print-flood": (with_cell(base, "for _ in range(20000):\n    print('spam' * 250)"), None, ()),
        "nbgrader-env": (with_cell(base, "import os\nif 'NBGRADER_EXECUTION' in os.environ:\n    raise SystemExit"), None, ()),
        "deleted-test-cell": (no_test, None, ()),
        "edited-test-cell": (edited, None, ()),
        "stripped-metadata": (stripped, None, ()),
        "huge-notebook": (huge, None, ()),
        "huge-sources": (huge_sources, None, ()),
        "non-utf8": (non_utf8, None, ()),
        "invalid-json": (nbformat.writes(base)[:500], None, ()),
    }


def tree_hash(*folders: Path) -> str:
    h = hashlib.sha256()
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                h.update(path.as_posix().encode() + path.read_bytes())
    return h.hexdigest()


def sandbox_uid_processes() -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if UIDS <= entry.stat().st_uid < UIDS + 1000:
                    out.append(int(entry.name))
            except FileNotFoundError:
                pass
    return out


def place_honest(course: Course) -> None:
    src = notebook_path(course.root, "source", A)
    from dlgrader.authoring.solutions import defined_name
    names = [defined_name(c.source) for c in read(src).cells if c.cell_type == "code"]
    submit_notebook(course, "honest-solution", A, filled(src))
    submit_notebook(course, "honest-alternative", A, filled(src, alternative_replacements(names)))
    submit_notebook(course, "honest-mistake", A, base_notebook(course.root))


@pytest.fixture(scope="module")
def batches(built_template, tmp_path_factory):
    os.environ["DLGRADER_SANDBOX_UID_BASE"] = str(UIDS)
    try:
        yield _batches(built_template, tmp_path_factory)
    finally:
        os.environ.pop("DLGRADER_SANDBOX_UID_BASE", None)


def _batches(built_template, tmp_path_factory):
    clean = Course(tmp_path_factory.mktemp("clean") / "course")
    shutil.copytree(built_template, clean.root)
    place_honest(clean)
    grade_batch(clean, A, limits=LIMITS)
    clean_scores = {s.student: s for s in submission_scores(clean, A)}

    course = Course(tmp_path_factory.mktemp("hostile") / "course")
    shutil.copytree(built_template, course.root)
    place_honest(course)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    cases = attacks(course, listener.getsockname()[1])
    for name, (nb, _, files) in cases.items():
        path = submit_notebook(course, f"attack-{name}", A, nb.decode("utf-8", "replace") if isinstance(nb, bytes) else nb)
        if isinstance(nb, bytes):
            path.write_bytes(nb)
        for extra in files:
            (path.parent / extra).write_text("def allclose(*a, **k):\n    return True\n")
    protected = tree_hash(course.source, course.reference, ROOT / "reference", ROOT / "source")
    run = grade_batch(course, A, limits=LIMITS)
    try:
        listener.accept()
        connected = True
    except BlockingIOError:
        connected = False
    listener.close()
    scores = {s.student: s for s in submission_scores(course, A)}
    after = tree_hash(course.source, course.reference, ROOT / "reference", ROOT / "source")
    return {"clean": clean_scores, "scores": scores, "run": run, "cases": cases, "connected": connected,
            "unchanged": protected == after, "course": course}


def test_honest_submissions_keep_their_clean_batch_scores(batches):
    for student in HONEST:
        clean, hostile = batches["clean"][student], batches["scores"][student]
        assert [(c.cell, c.score) for c in hostile.cells] == [(c.cell, c.score) for c in clean.cells], student
    assert batches["scores"]["honest-solution"].auto_score == batches["scores"]["honest-solution"].auto_max


@pytest.mark.parametrize("name", sorted([
    "ipython-transformers", "showtraceback", "patch-numpy", "patch-builtins", "shadow-numpy", "import-reference",
    "import-grader", "frame-inspection", "gc-walk", "read-source", "write-gradebook", "network",
    "infinite-loop-cell", "infinite-loop-function", "memory-bomb", "fork-storm", "sys-exit", "os-exit",
    "kill-parent", "print-flood", "nbgrader-env", "deleted-test-cell", "edited-test-cell", "stripped-metadata",
    "huge-notebook", "huge-sources", "non-utf8", "invalid-json"]))
def test_attack_gains_nothing_and_is_flagged(batches, name):
    base = batches["scores"]["honest-mistake"]
    sub = batches["scores"].get(f"attack-{name}")
    assert sub is not None, f"attack-{name} was not recorded"
    assert sub.auto_score <= base.auto_score, (name, sub.auto_score, base.auto_score)
    expected_flag = batches["cases"][name][1]
    if expected_flag:
        flags = batches["run"].flags.get(f"attack-{name}", [])
        assert any(expected_flag in f["what"] for f in flags), (name, flags)


def test_attacks_that_only_disturb_their_own_process_keep_the_honest_part(batches):
    base = batches["scores"]["honest-mistake"].auto_score
    for name in ("ipython-transformers", "showtraceback", "patch-numpy", "patch-builtins", "shadow-numpy",
                 "import-reference", "import-grader", "gc-walk", "read-source", "write-gradebook", "network",
                 "infinite-loop-cell", "memory-bomb", "sys-exit", "os-exit", "kill-parent", "print-flood",
                 "nbgrader-env", "deleted-test-cell", "edited-test-cell", "stripped-metadata", "frame-inspection",
                 "huge-notebook"):
        assert batches["scores"][f"attack-{name}"].auto_score == base, name


def test_unreadable_notebooks_are_recorded_for_a_person(batches):
    run = batches["run"]
    assert "attack-huge-notebook" not in run.unreadable         # stale outputs are not graded
    assert "21 MB without its outputs, over the 20 MB limit" in run.unreadable["attack-huge-sources"]
    assert "not UTF-8" in run.unreadable["attack-non-utf8"]
    assert "not valid JSON" in run.unreadable["attack-invalid-json"]
    for name in ("huge-sources", "non-utf8", "invalid-json"):
        assert batches["scores"][f"attack-{name}"].needs_manual


def test_runaway_submissions_are_reported(batches):
    stops = batches["run"].stops
    for name in ("infinite-loop-cell", "infinite-loop-function", "os-exit"):
        assert stops.get(f"attack-{name}"), name
    assert any("time limit" in s for s in stops["attack-infinite-loop-cell"])


def test_nothing_outside_the_sandbox_changed(batches):
    assert batches["unchanged"], "source/ or reference/ changed"
    assert not batches["connected"], "a submission reached the loopback listener"
    assert sandbox_uid_processes() == [], "sandbox processes survived the batch"
    course = batches["course"]
    assert len(submission_scores(course, A)) == len(HONEST) + len(batches["cases"])   # gradebook intact
