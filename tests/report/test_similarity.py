"""Similarity by winnowing: normalised tokens, fingerprints that survive renaming and reformatting,
and the pairs reported (copied answers found; starter code, common code and short answers ignored)."""
from __future__ import annotations

import keyword
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from dlgrader.report import similarity
from dlgrader.report.similarity import K, WINDOW, Submission, fingerprints, similar_pairs, tokens

COPIED = '''import numpy as np

def softmax(z):
    z = np.asarray(z, dtype=float)
    shifted = z - np.max(z)
    exps = np.exp(shifted)
    total = 0.0
    for value in exps:
        total += value
    return exps / total
'''
# the same answer with every name changed, comments, blank lines and other literals
DISGUISED = '''import numpy as numpy_mod
# my own work!!

def softmax(logits):
    logits = numpy_mod.asarray(logits, dtype=int)   # convert

    moved = logits - numpy_mod.max(logits)
    e = numpy_mod.exp(moved)
    s = 1
    for item in e:
        s += item
    return e / s
'''
# answers written independently (different structure), each well over MIN_TOKENS tokens
OTHERS = {
    "carol": "def softmax(z):\n    out = []\n    m = max(z)\n    for v in z:\n        out.append(2.718281828 ** (v - m))\n"
             "    s = sum(out)\n    return [o / s for o in out]\n",
    "dave": "import math\n\ndef softmax(z):\n    m = max(z)\n    ex = list(map(lambda v: math.exp(v - m), z))\n"
            "    return [e / sum(ex) for e in ex]\n",
    "erin": "import numpy as np\nsoftmax = lambda z: (lambda e: e / e.sum())(np.exp(np.asarray(z) - np.asarray(z).max()))\n"
            "print(softmax([1, 2, 3]), softmax([0, 0]))\n",
    "frank": "import numpy as np\n\nclass Soft:\n    def __call__(self, z):\n        z = np.array(z, float)\n"
             "        while False:\n            pass\n        e = np.exp(z - z.max())\n        return e / e.sum()\n\nsoftmax = Soft()\n",
    "grace": "def softmax(z):\n    try:\n        import numpy\n    except ImportError:\n        raise\n"
             "    e = numpy.exp(numpy.subtract(z, numpy.amax(z)))\n    return numpy.divide(e, numpy.sum(e))\n",
    "heidi": "from scipy.special import softmax as _sm\n\ndef softmax(z):\n    if len(z) == 0:\n        return z\n"
             "    result = _sm(z)\n    assert abs(result.sum() - 1) < 1e-9, 'bad'\n    return result\n",
}


def cohort(extra=None):
    subs = [Submission("alice", {"ps2-softmax": COPIED}), Submission("bob", {"ps2-softmax": DISGUISED})]
    subs += [Submission(name, {"ps2-softmax": code}) for name, code in OTHERS.items()]
    return subs + (extra or [])


def test_tokens_normalise_names_and_literals_and_drop_layout():
    code = "def f(x):\n    # a comment\n\n    return x + 1.5  # more\n"
    assert tokens(code) == [("def", 1), ("N", 1), ("(", 1), ("N", 1), (")", 1), (":", 1),
                            ("return", 4), ("N", 4), ("+", 4), ("L", 4)]
    assert tokens("s = 'a' \"b\" f'{x}'")[:2] == [("N", 1), ("=", 1)]


def test_unparsable_code_falls_back_to_words():
    assert tokens("x = (1,\ny") == [("x", 1), ("=", 1), ("(1,", 1), ("y", 2)]


def test_fewer_than_k_tokens_have_no_fingerprints_and_few_grams_keep_them_all():
    assert fingerprints("") == {} and fingerprints("x = 1") == {}
    code = "a = b + c + d"                        # 7 tokens: 2 grams, fewer than a window: both kept
    assert len(tokens(code)) == K + 1
    assert len(fingerprints(code)) == 2 and all(lines == {1} for lines in fingerprints(code).values())


def test_renaming_and_reformatting_keep_the_fingerprints():
    assert set(fingerprints(COPIED)) == set(fingerprints(DISGUISED))
    lines = sorted(set().union(*fingerprints(DISGUISED).values()))
    assert lines == [1, 4, 5, 7, 8, 9, 10, 11, 12]            # blank and comment-only lines never appear


