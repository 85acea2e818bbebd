"""Regenerate the diff golden expectations: the only thing that rewrites tests/golden/diff/<case>/expected.*.

    python tests/golden/regenerate_diff.py            # every case
    python tests/golden/regenerate_diff.py CASE...    # just these

Each case holds base/ and head/ (two versions of a repo), optionally `args` (more options) and `formats`
(the formats to keep besides text and markdown: json, github). Read every changed file line by line before
committing it: the causes named are the claim that this is why KServe would change those objects.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from click.testing import CliRunner

from compiler.doors.cli import main

CASES = Path(__file__).resolve().parent / "diff"
SUFFIX = {"text": "txt", "markdown": "md", "json": "json", "github": "github"}


def formats(case: Path) -> list[str]:
    extra = (case / "formats").read_text().split() if (case / "formats").exists() else []
    return ["text", "markdown", *extra]


def run(case: Path, fmt: str):
    os.chdir(case)  # the test runs from the case folder too, so file names match
    extra = (case / "args").read_text().split() if (case / "args").exists() else []
    return CliRunner().invoke(main, ["diff", "base", "head", "--format", fmt, *extra], catch_exceptions=False,
                              env={"GITHUB_ACTIONS": None, "KSC_DIFF_SERIAL": "1"})


def regenerate(case: Path) -> None:
    for fmt in formats(case):
        result = run(case, fmt)
        (case / f"expected.{SUFFIX[fmt]}").write_text(result.stdout)
        print(f"{case.name} {fmt}: exit {result.exit_code}")


if __name__ == "__main__":
    names = sys.argv[1:]
    chosen = [CASES / n for n in names] if names else sorted(p for p in CASES.iterdir() if (p / "base").is_dir())
    for case in chosen:
        regenerate(case)
