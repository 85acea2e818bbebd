"""Users' CustomResourceDefinitions (--crds DIR) as JSON Schema 2020-12, read as the API server reads a
custom resource under strict field validation: objects closed unless x-kubernetes-preserve-unknown-fields,
int-or-string as an integer or a string, nulls where nullable, list-map keys unique.

Entry points are load_crds (load_crds_cached) here and kserve.crd_validator (Decision 9: these replace
only our KServe schemas).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Iterator

import yaml

from compiler.diagnostics import SETTING, UsageError
from compiler.schema.kserve import SCHEMA_BASE

# Codes (KSC0xx: command line and configuration; raised as UsageError, exit 2)
BAD_CRDS = "KSC030"


def load_crds(directory: str | Path) -> dict[tuple[str, str], dict]:
    """(apiVersion, kind) -> JSON Schema, for every served version of every CRD in the folder's YAML files.
    A bad folder or file is a UsageError (exit 2): the user asked for these schemas."""
    root = Path(directory)
    if not root.is_dir():
        raise UsageError(f"{SETTING} {directory}: not a folder", code=BAD_CRDS, setting="crds",
                         hint="name a folder holding CustomResourceDefinition YAML files")
    out: dict[tuple[str, str], dict] = {}
    for path in sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml", ".json") and p.is_file()):
        for crd in _crd_documents(path):
            out.update(_crd_schemas(crd, path))
    return out


@functools.cache
def load_crds_cached(directory: str) -> dict[tuple[str, str], dict]:
    return load_crds(directory)


def _crd_documents(path: Path) -> Iterator[dict]:
    try:
        docs = list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise UsageError(f"{SETTING}: cannot read {path}: {exc}", code=BAD_CRDS, setting="crds") from None
    for doc in docs:
        if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
            if doc.get("apiVersion") != "apiextensions.k8s.io/v1":
                raise UsageError(f"{SETTING}: {path}: CustomResourceDefinition {doc.get('apiVersion')} is not supported",
                                 code=BAD_CRDS, setting="crds",
                                 hint="use apiextensions.k8s.io/v1 (v1beta1 left Kubernetes in 1.22)")
            yield doc


def _crd_schemas(crd: dict, path: Path) -> dict[tuple[str, str], dict]:
    try:
        spec = crd["spec"]
        group, kind = spec["group"], spec["names"]["kind"]
        out = {}
        for version in spec["versions"]:
            if not version.get("served", True):
                continue
            openapi = (version.get("schema") or {}).get("openAPIV3Schema")
            api_version = f"{group}/{version['name']}"
            schema = crd_to_json_schema(openapi or {"type": "object", "x-kubernetes-preserve-unknown-fields": True})
            schema["$id"] = f"https://kserve-compiler/crds/{group}/{version['name']}/{kind}.json"
            out[(api_version, kind)] = schema
        return out
    except (KeyError, TypeError) as exc:
        raise UsageError(f"{SETTING}: {path}: CustomResourceDefinition {crd.get('metadata', {}).get('name')} is "
                         f"malformed (missing {exc})", code=BAD_CRDS, setting="crds") from None


def crd_to_json_schema(openapi: dict) -> dict:
    """A CRD's structural OpenAPI v3 schema as JSON Schema 2020-12, read as the API server reads it under
    strict field validation: objects are closed unless x-kubernetes-preserve-unknown-fields."""
    schema = _convert(openapi)
    props = schema.setdefault("properties", {})
    props["metadata"] = {"$ref": SCHEMA_BASE + "common.json#/$defs/metadata"}  # ObjectMeta, as for ours
    props.setdefault("apiVersion", {"type": "string"})
    props.setdefault("kind", {"type": "string"})
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


_DROPPED = {"description", "nullable", "x-kubernetes-preserve-unknown-fields", "x-kubernetes-int-or-string",
            "x-kubernetes-embedded-resource", "x-kubernetes-validations", "x-kubernetes-list-type",
            "x-kubernetes-map-type", "example", "externalDocs"}
QUANTITY_HINT = "[KMGTPE]i"  # a CRD's int-or-string with Kubernetes' quantity pattern is a Quantity


def _convert(node: dict) -> dict:
    out: dict = {}
    for key, value in node.items():
        if key in ("properties", "patternProperties"):
            out[key] = {name: _convert(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "not") and isinstance(value, dict):
            out[key] = _convert(value)
        elif key in ("allOf", "anyOf", "oneOf"):
            out[key] = [_convert(sub) for sub in value]
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, bool):
            if value:  # OpenAPI 3.0's boolean form modifies minimum/maximum
                bound = "minimum" if key == "exclusiveMinimum" else "maximum"
                out[key] = node.get(bound)
        elif key not in _DROPPED:
            out[key] = value
    for bound in ("minimum", "maximum"):
        if node.get(f"exclusive{bound.title()}") is True:
            out.pop(bound, None)
    return _kubernetes_extensions(node, out)


def _kubernetes_extensions(node: dict, out: dict) -> dict:
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out.setdefault("anyOf", [{"type": "integer"}, {"type": "string"}])
        out["x-kserve-compiler"] = "quantity" if QUANTITY_HINT in node.get("pattern", "") else "int-or-string"
    if node.get("x-kubernetes-list-type") == "set":
        out["uniqueItems"] = True
    if node.get("x-kubernetes-embedded-resource"):
        props = out.setdefault("properties", {})
        for name in ("apiVersion", "kind"):
            props.setdefault(name, {"type": "string"})
        props.setdefault("metadata", {"type": "object"})
    if out.get("type") == "object" and "additionalProperties" not in out \
            and not node.get("x-kubernetes-preserve-unknown-fields"):
        out["additionalProperties"] = False  # the API server prunes (strict validation: rejects) the rest
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out
