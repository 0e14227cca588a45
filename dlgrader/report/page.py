"""`dlgrader report`: one self-contained HTML page (plots embedded) for a TA after grading."""
from __future__ import annotations

import base64
import io
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from jinja2 import Environment, PackageLoader, select_autoescape  # noqa: E402

from ..course import Course  # noqa: E402
from . import similarity  # noqa: E402
from .data import AssignmentData, gather  # noqa: E402
from .items import check_failure_rates, item_analysis, misconception_counts  # noqa: E402


@dataclass
class Section:
    data: AssignmentData
    stats: dict
    figures: dict
    items: list
    failures: list
    misconceptions: list
    matches: list
    late: list                   # (student, seconds late, penalty): late or with a flagged claimed time
    manual: list
    claims: dict = field(default_factory=dict)   # student -> flagged claimed submission times
    rejected: list = field(default_factory=list)  # (claimed student, inbound folder, reason): not theirs


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _histogram(values, max_score, title):
    fig, ax = plt.subplots(figsize=(5.5, 2.8))
    bins = min(20, max(5, int(max_score) + 1)) if max_score else 10
    ax.hist(values, bins=bins, range=(0, max_score or None), color="#3b6ea8", edgecolor="white")
    ax.set_xlabel("score")
    ax.set_ylabel("submissions")
    ax.set_title(title)
    return _png(fig)


def _cell_grid(rows, cells):
    n = len(cells)
    cols = min(5, n) or 1
    lines = (n + cols - 1) // cols
    fig, axes = plt.subplots(lines, cols, figsize=(2.4 * cols, 1.9 * lines), squeeze=False)
    for ax, cell in zip(axes.flat, cells):
        values = [r.cells[cell][0] for r in rows if cell in r.cells]
        top = max((r.cells[cell][1] for r in rows if cell in r.cells), default=1)
        ax.hist(values, bins=min(8, int(top * 2) + 1), range=(0, top), color="#5c9c6a", edgecolor="white")
        ax.set_title(cell, fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.tight_layout()
    return _png(fig)


def _bar(labels, counts, title, color="#b5523b"):
    fig, ax = plt.subplots(figsize=(6.5, 0.35 * len(labels) + 1))
    ax.barh(range(len(labels)), counts, color=color)
    ax.set_yticks(range(len(labels)), labels=[label[:60] for label in labels], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("submissions")
    ax.set_title(title)
    return _png(fig)


def build_section(course: Course, assignment: str) -> Section:
    data = gather(course, assignment)
    rows = data.rows
    totals = [r.score for r in rows]
    max_score = max((r.max_score for r in rows), default=0)
    stats = {"n": len(rows), "mean": statistics.mean(totals) if totals else 0,
             "median": statistics.median(totals) if totals else 0, "max": max_score,
             "needs_manual": sum(r.needs_manual for r in rows)}
    cells = sorted({c for r in rows for c in r.cells})
    figures = {}
    if rows:
        figures["total"] = _histogram(totals, max_score, f"{assignment}: total score")
        figures["cells"] = _cell_grid(rows, cells)
    items = item_analysis([{"cells": r.cells, "answers": r.answers, "key": r.key} for r in rows])
    checks = [r.checks for r in rows]
    failures = [f for f in check_failure_rates(checks) if f[2] > 0]
    misconceptions = misconception_counts(checks)
    if misconceptions:
        figures["misconceptions"] = _bar([m for m, _ in misconceptions], [c for _, c in misconceptions],
                                         "named common mistakes")
    subs = [similarity.Submission(r.student, r.code) for r in rows if r.code]
    matches = similarity.similar_pairs(subs, data.ignore_code)
    code_of = {r.student: r.code for r in rows}
    for m in matches:
        m.sides = [(cell, _lines(code_of[m.a].get(cell, ""), la), _lines(code_of[m.b].get(cell, ""), lb))
                   for cell, la, lb in m.sides]
    late = [(r.student, r.seconds_late, r.penalty) for r in rows if r.seconds_late > 0 or r.claim_flags]
    claims = {r.student: r.claim_flags for r in rows if r.claim_flags}
    manual = [(r.student, r.manual_reasons) for r in rows if r.manual_reasons]
    from ..collection.exchange import rejections
    return Section(data, stats, figures, items, failures, misconceptions, matches, late, manual, claims,
                   rejections(course, assignment))


def _lines(code: str, numbers) -> str:
    lines = code.splitlines()
    return "\n".join(f"{n:3d}  {lines[n - 1]}" for n in numbers if 0 < n <= len(lines))


def course_overview(sections: list[Section]) -> dict:
    """Totals per student across the assignments in the report (for the course-wide page)."""
    totals: dict[str, float] = {}
    for section in sections:
        for row in section.data.rows:
            totals[row.student] = totals.get(row.student, 0.0) + row.score - row.penalty
    possible = sum(section.stats["max"] for section in sections)
    if not totals:
        return {}
    return {"students": len(totals), "possible": possible, "mean": statistics.mean(totals.values()),
            "median": statistics.median(totals.values()),
            "figure": _histogram(list(totals.values()), possible, "course total per student")}


def write_report(course: Course, assignments: list[str], out: Path) -> Path:
    sections = [build_section(course, a) for a in assignments]
    overview = course_overview(sections) if len(sections) > 1 else {}
    env = Environment(loader=PackageLoader("dlgrader.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"]))
    html = env.get_template("report.html.j2").render(
        course=course.course_id, sections=sections, overview=overview, generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        threshold=similarity.THRESHOLD, min_shared=similarity.MIN_SHARED, k=similarity.K,
        window=similarity.WINDOW, common=similarity.COMMON_FRACTION, min_tokens=similarity.MIN_TOKENS)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return out
