"""Every emitted object against Kubernetes' strict schemas (kubernetes-validate's, for the chosen Kubernetes
version). A failure here is kserve-compiler's bug, not the user's, and is reported as such (kubeconform
tells "invalid" from "error" the same way).

Checks are shared by shape. kubernetes-validate's strict schemas constrain only types, required fields,
closed objects and the apiVersion/kind enums: no string or number values. So two objects with the same
keys, the same value types and the same apiVersion/kind get the same verdict, and one check serves them
all (a 10,000-InferenceService build emits ~43,000 objects in a handful of shapes). `_shape_safe` proves
that property of the schemas once per version; if a future schema constrains values, every object is
checked on its own.

A shape not seen yet first meets schema/fast.py's one-sided check, compiled once from the kind's schema with
its `$ref`s inlined: True means jsonschema would find nothing; anything else goes to jsonschema, which
words every error. At N=10,000 a few hundred new shapes went to jsonschema at 2-3 ms each.
"""

from __future__ import annotations

import functools
from typing import Any, Iterator

from jsonschema import ValidationError
from jsonschema.exceptions import best_match

from compiler.kinds import SOURCE_ANNOTATION
from compiler.schema import bundle, fast, kserve, kubernetes
from compiler.diagnostics import Diagnostic, ObjectRef, error
from compiler.document import dotted_path

# Codes (KSC5xx: check)
INVALID_OUTPUT = "KSC501"

BUG_HINT = "this is a bug in kserve-compiler, not in your input; please report it with the object"
# Keywords that constrain values rather than types or structure.
VALUE_KEYWORDS = {"enum", "const", "pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                  "minLength", "maxLength", "minItems", "maxItems", "uniqueItems", "multipleOf", "minProperties",
                  "maxProperties", "propertyNames", "patternProperties", "not", "if", "contains", "dependentRequired",
                  "dependentSchemas"}  # (x-kubernetes-list-map-keys is not a keyword of the plain validator)
VERBATIM_KEYS = ("apiVersion", "kind")  # their values are the only ones the schemas constrain (enums)
_TYPE_TOKENS = {str: "s", int: "i", float: "f", bool: "b", type(None): "n"}


def check(objects: list[dict], *, kubernetes_version: str | None = None,
          crds: dict | None = None) -> list[Diagnostic]:
    """KSC501 for every emitted object Kubernetes' schema for `kubernetes_version` (default: the newest
    bundled) rejects. Kinds without a schema (custom resources) are skipped, unless `crds` (from
    schema.crd.load_crds) has theirs or we wrote one (schema.kserve.OUTPUT_SCHEMA_FILES: HTTPRoute). Raises bundle.UnsupportedKubernetesVersion for a version outside the
    bundled range."""
    version = bundle.kubernetes_version(kubernetes_version)
    passed: set = set()
    diags: list[Diagnostic] = []
    validators: dict = {}  # (apiVersion, kind) -> _validator's answer: a few kinds, ~43,000 objects
    slow = 0  # objects jsonschema checked so far
    for obj in objects:
        api_version, kind = obj.get("apiVersion", ""), obj.get("kind", "")
        gvk = (api_version, kind)
        found = validators.get(gvk) if type(api_version) is str and type(kind) is str else None
        if found is None:
            found = _validator(version, api_version, kind, crds)
            if type(api_version) is str and type(kind) is str:
                validators[gvk] = found
        validator, shareable, kubernetes_kind = found
        if validator is None:
            continue
        shape = (api_version, kind, _shape(obj)) if shareable else None
        if shape is not None and shape in passed:
            continue
        if kubernetes_kind is not None and slow >= QUICK_AFTER and _quick(version, *kubernetes_kind)(obj):
            errors = []
        else:
            errors = list(validator.iter_errors(obj))
            slow += 1
        if errors:
            diags += [_diagnostic(obj, err) for err in _leaves(errors)]
        elif shape is not None:
            passed.add(shape)
    return diags


# Objects of new shapes one check() sends to jsonschema (2-3 ms each) before it builds the quick check of
# their kinds (about 15 ms for the four we emit): a warm rebuild's few objects never pay for it.
QUICK_AFTER = 8


def _validator(version: str, api_version: str, kind: str, crds: dict | None) -> tuple[Any, bool, Any]:
    """The validator, whether its verdicts may be shared by shape, and (apiVersion, kind) when it is one of
    Kubernetes' own schemas, which have a quick check (_quick), else None."""
    if crds and (api_version, kind) in crds:
        return kserve.crd_validator(crds[(api_version, kind)]), False, None  # CRDs constrain values
    validator = kubernetes.kubernetes_validator(version, api_version, kind)
    if validator is None:
        return kserve.output_validator(api_version, kind), False, None  # ours (HTTPRoute) constrain values
    return validator, _shape_safe(version, validator.schema), (api_version, kind)


