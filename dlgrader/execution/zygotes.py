"""This process's one sandbox zygote: started once, shared by the grading workers forked after it.

Kept apart from workers.py so the CLI can start it before loading anything else (it only needs the
sandbox's session module): the zygote's own start-up (numpy, matplotlib, IPython, ~1 s) then runs
alongside the coordinator's. A worker forked later inherits it (pool.py).
"""
from __future__ import annotations

import atexit
import os

_zygote: list = []          # at most one


def plots(notebooks) -> bool:
    """Do any of these notebook texts use matplotlib (so the zygote should preload it)?"""
    return any("matplotlib" in text for text in notebooks)


def start(plots: bool = True) -> None:
    """Start the zygote in the background (no wait for its start-up)."""
    current(wait=False, plots=plots)


def current(wait: bool = True, plots: bool = True):
    """The zygote, started if there is none or the one there died."""
    if _zygote and _zygote[0].owner == os.getpid() and _zygote[0].proc.poll() is not None:
        _zygote.pop().close()          # it died: start another rather than fail every spawn
    if not _zygote:
        from ..sandbox.session import Zygote
        if not _registered:
            atexit.register(stop)
            _registered.append(True)
        _zygote.append(Zygote(wait=wait, plots=plots))
    return _zygote[0]


_registered: list = []


def stop() -> None:
    """Stop it (the pool that shared it has ended, or this process exits)."""
    while _zygote:
        _zygote.pop().close()


def peak_mb() -> float:
    """Peak resident memory of the zygote (0 when there is none)."""
    if not _zygote:
        return 0.0
    try:
        with open(f"/proc/{_zygote[0].proc.pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0
