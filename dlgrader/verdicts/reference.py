"""Locating and loading the course's trusted `reference/` package on the grader's side only.

The reference is never installed and never on `sys.path`: it is loaded from an explicit folder, the
`reference/` of the course found at or above the working folder (nbgrader runs the course's
commands in the course root, and `--engine nbgrader` runs its kernels in autograded/ inside it), or
the folder a DLGRADER_REFERENCE variable names in the grader's own process (tests, the demo; no
configuration exports it to children), or, in grading workers, from the files a grading bundle
carries, held in memory (never written to disk). Student environments have none of these.
"""
from __future__ import annotations

import importlib.abc
import importlib.util
import os
import sys
from pathlib import Path

ENV_VAR = "DLGRADER_REFERENCE"
_MODULE_NAME = "_dlgrader_reference"


class ReferenceUnavailable(RuntimeError):
    pass


def reference_dir() -> Path:
    value = os.environ.get(ENV_VAR)
    if not value:
        from ..course import Course
        from ..errors import DlgraderError
        try:
            return Course.find(os.getcwd()).reference
        except DlgraderError:
            raise ReferenceUnavailable(
                "hidden checks need the course reference, but no course is found at or above "
                f"{os.getcwd()} (grade from the course root)") from None
    path = Path(value)
    if not (path / "__init__.py").is_file():
        raise ReferenceUnavailable(f"{ENV_VAR}={value} is not a reference package folder")
    return path


_loaded_from: list = []      # where the loaded reference came from: a folder, or a bundle's digest


def load():
    """Import the reference package and return it: from the bundle held in memory (`use_sources`,
    the grading workers), else from the folder reference_dir() finds. A different folder or
    bundle than the one loaded before is loaded afresh; with DLGRADER_REFERENCE unset, a reference
    loaded before is kept."""
    finder = next((f for f in sys.meta_path if isinstance(f, _InMemory)), None)
    if finder is None and not os.environ.get(ENV_VAR) and _MODULE_NAME in sys.modules:
        return sys.modules[_MODULE_NAME]             # no folder named now: the one loaded before
    origin = f"bundle:{finder.digest}" if finder else str(reference_dir())
    if _MODULE_NAME in sys.modules and _loaded_from == [origin]:
        return sys.modules[_MODULE_NAME]
    _forget()
    if finder is not None:
        module = importlib.import_module(_MODULE_NAME)
    else:
        path = Path(origin)
        spec = importlib.util.spec_from_file_location(
            _MODULE_NAME, path / "__init__.py", submodule_search_locations=[str(path)])
        module = importlib.util.module_from_spec(spec)
        sys.modules[_MODULE_NAME] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(_MODULE_NAME, None)
            raise
    _loaded_from[:] = [origin]
    return module


def _forget() -> None:
    for name in [m for m in sys.modules if m == _MODULE_NAME or m.startswith(_MODULE_NAME + ".")]:
        del sys.modules[name]
    _loaded_from.clear()


class _InMemory(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports the reference package from its files' text (relative path -> source), so a grading
    worker never writes the reference to disk: it exists only in the memory of the grader's process
    while grading needs it."""

    def __init__(self, files: dict, digest: str):
        self.files, self.digest = dict(files), digest

    def _file(self, fullname: str):
        rel = fullname[len(_MODULE_NAME):].lstrip(".").replace(".", "/")
        package = f"{rel}/__init__.py" if rel else "__init__.py"
        if package in self.files:
            return package, True
        if rel and f"{rel}.py" in self.files:
            return f"{rel}.py", False
        return None, False

    def find_spec(self, fullname, path=None, target=None):
        if fullname != _MODULE_NAME and not fullname.startswith(_MODULE_NAME + "."):
            return None
        rel, is_package = self._file(fullname)
        if rel is None:
            return None
        return importlib.util.spec_from_loader(fullname, self, origin=f"<reference>/{rel}", is_package=is_package)

    def create_module(self, spec):
        return None

    def exec_module(self, module) -> None:
        rel, _ = self._file(module.__name__)
        exec(compile(self.files[rel], f"<reference>/{rel}", "exec"), module.__dict__)


def use_sources(files: dict, digest: str) -> None:
    """Grade with the reference whose files are FILES (from a grading bundle) from now on."""
    current = [f for f in sys.meta_path if isinstance(f, _InMemory)]
    if current and current[0].digest == digest:
        return
    for finder in current:
        sys.meta_path.remove(finder)
    _forget()
    sys.meta_path.insert(0, _InMemory(files, digest))


def drop_sources() -> None:
    """Forget the bundle `use_sources` installed (a long-lived process, e.g. Formgrader's server,
    keeps no reference in memory after grading)."""
    for finder in [f for f in sys.meta_path if isinstance(f, _InMemory)]:
        sys.meta_path.remove(finder)
    _forget()


def suite(dotted: str):
    """Return the hidden suite function for "ps2.softmax" (module ps2 of reference.suites)."""
    module_name, _, func = dotted.partition(".")
    ref = load()
    mod = importlib.import_module(f"{_MODULE_NAME}.suites.{module_name}")
    try:
        return getattr(mod, func)
    except AttributeError:
        raise ReferenceUnavailable(f"the reference has no hidden suite {dotted!r}") from None
    finally:
        del ref
