"""KSC201: an unknown field whose hint names exactly one field (`did you mean "storageUri"?`, or the same
name in other case) is renamed to it, unless that field is already there."""

from __future__ import annotations

import re

from compiler.diagnostics import Diagnostic
from compiler.fix import tree
from compiler.fix.text import Edit, Text, replace_scalar
from compiler.validate.documents import UNKNOWN_FIELD

CODE = UNKNOWN_FIELD
_ONE_SUGGESTION = re.compile(r'did you mean "([^"]+)"\?')


def fix(diag: Diagnostic, documents: list, text: Text) -> tuple[list[Edit], str] | None:
    match = _ONE_SUGGESTION.match(diag.hint or "")
    if match is None:
        return None  # "allowed here: ...", "belongs under predictor.model": no single answer
    spot = tree.find(documents, diag.line, diag.column, key=True)
    wanted = match.group(1)
    if spot is None or not isinstance(spot.key, str) or wanted in spot.parent:
        return None
    edit = replace_scalar(text, diag.line - 1, diag.column - 1, spot.key, wanted)
    return ([edit], f"{diag.field}: {spot.key} -> {wanted}") if edit else None
