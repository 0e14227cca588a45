"""The worker side of a batch: grade one submission from plain task data.

The same function runs in a local process pool and on Dask workers. Everything a worker needs
arrives as data in a *bundle* (the assignment's source and release notebooks, the reference
package's files, limits); a worker imports the reference from that text in memory (it is never
written to disk), starts one pre-warmed sandbox zygote, and keeps both for the next tasks of the
same bundle (a few bundles at once). Workers never touch the gradebook or the course folder; they return JSON text.

One sandbox zygote per worker process serves every bundle (each sandbox is spawned with its
bundle's policy); `prestart()` starts it before any bundle is known, so a pool worker is warm by
the time its first task arrives (pool.py).
"""
from __future__ import annotations

import hashlib
import json
import os
import socket
from collections import OrderedDict
from dataclasses import asdict, replace

import nbformat

from .. import settings
from ..course import Course
from ..verdicts import reference, seeds
from . import zygotes
from .engine import Limits

UID_BASE = 64000
KEEP = 4
_states: OrderedDict = OrderedDict()


def uid_base() -> int:
    """Sandbox uids are uid_base()+1 .. +800; DLGRADER_SANDBOX_UID_BASE moves the range (e.g. to keep
    two graders on one machine apart)."""
    return int(os.environ.get("DLGRADER_SANDBOX_UID_BASE", UID_BASE))


def make_bundle(course: Course, assignment: str, unsafe: bool, limits: Limits, hidden: list[str],
                config: settings.Dlgrader | None = None) -> dict:
    notebooks = {}
    for path in sorted((course.source / assignment).glob("*.ipynb")):
        release = course.release / assignment / path.name
        notebooks[path.stem] = [path.read_text(encoding="utf-8"),
                                (release if release.exists() else path).read_text(encoding="utf-8")]
    ref_files = {p.relative_to(course.reference).as_posix(): p.read_text(encoding="utf-8")
                 for p in sorted(course.reference.rglob("*.py")) if "__pycache__" not in p.parts}
    secret = seeds.read_secret((config or settings.load(course)).secret_path(course))
    bundle = {"assignment": assignment, "notebooks": notebooks, "reference": ref_files,
              "unsafe": bool(unsafe), "limits": asdict(limits), "hidden": list(hidden),
              "secret": seeds.fingerprint(secret)}      # the seeds themselves travel with each task
    bundle["digest"] = hashlib.sha256(json.dumps(bundle, sort_keys=True).encode()).hexdigest()
    return bundle


def prestart() -> None:
    """Import the grading code and have the zygote ready now, before the first bundle arrives."""
    from . import notebook  # noqa: F401  (the import is the warm-up)
    zygotes.current().ready()


class _Sandboxes:
    """The worker's zygote seen through one bundle: every sandbox gets that bundle's policy."""

    def __init__(self, zygote, policy, isolate: bool):
        self.zygote, self.policy, self.isolate = zygote, policy, isolate

    def spawn(self, timeout: float = 30.0):
        return self.zygote.spawn(timeout, policy=self.policy, isolate=self.isolate)


def _setup(bundle: dict) -> dict:
    """This worker's grading state for BUNDLE (its sandbox policy, parsed notebooks, limits).

    Up to KEEP bundles stay set up at once (a `dlgrader serve` worker grades several assignments
    in turn); the least recently used one is dropped beyond that."""
    state = _states.get(bundle["digest"])
    if state is not None:
        _states.move_to_end(bundle["digest"])
        return state
    while len(_states) >= KEEP:
        _states.popitem(last=False)
    from IPython.core.inputtransformer2 import TransformerManager

    from ..sandbox.isolation import default_policy
    uid = uid_base() + 1 + os.getpid() % 800
    limits = Limits(**bundle["limits"])
    policy = replace(default_policy(list(bundle["hidden"]), uid),
                     memory_bytes=limits.memory_bytes, processes=limits.processes)
    state = {"transform": TransformerManager().transform_cell, "digest": bundle["digest"],
             "zygote": _Sandboxes(zygotes.current(), policy, not bundle["unsafe"]), "limits": limits,
             "notebooks": {stem: (nbformat.reads(src, as_version=4), nbformat.reads(rel, as_version=4))
                           for stem, (src, rel) in bundle["notebooks"].items()}}
    _states[bundle["digest"]] = state
    return state


def _use_reference(state: dict, bundle: dict) -> None:
    """Point the verdicts at this bundle's reference (held in memory; loaded afresh on a switch)."""
    reference.use_sources(bundle["reference"], state["digest"])


def warm(bundle: dict) -> None:
    """Set BUNDLE up in this worker ahead of its first submission (pool.py: on the bundle's arrival)."""
    _use_reference(_setup(bundle), bundle)


def grade_task(task: dict, bundle: dict) -> str:
    """Grade one submission ({"student", "notebooks": {stem: bytes}, "files": [...]}); JSON text out."""
    from ..verdicts.integrity import scan_files
    from .notebook import grade_notebook
    state = _setup(bundle)
    _use_reference(state, bundle)
    results = {}
    for stem, (source, release) in state["notebooks"].items():
        raw = task["notebooks"].get(stem)
        if raw is None:
            results[stem] = {"status": "missing", "reason": f"{stem}.ipynb was not submitted", "cells": [],
                             "autograded": None, "flags": [], "notes": [], "stops": [], "seconds": 0.0}
            continue
        with seeds.submission(task.get("seed"), stem):
            results[stem] = grade_notebook(raw, source, release, state["zygote"], state["limits"],
                                           state["transform"])
    extra = [f.to_dict() for f in scan_files(task["files"])]
    worker = f"{socket.gethostname()}:{os.getpid()}"
    return json.dumps({"student": task["student"], "notebooks": results, "file_flags": extra, "worker": worker})
