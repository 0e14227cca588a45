"""Item analysis and check statistics from per-check verdicts.

Difficulty is the mean fraction of an item's points earned. Discrimination is the point-biserial
(Pearson) correlation between the item and the rest of the score (total minus the item), and the
upper/lower-27% index D = p(upper) - p(lower). Items with negative discrimination are flagged:
stronger students do worse on them, which usually means a flawed key or question.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Optional

import numpy as np


@dataclass
class Item:
    cell: str
    max_score: float
    difficulty: float
    point_biserial: Optional[float]
    upper_lower: Optional[float]
    options: dict = field(default_factory=dict)    # chosen option -> count (multiple choice)
    correct: Optional[str] = None

    @property
    def negative(self) -> bool:
        return (self.point_biserial is not None and self.point_biserial < 0) or \
               (self.upper_lower is not None and self.upper_lower < 0)


def item_analysis(rows: list[dict]) -> list[Item]:
    """rows: one per student: {"cells": {cell: (score, max)}, "answers": {cell: option}, "key": {cell: option}}."""
    if not rows:
        return []
    cells = sorted({c for r in rows for c in r["cells"]})
    totals = np.array([sum(s for s, _ in r["cells"].values()) for r in rows], dtype=float)
    order = np.argsort(totals, kind="stable")
    n27 = max(1, int(round(0.27 * len(rows))))
    lower, upper = set(order[:n27].tolist()), set(order[-n27:].tolist())
    items = []
    for cell in cells:
        got = np.array([r["cells"].get(cell, (0.0, 0.0))[0] for r in rows], dtype=float)
        max_score = max(r["cells"].get(cell, (0.0, 0.0))[1] for r in rows) or 1.0
        frac = got / max_score
        rest = totals - got
        pbis = None
        if frac.std() > 0 and rest.std() > 0:
            pbis = float(np.corrcoef(frac, rest)[0, 1])
        ul = None
        if len(rows) >= 4:
            ul = float(frac[list(upper)].mean() - frac[list(lower)].mean())
        options = Counter(r["answers"][cell] for r in rows if r.get("answers", {}).get(cell) is not None)
        key = next((r["key"][cell] for r in rows if r.get("key", {}).get(cell)), None)
        items.append(Item(cell, float(max_score), float(frac.mean()), pbis, ul, dict(sorted(options.items())), key))
    return items


def check_failure_rates(check_rows: list[list[dict]]) -> list[tuple[str, str, int, int]]:
    """(cell, check description, failed, seen) for every check, most failed first."""
    seen, failed = Counter(), Counter()
    for records in check_rows:
        for cell, rec in records:
            key = (cell, rec["description"])
            seen[key] += 1
            failed[key] += 0 if rec["passed"] else 1
    rows = [(cell, desc, failed[(cell, desc)], n) for (cell, desc), n in seen.items()]
    return sorted(rows, key=lambda r: (-r[2] / max(r[3], 1), r[0], r[1]))


def misconception_counts(check_rows: list[list[dict]]) -> list[tuple[str, int]]:
    """How many submissions showed each named common mistake (counted once per submission)."""
    counts = Counter()
    for records in check_rows:
        counts.update({rec["mistake"] for _, rec in records if rec.get("mistake")})
    return counts.most_common()
