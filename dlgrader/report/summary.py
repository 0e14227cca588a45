"""The grade table printed after grading: one row per student, one column per assignment."""
from __future__ import annotations

from rich.table import Table

from ..gradebook.scores import SubmissionScore


def grade_table(scores: dict[str, list[SubmissionScore]], title: str = "Grades",
                failed: dict[str, list[str]] | None = None) -> Table:
    """`failed` maps assignment -> students whose submission could not be graded."""
    failed = failed or {}
    assignments = sorted(scores)
    table = Table(title=title, show_lines=False)
    table.add_column("student")
    for a in assignments:
        table.add_column(a.split("_")[0], justify="right")
    table.add_column("total", justify="right")
    students = sorted({s.student for subs in scores.values() for s in subs})
    by_key = {(s.student, s.assignment): s for subs in scores.values() for s in subs}
    full = {a: max((s.max_score for s in scores[a]), default=0.0) for a in assignments}
    for student in students:
        row, total, total_max = [student], 0.0, 0.0
        for a in assignments:
            sub = by_key.get((student, a))
            if student in failed.get(a, ()):      # counts as 0 of the assignment's points, marked
                possible = sub.max_score if sub is not None else full[a]
                row.append(f"0/{possible:g}!")
                total_max += possible
                continue
            if sub is None:
                row.append("-")
                continue
            mark = "*" if sub.needs_manual else ""
            row.append(f"{sub.score:g}/{sub.max_score:g}{mark}")
            total += sub.score
            total_max += sub.max_score
        row.append(f"{total:g}/{total_max:g}")
        table.add_row(*row)
    means = ["mean"]
    for a in assignments:
        subs = [s for s in scores[a] if s.student not in failed.get(a, ())]
        means.append(f"{sum(s.score for s in subs) / len(subs):.1f}" if subs else "-")
    means.append("")
    table.add_section()
    table.add_row(*means)
    table.caption = ("columns: " + ", ".join(assignments) + "\n"
                     "* needs manual grading (the autograded part so far); "
                     "! could not be graded: counts as 0 until it is graded")
    return table
