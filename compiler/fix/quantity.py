"""KSC202 on a quantity: a float such as `cpu: 0.5`, which KServe's CRDs refuse (only an integer or a string
is a Quantity; docs/design.md Decision 9), becomes the string Kubernetes reads as the same amount: the
number exactly as written, quoted (`"0.5"`). Integers are valid and never reach here."""

from __future__ import annotations

import re

from compiler.diagnostics import Diagnostic
from compiler.fix import tree
from compiler.fix.text import Edit, Text
from compiler.validate.documents import EXPECTED_QUANTITY, WRONG_TYPE

CODE = WRONG_TYPE
# Kubernetes' own pattern for a Quantity (k8s.io/apimachinery resource.Quantity, as its OpenAPI states it).
_QUANTITY = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[KMGTPE]i|[numkMGTPE]|[eE][+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))?")


def fix(diag: Diagnostic, documents: list, text: Text) -> tuple[list[Edit], str] | None:
    if EXPECTED_QUANTITY not in diag.message:
        return None  # KSC202 is every wrong type; only a quantity's float has one safe fix
    spot = tree.find(documents, diag.line, diag.column, key=False)
    if spot is None or not isinstance(spot.value, float):
        return None
    start, end, quote = text.scalar(diag.line - 1, diag.column - 1)
    written = text.body[start:end]
    if quote is not None:
        return None
    for candidate in (written, f"{spot.value:g}"):
        if _QUANTITY.fullmatch(candidate):
            return [Edit(start, end, f'"{candidate}"')], f"{diag.field}: {written} -> \"{candidate}\""
    return None  # .inf, .nan, 1_000.5 ...: no amount to keep
