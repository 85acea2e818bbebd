"""Diagnostics of one file -> the edits that fix them. Each fix is tied to the code of the diagnostic it
answers; `wants` (the user's --select / --ignore, compiler.filtering.Filter.wants) decides which run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from compiler.diagnostics import Diagnostic
from compiler.fix import FIXED_CODES, api_group, keys, legacy, mode, quantity, tree
from compiler.fix.text import Edit, Text, apply, overlaps

FIXERS = {module.CODE: module.fix for module in (keys, quantity, legacy, api_group, mode)}
assert tuple(sorted(FIXERS)) == FIXED_CODES, "FIXED_CODES must list exactly the fixers' codes"


@dataclass(frozen=True)
class Applied:
    code: str
    line: int        # in the text the fix was planned on: the original's when `round` is 0
    what: str
    round: int = 0   # 1, 2...: uncovered by the fixes of the rounds before (run.py)


@dataclass(frozen=True)
class Planned:
    text: str                 # the file after the edits (the input when nothing applies)
    applied: tuple[Applied, ...]
    problem: str | None = None  # why the file could not be read for fixing


def plan(text: str, diagnostics: list[Diagnostic], wants: Callable[[Diagnostic], bool]) -> Planned:
    candidates = [d for d in diagnostics if d.code in FIXERS and d.line and d.column and wants(d)]
    if not candidates:
        return Planned(text, ())
    source = Text.of(text)
    try:
        documents = tree.load(source.body)
    except ValueError as exc:
        return Planned(text, (), f"ruamel.yaml cannot read it for rewriting: {exc}")
    edits: list[Edit] = []
    applied: list[Applied] = []
    for diag in sorted(candidates, key=Diagnostic.sort_key):
        found = FIXERS[diag.code](diag, documents, source)
        if found is None:
            continue
        new, what = found
        if any(overlaps(a, b) for a in new for b in edits):
            continue  # two fixes of one spot: the first wins, the next run takes the other if it still applies
        edits += new
        applied.append(Applied(diag.code, diag.line, what))
    return Planned(apply(source, edits) if edits else text, tuple(applied))
