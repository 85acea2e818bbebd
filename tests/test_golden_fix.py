"""`fix` before/after pairs (tests/golden/fix-*/): `fix` on a copy of before/ gives after/ byte for byte and
the report in fixes.txt; a second run changes nothing; --diff on before/ writes nothing and exits 1.

Regenerate only with `python tests/golden/regenerate.py fix-CASE` and read the diff line by line.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import tree_bytes

GOLDEN = Path(__file__).resolve().parent / "golden"
CASES = sorted(p for p in GOLDEN.iterdir() if (p / "before").is_dir())


def test_every_fix_has_a_pair():
    assert {p.name for p in CASES} >= {"fix-legacy-forms", "fix-quantities", "fix-misspelt-keys",
                                       "fix-deployment-mode", "fix-api-group"}


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_fix_pair(case, tmp_path, run_cli, monkeypatch):
    shutil.copytree(case / "before", tmp_path / "after")
    monkeypatch.chdir(tmp_path)
    first = run_cli("fix", "after")
    assert first.exit_code == 0, first.stderr
    assert tree_bytes(tmp_path / "after") == tree_bytes(case / "after")
    assert first.stderr == (case / "fixes.txt").read_text()
    again = run_cli("fix", "after")
    assert again.exit_code == 0 and "fixed 0 problems in 0 files" in again.stderr
    assert tree_bytes(tmp_path / "after") == tree_bytes(case / "after")


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_fix_diff_writes_nothing(case, tmp_path, run_cli, monkeypatch):
    shutil.copytree(case / "before", tmp_path / "after")
    monkeypatch.chdir(tmp_path)
    result = run_cli("fix", "--diff", "after")
    assert result.exit_code == 1
    assert result.stdout.startswith("--- a/after/") and "\n+++ b/after/" in result.stdout
    assert tree_bytes(tmp_path / "after") == tree_bytes(case / "before")
    clean = run_cli("fix", "--diff", str(case / "after"))
    assert clean.exit_code == 0 and clean.stdout == ""
