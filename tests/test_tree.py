"""The course tree as the README lays it out: autograded/ is there from the start (a placeholder),
while the student data that grading writes into it stays out of git."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from .conftest import ROOT


def git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="needs the git checkout")
def test_autograded_is_in_the_tree_and_its_student_data_is_ignored():
    assert git("ls-files", "--error-unmatch", "autograded/README.md").returncode == 0
    assert git("check-ignore", "-q", "autograded/alice/ps1_gradient_descent/gradient_descent.ipynb").returncode == 0
    assert git("check-ignore", "-q", "autograded/README.md").returncode == 1
