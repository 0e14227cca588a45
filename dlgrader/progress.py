"""Progress bars and status lines on stderr (rich), quiet when not on a terminal unless asked."""
from __future__ import annotations

import contextlib
import sys

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

console = Console(stderr=True, highlight=False)      # progress and status: stderr
out = Console(highlight=False)                       # results (tables, paths): stdout


@contextlib.contextmanager
def bar(description: str, total: int, each: bool = False):
    """Yield an `advance(n=1, note="")` callable; draws a bar on a terminal, plain lines otherwise
    (every tenth of the way, or with EACH a line per item naming it: a log of a batch says which
    submission was done when)."""
    if console.is_terminal:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), TextColumn("{task.fields[note]}"), console=console,
                      transient=False) as progress:
            task = progress.add_task(description, total=total, note="")

            def advance(n: int = 1, note: str = ""):
                progress.update(task, advance=n, note=note)
            yield advance
    else:
        done = [0]
        step = max(1, total // 10)

        def advance(n: int = 1, note: str = ""):
            before = done[0]
            done[0] += n
            if each:
                print(f"{description}: {done[0]}/{total} {note}".rstrip(), file=sys.stderr, flush=True)
            elif done[0] // step != before // step or done[0] == total:
                print(f"{description}: {done[0]}/{total}", file=sys.stderr, flush=True)
        yield advance


def status(message: str) -> None:
    console.print(message)
