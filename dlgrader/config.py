"""The course's configuration: `nbgrader_config.py`, read as nbgrader reads it, checked, cached.

nbgrader, Formgrader and students read `nbgrader_config.py`; so does dlgrader, with the same files
in the same order (the Jupyter config folders, then the course root; a later file, and a later line,
wins). One edit there (course id, exchange root, database, settings) moves dlgrader and stock
nbgrader alike. Environment variables only count where the file reads them
(`os.environ.get("DLGRADER_DB_URL", ...)`).

The settings of dlgrader's own sections (`c.Dlgrader`, `c.DlgraderCollect`, any class named
Dlgrader* that is Configurable) are checked when the file is loaded: an unknown name or a value of
the wrong type stops the command with one line naming the setting. So is a file that does not run.

Loaded configurations are cached per course, keyed on the files' status and the DLGRADER_*
variables, so reading a setting costs a few stat calls and an edited file is read again.
"""
from __future__ import annotations

import copy
import difflib
import functools
import importlib
import os
import re
import threading
import traceback
from pathlib import Path

from traitlets.config import Config

from .errors import DlgraderError

CONFIG_NAME = "nbgrader_config"
PACKAGE = Path(__file__).resolve().parent
SECTION_CLASS = re.compile(r"^class (Dlgrader\w*)\([^)]*Configurable[^)]*\):", re.M)

_cache: dict[Path, tuple[tuple, Config]] = {}
_lock = threading.Lock()


_JUPYTER_VARS = ("HOME", "JUPYTER_CONFIG_DIR", "JUPYTER_CONFIG_PATH", "JUPYTER_NO_CONFIG",
                 "JUPYTER_PREFER_ENV_PATH", "JUPYTER_PLATFORM_DIRS", "PROGRAMDATA")
# Variables that decide a cached configuration: these, and every DLGRADER_* set when it was loaded.
_ENV_DEFAULTS = ("DLGRADER_COURSE_ID", "DLGRADER_DB_URL", "DLGRADER_EXCHANGE")


def files(root: Path) -> list[Path]:
    """The config files nbgrader run in ROOT would read, lowest priority first."""
    return [*_jupyter_files(tuple(os.environ.get(v) for v in _JUPYTER_VARS)),
            *(Path(root) / f"{CONFIG_NAME}{ext}" for ext in (".py", ".json"))]


@functools.lru_cache(maxsize=8)
def _jupyter_files(_env_key: tuple) -> tuple[Path, ...]:
    from jupyter_core.paths import jupyter_config_path
    return tuple(Path(folder) / f"{CONFIG_NAME}{ext}" for folder in reversed(jupyter_config_path())
                 for ext in (".py", ".json"))


def _status(paths: list[Path]) -> tuple:
    out = []
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            out.append(None)
        else:
            out.append((st.st_ino, st.st_mtime_ns, st.st_size))
    return tuple(out)


def _env(names: tuple) -> tuple:
    return tuple(os.environ.get(name) for name in names)


def load(root: Path, copied: bool = True) -> tuple[Config, bool]:
    """The checked configuration of the course at ROOT (a copy that callers may change, unless
    COPIED is False: then it is the cached one, to read only), and whether the course has a config
    file of its own. Raises DlgraderError (one line) for a file that does not run or an invalid
    dlgrader setting."""
    root = Path(root)
    paths = files(root)
    status = _status(paths)
    cached = _cache.get(root)
    if cached is not None and cached[0][0] == status and cached[0][2] == _env(cached[0][1]):
        config = cached[1]
    else:
        with _lock:
            config, origin = _read(paths)
            check(config, origin)
            names = tuple(sorted({*_ENV_DEFAULTS, *(k for k in os.environ if k.startswith("DLGRADER_"))}))
            _cache[root] = ((status, names, _env(names)), config)   # the variables as the files left them
    return copy.deepcopy(config) if copied else config, status[-2] is not None or status[-1] is not None


