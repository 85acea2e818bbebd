"""The schemas every check uses: our KServe v0.20 schemas (schemas/*.json), users' CRDs (--crds DIR), and
Kubernetes' own schemas for the objects we emit (kubernetes-validate's bundled strict schemas).

Validators are built once and cached: per (apiVersion, kind) for KServe objects, per (Kubernetes version,
apiVersion, kind) for emitted ones (check-jsonschema caches its validators the same way).
"""

from __future__ import annotations

import copy
import functools
import json
import re
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urljoin

from jsonschema import Draft202012Validator, ValidationError, validators
from jsonschema.protocols import Validator
from referencing import Registry, Resource

from compiler.diagnostics import UsageError
from compiler.resources import data_files

# Codes (KSC0xx: command line and configuration; raised as UsageError, exit 2)
BAD_CRDS = "KSC030"  # raised by crd.py
UNSUPPORTED_KUBERNETES_VERSION = "KSC031"

KSERVE_GROUP = "serving.kserve.io"
SCHEMA_BASE = "https://kserve-compiler/schemas/"
K8S_DEFINITIONS = "https://kubernetes.io/api/_definitions.json"
KSERVE_KUBERNETES_VERSION = "1.34"  # the k8s.io/api KServe v0.20 builds its CRDs from (Decision 9)
SCHEMA_FILES = {
    ("serving.kserve.io/v1beta1", "InferenceService"): "inferenceservice.json",
    ("serving.kserve.io/v1alpha1", "ServingRuntime"): "servingruntime.json",
    ("serving.kserve.io/v1alpha1", "ClusterServingRuntime"): "servingruntime.json",
    ("serving.kserve.io/v1alpha1", "ClusterStorageContainer"): "clusterstoragecontainer.json",
}
KSERVE_KINDS = frozenset(kind for _, kind in SCHEMA_FILES)
OWN_DEFINITIONS = {  # kubernetes-validate's definitions we replace by ours (Decision 9)
    "io.k8s.apimachinery.pkg.api.resource.Quantity": "quantity",
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": "intOrString",
}
# A list-map key the API server defaults before it compares entries (KServe's Makefile sets it in the CRDs).
LIST_KEY_DEFAULTS = {"protocol": "TCP"}


# ---------------------------------------------------------------------------------------------------
# The validator class: Draft 2020-12 plus Kubernetes' list-map keys


def _unique_list_keys(validator, keys: list[str], instance: Any, schema: dict) -> Iterator[ValidationError]:
    """x-kubernetes-list-map-keys: no two entries of the list may share the key (the API server and
    server-side apply refuse them)."""
    if not isinstance(instance, list):
        return
    seen: dict = {}
    for index, item in enumerate(instance):
        if not isinstance(item, dict):
            continue
        key = tuple(_hashable(item.get(k, LIST_KEY_DEFAULTS.get(k))) for k in keys)
        if key in seen:
            shown = ", ".join(f"{k}={item.get(k, LIST_KEY_DEFAULTS.get(k))!r}" for k in keys)
            yield ValidationError(f"duplicate entry: [{index}] has the same {shown} as [{seen[key]}]",
                                  validator="x-kubernetes-list-map-keys", validator_value=keys,
                                  instance=instance, schema=schema, path=[index])
        else:
            seen[key] = index


def _hashable(value: Any) -> Any:
    return json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else value


KServeValidator = validators.extend(Draft202012Validator, {"x-kubernetes-list-map-keys": _unique_list_keys},
                                    version="kserve-compiler")


# ---------------------------------------------------------------------------------------------------
# Our KServe schemas


@functools.cache
def own_schemas() -> dict[str, dict]:
    """Our schema files by $id, as written (allOf mirrors Go's inlined structs)."""
    out = {}
    for entry in data_files("schemas", (".json",)):
        schema = json.loads(entry.read_bytes())
        out[schema["$id"]] = schema
    return out


@functools.cache
def _flat_schemas() -> dict[str, dict]:
    return {uri: flatten(schema) for uri, schema in own_schemas().items()}


def own_schema(api_version: str, kind: str) -> dict | None:
    """Our schema for a KServe kind at an apiVersion we model (flattened, as validated); None otherwise."""
    name = SCHEMA_FILES.get((api_version, kind))
    return _flat_schemas()[SCHEMA_BASE + name] if name else None


