"""Diagnostic codes are stable and each names one problem: no two constants share a code."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

COMPILER = Path(__file__).resolve().parents[2] / "compiler"
CODE = re.compile(r'^([A-Z][A-Z0-9_]*)\s*=\s*"(KSC\d{3})"', re.M)


def test_every_code_is_defined_once():
    owners = defaultdict(list)
    for path in sorted(COMPILER.rglob("*.py")):
        for name, code in CODE.findall(path.read_text()):
            owners[code].append(f"{path.relative_to(COMPILER)}:{name}")
    assert owners, "no codes found: the pattern no longer matches how codes are written"
    shared = {code: names for code, names in owners.items() if len(names) > 1}
    assert shared == {}


def test_codes_sit_in_their_stage_range():
    # Decision 6: 0xx config, 1xx load, 2xx schema and webhooks, 3xx resolve, 4xx expand, 5xx check, 6xx emit
    stage_of = {"walk.py": "1", "parse.py": "1", "resolve.py": "3", "check.py": "5", "outdir.py": "6", "layout.py": "6", "dump.py": "6", "drift.py": "6"}
    for path in sorted(COMPILER.rglob("*.py")):
        expected = "4" if path.parent.name == "expand" else stage_of.get(path.name)
        if expected is None:
            continue
        for name, code in CODE.findall(path.read_text()):
            assert code[3] == expected, f"{path.name}:{name} = {code}"
