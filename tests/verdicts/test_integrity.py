"""The integrity scanner: what it names in a student's cell (and where), what it leaves alone, and
that no cell text makes it raise (it runs in the grader, outside the sandbox, on every answer)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from IPython.core.inputtransformer2 import TransformerManager

from dlgrader.verdicts.integrity import Flag, scan_cell, scan_files

TRANSFORM = TransformerManager().transform_cell      # what the grading workers pass (workers.py)


def found(source, transform=None):
    return [(f.line, f.what, f.code) for f in scan_cell(source, "ps2-softmax", transform)]


@pytest.mark.parametrize("source, expected", [
    ("import reference.ps2 as r", [(1, "imports the course reference (`reference.ps2`)", "import reference.ps2 as r")]),
    ("from _dlgrader_reference import ps2", [(1, "imports the course reference (`_dlgrader_reference`)",
                                              "from _dlgrader_reference import ps2")]),
    ("x = 1\nfrom dlgrader.verdicts import Checks",
     [(2, "imports the grader's internals (`dlgrader.verdicts`)", "from dlgrader.verdicts import Checks")]),
    ("import os, subprocess", [(1, "starts processes (`subprocess`)", "import os, subprocess")]),
    ("import os\nos.system('cat /etc/passwd')", [(2, "runs a shell command (`system(...)`)", "os.system('cat /etc/passwd')")]),
    ("data = open('/srv/grades.csv').read()",
     [(1, "opens a file outside its folder ('/srv/grades.csv')", "data = open('/srv/grades.csv').read()")]),
    ("open('../../reference/ps2.py')",
     [(1, "opens a file outside its folder ('../../reference/ps2.py')", "open('../../reference/ps2.py')")]),
    ("np.allclose = lambda *a, **k: True",
     [(1, "monkeypatches `np.allclose`", "np.allclose = lambda *a, **k: True")]),
    ("t.points['softmax'] += 4", [(1, "monkeypatches `t.points['softmax']`", "t.points['softmax'] += 4")]),
    ("np.linalg.norm: object = None", [(1, "monkeypatches `np.linalg.norm`", "np.linalg.norm: object = None")]),
    ("__builtins__ = {}", [(1, "replaces __builtins__", "__builtins__ = {}")]),
    ("f = lambda: 0\nf.__code__ = g.__code__",
     [(2, "touches interpreter internals (`.__code__`)", "f.__code__ = g.__code__")]),
    ("().__class__.__bases__[0].__subclasses__()",
     [(1, "touches interpreter internals (`.__subclasses__`)", "().__class__.__bases__[0].__subclasses__()")]),
    ("eval(code)\nexit()", [(1, "runs generated code (`eval(...)`)", "eval(code)"),
                            (2, "exits the interpreter (`exit(...)`)", "exit()")]),
])
def test_what_it_names(source, expected):
    assert found(source) == expected


def test_sys_modules_is_both_internals_and_a_monkeypatch_once_per_line():
    assert sorted(found("import sys\nsys.modules['numpy'] = fake\nsys.modules['numpy'] = fake")) == [
        (2, "monkeypatches `sys.modules['numpy']`", "sys.modules['numpy'] = fake"),
        (2, "touches interpreter internals (`.modules`)", "sys.modules['numpy'] = fake"),
        (3, "monkeypatches `sys.modules['numpy']`", "sys.modules['numpy'] = fake"),
        (3, "touches interpreter internals (`.modules`)", "sys.modules['numpy'] = fake"),
    ]


def test_the_same_finding_twice_on_one_line_is_reported_once():
    assert found("eval('1') + eval('2')") == [(1, "runs generated code (`eval(...)`)", "eval('1') + eval('2')")]


@pytest.mark.parametrize("source", [
    "import numpy as np\n\ndef softmax(z):\n    z = np.asarray(z, dtype=float)\n    e = np.exp(z - z.max())\n    return e / e.sum()",
    "import math\nfrom collections import Counter",
    "with open('notes.txt') as fh:\n    text = fh.read()",
    "result = my.allclose(a, b)\nobj.attr = 3\nx[0] = 1",
    "s = 'import reference; os.system(1)'   # only text",
    "def system(): pass",
    "",
    "def broken(:\n    pass",
    "%%timeit\nsoftmax(z)",
], ids=["honest", "stdlib", "relative-open", "own-objects", "in-a-string", "def-not-call", "empty",
        "syntax-error", "magic-untransformed"])
def test_what_it_leaves_alone(source):
    assert found(source) == []


def test_magics_are_scanned_after_the_ipython_transform():
    source = "%load_ext autoreload\nimport reference\n!ls /srv"
    assert found(source) == []                                     # not Python without the transform
    assert sorted(found(source, TRANSFORM)) == [
        (1, "reaches into the IPython shell (`get_ipython(...)`)", "get_ipython().run_line_magic('load_ext', 'autoreload')"),
        (2, "imports the course reference (`reference`)", "import reference"),
        (3, "reaches into the IPython shell (`get_ipython(...)`)", "get_ipython().system('ls /srv')"),
        (3, "runs a shell command (`system(...)`)", "get_ipython().system('ls /srv')"),
    ]
    plain = "import reference"
    assert found(plain, lambda s: pytest.fail("the transform is only for cells with magics")) == [
        (1, "imports the course reference (`reference`)", "import reference")]


def test_long_lines_are_cut_and_flags_serialise():
    [flag] = scan_cell("eval(" + "1 + " * 100 + "1)", "cell-7")
    assert len(flag.code) == 160 and flag.code.startswith("eval(1 + 1 + ")
    assert flag.to_dict() == {"cell": "cell-7", "line": 1, "what": "runs generated code (`eval(...)`)",
                              "code": flag.code}


@pytest.mark.parametrize("source", [
    "np" + ".a" * 400 + " = 1",          # parses; too deep for ast.unparse
    "x = " + "-" * 100_000 + "1",        # too deep for the parser
    "f" + "()" * 50_000,
], ids=["deep-attribute-target", "deep-unary", "deep-calls"])
def test_deeply_nested_code_does_not_crash_the_scan(source):
    flags = scan_cell(source, "c")
    assert all(isinstance(f, Flag) for f in flags)
    if source.startswith("np."):              # still named, quoting the source instead of unparsing
        assert [f.what[:30] for f in flags] == ["monkeypatches `np.a.a.a.a.a.a."]
    else:
        assert flags == []


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("()[]{}.,:;=+-*/%!?'\"#\n \tabnpxyz_0123456789")) | st.characters(),
               max_size=60))
def test_no_text_makes_the_scan_raise(source):
    for flag in scan_cell(source, "c", TRANSFORM) + scan_cell(source, "c"):
        assert flag.cell == "c" and flag.line >= 1


@pytest.mark.parametrize("names, expected", [
    (["numpy.py"], [("ships `numpy.py`, which would shadow `numpy`", "numpy.py")]),
    (["helpers/np.py", "data.csv", "sub/reference.pth", "os.so"],
     [("ships `np.py`, which would shadow `np`", "np.py"),
      ("ships `reference.pth`, which would shadow `reference`", "reference.pth"),
      ("ships `os.so`, which would shadow `os`", "os.so")]),
    (["numpy.cpython-311-x86_64-linux-gnu.so"],
     [("ships `numpy.cpython-311-x86_64-linux-gnu.so`, which would shadow `numpy`",
       "numpy.cpython-311-x86_64-linux-gnu.so")]),
    (["numpy.txt", "numpy", "mynumpy.py", "helpers.py", "Numpy.py", "numpy.py.bak"], []),
])
def test_scan_files_names_files_that_would_shadow_a_library(names, expected):
    flags = scan_files(names)
    assert [(f.what, f.code) for f in flags] == expected
    assert all(f.cell == "(files)" and f.line == 0 for f in flags)
