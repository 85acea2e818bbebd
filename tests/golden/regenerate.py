"""Regenerate golden expectations: the only thing that rewrites tests/golden/<case>/expected/.

    python tests/golden/regenerate.py            # every case
    python tests/golden/regenerate.py CASE...    # just these

A case with `before/` instead of `input/` is a `fix` pair: `fix before` runs on a copy, and the result
is written to `after/`, its stderr to `fixes.txt`.

Read every changed file line by line (git diff) before committing it: the golden files are the
claim that our output is what KServe would create.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from click.testing import CliRunner

from compiler.doors.cli import main

GOLDEN = Path(__file__).resolve().parent


def regenerate(case: Path) -> None:
    if (case / "before").is_dir():
        return regenerate_fix(case)
    expected = case / "expected"
    shutil.rmtree(expected, ignore_errors=True)
    os.chdir(case)  # the test runs from the case folder too, so paths in the report match
    args = ["build", "input", "-o", "expected", *_extra_args(case)]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    (case / "diagnostics.txt").write_text(result.stdout)
    print(f"{case.name}: exit {result.exit_code}")


def regenerate_fix(case: Path) -> None:
    after = case / "after"
    shutil.rmtree(after, ignore_errors=True)
    shutil.copytree(case / "before", after)
    os.chdir(case)
    result = CliRunner().invoke(main, ["fix", "after", *_extra_args(case)], catch_exceptions=False)
    (case / "fixes.txt").write_text(result.stderr)
    print(f"{case.name}: exit {result.exit_code}")


def _extra_args(case: Path) -> list[str]:
    args = case / "args"
    return args.read_text().split() if args.exists() else []


if __name__ == "__main__":
    names = sys.argv[1:]
    cases = [GOLDEN / n for n in names] if names else sorted(p for p in GOLDEN.iterdir()
                                                                  if (p / "input").is_dir() or (p / "before").is_dir())
    for case in cases:
        regenerate(case)
