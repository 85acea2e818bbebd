"""The API server's rules for every KServe object's metadata, beyond the schemas: the object name (and
KServe's stricter InferenceService name), label keys and values, annotation keys and their total size.
Kubernetes' own rules live once, in compiler/apiserver/ (which also checks what we emit); this module
adds KServe v0.20's IsvcNameFmt and places each problem at its source position.
"""

from __future__ import annotations

import re

from compiler.apiserver.names import INVALID_NAME, metadata_problems
from compiler.diagnostics import Diagnostic, error
from compiler.document import Document

# KServe's IsvcNameFmt (pkg/apis/serving/v1beta1/inference_service_validation.go)
ISVC_NAME_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"
ISVC_NAME_ERROR = ('the InferenceService "{name}" is invalid: a InferenceService name must consist of lower case '
                   "alphanumeric characters or '-', and must start with alphabetical character. (e.g. \"my-name\" "
                   "or \"abc-123\", regex used for validation is '{regex}')")


def metadata_rules(doc: Document) -> list[Diagnostic]:
    name = doc.metadata.get("name")
    diags = []
    isvc_name_bad = doc.kind == "InferenceService" and isinstance(name, str) and not re.fullmatch(ISVC_NAME_FMT, name)
    if isvc_name_bad:
        diags.append(error(INVALID_NAME, ISVC_NAME_ERROR.format(name=name, regex=ISVC_NAME_FMT),
                           **doc.where(("metadata", "name"), key=False),
                           hint="KServe's webhook wants a DNS-1035 label: start with a letter, then a-z, 0-9 or '-'"))
    for problem in metadata_problems(doc.metadata, doc.kind, check_name=not isvc_name_bad):
        diags.append(error(INVALID_NAME, problem.message, **doc.where(problem.path, key=problem.at_key),
                           hint=problem.hint))
    return diags
