"""KSC240: an InferenceService of KFServing's `serving.kubeflow.org/v1beta1` has the shape of KServe's
`serving.kserve.io/v1beta1`, so only the apiVersion changes. This fix changes the build on purpose: the
object was refused before and is compiled after. The older v1alpha2 shape is different; it stays reported."""

from __future__ import annotations

from compiler.diagnostics import Diagnostic
from compiler.fix import tree
from compiler.fix.text import Edit, Text, replace_scalar
from compiler.validate.fields import LEGACY_API_GROUP

CODE = LEGACY_API_GROUP
OLD, NEW = "serving.kubeflow.org/v1beta1", "serving.kserve.io/v1beta1"


def fix(diag: Diagnostic, documents: list, text: Text) -> tuple[list[Edit], str] | None:
    spot = tree.find(documents, diag.line, diag.column, key=False)
    if spot is None or spot.key != "apiVersion" or spot.value != OLD or spot.parent.get("kind") != "InferenceService":
        return None
    edit = replace_scalar(text, diag.line - 1, diag.column - 1, OLD, NEW)
    return ([edit], f"apiVersion {OLD} -> {NEW} (the object is compiled from now on)") if edit else None
