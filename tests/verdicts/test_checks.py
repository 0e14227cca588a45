"""The check library: points per check, plain messages, robustness to what student code returns."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from dlgrader.verdicts import Checks, Mistake
from dlgrader.verdicts.checks import normalise_option
from dlgrader.verdicts.compare import compare


def test_points_add_up_per_passed_check(capsys, monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    t = Checks("demo", {"double": lambda x: 2 * x, "broken": lambda x: x + 1})
    t.returns("double(2) = 4", "double", (2,), 4, points=1.5)
    t.returns("broken(2) = 4", "broken", (2,), 4, points=0.5)
    assert t.score() == 1.5
    out = capsys.readouterr().out
    assert "demo: 1.5 / 2 points" in out
    assert "[FAIL] (0/0.5) broken(2) = 4" in out and "is 3; 4 expected" in out


def two_checks(second_right: bool) -> Checks:
    t = Checks("softmax", {"f": lambda x: 2 * x if second_right else x})
    t.returns("f(0) = 0", "f", (0,), 0, points=0.5)
    t.returns("f(2) = 4 (the chapter's example)", "f", (2,), 4, points=0.5)
    return t


def test_on_the_students_side_a_cell_gives_no_partial_credit_value(capsys, monkeypatch):
    """Visible checks carry only part of a cell's points: returning them would read as a failure."""
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert two_checks(True).score() is None
    assert two_checks(False).score() is None                  # a plain run never stops Run All
    assert "[FAIL] (0/0.5) f(2) = 4" in capsys.readouterr().out


def test_under_validate_a_failed_visible_check_raises_naming_it_and_why(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "validate")
    assert two_checks(True).score() is None
    with pytest.raises(AssertionError) as info:
        two_checks(False).score()
    shown = info.value._render_traceback_()
    assert shown[0] == "VisibleChecksFailed: softmax: 1 visible check failed"
    assert "[FAIL] f(2) = 4 (the chapter's example)" in "\n".join(shown)
    assert "is 2; 4 expected" in "\n".join(shown)
    assert all(len(line) <= 80 for line in shown)             # validate cuts lines at 87 columns


def test_grading_returns_the_points_even_with_visible_checks_only(monkeypatch):
    from dlgrader.verdicts import checks
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    with checks.student_namespace({"f": lambda x: x}):        # how dlgrader's engine runs a cell
        t = Checks("f")
        t.returns("f(2) = 4", "f", (2,), 4, points=0.5)
        t.returns("f(0) = 0", "f", (0,), 0, points=0.5)
        assert t.score() == 0.5
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")     # stock nbgrader autograde
    assert two_checks(False).score() == 0.5


def test_missing_and_unfinished_functions_are_failed_checks_not_errors():
    def todo(x):
        raise NotImplementedError()
    t = Checks("x", {"todo": todo, "value": 3})
    t.returns("a", "nothere", (1,), 1)
    t.returns("b", "todo", (1,), 1)
    t.returns("c", "value", (1,), 1)
    msgs = [r.message for r in t.results]
    assert "`nothere` is not defined" in msgs[0]
    assert "not written yet" in msgs[1]
    assert "not a function" in msgs[2]
    assert t.earned == 0


def test_warnings_and_prints_inside_student_code_do_not_escape(capsys):
    def noisy(x):
        print("debug output")
        warnings.warn("careful", RuntimeWarning)
        return np.log(np.array([x, 0.0]))[0]
    t = Checks("n", {"noisy": noisy})
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # any leaked warning would raise here
        t.returns("log 1 = 0", "noisy", (1.0,), 0.0)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert t.earned == 1


def test_arguments_are_copied_so_student_mutation_cannot_change_the_check():
    def mutate(a):
        a[:] = 0
        return a.sum()
    data = np.ones(3)
    t = Checks("m", {"mutate": mutate})
    t.returns("sum is 0 after zeroing", "mutate", (data,), 0.0)
    np.testing.assert_array_equal(data, np.ones(3))


def test_named_mistake_by_value_and_by_error():
    wrong = Mistake("sq", "cube", "you cubed instead of squaring", fn=lambda x: x**3)
    boom = Mistake("sq", "shape", "shapes", error_pattern="could not be broadcast")
    t = Checks("sq", {"sq": lambda x: x**3})
    t.returns("sq(3) = 9", "sq", (3.0,), 9.0, mistakes=[wrong, boom])
    assert "you cubed instead of squaring" in t.results[0].message
    t2 = Checks("sq", {"sq": lambda x: np.ones((2, 3)) + np.ones((3, 2))})
    t2.returns("sq(3) = 9", "sq", (3.0,), 9.0, mistakes=[wrong, boom])
    assert "Common mistake: shapes" in t2.results[0].message
    # a mistake that gives the right answer on this input is not blamed
    t3 = Checks("sq", {"sq": lambda x: -1.0})
    t3.returns("sq(1) = 1", "sq", (1.0,), 1.0, mistakes=[wrong])
    assert "cubed" not in t3.results[0].message


@pytest.mark.parametrize("raw,expected", [("b", "b"), (" B ", "b"), ("(b)", "b"), ("b)", "b"),
                                          ("(C) ", "c"), ("e", None), ("ab", None), (2, None), (None, None)])
def test_option_normalisation(raw, expected):
    assert normalise_option(raw) == expected


def test_choice_hides_the_right_answer_and_names_the_misconception():
    t = Checks("Q8", {"Q8": "d"})
    t.choice("Q8 right", "Q8", "c", hints={"d": "KL is not symmetric."})
    assert "KL is not symmetric." in t.results[0].message
    assert "'c'" not in t.results[0].message


def test_answer_never_reveals_the_expected_value():
    t = Checks("B4", {"B4_BCE": 0.5})
    t.answer("bce", "B4_BCE", 0.1976, atol=5e-4)
    assert "0.1976" not in t.results[0].message and "0.1976" not in t.report()


@pytest.mark.parametrize("value,reason", [
    (None, "returned None"), ("text", "not a number"), ([1.0, 2.0], "shape (2,); shape (3,)"),
    ([1.0, np.nan, 3.0], "NaN"), ([1.0, np.inf, 3.0], "inf"), ([1.0, 2.5, 3.0], "index (1,)"),
])
def test_compare_says_what_is_wrong(value, reason):
    ok, why = compare(value, [1.0, 2.0, 3.0], atol=1e-8, rtol=1e-6)
    assert not ok and reason in why


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.integers(1, 6), elements=st.floats(-1e6, 1e6)))
def test_compare_accepts_lists_tuples_and_arrays_alike(values):
    for form in (values, values.tolist(), tuple(values.tolist())):
        assert compare(form, values, atol=0, rtol=0)[0]
    assert compare(values.reshape(-1, 1), values, atol=0, rtol=0, flexible_shape=True)[0]
