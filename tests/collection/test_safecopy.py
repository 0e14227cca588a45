"""The safe copier on folders built by hand: what it copies, what it refuses, caps at the boundary."""
from __future__ import annotations

import os
import threading

import pytest

from dlgrader.collection.safecopy import Caps, Refused, walk

CAPS = Caps(max_file_bytes=1000, max_submission_bytes=1500, max_files=6)


def tree(root, files: dict):
    root.mkdir(parents=True, exist_ok=True)
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def test_copies_nested_regular_files_and_keeps_what_is_asked(tmp_path):
    src = tree(tmp_path / "src", {"a.ipynb": b"{}", "data/x.csv": b"1,2", "data/deep/y.txt": b"y"})
    got = walk(src, caps=CAPS, keep=lambda rel: rel.endswith(".ipynb"), dest=tmp_path / "dest")
    assert sorted(got.files) == ["a.ipynb", "data/deep/y.txt", "data/x.csv"]
    assert got.kept == {"a.ipynb": b"{}"} and got.bytes == 6
    assert (tmp_path / "dest/data/deep/y.txt").read_bytes() == b"y"
    assert got.newest_ctime >= os.stat(src / "data/x.csv").st_ctime


def test_caps_are_exact_at_the_boundary(tmp_path):
    src = tree(tmp_path / "ok", {"a": b"x" * 1000, "b": b"x" * 500})          # file cap and total cap hit exactly
    assert walk(src, caps=CAPS).bytes == 1500
    with pytest.raises(Refused, match="a is over the .* limit per file"):
        walk(tree(tmp_path / "file", {"a": b"x" * 1001}), caps=CAPS)
    with pytest.raises(Refused, match="submission is over"):
        walk(tree(tmp_path / "total", {"a": b"x" * 1000, "b": b"x" * 501}), caps=CAPS)
    assert walk(tree(tmp_path / "six", {f"f{i}": b"" for i in range(6)}), caps=CAPS).files
    with pytest.raises(Refused, match="more than 6 files"):
        walk(tree(tmp_path / "seven", {f"f{i}": b"" for i in range(7)}), caps=CAPS)


def test_a_sparse_file_is_refused_after_reading_only_the_cap(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    with open(src / "big.ipynb", "wb") as fh:
        fh.truncate(2**40)                                                  # 1 TB, no disk used
    with pytest.raises(Refused, match="big.ipynb is over"):
        walk(src, caps=CAPS, keep=lambda rel: True)


@pytest.mark.parametrize("kind", ["file-link", "dir-link", "dangling", "dev-zero", "fifo", "socket", "root-link"])
def test_links_and_special_files_are_refused(tmp_path, kind):
    outside = tree(tmp_path / "outside", {"secret.ipynb": b"answers"})
    src = tree(tmp_path / "src", {"ok.txt": b"ok"})
    base, parts = src, ()
    if kind == "file-link":
        (src / "nb.ipynb").symlink_to(outside / "secret.ipynb")
    elif kind == "dir-link":
        (src / "sub").symlink_to(outside)
    elif kind == "dangling":
        (src / "nb.ipynb").symlink_to(tmp_path / "nowhere")
    elif kind == "dev-zero":
        (src / "nb.ipynb").symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(src / "nb.ipynb")
    elif kind == "socket":
        import socket
        s = socket.socket(socket.AF_UNIX)
        s.bind(str(src / "nb.sock"))
        s.close()
    else:
        (tmp_path / "link").symlink_to(src)
        base, parts = tmp_path, ("link",)
    done = []
    reader = threading.Thread(target=lambda: done.append(_refusal(base, parts, tmp_path / "dest")), daemon=True)
    reader.start()
    reader.join(timeout=20)                                     # a FIFO must never block the reader
    assert done, f"{kind}: the walk blocked"
    assert done[0] is not None, f"{kind}: not refused"
    assert not (tmp_path / "dest" / "nb.ipynb").exists() or (tmp_path / "dest" / "nb.ipynb").stat().st_size == 0
    assert (outside / "secret.ipynb").read_bytes() == b"answers"


def _refusal(base, parts, dest):
    try:
        walk(base, parts, caps=CAPS, keep=lambda rel: True, dest=dest)
    except Refused as exc:
        return str(exc)
    return None


def test_a_hard_link_is_copied_by_content_and_noted(tmp_path):
    outside = tree(tmp_path / "outside", {"mine.txt": b"mine"})
    src = tree(tmp_path / "src", {})
    os.link(outside / "mine.txt", src / "linked.txt")
    got = walk(src, caps=CAPS, dest=tmp_path / "dest")
    assert got.hardlinked == ["linked.txt"]
    assert os.stat(tmp_path / "dest/linked.txt").st_nlink == 1
    assert (tmp_path / "dest/linked.txt").read_bytes() == b"mine"


def test_ignored_names_are_skipped_unopened(tmp_path):
    src = tree(tmp_path / "src", {"nb.ipynb": b"{}"})
    os.mkfifo(src / "__pycache__")
    got = walk(src, caps=CAPS, ignore=("__pycache__", "*.pyc"))
    assert got.files == ["nb.ipynb"]


def test_the_course_defaults_collect_a_30_mb_notebook(tmp_path):
    from dlgrader.collection.settings import settings
    from dlgrader.course import Course

    from ..conftest import copy_course
    course = Course(copy_course(tmp_path / "course"))
    caps = settings(course).caps()
    assert (caps.max_file_bytes, caps.max_submission_bytes, caps.max_files) == (64 * 2**20, 128 * 2**20, 200)
    src = tmp_path / "src"
    src.mkdir()
    with open(src / "stale-outputs.ipynb", "wb") as fh:
        fh.truncate(30 * 2**20)                                  # sparse: read as 30 MB, no disk used
    assert walk(src, caps=caps).bytes == 30 * 2**20
