"""Locating and loading the course's trusted `reference/` package on the grader's side only.

The reference is never installed and never on `sys.path`: it is loaded from an explicit folder given
by the DLGRADER_REFERENCE environment variable, which the course's nbgrader_config.py sets for
nbgrader commands run from the course root. Student environments do not have it.
"""
from __future__ import annotations

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
        raise ReferenceUnavailable(
            f"hidden checks need the course reference, but {ENV_VAR} is not set "
            "(run grading from the course root, where nbgrader_config.py sets it)")
    path = Path(value)
    if not (path / "__init__.py").is_file():
        raise ReferenceUnavailable(f"{ENV_VAR}={value} is not a reference package folder")
    return path


def load():
    """Import the reference package (once per process) from its folder and return it."""
    if _MODULE_NAME in sys.modules:
        return sys.modules[_MODULE_NAME]
    path = reference_dir()
    spec = importlib.util.spec_from_file_location(
        _MODULE_NAME, path / "__init__.py", submodule_search_locations=[str(path)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[_MODULE_NAME] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(_MODULE_NAME, None)
        raise
    return module


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