def flatten(schema: dict) -> dict:
    """A copy where each object closed by `allOf` + `unevaluatedProperties: false` is one closed object
    (`properties` + `additionalProperties: false`). Same verdict on valid input, but draft 2020-12 drops
    the annotations of a failing subschema, so a field with a wrong value would also be reported as
    unknown; and jsonschema checks the flat form about five times faster. Only same-file `#/$defs/` refs
    may be composed this way (all of ours are)."""
    defs = schema.get("$defs", {})

    def properties(node: dict) -> dict:
        if "$ref" in node:
            node = defs[node["$ref"].removeprefix("#/$defs/")]
        out = dict(node.get("properties", {}))
        for part in node.get("allOf", ()):
            out.update(properties(part))
        return out

    flat = copy.deepcopy(schema)
    for node in _walk(flat):
        if node.get("unevaluatedProperties") is False:
            node["properties"] = properties(node)
            del node["allOf"], node["unevaluatedProperties"]
            node["additionalProperties"] = False
    return flat


@functools.cache
def _kserve_registry() -> Registry:
    """Our schemas plus kubernetes-validate's definitions for Kubernetes 1.34, read as KServe's CRDs read
    them: Quantity and IntOrString replaced by ours (kubernetes-validate's accept `cpu: 0.1`, which the
    CRDs reject), and no null values."""
    definitions = copy.deepcopy(_definitions(KSERVE_KUBERNETES_VERSION))
    for node in _walk(definitions):
        _drop_null(node)
    common = own_schemas()[SCHEMA_BASE + "common.json"]["$defs"]
    for name, ours in OWN_DEFINITIONS.items():
        definitions["$defs"][name] = common[ours]
    pairs = [(K8S_DEFINITIONS, Resource.from_contents(definitions))]
    pairs += [(uri, Resource.from_contents(schema)) for uri, schema in _flat_schemas().items()]
    return Registry().with_resources(pairs)


def _drop_null(node: dict) -> None:
    """kubernetes-validate allows null for every field; a CRD allows it nowhere unless nullable (null
    fields are pruned first: validate.py does that too, but a null list item stays and is an error)."""
    kind = node.get("type")
    if isinstance(kind, list) and "null" in kind:
        rest = [t for t in kind if t != "null"]
        node["type"] = rest[0] if len(rest) == 1 else rest


@functools.cache
def validator_for(api_version: str, kind: str) -> Validator | None:
    """The validator of our schema for a KServe kind at an apiVersion we model; None otherwise."""
    schema = own_schema(api_version, kind)
    if schema is None:
        return None
    registry = _kserve_registry()
    return KServeValidator(inline_refs(schema, registry), registry=registry)


_ANNOTATIONS = {"description", "default", "title", "$comment", "examples", "format"}
_DATA_KEYWORDS = {"enum", "const", "default", "examples", "x-kubernetes-list-map-keys"}
_NAMED_SCHEMAS = {"properties", "patternProperties", "$defs", "dependentSchemas"}


def inline_refs(schema: dict, registry: Registry) -> dict:
    """A copy of `schema` with every $ref replaced by the (shared) subschema it names, except refs that
    would recurse. Same verdicts; jsonschema then skips a registry lookup per field, about a third of
    the time spent on an InferenceService."""
    memo: dict[str, Any] = {}

    def expand(node: Any, base: str, stack: tuple) -> Any:
        if isinstance(node, list):
            return [expand(item, base, stack) for item in node]
        if not isinstance(node, dict):
            return node
        out = {}
        for key, value in node.items():
            if key in _NAMED_SCHEMAS and isinstance(value, dict):  # names, not keywords ("$ref" is a field)
                out[key] = {name: expand(sub, base, stack) for name, sub in value.items()}
            elif key != "$ref":
                out[key] = value if key in _DATA_KEYWORDS else expand(value, base, stack)
        if "$ref" not in node:
            return out
        uri = urljoin(base, node["$ref"])
        if uri in stack:
            return {**out, "$ref": uri}
        if uri not in memo:
            target = registry.resolver(base_uri=base).lookup(node["$ref"]).contents
            memo[uri] = expand(target, uri.split("#")[0], (*stack, uri))
        if set(out) <= _ANNOTATIONS:
            return memo[uri]
        return {**out, "allOf": [*out.get("allOf", ()), memo[uri]]}

    return expand(schema, schema["$id"], ())


