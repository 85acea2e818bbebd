"""KSC248: the deploymentMode annotation's old names, which KServe's defaulter rewrites (RawDeployment ->
Standard, Serverless -> Knative; docs/kserve-behaviour.md §3), are written as the current ones."""

from __future__ import annotations

from compiler.constants import OLD_DEPLOYMENT_MODES
from compiler.diagnostics import Diagnostic
from compiler.fix import tree
from compiler.fix.text import Edit, Text, replace_scalar
from compiler.model import OLD_DEPLOYMENT_MODE

CODE = OLD_DEPLOYMENT_MODE


def fix(diag: Diagnostic, documents: list, text: Text) -> tuple[list[Edit], str] | None:
    spot = tree.find(documents, diag.line, diag.column, key=False)
    if spot is None or spot.value not in OLD_DEPLOYMENT_MODES:
        return None
    new = OLD_DEPLOYMENT_MODES[spot.value]
    edit = replace_scalar(text, diag.line - 1, diag.column - 1, spot.value, new)
    return ([edit], f"deploymentMode {spot.value} -> {new}") if edit else None
