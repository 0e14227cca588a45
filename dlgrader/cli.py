"""The `dlgrader` command line: a thin front over the pipeline modules."""
from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from .course import Course
from .errors import DlgraderError
from .progress import out as console


def _course(path: str | None, private: bool = True) -> Course:
    """The course, with its nbgrader_config.py loaded and checked: a file that does not run, an
    unknown dlgrader setting or a value of the wrong type stops every command here, in one line.
    With PRIVATE, its missing private folders are created owner-only first (so what dlgrader or
    nbgrader puts in them later is out of other accounts' reach)."""
    course = Course.find(path)
    course.check_config()
    if private:
        from .privacy import ensure_folders
        try:
            ensure_folders(course)
        except PermissionError:
            pass                     # not the course's owner: the command itself will say what fails
    return course


def friendly(fn):
    """Show a DlgraderError (and other expected failures) as one line and exit 1."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except DlgraderError as exc:
            click.echo(f"dlgrader: error: {exc}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("dlgrader: interrupted", err=True)
            sys.exit(130)
    return wrapper


course_option = click.option("--course", "course_path", type=click.Path(file_okay=False),
                             default=None, help="Course root (default: found from the current folder).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="dlgrader")
def main():
    """Auto-grading for the Mathematical Toolkit for Deep Learning course (on nbgrader)."""


@main.command()
@click.argument("assignments", nargs=-1)
@course_option
@friendly
def build(assignments, course_path):
    """Build release/ from source/ and register assignments in the gradebook."""
    from .authoring.build import build as run_build
    course = _course(course_path)
    written = run_build(course, list(assignments) or None)
    console.print(f"built {len(written)} student notebook(s) into {course.release}")


@main.command()
@click.argument("assignment")
@course_option
@friendly
def release(assignment, course_path):
    """Release ASSIGNMENT to students through the exchange."""
    from .collection.exchange import release as run_release
    course = _course(course_path)
    run_release(course, assignment)
    console.print(f"released {assignment} to {course.exchange}")


@main.command()
@click.argument("assignment")
@course_option
@friendly
def collect(assignment, course_path):
    """Collect the newest submission of every student into submitted/."""
    from .collection.exchange import collect as run_collect
    course = _course(course_path)
    outcomes = run_collect(course, assignment)
    counts = {k: sum(o.status == k for o in outcomes)
              for k in ("collected", "unchanged", "refused", "failed", "rejected")}
    console.print(f"collected {counts['collected']} submission(s) of {assignment} ({counts['unchanged']} unchanged "
                  f"since the last collect, {counts['refused']} refused, {counts['failed']} failed, "
                  f"{counts['rejected']} rejected as not the named student's)", soft_wrap=True)
    for o in outcomes:
        if o.status in ("refused", "failed", "rejected"):
            console.print(f"[yellow]{o.student}: {o.status}: {o.reason} (inbound {o.inbound})[/yellow]", soft_wrap=True)
        for flag in o.flags:
            console.print(f"[yellow]{o.student}: claimed time flagged: {flag}[/yellow]", soft_wrap=True)
    console.print(f"log: {course.root / 'logs' / f'collect-{assignment}.json'}", soft_wrap=True)


@main.command()
@click.argument("assignment")
@click.option("--student", "students", multiple=True, help="Grade only this student (repeatable).")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Parallel grading processes.")
@click.option("--engine", type=click.Choice(["sandbox", "nbgrader"]), default="sandbox", show_default=True,
              help="sandbox: dlgrader's isolated engine; nbgrader: stock `nbgrader autograde` (unsafe).")
@click.option("--scheduler", default=None, envvar="DLGRADER_SCHEDULER", metavar="tcp://HOST:PORT",
              help="Grade on this Dask cluster instead of local worker processes.")
@click.option("--force", is_flag=True,
              help="Grade again submissions already graded (default: skip those unchanged since).")
@click.option("--unsafe-no-sandbox", "unsafe", is_flag=True,
              help="Run student code without isolation if the sandbox cannot be created. Unsafe.")
@course_option
@friendly
def grade(assignment, students, workers, engine, scheduler, force, unsafe, course_path):
    """Grade every submission under submitted/*/ASSIGNMENT/ into the gradebook."""
    course = _course(course_path)
    if engine == "sandbox" and not scheduler:
        from .execution import zygotes      # the sandbox zygote loads while this process does
        zygotes.start(plots=zygotes.plots(p.read_text(errors="replace")
                                          for p in (course.source / assignment).glob("*.ipynb")))
    if engine == "nbgrader":
        from .execution.autograde import grade as run_grade
        run = run_grade(course, assignment, list(students) or None)
        graded, failed = run.students, {s: "nbgrader could not process it" for s in run.failed}
        flags, stops = {}, {}
    else:
        from .execution.batch import grade_batch
        run = grade_batch(course, assignment, list(students) or None, workers=workers, unsafe=unsafe,
                          scheduler=scheduler, force=force)
        if run.skipped:
            console.print(f"{len(run.skipped)} submission(s) already graded and unchanged since: not graded "
                          "again (--force to re-grade)")
        graded, failed = run.students, dict(run.failed, **run.unreadable)
        flags, stops = run.flags, run.stops
        for student, reason in sorted(run.refused.items()):
            console.print(f"[yellow]{student}: refused, not graded (0, needs manual grading): {reason}[/yellow]",
                          soft_wrap=True)
        for student, claims in sorted(run.claims.items()):
            for claim in claims:
                console.print(f"[yellow]{student}: claimed time flagged: {claim}[/yellow]", soft_wrap=True)
        for student, cells in sorted(run.grader_errors.items()):
            for c in cells:
                console.print(f"[bold red]{student} {c['cell']}: needs manual grading, {c['error']}[/bold red]",
                              soft_wrap=True)
    if engine == "sandbox" and not run.failed and set(run.skipped) == set(run.students):
        return                      # nothing new: no table (and no nbgrader import) to show the same scores
    from .gradebook.scores import submission_scores
    from .report.summary import grade_table
    scores = [s for s in submission_scores(course, assignment) if s.student in graded]
    console.print(grade_table({assignment: scores}, title=f"{assignment}: {len(scores)} graded",
                              failed={assignment: sorted(run.failed) if engine == "sandbox" else list(failed)}))
    for student, reason in sorted(failed.items()):
        console.print(f"[yellow]{student}: {reason}[/yellow]")
    for student, reasons in sorted(stops.items()):
        console.print(f"[yellow]{student}: stopped by the sandbox: {'; '.join(sorted(set(reasons)))}[/yellow]")
    if flags:
        console.print(f"[bold red]integrity: {len(flags)} submission(s) flagged[/bold red]")
        for student, items in sorted(flags.items()):
            for f in items[:8]:
                where = f"{f.get('notebook', '')} {f['cell']} line {f['line']}".strip()
                console.print(f"  {student}: {f['what']} — {where}: {f['code']}")


@main.command()
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Warm grading processes.")
@click.option("--poll", default=0.25, show_default=True, type=click.FloatRange(0.01, 60),
              help="Seconds between looks at the exchange's inbound folder.")
@click.option("--once", is_flag=True, help="Grade what is waiting now, then stop (for cron).")
@click.option("--unsafe-no-sandbox", "unsafe", is_flag=True,
              help="Run student code without isolation if the sandbox cannot be created. Unsafe.")
@course_option
@friendly
def serve(workers, poll, once, unsafe, course_path):
    """Grade each submission as it arrives in the exchange; release its feedback at once."""
    from .serve.server import serve as run_serve
    course = _course(course_path)
    from .collection.exchange import check_exchange
    check_exchange(course)
    inbound = course.exchange / course.course_id / "inbound"
    if not inbound.is_dir():
        raise DlgraderError(f"no exchange inbound folder at {inbound}; release an assignment first "
                            "(dlgrader release ASSIGNMENT)")
    counts = run_serve(course, workers=workers, poll=poll, once=once, unsafe=unsafe)
    console.print(f"dlgrader serve stopped: {counts['graded']} graded, {counts['feedback']} feedback "
                  f"released, {counts['failed']} failed (log: {course.root / 'logs' / 'serve.jsonl'})", soft_wrap=True)


@main.command()
@click.argument("assignment")
@click.option("--release", "do_release", is_flag=True, help="Also release it to students (fetch_feedback).")
@course_option
@friendly
def feedback(assignment, do_release, course_path):
    """Write per-student feedback HTML (no hidden test code) under feedback/."""
    from .feedback_html.generate import generate
    course = _course(course_path)
    pages = generate(course, assignment, release=do_release)
    console.print(f"wrote {len(pages)} feedback page(s) under {course.feedback}")


@main.command()
@click.option("--to", "to", default="grades.csv", show_default=True, type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["nbgrader", "canvas", "moodle"]), default="nbgrader",
              show_default=True, help="nbgrader's CSV, or an LMS gradebook import file.")
@course_option
@friendly
def export(to, fmt, course_path):
    """Export all grades to CSV (nbgrader's format, or Canvas/Moodle import files)."""
    from .report import export as exports
    course = _course(course_path)
    if fmt == "nbgrader":
        rows = exports.export_csv(course, Path(to))
        console.print(f"exported {len(rows)} row(s) to {Path(to).resolve()}")
    else:
        path = (exports.export_canvas if fmt == "canvas" else exports.export_moodle)(course, Path(to))
        console.print(f"wrote the {fmt} gradebook import file {path.resolve()}")


@main.command()
@click.argument("assignments", nargs=-1)
@click.option("--to", "to", default="report.html", show_default=True, type=click.Path(dir_okay=False))
@course_option
@friendly
def report(assignments, to, course_path):
    """Write the grading report (one self-contained HTML page) for ASSIGNMENTS (default: all)."""
    from .report.page import write_report
    course = _course(course_path)
    names = [course.check_assignment(a) for a in assignments] or course.assignments()
    path = write_report(course, names, Path(to))
    console.print(f"report: {path.resolve()}")


@main.command(context_settings={"ignore_unknown_options": True})
@click.option("--student", default=None, metavar="ID",
              help="Start the JupyterLab (Assignment List) of student ID, as the Unix account ID (needs root).")
@click.option("--home", default=None, type=click.Path(file_okay=False),
              help="The student's folder, outside the course (default: the account's home).")
@click.option("--config-dir", default=None, type=click.Path(file_okay=False),
              help="Where the course id and exchange students get are written, a folder only you can write "
                   "(default: dlgrader-<course>-students in the temp folder).")
@click.option("--port", default=8888, show_default=True, type=click.IntRange(1, 65535))
@click.option("--token", default=None, help="Server token (default: JupyterLab makes one and prints the URL).")
@click.option("--no-browser", is_flag=True, help="Do not open a browser.")
@click.argument("jupyter_args", nargs=-1, type=click.UNPROCESSED)
@course_option
@friendly
def lab(student, home, config_dir, port, token, no_browser, jupyter_args, course_path):
    """Start JupyterLab on the course with nbgrader's extensions (extra args go to `jupyter lab`)."""
    from .lab import lab as lab_server
    from .lab import start
    course = _course(course_path)
    server = lab_server(course, student=student, home=home, port=port, token=token, config_dir=config_dir,
                        open_browser=not no_browser, extra=tuple(jupyter_args))
    who = (f"student {student} (as the account {student}) in {server.cwd}" if student
           else f"the instructor in {server.cwd} (Formgrader: /formgrader)")
    console.print(f"JupyterLab for {who}", soft_wrap=True)
    sys.stdout.flush()
    start(server)


@main.command()
@click.option("--as", "account", default=None, metavar="ACCOUNT",
              help="The unprivileged account to look as (default: nobody; needs root).")
@course_option
@friendly
def doctor(account, course_path):
    """List what a student account could read or write that it should not; exit 1 if anything."""
    from .doctor import examine
    course = _course(course_path, private=False)
    report = examine(course, account)
    how = "tried as" if report.tried else "judged from the modes for"
    console.print(f"looked at {course.root} and the exchange {course.exchange / course.course_id} "
                  f"({how} {report.who})", soft_wrap=True)
    for note in report.notes:
        console.print(f"note: {note}", soft_wrap=True, markup=False)
    for exposure in report.exposures:
        console.print(exposure.line(), style="bold red", soft_wrap=True, markup=False)
    if report.exposures:
        console.print(f"{len(report.exposures)} exposure(s)")
        sys.exit(1)
    console.print("no exposures: a student account can read, list or write none of the course's private files, "
                  "and the exchange is laid out as nbgrader intends", soft_wrap=True)


@main.command()
@click.option("--students", default=32, show_default=True, type=click.IntRange(4, 500),
              help="Cohort size.")
@click.option("--assignments", default=None, help="Comma-separated subset (default: all).")
@click.option("--workdir", default="demo-course", show_default=True, type=click.Path(file_okay=False),
              help="Where the demo course is built (recreated each run).")
@click.option("--seed", default=2026, show_default=True, type=int)
@click.option("--unsafe-no-sandbox", "unsafe", is_flag=True,
              help="Grade the simulated students without isolation if the sandbox cannot be created.")
@friendly
def demo(students, assignments, workdir, seed, unsafe):
    """Run the whole pipeline on a simulated cohort and print the grade table."""
    from .demo.run import run_demo
    here = _course(str(Path(__file__).resolve().parent.parent) if not Path("nbgrader_config.py").exists()
                   else ".")
    chosen = [a.strip() for a in assignments.split(",")] if assignments else None
    run_demo(here, Path(workdir), n_students=students, assignments=chosen, seed=seed, unsafe=unsafe)


def run() -> None:
    """The console entry point: `main`, then a quick exit. Once a command has run, its output is
    flushed and the exit handlers have run, nothing is left to do but free memory: the interpreter's
    own teardown of nbgrader's and the Jupyter stack's modules took ~0.6 s after every command."""
    import atexit
    import os
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code
        if isinstance(code, str):
            print(code, file=sys.stderr)
            code = 1
        code = code or 0
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


if __name__ == "__main__":
    run()