def _walk(node: Any) -> Iterator[dict]:
    if isinstance(node, dict):
        yield node
        for value in list(node.values()):
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


# ---------------------------------------------------------------------------------------------------
# Users' CRDs (--crds DIR): compiler/crd.py converts them


def load_crds(directory: str | Path) -> dict[tuple[str, str], dict]:
    """(apiVersion, kind) -> JSON Schema for every served version of every CRD in the folder (crd.py).
    A bad folder or file raises UsageError (exit 2)."""
    from compiler import crd
    return crd.load_crds(directory)


@functools.cache
def load_crds_cached(directory: str) -> dict[tuple[str, str], dict]:
    return load_crds(directory)


def crd_validator(crd_schema: dict) -> Validator:
    """A validator for one converted CRD schema (cached on the schema object)."""
    cached = _CRD_VALIDATORS.get(id(crd_schema))
    if cached is None or cached[0] is not crd_schema:
        registry = _kserve_registry().with_resource(crd_schema["$id"], Resource.from_contents(crd_schema))
        cached = (crd_schema, KServeValidator(crd_schema, registry=registry))
        _CRD_VALIDATORS[id(crd_schema)] = cached
    return cached[1]


_CRD_VALIDATORS: dict[int, tuple[dict, Validator]] = {}


# ---------------------------------------------------------------------------------------------------
# Kubernetes' schemas for emitted objects


class UnsupportedKubernetesVersion(UsageError):
    def __init__(self, version: str):
        known = kubernetes_versions()
        super().__init__(f"Kubernetes version {version!r} is not one kserve-compiler has schemas for "
                         f"({known[0]} to {known[-1]})", hint="pass --kubernetes-version X.Y within that range",
                         code=UNSUPPORTED_KUBERNETES_VERSION)
        self.version = version


def _bundle() -> Traversable:
    return resources.files("kubernetes_validate") / "kubernetes-json-schema"


@functools.cache
def kubernetes_versions() -> list[str]:
    """The Kubernetes minor versions kubernetes-validate bundles strict schemas for, oldest first."""
    found = []
    for entry in _bundle().iterdir():
        match = re.fullmatch(r"v(\d+)\.(\d+)\.\d+-local-strict", entry.name)
        if match:
            found.append((int(match[1]), int(match[2])))
    return [f"{major}.{minor}" for major, minor in sorted(found)]


def kubernetes_version(version: str | None) -> str:
    """'1.34', 'v1.34.2' -> '1.34'; None -> the newest bundled; outside the bundled range: an exception
    the CLI turns into exit 2 (the CLI clamps Argo's KUBE_VERSION before it gets here)."""
    if not version:
        return kubernetes_versions()[-1]
    match = re.fullmatch(r"v?(\d+)\.(\d+)(\.\d+)?([-+].*)?", version.strip())
    wanted = f"{match[1]}.{int(match[2])}" if match else version
    if wanted not in kubernetes_versions():
        raise UnsupportedKubernetesVersion(version)
    return wanted


@functools.cache
def _definitions(version: str) -> dict:
    """kubernetes-validate's _definitions.json for one version, read once (shared; never mutate)."""
    path = _bundle() / f"v{version}.0-local-strict" / "_definitions.json"
    return json.loads(path.read_text(encoding="utf-8"))


@functools.cache
def _kubernetes_registry(version: str) -> Registry:
    return Registry().with_resource(K8S_DEFINITIONS, Resource.from_contents(_definitions(version)))


def kubernetes_schema_file(version: str, api_version: str, kind: str) -> Traversable:
    """The file kubernetes-validate names for it: rbac.authorization.k8s.io/v1 Role -> role-rbac-v1.json
    (kubernetes_validate.utils.validate)."""
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    return _bundle() / f"v{version}.0-local-strict" / f"{kind.lower()}-{group_version}.json"


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
    registry = _kubernetes_registry(version).with_resource(schema.get("$id", path.name),
                                                            Resource.from_contents(schema))
    return Draft202012Validator(schema, registry=registry)


def _gvk_matches(entry: dict, api_version: str, kind: str) -> bool:
    group = entry.get("group") or ""
    wanted = f"{group}/{entry.get('version')}" if group else entry.get("version")
    return wanted == api_version and entry.get("kind") == kind