@functools.cache
def _quick(version: str, api_version: str, kind: str) -> fast.Check:
    """fast.py's check of a Kubernetes kind, its `$ref`s inlined (fast.py never follows one)."""
    schema = kubernetes.kubernetes_validator(version, api_version, kind).schema
    return fast.checker(kserve.inline_refs(schema, kubernetes.registry_for(version, schema)))


def _shape(value: Any) -> Any:
    """Keys and value types, not values: dicts as their (key, shape) pairs in the dict's own order, lists as
    the set of their items' shapes (the schemas constrain each item alike), scalars as a type token.

    Key order is kept rather than sorted: a verdict depends only on which keys hold which types, so two
    dicts equal up to order get the same verdict, and keeping the order only splits a shape in two (one
    more check, never a wrong one). Our objects are built by the same code in the same order, so that
    split is rare, and skipping the sort per dict halves the cost of the walk. Scalars are folded in the
    loop rather than by a call each, since they are most of the nodes."""
    kind = type(value)
    if kind is dict:
        pairs = []
        for k, v in value.items():
            kind = type(v)
            if kind is str:
                pairs.append((k, ("=", v) if k in VERBATIM_KEYS else "s"))  # never a type token: kind: i
            elif kind is dict or kind is list:
                pairs.append((k, _shape(v)))
            else:
                pairs.append((k, _TYPE_TOKENS.get(kind, kind)))
        return tuple(pairs)
    if kind is list:
        return ("[]", frozenset(map(_shape, value)))
    return _TYPE_TOKENS.get(kind, kind)


def _shape_safe(version: str, kind_schema: dict) -> bool:
    """True when the version's definitions and the kind's schema constrain no value, apart from the enums
    of apiVersion and kind (so that _shape decides validity)."""
    return _definitions_safe(version) and _schema_safe(kind_schema)


@functools.cache
def _definitions_safe(version: str) -> bool:
    return next(_value_constraints(bundle.definitions(version), None), None) is None


def _schema_safe(kind_schema: dict) -> bool:
    cached = _SAFE_SCHEMAS.get(id(kind_schema))
    if cached is None or cached[0] is not kind_schema:
        cached = (kind_schema, next(_value_constraints(kind_schema, None), None) is None)
        _SAFE_SCHEMAS[id(kind_schema)] = cached
    return cached[1]


_SAFE_SCHEMAS: dict[int, tuple[dict, bool]] = {}


_MAPS_OF_SCHEMAS = ("$defs", "properties", "patternProperties", "dependentSchemas")
_SCHEMAS = ("items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames",
            "unevaluatedProperties", "unevaluatedItems")
_LISTS_OF_SCHEMAS = ("allOf", "anyOf", "oneOf", "prefixItems")


def _value_constraints(node: Any, name: str | None) -> Iterator[tuple[str | None, str]]:
    """(property name, keyword) of every value constraint in a schema; `name` is the property it sits on."""
    if not isinstance(node, dict):
        return
    for keyword in VALUE_KEYWORDS & node.keys():
        if not (keyword == "enum" and name in VERBATIM_KEYS):
            yield name, keyword
    for keyword in _MAPS_OF_SCHEMAS:
        for child_name, child in (node.get(keyword) or {}).items():
            yield from _value_constraints(child, child_name if keyword != "$defs" else None)
    for keyword in _SCHEMAS:
        yield from _value_constraints(node.get(keyword), None)
    for keyword in _LISTS_OF_SCHEMAS:
        for child in node.get(keyword) or ():
            yield from _value_constraints(child, name)


def _leaves(errors: list[ValidationError]) -> Iterator[ValidationError]:
    for err in errors:
        yield best_match(err.context) if err.validator in ("oneOf", "anyOf") and err.context else err


def _diagnostic(obj: dict, err: ValidationError) -> Diagnostic:
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    ref = ObjectRef(obj.get("apiVersion", ""), obj.get("kind", ""), meta.get("name"), meta.get("namespace"))
    field = dotted_path(tuple(err.absolute_path))
    at = f" at {field}" if field else ""
    source = (meta.get("annotations") or {}).get(SOURCE_ANNOTATION) if isinstance(meta.get("annotations"), dict) \
        else None
    hint = f"{BUG_HINT} (it was generated from {source})" if source else BUG_HINT
    return error(INVALID_OUTPUT, f"generated {ref} is not valid Kubernetes{at}: {err.message}",
                 object=ref, field=field or None, hint=hint)


# The kinds expand/ emits in Standard mode, besides custom resources (HTTPRoute, ScaledObject, ...).
EMITTED = (("apps/v1", "Deployment"), ("v1", "Service"), ("autoscaling/v2", "HorizontalPodAutoscaler"),
           ("networking.k8s.io/v1", "Ingress"))


def prepare(kubernetes_version: str | None = None) -> None:
    """Build the validators of the kinds we emit now (each is cached), so that processes forked afterwards
    (pipeline sharding, compiler/fork.py) share them instead of each building its own."""
    version = bundle.kubernetes_version(kubernetes_version)
    for api_version, kind in EMITTED:
        _validator(version, api_version, kind, None)
        _quick(version, api_version, kind)
