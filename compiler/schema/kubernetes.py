"""Kubernetes' own schemas for the objects we emit and pass through (kubernetes-validate's bundled strict
schemas), one cached validator per (Kubernetes version, apiVersion, kind).
"""

from __future__ import annotations

import functools
import json

from jsonschema import Draft202012Validator
from jsonschema.protocols import Validator
from referencing import Registry, Resource

from compiler.schema.bundle import definitions, kubernetes_schema_file, kubernetes_version

K8S_DEFINITIONS = "https://kubernetes.io/api/_definitions.json"


@functools.cache
def _kubernetes_registry(version: str) -> Registry:
    return Registry().with_resource(K8S_DEFINITIONS, Resource.from_contents(definitions(version)))


def kubernetes_validator(k8s_version: str | None, api_version: str, kind: str) -> Validator | None:
    """Kubernetes' strict schema for a kind at one Kubernetes version; None for kinds it does not know
    (custom resources)."""
    return _kubernetes_validator(kubernetes_version(k8s_version), api_version, kind)


@functools.cache
def _kubernetes_validator(version: str, api_version: str, kind: str) -> Validator | None:
    if not api_version or not kind or "/" in kind:
        return None
    path = kubernetes_schema_file(version, api_version, kind)
    if not path.is_file():
        return None
    schema = json.loads(path.read_text(encoding="utf-8"))
    gvk = schema.get("x-kubernetes-group-version-kind") or []
    if gvk and not any(_gvk_matches(entry, api_version, kind) for entry in gvk):
        return None  # e.g. a CRD's apiVersion "apps.example.com/v1" maps to the same file name as apps/v1
    return Draft202012Validator(schema, registry=registry_for(version, schema, path.name))


def registry_for(version: str, schema: dict, name: str | None = None) -> Registry:
    """The definitions of `version` plus a kind's own schema, where its `$ref`s resolve."""
    return _kubernetes_registry(version).with_resource(schema.get("$id", name), Resource.from_contents(schema))


def _gvk_matches(entry: dict, api_version: str, kind: str) -> bool:
    group = entry.get("group") or ""
    wanted = f"{group}/{entry.get('version')}" if group else entry.get("version")
    return wanted == api_version and entry.get("kind") == kind
