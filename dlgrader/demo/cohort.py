"""Simulated students: each fills in a fetched notebook honestly, with known mistakes, partly or not at all.

The answers come from the instructor's side: the source notebooks' solutions, the reference's
registered mistakes (`reference.mistakes.BOOK`) and wrong quiz answers (`reference.cohort`).
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from ..authoring.solutions import DEFINES, answer, defined_name

BROKEN = "broken"


@dataclass
class Persona:
    student: str
    kind: str                                   # honest, mistakes, partial, blank, broken
    ability: float = 1.0                        # chance of a right quiz answer
    mistakes: dict = field(default_factory=dict)   # target name -> mistake key, or "blank"
    broken_assignment: str = ""

    def describe(self) -> str:
        if self.kind == "mistakes":
            return "mistakes: " + ", ".join(f"{k}:{v}" for k, v in sorted(self.mistakes.items()))
        return self.kind


def make_cohort(n: int, book, seed: int = 0, assignments: list[str] = ()) -> list[Persona]:
    """A realistic mix: about 40% honest, 35% with mistakes, 10% partial, the rest blank or broken."""
    rng = random.Random(seed)
    targets = sorted(book.entries)
    people = []
    for i in range(n):
        student = f"s{i + 1:03d}"
        slot = i % 20
        if slot in (0, 2, 4, 6, 9, 11, 14, 17):
            p = Persona(student, "honest", ability=rng.uniform(0.8, 1.0))
        elif slot in (1, 3, 5, 8, 12, 15, 18):
            chosen = rng.sample(targets, k=rng.randint(1, 3))
            p = Persona(student, "mistakes", ability=rng.uniform(0.5, 0.9),
                        mistakes={t: rng.choice(book.for_target(t)).key for t in chosen})
        elif slot in (7, 13):
            chosen = rng.sample(targets, k=3)
            p = Persona(student, "partial", ability=rng.uniform(0.3, 0.7), mistakes={t: "blank" for t in chosen})
        elif slot in (10, 19):
            p = Persona(student, "blank", ability=0.0)
        else:
            p = Persona(student, BROKEN, ability=rng.uniform(0.5, 1.0),
                        broken_assignment=rng.choice(list(assignments)) if assignments else "")
        people.append(p)
    return people


def fill_notebook(release_nb: Path, source_nb: Path, persona: Persona, book, wrong_answers: dict,
                  rng: random.Random) -> None:
    """Write the persona's answers into the student's fetched copy of a notebook, in place."""
    nb = nbformat.read(str(release_nb), as_version=4)
    src = nbformat.read(str(source_nb), as_version=4)
    solutions = {c.metadata["nbgrader"]["grade_id"]: c.source for c in src.cells
                 if c.metadata.get("nbgrader", {}).get("solution")}
    if persona.kind != "blank":
        for cell in nb.cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            if gid not in solutions:
                continue
            new = _student_answer(cell, solutions[gid], persona, book, wrong_answers, rng)
            if new is not None:
                cell.source = new
    text = nbformat.writes(nb)
    if persona.kind == BROKEN and release_nb.parent.name == persona.broken_assignment:
        text = text[: len(text) // 2]          # a notebook cut off mid-save: invalid JSON
    release_nb.write_text(text, encoding="utf-8")


def _student_answer(cell, solution_src, persona, book, wrong_answers, rng):
    if cell.cell_type == "markdown":
        return None if rng.random() < 0.2 else (
            "It stops at 2.25 because that is the minimum; 0 is only a flat point where the slope stays "
            "negative, so the updates keep moving right past it.")
    name = defined_name(solution_src)
    choice = persona.mistakes.get(name)
    if choice == "blank":
        return None
    if choice:
        mistake = book.get(name, choice)
        return "import numpy as np\n\n" + mistake.student_source()
    if _assigned(answer(solution_src), wrong_answers) is None:
        return answer(solution_src)
    # value answers (the quiz): each variable is right with probability `ability`
    lines = []
    for line in answer(solution_src).splitlines():
        var = _assigned(line, wrong_answers)
        if var and rng.random() > persona.ability:
            line = rng.choice(wrong_answers[var])
        lines.append(line)
    return "\n".join(lines)


def _assigned(code: str, wrong_answers: dict) -> str | None:
    """The first quiz variable that `code` assigns or defines, if any."""
    for match in DEFINES.finditer(code):
        var = match.group(1) or match.group(2)
        if var in wrong_answers:
            return var
    return None