NAMES = st.from_regex(r"[a-z_][a-z0-9_]{0,6}", fullmatch=True).filter(lambda n: not keyword.iskeyword(n))


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(["z", "shifted", "exps", "total", "value", "np", "softmax"]), NAMES))
def test_any_renaming_keeps_the_fingerprints(renames):
    renamed = re.sub(r"\b[A-Za-z_]\w*\b", lambda m: renames.get(m.group(), m.group()), COPIED)
    assert set(fingerprints(renamed)) == set(fingerprints(COPIED))


STATEMENT = st.builds(lambda t, a, op, b: f"{t} = {a} {op} {b}", NAMES, NAMES, st.sampled_from("+-*/%"),
                      st.one_of(NAMES, st.integers(0, 99).map(str)))
BLOCK = st.lists(STATEMENT, max_size=4)


@settings(max_examples=100, deadline=None)
@given(BLOCK, st.lists(STATEMENT, min_size=2, max_size=4), BLOCK, BLOCK)
def test_a_shared_run_of_k_plus_w_minus_1_tokens_always_shares_a_fingerprint(before, shared, after, other):
    """The winnowing guarantee: a common run of K + WINDOW - 1 tokens (two statements of five
    tokens here) always leaves a fingerprint in both, wherever it sits."""
    one = "\n".join(before + shared + after)
    two = "\n".join(other + shared)
    assert len(tokens("\n".join(shared))) >= K + WINDOW - 1
    assert set(fingerprints(one)) & set(fingerprints(two))


def test_the_copied_pair_is_reported_with_its_lines():
    [match] = similar_pairs(cohort(), ignore_code=[])
    assert (match.a, match.b, match.score) == ("alice", "bob", 1.0)
    # 18 fingerprints each; the 6 over `import numpy as np` / `def softmax(z):` are also in erin's,
    # frank's or grace's answers (3+ of 8 submissions: common code), so 12 count
    assert len(fingerprints(COPIED)) == 18 and match.shared == 12
    [(cell, lines_a, lines_b)] = match.sides
    assert cell == "ps2-softmax"
    assert lines_a == [4, 5, 6, 7, 8, 9, 10] and lines_b == [5, 7, 8, 9, 10, 11, 12]


def test_starter_or_solution_code_is_not_evidence():
    assert similar_pairs(cohort(), ignore_code=[COPIED]) == []


def test_code_most_students_share_is_not_evidence():
    # 10 submissions, limit max(2, int(0.25 * 10)) = 2: a third copy makes the code common
    subs = cohort([Submission("ivan", {"ps2-softmax": COPIED}),
                   Submission("judy", {"ps2-softmax": "def unrelated(a, b):\n    return [a[i] * b[i] for i in range(len(a)) if a[i] > 0 and b[i] < 10]\n"})])
    assert similar_pairs(subs, ignore_code=[]) == []
    two = similar_pairs(cohort(), ignore_code=[])
    assert [(m.a, m.b) for m in two] == [("alice", "bob")]


def test_short_answers_cannot_show_copying():
    short = "def softmax(z):\n    e = np.exp(z - z.max())\n    return e / e.sum()\n"
    assert len(tokens(short)) < similarity.MIN_TOKENS
    subs = [Submission("a", {"c": short}), Submission("b", {"c": short}), Submission("c", {"c": "x = 1"}),
            Submission("d", {"c": "y = 2"})]
    assert similar_pairs(subs, ignore_code=[]) == []


def test_a_partial_copy_below_the_threshold_is_not_reported(monkeypatch):
    half = COPIED + "\n".join(f"v{i} = [w * {i} for w in range({i}) if w % 2 == {i % 2}] + list(map(str, range({i})))"
                              for i in range(12)) + "\n"
    subs = cohort()
    subs[1] = Submission("bob", {"ps2-softmax": half})
    [match] = similar_pairs(subs, ignore_code=[])
    assert match.score == 1.0                                      # alice's prints are all in bob's
    monkeypatch.setattr(similarity, "THRESHOLD", 1.01)
    assert similar_pairs(cohort(), ignore_code=[]) == []


def test_pairs_are_sorted_by_score_then_named_in_order():
    altered = COPIED.replace("    for value in exps:\n        total += value\n", "    total = sum(list(exps))\n")
    subs = cohort([Submission("aaron", {"ps2-softmax": DISGUISED})])
    subs[1] = Submission("bob", {"ps2-softmax": altered})
    subs += [Submission(f"short{i}", {"ps2-softmax": "x = 1"}) for i in range(3)]   # 12: limit 3
    matches = similar_pairs(subs, ignore_code=[])
    assert [(m.a, m.b, m.score) for m in matches] == [("aaron", "alice", 1.0), ("aaron", "bob", 0.667),
                                                      ("alice", "bob", 0.667)]
