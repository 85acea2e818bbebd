"""Golden cases: input YAML -> the expected output folder, byte for byte (style.md).

Regenerate only with `python tests/golden/regenerate.py CASE` and read the diff line by line.
"""

from __future__ import annotations

from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parent / "golden"
CASES = sorted(p for p in GOLDEN.iterdir() if (p / "input").is_dir())


def read_tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


def test_cases_exist():
    assert len(CASES) >= 10  # an empty or half-deleted folder must not pass


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_golden(case, tmp_path, run_cli, monkeypatch):
    args_file = case / "args"
    extra = args_file.read_text().split() if args_file.exists() else []
    out = tmp_path / "out"
    monkeypatch.chdir(case)
    result = run_cli("build", "input", "-o", str(out), *extra)
    expected_report = (case / "diagnostics.txt").read_text()
    assert result.stdout == expected_report
    expected_dir = case / "expected"
    if expected_dir.exists():
        assert result.exit_code == 0, result.stdout
        assert read_tree(out) == read_tree(expected_dir)
    else:
        assert result.exit_code == 1
        assert not out.exists()
