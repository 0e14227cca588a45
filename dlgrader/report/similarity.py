"""Similar answer code across submissions, by winnowing fingerprints (Schleimer, Wilkerson, Aiken).

Each answer cell is tokenised; names become N, literals L, and comments, blank lines and indentation
are dropped, so renaming variables or reformatting does not hide a copy. Hashes of every k tokens are
winnowed (the smallest hash in each window of w). Fingerprints that also occur in the release's starter
code, the instructor's solutions, the reference's known-mistake code, or in more than a quarter of
all submissions are ignored: code everyone writes alike is not evidence, and neither are answers shorter than MIN_TOKENS tokens.
A pair is reported when
their shared fingerprints cover at least THRESHOLD of the smaller submission and number at least
MIN_SHARED.
"""
from __future__ import annotations

import io
import keyword
import tokenize
import zlib
from dataclasses import dataclass, field
from itertools import combinations

K = 6
WINDOW = 4
THRESHOLD = 0.6
MIN_SHARED = 6
COMMON_FRACTION = 0.25
MIN_TOKENS = 30          # shorter answers (a quiz letter, a one-line formula) cannot show copying

_SKIP = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
         tokenize.ENCODING, tokenize.ENDMARKER}


def tokens(code: str) -> list[tuple[str, int]]:
    """Normalised (token, line) pairs; unparsable code falls back to whitespace-split words."""
    out = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type in _SKIP:
                continue
            if tok.type == tokenize.NAME:
                text = tok.string if keyword.iskeyword(tok.string) else "N"
            elif tok.type in (tokenize.NUMBER, tokenize.STRING):
                text = "L"
            else:
                text = tok.string
            out.append((text, tok.start[0]))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        out = [(w, i + 1) for i, line in enumerate(code.splitlines()) for w in line.split()]
    return out


def fingerprints(code: str) -> dict[int, set[int]]:
    """hash -> lines of `code` it covers."""
    toks = tokens(code)
    grams = []
    for i in range(len(toks) - K + 1):
        chunk = toks[i:i + K]
        h = zlib.crc32(" ".join(t for t, _ in chunk).encode())
        grams.append((h, {line for _, line in chunk}))
    chosen: dict[int, set[int]] = {}
    if len(grams) < WINDOW:
        for h, lines in grams:
            chosen.setdefault(h, set()).update(lines)
        return chosen
    for start in range(len(grams) - WINDOW + 1):
        h, lines = min(grams[start:start + WINDOW], key=lambda g: g[0])
        chosen.setdefault(h, set()).update(lines)
    return chosen


@dataclass
class Submission:
    student: str
    cells: dict[str, str]                          # cell id -> answer code
    prints: dict = field(default_factory=dict)     # hash -> [(cell, lines)]

    def index(self) -> None:
        self.prints = {}
        for cell, code in self.cells.items():
            if len(tokens(code)) < MIN_TOKENS:
                continue
            for h, lines in fingerprints(code).items():
                self.prints.setdefault(h, []).append((cell, lines))


@dataclass
class Match:
    a: str
    b: str
    score: float
    shared: int
    sides: list = field(default_factory=list)      # [(cell, lines of a, lines of b)]


def similar_pairs(subs: list[Submission], ignore_code: list[str]) -> list[Match]:
    ignored = set()
    for code in ignore_code:
        ignored.update(fingerprints(code))
    for sub in subs:
        sub.index()
    counts: dict[int, int] = {}
    for sub in subs:
        for h in sub.prints:
            counts[h] = counts.get(h, 0) + 1
    limit = max(2, int(COMMON_FRACTION * len(subs)))
    usable = {s.student: {h for h in s.prints if h not in ignored and counts[h] <= limit} for s in subs}
    by_student = {s.student: s for s in subs}
    matches = []
    for a, b in combinations(sorted(usable), 2):
        shared = usable[a] & usable[b]
        smaller = min(len(usable[a]), len(usable[b]))
        if len(shared) < MIN_SHARED or not smaller:
            continue
        score = len(shared) / smaller
        if score < THRESHOLD:
            continue
        sides: dict[str, tuple[set, set]] = {}
        for h in shared:
            for cell, lines in by_student[a].prints[h]:
                sides.setdefault(cell, (set(), set()))[0].update(lines)
            for cell, lines in by_student[b].prints[h]:
                sides.setdefault(cell, (set(), set()))[1].update(lines)
        detail = [(cell, sorted(la), sorted(lb)) for cell, (la, lb) in sorted(sides.items()) if la and lb]
        matches.append(Match(a, b, round(score, 3), len(shared), detail))
    return sorted(matches, key=lambda m: -m.score)
