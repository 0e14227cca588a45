"""`dlgrader demo`: build, release, simulate a cohort through the real exchange, collect, grade,
write feedback, export grades.csv and print the grade table."""
from __future__ import annotations

import os
import random
import shutil
import time
from pathlib import Path

from ..authoring.build import build
from ..collection import exchange, student
from ..collection.identity import single_account
from ..course import Course
from ..errors import DlgraderError
from ..execution.batch import grade_batch
from ..feedback_html.generate import generate as generate_feedback
from ..gradebook.scores import submission_scores
from ..progress import bar, status
from ..progress import out as console
from ..report.export import export_canvas, export_csv
from ..report.page import write_report
from ..report.summary import grade_table
from ..verdicts import reference
from .cohort import BROKEN, fill_notebook, make_cohort

COURSE_FILES = ("source", "reference", "nbgrader_config.py")
# Appended to the demo course's copy of nbgrader_config.py: the demo keeps its exchange and gradebook
# in its own folder (the course's default exchange is the shared /srv/nbgrader/exchange).
DEMO_CONFIG = """
# dlgrader demo: this folder's own exchange and gradebook, whatever the DLGRADER_* variables say.
c.Exchange.root = str(Path(__file__).resolve().parent / "exchange")
c.CourseDirectory.db_url = f"sqlite:///{Path(__file__).resolve().parent / 'gradebook.db'}"
"""
UNSAFE_DEMO = ".venv/bin/dlgrader demo --unsafe-no-sandbox"


def prepare_workdir(template: Course, workdir: Path) -> Course:
    """A fresh copy of the course (content and config only, no student data) in `workdir`."""
    workdir = workdir.resolve()
    if workdir == template.root or template.root in workdir.parents and workdir.name in COURSE_FILES:
        raise DlgraderError(f"refusing to use {workdir} as the demo folder")
    if workdir.exists():
        if not (workdir / ".dlgrader-demo").exists():
            raise DlgraderError(f"{workdir} exists and is not a demo folder; choose another --workdir")
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    (workdir / ".dlgrader-demo").write_text("made by dlgrader demo; deleted and rebuilt on each run\n")
    for name in COURSE_FILES:
        src = template.root / name
        if src.is_dir():
            shutil.copytree(src, workdir / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, workdir / name)
    config = workdir / "nbgrader_config.py"
    config.write_text(config.read_text(encoding="utf-8") + DEMO_CONFIG, encoding="utf-8")
    single_account(workdir / "nbgrader_config.py", "dlgrader demo")
    return Course(workdir)


def run_demo(template: Course, workdir: Path, n_students: int = 32, assignments: list[str] | None = None,
             seed: int = 2026, unsafe: bool = False) -> dict:
    started = time.monotonic()
    course = prepare_workdir(template, workdir)
    names = [course.check_assignment(a) for a in assignments] if assignments else course.assignments()
    status(f"[bold]dlgrader demo[/bold]: {n_students} students, {len(names)} assignment(s), in {course.root}")

    build(course, names)
    for name in names:
        exchange.release(course, name)
    status(f"released {', '.join(names)} to the exchange at {course.exchange}")

    os.environ[reference.ENV_VAR] = str(course.reference)
    ref = reference.load()
    people = make_cohort(n_students, ref.mistakes.BOOK, seed=seed, assignments=names)
    rng = random.Random(seed)
    homes = course.root / "students"
    with bar("Students fetch, answer, submit", len(people) * len(names)) as advance:
        for person in people:
            home = homes / person.student
            for name in names:
                folder = student.fetch(course, home, person.student, name)
                for nb in sorted(folder.glob("*.ipynb")):
                    fill_notebook(nb, course.source / name / nb.name, person, ref.mistakes.BOOK,
                                  ref.cohort.WRONG_ANSWERS, rng)
                student.submit(course, home, person.student, name)
                advance(note=person.student)

    results, failed = {}, {}
    for name in names:
        exchange.collect(course, name)
        try:
            run = grade_batch(course, name, unsafe=unsafe)
        except DlgraderError as exc:
            if "--unsafe-no-sandbox" not in str(exc):
                raise
            raise DlgraderError(f"{exc}. For the demo's simulated students: `make demo "
                                f"DEMO_ARGS=--unsafe-no-sandbox` or `{UNSAFE_DEMO}`") from None
        failed[name] = sorted(set(run.failed) | set(run.unreadable))
        results[name] = submission_scores(course, name)
        generate_feedback(course, name)
    rows = export_csv(course, course.root / "grades.csv")
    export_canvas(course, course.root / "grades-canvas.csv")
    report_path = write_report(course, names, course.root / "report.html")

    console.print(grade_table(results, title=f"Grades ({len(people)} students)", failed=failed))
    kinds = {p.student: p.describe() for p in people}
    for name in names:
        for s in failed[name]:
            console.print(f"[yellow]{name}: could not grade {s} ({kinds.get(s)}); "
                          f"see {course.root / 'logs' / ('grade-' + name + '.json')}[/yellow]")
    pages = sorted(course.feedback.glob("*/*/*.html"))
    console.print(f"grades.csv: {course.root / 'grades.csv'} ({len(rows)} rows)")
    console.print(f"feedback:   {len(pages)} HTML page(s) under {course.feedback}")
    console.print(f"canvas:     {course.root / 'grades-canvas.csv'}")
    console.print(f"report:     {report_path}")
    console.print(f"done in {time.monotonic() - started:.0f} s")
    missing = [p.student for p in people if p.kind != BROKEN
               and any(not any(s.student == p.student for s in results[n]) for n in names)]
    if missing:
        raise DlgraderError(f"submissions of {', '.join(missing)} were not graded")
    return {"course": course, "people": people, "results": results, "failed": failed, "rows": rows,
            "feedback": pages, "report": report_path}
