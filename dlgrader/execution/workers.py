"""The worker side of a batch: grade one submission from plain task data.

The same function runs in a local process pool and on Dask workers. Everything a worker needs
arrives as data in a *bundle* (the assignment's source and release notebooks, the reference
package's files, limits); a worker writes the reference to a private temporary folder, starts one
pre-warmed sandbox zygote, and keeps both while bundles with the same digest keep coming. Workers
never touch the gradebook or the course folder; they return JSON text.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

import nbformat

from ..course import Course
from ..verdicts.reference import ENV_VAR
from .engine import Limits

UID_BASE = 64000
_state: dict = {}


def uid_base() -> int:
    """Sandbox uids are uid_base()+1 .. +800; DLGRADER_SANDBOX_UID_BASE moves the range (e.g. to keep
    two graders on one machine apart)."""
    return int(os.environ.get("DLGRADER_SANDBOX_UID_BASE", UID_BASE))


def make_bundle(course: Course, assignment: str, unsafe: bool, limits: Limits, hidden: list[str]) -> dict:
    notebooks = {}
    for path in sorted((course.source / assignment).glob("*.ipynb")):
        release = course.release / assignment / path.name
        notebooks[path.stem] = [path.read_text(encoding="utf-8"),
                                (release if release.exists() else path).read_text(encoding="utf-8")]
    reference = {p.relative_to(course.reference).as_posix(): p.read_text(encoding="utf-8")
                 for p in sorted(course.reference.rglob("*.py")) if "__pycache__" not in p.parts}
    bundle = {"assignment": assignment, "notebooks": notebooks, "reference": reference,
              "unsafe": bool(unsafe), "limits": asdict(limits), "hidden": list(hidden)}
    bundle["digest"] = hashlib.sha256(json.dumps(bundle, sort_keys=True).encode()).hexdigest()
    return bundle


def _setup(bundle: dict) -> None:
    if _state.get("digest") == bundle["digest"]:
        return
    _teardown()
    from IPython.core.inputtransformer2 import TransformerManager

    from .sandbox import default_policy
    from .session import Zygote
    folder = Path(tempfile.mkdtemp(prefix="dlgrader-worker-"))
    ref_dir = folder / "reference"
    for rel, text in bundle["reference"].items():
        target = ref_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    for name in [m for m in sys.modules if m.startswith("_dlgrader_reference")]:
        del sys.modules[name]                       # a different course: load its reference afresh
    os.environ[ENV_VAR] = str(ref_dir)
    uid = uid_base() + 1 + os.getpid() % 800
    policy = default_policy(list(bundle["hidden"]) + [str(folder)], uid)
    if not _state.get("cleanup_registered"):
        import atexit
        from multiprocessing import util
        atexit.register(_teardown)
        util.Finalize(None, _teardown, exitpriority=10)   # pool workers skip atexit
    _state.update(
        cleanup_registered=True, digest=bundle["digest"], folder=folder, transform=TransformerManager().transform_cell,
        zygote=Zygote(policy, isolate=not bundle["unsafe"]), limits=Limits(**bundle["limits"]),
        notebooks={stem: (nbformat.reads(src, as_version=4), nbformat.reads(rel, as_version=4))
                   for stem, (src, rel) in bundle["notebooks"].items()})


def _teardown() -> None:
    zygote = _state.pop("zygote", None)
    if zygote is not None:
        zygote.close()
    folder = _state.pop("folder", None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
    registered = _state.get("cleanup_registered")
    _state.clear()
    if registered:
        _state["cleanup_registered"] = True


def grade_task(task: dict, bundle: dict) -> str:
    """Grade one submission ({"student", "notebooks": {stem: bytes}, "files": [...]}); JSON text out."""
    from ..verdicts.integrity import scan_files
    from .notebook import grade_notebook
    _setup(bundle)
    crash = os.environ.get("DLGRADER_FAULT_CRASH_ON")       # fault injection for the crash tests
    if crash and crash == task["student"]:
        os._exit(70)
    results = {}
    for stem, (source, release) in _state["notebooks"].items():
        raw = task["notebooks"].get(stem)
        if raw is None:
            results[stem] = {"status": "missing", "reason": f"{stem}.ipynb was not submitted", "cells": [],
                             "autograded": None, "flags": [], "notes": [], "stops": [], "seconds": 0.0}
            continue
        results[stem] = grade_notebook(raw, source, release, _state["zygote"], _state["limits"],
                                       _state["transform"])
    extra = [f.to_dict() for f in scan_files(task["files"])]
    worker = f"{socket.gethostname()}:{os.getpid()}"
    return json.dumps({"student": task["student"], "notebooks": results, "file_flags": extra, "worker": worker})
