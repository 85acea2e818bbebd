"""The API server's rules for every KServe object's metadata, beyond the schemas: the object name (and
KServe's stricter InferenceService name), label keys and values, annotation keys and their total size
(k8s.io/apimachinery/pkg/util/validation; KServe v0.20's IsvcNameFmt).
"""

from __future__ import annotations

import re
from typing import Iterator

from compiler.diagnostics import Diagnostic, error
from compiler.document import Document

INVALID_NAME = "KSC205"  # names are the API server's rule

# Kubernetes' name rules (k8s.io/apimachinery/pkg/util/validation) and KServe's IsvcNameFmt.
DNS1123_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS1123_SUBDOMAIN = rf"{DNS1123_LABEL}(\.{DNS1123_LABEL})*"
ISVC_NAME_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"
QUALIFIED_NAME = r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
ISVC_NAME_ERROR = ('the InferenceService "{name}" is invalid: a InferenceService name must consist of lower case '
                   "alphanumeric characters or '-', and must start with alphabetical character. (e.g. \"my-name\" "
                   "or \"abc-123\", regex used for validation is '{regex}')")
ANNOTATIONS_LIMIT = 256 * 1024  # TotalAnnotationSizeLimitB



# ---------------------------------------------------------------------------------------------------
# Metadata: the API server's ObjectMeta validation, and KServe's InferenceService name rule


def metadata_rules(doc: Document) -> list[Diagnostic]:
    meta = doc.metadata
    diags = []
    if isinstance(meta.get("name"), str):
        diags += _name(doc, meta["name"])
    if isinstance(meta.get("namespace"), str) and not _is_label(meta["namespace"]):
        diags.append(error(INVALID_NAME, f'metadata.namespace: "{meta["namespace"]}" is not a valid namespace: '
                           f"{_LABEL_RULE}", **doc.where(("metadata", "namespace"), key=False)))
    if isinstance(meta.get("labels"), dict):
        diags += _labels(doc, meta["labels"])
    if isinstance(meta.get("annotations"), dict):
        diags += _annotations(doc, meta["annotations"])
    return diags


_LABEL_RULE = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
               "start and end with an alphanumeric character, at most 63 characters")
_SUBDOMAIN_RULE = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                   "and must start and end with an alphanumeric character, at most 253 characters")


def _is_label(value: str) -> bool:
    return len(value) <= 63 and re.fullmatch(DNS1123_LABEL, value) is not None


def _name(doc: Document, name: str) -> list[Diagnostic]:
    where = doc.where(("metadata", "name"), key=False)
    if doc.kind == "InferenceService" and not re.fullmatch(ISVC_NAME_FMT, name):
        return [error(INVALID_NAME, ISVC_NAME_ERROR.format(name=name, regex=ISVC_NAME_FMT), **where,
                      hint="KServe's webhook wants a DNS-1035 label: start with a letter, then a-z, 0-9 or '-'")]
    if len(name) > 253 or not re.fullmatch(DNS1123_SUBDOMAIN, name):
        return [error(INVALID_NAME, f'metadata.name: "{name}" is not a valid name: {_SUBDOMAIN_RULE}', **where)]
    return []


def _qualified_name_problem(key: str) -> str | None:
    """Label and annotation keys: [prefix/]name (apimachinery IsQualifiedName)."""
    prefix, _, name = key.rpartition("/")
    if "/" in key and not prefix:
        return "the prefix before '/' must not be empty"
    if prefix and (len(prefix) > 253 or not re.fullmatch(DNS1123_SUBDOMAIN, prefix)):
        return f"the prefix must be a lowercase RFC 1123 subdomain ({prefix!r} is not)"
    if not name or len(name) > 63 or not re.fullmatch(QUALIFIED_NAME, name):
        return ("the name part must be 63 characters or less, begin and end with an alphanumeric character, "
                "and hold only alphanumerics, '-', '_' or '.'")
    return None


def _labels(doc: Document, labels: dict) -> Iterator[Diagnostic]:
    for key, value in labels.items():
        path = ("metadata", "labels", key)
        problem = _qualified_name_problem(key)
        if problem:
            yield error(INVALID_NAME, f'metadata.labels: "{key}" is not a valid label key: {problem}',
                        **doc.where(path))
        if isinstance(value, str) and value and (len(value) > 63 or not re.fullmatch(QUALIFIED_NAME, value)):
            yield error(INVALID_NAME, f'metadata.labels.{key}: "{value}" is not a valid label value: it must be 63 '
                        "characters or less, begin and end with an alphanumeric character, and hold only "
                        "alphanumerics, '-', '_' or '.'", **doc.where(path, key=False),
                        hint="put free text in an annotation instead")


def _annotations(doc: Document, annotations: dict) -> Iterator[Diagnostic]:
    for key in annotations:
        problem = _qualified_name_problem(key)
        if problem:
            yield error(INVALID_NAME, f'metadata.annotations: "{key}" is not a valid annotation key: {problem}',
                        **doc.where(("metadata", "annotations", key)))
    size = sum(len(k) + len(v) for k, v in annotations.items() if isinstance(v, str))
    if size > ANNOTATIONS_LIMIT:
        yield error(INVALID_NAME, f"metadata.annotations: {size} bytes, more than Kubernetes' limit of "
                    f"{ANNOTATIONS_LIMIT}", **doc.where(("metadata", "annotations")))