def _read(paths: list[Path]) -> tuple[Config, dict]:
    """Merge the files in order; ORIGIN maps (section, name) to the file that set it last."""
    from traitlets.config.loader import ConfigFileNotFound, JSONFileConfigLoader, PyFileConfigLoader
    merged, origin = Config(), {}
    for path in paths:
        if not os.path.isfile(path):        # as traitlets does: a file this account cannot reach (say
            continue                        # ~/.jupyter under another's HOME) counts as absent
        loader_class = PyFileConfigLoader if path.suffix == ".py" else JSONFileConfigLoader
        try:
            loaded = loader_class(path.name, path=str(path.parent)).load_config()
        except ConfigFileNotFound:
            continue
        except Exception as exc:            # the file's own code failed: say where, in one line
            raise DlgraderError(describe_failure(path, exc)) from None
        for section, values in loaded.items():
            if isinstance(values, Config):
                for name in values:
                    origin[(section, name)] = path
        merged.merge(loaded)
    return merged, origin


def describe_failure(path: Path, exc: BaseException) -> str:
    line = getattr(exc, "lineno", None) if isinstance(exc, SyntaxError) else None
    if line is None:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename) == path]
        line = frames[-1].lineno if frames else None
    what = exc.msg if isinstance(exc, SyntaxError) else str(exc)
    where = f"{path} line {line}" if line else str(path)
    return one_line(f"{where}: {type(exc).__name__}: {what}")


def one_line(text: str) -> str:
    return " ".join(str(text).split())


# ---- checking dlgrader's sections ---------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def section_classes() -> dict[str, type]:
    """dlgrader's settings classes (Configurable classes named Dlgrader*), by name, found in the
    package's source so that a class added in a new module is known without registering it."""
    from traitlets.config import Configurable
    found = {}
    for source in sorted(PACKAGE.rglob("*.py")):
        try:
            text = source.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        names = SECTION_CLASS.findall(text)
        if not names:
            continue
        module = ".".join(("dlgrader", *source.relative_to(PACKAGE).with_suffix("").parts))
        module = importlib.import_module(module.removesuffix(".__init__"))
        for name in names:
            cls = getattr(module, name, None)
            if isinstance(cls, type) and issubclass(cls, Configurable):
                found[name] = cls
    return found


def _closest(word: str, choices) -> str | None:
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return match[0] if match else None


def check(config: Config, origin: dict) -> None:
    """One line (DlgraderError) for the first unknown name or wrong value in dlgrader's sections."""
    sections = [s for s, v in config.items() if isinstance(v, Config) and len(v)]
    ours = [s for s in sections if s.lower().startswith("dlgr")]
    if not ours:
        return
    classes = section_classes()
    everything = {f"{s}.{n}": (s, n) for s, cls in classes.items() for n in cls.class_trait_names(config=True)}
    for section in ours:
        cls = classes.get(section)
        if cls is None:
            first = next(iter(config[section]))
            where = origin.get((section, first), "nbgrader_config.py")
            guess = _closest(f"{section}.{first}", everything) or _closest(section, classes)
            hint = f"; did you mean c.{guess}?" if guess else f"; dlgrader's sections are {', '.join(sorted(classes))}"
            raise DlgraderError(f"{where}: c.{section} is not a dlgrader settings section{hint}")
        names = cls.class_trait_names(config=True)
        for name, value in config[section].items():
            where = origin.get((section, name), "nbgrader_config.py")
            if name not in names:
                elsewhere = [k for k, (s, n) in everything.items() if n == name]
                guess = elsewhere[0] if elsewhere else (f"{section}.{_closest(name, names)}"
                                                        if _closest(name, names) else None)
                hint = (f"did you mean c.{guess}?" if guess
                        else f"the settings of c.{section} are: {', '.join(sorted(names))}")
                raise DlgraderError(f"{where}: c.{section}.{name} is not a dlgrader setting; {hint}")
            try:
                cls(config=Config({section: {name: value}}))
            except Exception as exc:          # TraitError, or a validator's ValueError
                reason = re.sub(r"^(Values of )?[Tt]he '\w+' trait of an? \w+ instance ", "", one_line(exc))
                wants = cls.class_traits()[name].info()
                raise DlgraderError(one_line(f"{where}: c.{section}.{name} = {value!r} is not valid: "
                                             f"{reason} (c.{section}.{name} wants {wants})")) from None
