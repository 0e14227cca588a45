"""Integrity report: code in a submission that reaches for the grader instead of the problem.

A static scan of the student's own cells (after IPython's cell transform, so magics parse). It
never changes a score: it names what was tried and where, for a TA to look at.
"""
from __future__ import annotations

import ast
import re
from dataclasses import asdict, dataclass

SUSPECT_MODULES = {
    "reference": "imports the course reference", "_dlgrader_reference": "imports the course reference",
    "dlgrader": "imports the grader's internals", "nbgrader": "imports the grader's internals",
    "IPython": "imports IPython internals", "inspect": "inspects frames or source", "gc": "walks the heap",
    "ctypes": "uses ctypes", "socket": "opens network sockets", "subprocess": "starts processes",
    "urllib": "uses the network", "http": "uses the network", "requests": "uses the network",
    "multiprocessing": "starts processes", "signal": "handles signals", "pickle": "unpickles data",
    "marshal": "loads marshalled code", "builtins": "touches builtins", "importlib": "imports dynamically",
    "unittest": "patches with unittest.mock", "pty": "starts a shell", "shutil": "copies or deletes files",
}
SUSPECT_CALLS = {
    "get_ipython": "reaches into the IPython shell", "_getframe": "inspects the caller's frame",
    "system": "runs a shell command", "popen": "runs a shell command", "fork": "forks processes",
    "kill": "sends signals to processes", "killpg": "sends signals to processes",
    "_exit": "kills its own process", "exit": "exits the interpreter", "quit": "exits the interpreter",
    "__import__": "imports dynamically", "exec": "runs generated code", "eval": "runs generated code",
    "compile": "compiles generated code", "setattr": "patches attributes", "remove": "deletes files",
    "unlink": "deletes files", "rmtree": "deletes files", "listdir": "lists folders", "walk": "walks folders",
    "scandir": "lists folders", "chdir": "changes folder", "connect": "opens a connection",
}
SUSPECT_ATTRIBUTES = {"__subclasses__", "__globals__", "__code__", "f_back", "f_globals", "f_locals",
                      "gi_frame", "__builtins__", "input_transformers_cleanup", "showtraceback",
                      "input_transformers_post", "ast_transformers", "modules"}
PATCHED_MODULES = {"np", "numpy", "builtins", "__builtins__", "sys", "math", "os", "IPython", "Checks", "t"}


_MAGIC = re.compile(r"^\s*[%!]|\?\s*$", re.M)


@dataclass
class Flag:
    cell: str
    line: int
    what: str
    code: str

    def to_dict(self) -> dict:
        return asdict(self)


def scan_cell(source: str, cell: str, transform=None) -> list[Flag]:
    try:
        code = transform(source) if transform and _MAGIC.search(source) else source
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):   # too deep to parse: nothing to scan
        return []
    lines = code.splitlines()
    flags: list[Flag] = []

    def flag(node, what):
        line = getattr(node, "lineno", 1)
        text = lines[line - 1].strip() if 0 < line <= len(lines) else ""
        flags.append(Flag(cell, line, what, text[:160]))

    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for name in names:
                top = name.split(".")[0]
                if top in SUSPECT_MODULES:
                    flag(node, f"{SUSPECT_MODULES[top]} (`{name}`)")
        elif isinstance(node, ast.Call):
            fn = node.func
            name = fn.attr if isinstance(fn, ast.Attribute) else fn.id if isinstance(fn, ast.Name) else ""
            if name in SUSPECT_CALLS:
                flag(node, f"{SUSPECT_CALLS[name]} (`{name}(...)`)")
            elif name == "open" and node.args and isinstance(node.args[0], ast.Constant) \
                    and isinstance(node.args[0].value, str) and (node.args[0].value.startswith("/")
                                                                 or ".." in node.args[0].value):
                flag(node, f"opens a file outside its folder ({node.args[0].value!r})")
        elif isinstance(node, ast.Attribute) and node.attr in SUSPECT_ATTRIBUTES:
            flag(node, f"touches interpreter internals (`.{node.attr}`)")
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                root = target
                while isinstance(root, (ast.Attribute, ast.Subscript)):
                    root = root.value
                if isinstance(target, (ast.Attribute, ast.Subscript)) and isinstance(root, ast.Name) \
                        and root.id in PATCHED_MODULES:
                    flag(node, f"monkeypatches `{_unparse(code, target)}`")
                elif isinstance(target, ast.Name) and target.id in ("__builtins__",):
                    flag(node, "replaces __builtins__")
    seen, unique = set(), []
    for f in flags:
        key = (f.line, f.what)
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique


def _unparse(code: str, node) -> str:
    try:
        return ast.unparse(node)
    except RecursionError:                 # a target nested too deep for ast.unparse: quote the source
        return (ast.get_source_segment(code, node) or "")[:160]


SHADOWING = {"numpy", "np", "math", "builtins", "sys", "os", "dlgrader", "reference", "nbgrader",
             "IPython", "matplotlib", "random", "json", "pytest", "unittest"}


def scan_files(names: list[str]) -> list[Flag]:
    """Files shipped next to the notebook that would shadow a library if put on the path."""
    flags = []
    for name in names:
        stem = name.rsplit("/", 1)[-1]
        base = stem[:-3] if stem.endswith(".py") else stem.split(".", 1)[0]   # numpy.cpython-311-….so
        if stem.endswith((".py", ".pth", ".so")) and base in SHADOWING:
            flags.append(Flag("(files)", 0, f"ships `{stem}`, which would shadow `{base}`", stem))
    return flags
