"""Our KServe v0.20 schemas (schemas/*.json) and the validator class every KServe check uses (Draft 2020-12
plus Kubernetes' list-map keys); also the validator of a user's converted CRD schema (crd.py converts).

Validators are built once and cached per (apiVersion, kind) (check-jsonschema caches its validators the
same way).
"""


from __future__ import annotations

import copy
import functools
import json
import re
from typing import Any, Iterable, Iterator
from urllib.parse import urljoin

from jsonschema import Draft202012Validator, ValidationError, validators
from jsonschema.protocols import Validator
from referencing import Registry, Resource

from compiler.resources import data_files
from compiler.schema import bundle
from compiler.schema.kubernetes import K8S_DEFINITIONS

SCHEMA_BASE = "https://kserve-compiler/schemas/"
SCHEMA_FILES = {
    ("serving.kserve.io/v1beta1", "InferenceService"): "inferenceservice.json",
    ("serving.kserve.io/v1alpha1", "ServingRuntime"): "servingruntime.json",
    ("serving.kserve.io/v1alpha1", "ClusterServingRuntime"): "servingruntime.json",
    ("serving.kserve.io/v1alpha1", "ClusterStorageContainer"): "clusterstoragecontainer.json",
}
KSERVE_KINDS = frozenset(kind for _, kind in SCHEMA_FILES)
# Kinds we generate that kubernetes-validate has no schema for (custom resources of other projects): our own
# schema checks what we emit; input documents of these kinds pass through unchecked.
OUTPUT_SCHEMA_FILES = {
    ("gateway.networking.k8s.io/v1", "HTTPRoute"): "httproute.json",
    ("keda.sh/v1alpha1", "ScaledObject"): "scaledobject.json",
    ("opentelemetry.io/v1beta1", "OpenTelemetryCollector"): "opentelemetrycollector.json",
}
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
    CRDs reject), and no null values. Only the definitions our schemas reach are copied (about a tenth of
    the 730): copying all of them was most of `validate ONE_FILE`'s start-up."""
    document = bundle.definitions(bundle.KSERVE_KUBERNETES_VERSION)  # shared: never mutated
    source = document["$defs"]
    common = own_schemas()[SCHEMA_BASE + "common.json"]["$defs"]
    defs = {name: _without_null(source[name]) for name in _reachable(source, _flat_schemas().values())}
    defs.update({name: common[ours] for name, ours in OWN_DEFINITIONS.items()})
    pairs = [(K8S_DEFINITIONS, Resource.from_contents({**document, "$defs": defs}))]
    pairs += [(uri, Resource.from_contents(schema)) for uri, schema in _flat_schemas().items()]
    return Registry().with_resources(pairs)


_DEF_REF = re.compile(r"#/\$defs/([^/]+)")


def _reachable(source: dict, schemas: Iterable[dict]) -> set[str]:
    """Names of the Kubernetes definitions our schemas $ref, directly or through other definitions."""
    todo = [_DEF_REF.search(node["$ref"])[1] for schema in schemas for node in _walk(schema)
            if isinstance(node.get("$ref"), str) and node["$ref"].startswith(K8S_DEFINITIONS + "#/$defs/")]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen or name in OWN_DEFINITIONS or name not in source:
            continue
        seen.add(name)
        todo += [_DEF_REF.search(node["$ref"])[1] for node in _walk(source[name])
                 if isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/$defs/")]
    return seen


def _without_null(node: Any) -> Any:
    """A copy without null in any `type`: kubernetes-validate allows null for every field; a CRD allows it
    nowhere unless nullable (null fields are pruned first: validate/documents.py does that too, but a null
    list item stays and is an error)."""
    if isinstance(node, list):
        return [_without_null(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _without_null(value) for key, value in node.items()}
    kind = out.get("type")
    if isinstance(kind, list) and "null" in kind:
        rest = [t for t in kind if t != "null"]
        out["type"] = rest[0] if len(rest) == 1 else rest
    return out


@functools.cache
def validator_for(api_version: str, kind: str) -> Validator | None:
    """The validator of our schema for a KServe kind at an apiVersion we model; None otherwise."""
    schema = own_schema(api_version, kind)
    if schema is None:
        return None
    registry = _kserve_registry()
    return KServeValidator(inline_refs(schema, registry), registry=registry)


@functools.cache
def output_validator(api_version: str, kind: str) -> Validator | None:
    """The validator of our schema for a generated kind Kubernetes' schemas lack; None otherwise."""
    name = OUTPUT_SCHEMA_FILES.get((api_version, kind))
    if name is None:
        return None
    schema = _flat_schemas()[SCHEMA_BASE + name]
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



def crd_validator(crd_schema: dict) -> Validator:
    """A validator for one converted CRD schema (cached on the schema object)."""
    cached = _CRD_VALIDATORS.get(id(crd_schema))
    if cached is None or cached[0] is not crd_schema:
        registry = _kserve_registry().with_resource(crd_schema["$id"], Resource.from_contents(crd_schema))
        cached = (crd_schema, KServeValidator(crd_schema, registry=registry))
        _CRD_VALIDATORS[id(crd_schema)] = cached
    return cached[1]


_CRD_VALIDATORS: dict[int, tuple[dict, Validator]] = {}

