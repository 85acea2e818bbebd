"""Golden cases of `diff` (issue 16): two versions of a repo -> the report, in each format, byte for byte.
One case per cause the issue names: a new runtime re-routing models, a priority change, a protocol change,
a config change, a catalog change, an InferenceService edit, a deletion, and a tie git cannot decide.

Regenerate only with `python tests/golden/regenerate_diff.py CASE` and read the diff line by line.
"""

from __future__ import annotations

from pathlib import Path

import pytest

CASES_DIR = Path(__file__).resolve().parent / "golden" / "diff"
CASES = sorted(p for p in CASES_DIR.iterdir() if (p / "base").is_dir())
SUFFIX = {"text": "txt", "markdown": "md", "json": "json", "github": "github"}


def _formats(case: Path) -> list[str]:
    extra = (case / "formats").read_text().split() if (case / "formats").exists() else []
    return ["text", "markdown", *extra]


def test_every_cause_has_a_case():
    assert {p.name for p in CASES} >= {"new-runtime", "priority-change", "protocol-change", "config-change",
                                       "catalog-change", "isvc-edit", "deletion", "tie"}


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_diff_golden(case, run_cli, monkeypatch):
    monkeypatch.chdir(case)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    extra = (case / "args").read_text().split() if (case / "args").exists() else []
    for fmt in _formats(case):
        result = run_cli("diff", "base", "head", "--format", fmt, *extra)
        assert result.exit_code == 0, result.output
        assert result.stdout == (case / f"expected.{SUFFIX[fmt]}").read_text(), fmt
    changed = run_cli("diff", "base", "head", "--exit-code", *extra)
    assert changed.exit_code == 1  # every case changes something


@pytest.mark.parametrize("collector", ["on", "off"])
def test_diff_leaves_the_cycle_collector_as_it_found_it(run_cli, monkeypatch, collector):
    """BASE's result is unpickled with the collector paused; turning it on afterwards, whatever it was, set
    off a full collection of both sides' objects (1 s of a 10,000-model diff) in the console script, which
    keeps it off for good (doors/cli.py entry)."""
    import gc
    monkeypatch.chdir(CASES_DIR / "isvc-edit")
    monkeypatch.delenv("KSC_DIFF_SERIAL", raising=False)
    was = gc.isenabled()
    (gc.enable if collector == "on" else gc.disable)()
    try:
        assert run_cli("diff", "base", "head").exit_code == 0
        assert gc.isenabled() is (collector == "on")
    finally:
        (gc.enable if was else gc.disable)()
