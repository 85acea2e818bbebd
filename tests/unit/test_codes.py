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


# ---------------------------------------------------------------- docs/codes.md and compiler/codes.yaml (issue 15)

def _constants() -> set[str]:
    return {code for path in COMPILER.rglob("*.py") for _name, code in CODE.findall(path.read_text())}


def test_every_code_constant_has_an_entry_and_only_retired_entries_lack_one():
    from compiler.codes import table
    entries = table()
    assert _constants() - set(entries) == set(), "add these to compiler/codes.yaml"
    orphans = {code for code, info in entries.items() if code not in _constants() and not info.retired}
    assert orphans == set(), "no constant reports these: mark them retired (never reuse the number)"


def test_retired_codes_stay_listed():
    from compiler.codes import table
    retired = {code for code, info in table().items() if info.retired}
    assert {"KSC232", "KSC234", "KSC235", "KSC236", "KSC440", "KSC462"} <= retired
    assert retired.isdisjoint(_constants())  # a retired number is never reused


def test_entries_are_complete():
    from compiler.codes import SEVERITIES, table
    for code, info in table().items():
        assert info.title and info.help and info.fix, code
        assert info.severity in SEVERITIES, code
        assert isinstance(info.fixable, bool), code
        assert info.severity != "notice" or code[3] != "5", "a 5xx code is our bug, never a notice"


def test_the_committed_page_is_generated_from_the_table():
    from compiler.codes import markdown, table
    page = (COMPILER.parent / "docs" / "codes.md").read_text(encoding="utf-8")
    assert page == markdown(table()), "docs/codes.md is stale: run python docs/regenerate.py"


def test_each_code_has_its_anchor_and_the_fixable_column():
    from compiler.codes import help_uri, table
    page = (COMPILER.parent / "docs" / "codes.md").read_text(encoding="utf-8")
    assert "| code | severity | title | fixable |" in page
    headings = set(re.findall(r"^## (KSC\d{3})$", page, re.M))
    assert headings == set(table())  # GitHub makes the heading "## KSC201" the anchor #ksc201
    assert help_uri("KSC201") == ("https://github.com/kserve-compiler/kserve-compiler/blob/main/docs/codes.md"
                                  "#ksc201")


def test_the_fixable_column_is_exactly_what_fix_repairs():
    from compiler.codes import table
    from compiler.fix import FIXED_CODES
    assert {code for code, info in table().items() if info.fixable} == set(FIXED_CODES)
