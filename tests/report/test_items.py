"""Item analysis (difficulty, point-biserial, upper/lower 27%, options), check failure rates and
misconception counts on small hand-computed cohorts."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlgrader.report.items import Item, check_failure_rates, item_analysis, misconception_counts


def row(cells, answers=None, key=None):
    return {"cells": cells, "answers": answers or {}, "key": key or {}}


# Strong students (by the rest of the test) fail B: a flawed item. C everyone gets.
#            A (2)   B (1)   C (1)   total
# s0         2       0       1       3
# s1         2       0       1       3
# s2         0       1       1       2
# s3         0       1       1       2
# s4         1       1       1       3
COHORT = [
    row({"A": (2, 2), "B": (0, 1), "C": (1, 1)}, {"B": "a"}, {"B": "c"}),
    row({"A": (2, 2), "B": (0, 1), "C": (1, 1)}, {"B": "b"}, {"B": "c"}),
    row({"A": (0, 2), "B": (1, 1), "C": (1, 1)}, {"B": "c"}, {"B": "c"}),
    row({"A": (0, 2), "B": (1, 1), "C": (1, 1)}, {"B": "c"}, {"B": "c"}),
    row({"A": (1, 2), "B": (1, 1), "C": (1, 1)}, {"B": "c"}, {"B": "c"}),
]


def test_no_rows_no_items():
    assert item_analysis([]) == []


def test_difficulty_discrimination_and_options_by_hand():
    a, b, c = item_analysis(COHORT)
    # totals [3, 3, 2, 2, 3]; stable order [2, 3, 0, 1, 4]; 27% of 5 rounds to 1: lower {s2}, upper {s4}
    assert (a.cell, a.max_score, a.difficulty) == ("A", 2.0, 0.5)
    assert a.point_biserial == pytest.approx(np.corrcoef([1, 1, 0, 0, .5], [1, 1, 2, 2, 2])[0, 1])
    assert a.point_biserial == pytest.approx(-1 / np.sqrt(1.2))            # cov -1.0, var 1.0 and 1.2
    assert a.upper_lower == 0.5                                   # s4 has 1/2, s2 0/2
    assert (b.cell, b.max_score, b.difficulty) == ("B", 1.0, 0.6)
    assert b.point_biserial == pytest.approx(np.corrcoef([0, 0, 1, 1, 1], [3, 3, 1, 1, 2])[0, 1])
    assert b.upper_lower == 0.0
    assert b.options == {"a": 1, "b": 1, "c": 3} and b.correct == "c"
    assert (c.cell, c.difficulty, c.point_biserial, c.upper_lower) == ("C", 1.0, None, 0.0)
    assert c.options == {} and c.correct is None
    assert [i.negative for i in (a, b, c)] == [True, True, False]


def test_the_upper_lower_index_needs_four_students_and_a_cell_missing_from_a_row_scores_zero():
    rows = [row({"A": (1, 1)}), row({"A": (0, 1), "B": (3, 4)}), row({"B": (4, 4)})]
    a, b = item_analysis(rows)
    assert (a.difficulty, a.upper_lower, b.upper_lower) == (pytest.approx(1 / 3), None, None)
    assert (b.max_score, b.difficulty) == (4.0, pytest.approx(7 / 12))


def test_a_cell_worth_nothing_does_not_divide_by_zero():
    [item] = item_analysis([row({"Q": (0, 0)}), row({"Q": (0, 0)})])
    assert (item.max_score, item.difficulty, item.point_biserial) == (1.0, 0.0, None)


def test_negative_is_either_index_below_zero():
    assert Item("x", 1, .5, -0.1, None).negative and Item("x", 1, .5, None, -0.2).negative
    assert not Item("x", 1, .5, 0.0, 0.0).negative and not Item("x", 1, .5, None, None).negative


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 3), min_size=3, max_size=3), min_size=1, max_size=12))
def test_indices_stay_in_range(scores):
    rows = [row({f"Q{i}": (s, 3) for i, s in enumerate(student)}) for student in scores]
    for item in item_analysis(rows):
        assert 0.0 <= item.difficulty <= 1.0 and item.max_score == 3.0
        assert item.point_biserial is None or -1.0 - 1e-9 <= item.point_biserial <= 1.0 + 1e-9
        assert (item.upper_lower is None) == (len(rows) < 4)
        assert item.upper_lower is None or -1.0 <= item.upper_lower <= 1.0


def rec(description, passed, mistake=None):
    return {"description": description, "passed": passed, "mistake": mistake}


SUBMISSIONS = [
    [("ps2-softmax-test", rec("sums to one", True)), ("ps2-softmax-test", rec("stable at 1000", False, "no-max-shift")),
     ("ps2-grad-test", rec("probs - onehot", False, "sign-flip")), ("ps2-grad-test", rec("shape", False, "sign-flip"))],
    [("ps2-softmax-test", rec("sums to one", True)), ("ps2-softmax-test", rec("stable at 1000", False, "no-max-shift")),
     ("ps2-grad-test", rec("probs - onehot", True))],
    [("ps2-softmax-test", rec("sums to one", False)), ("ps2-softmax-test", rec("stable at 1000", True)),
     ("ps2-grad-test", rec("probs - onehot", True)), ("ps2-grad-test", rec("shape", True))],
    [],
]


def test_check_failure_rates_most_failed_first():
    assert check_failure_rates(SUBMISSIONS) == [
        ("ps2-softmax-test", "stable at 1000", 2, 3),           # 2/3
        ("ps2-grad-test", "shape", 1, 2),                       # 1/2
        ("ps2-grad-test", "probs - onehot", 1, 3),              # 1/3, cell name breaks the tie
        ("ps2-softmax-test", "sums to one", 1, 3),
    ]
    assert check_failure_rates([]) == []


def test_misconceptions_count_submissions_not_checks():
    assert misconception_counts(SUBMISSIONS) == [("no-max-shift", 2), ("sign-flip", 1)]
    assert misconception_counts([[("c", rec("d", False))]]) == []
