"""KServe documents against their schemas (ours, or the user's CRDs with --crds), and the rules the API
server and KServe's admission webhooks apply at `kubectl apply` time (metadata.py, isvc.py, runtime.py).

jsonschema's errors become Diagnostics placed at the exact key or value, with a "did you mean" for
misspelt fields (kubeconform's validator.go converts its library's errors the same way).
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import Any, Iterable, Iterator

from jsonschema import ValidationError
from jsonschema.exceptions import best_match

from compiler.constants import KSERVE_GROUP
from compiler.diagnostics import Diagnostic, error, warning
from compiler.document import Document, dotted_path
from compiler.kinds import group_of
from compiler.schema import fast, kserve as kserve_schema
from compiler.schema.crd import load_crds_cached
from compiler.validate import fields, isvc, runtime
from compiler.validate.metadata import metadata_rules
from compiler.validate.removed import removed_hint

# Codes (KSC20x: schema)
UNKNOWN_FIELD = "KSC201"
WRONG_TYPE = "KSC202"
MISSING_FIELD = "KSC203"
INVALID_VALUE = "KSC204"
DUPLICATE_ENTRY = "KSC206"
# KSC205 (names) is metadata.INVALID_NAME
UNKNOWN_API_VERSION = "KSC207"
# The words of KSC202 for a Quantity that is neither an integer nor a string (fix/quantity.py looks for them).
EXPECTED_QUANTITY = "expected a quantity"
IGNORED_FIELD = "KSC208"  # warning: your CRD accepts it, kserve-compiler's v0.20 model does not read it

JSON_TYPES = {type(None): "null", bool: "boolean", int: "integer", float: "number", str: "string",
              list: "array", dict: "object"}
QUANTITY_EXAMPLES = 'use "100m" or "0.1" (a quoted string), or an integer'
# Fields users put on the predictor that belong to its model (docs/kserve-behaviour.md §1.1: the predictor has storageUris only).
MODEL_FIELDS = {"storageUri", "modelFormat", "runtime", "protocolVersion", "runtimeVersion", "storage", "image",
                "env", "args", "command", "ports", "volumeMounts", "readinessProbe", "livenessProbe"}


def validate(docs: Iterable[Document], *, crds: str | Path | dict | None = None,
             gateway_api: bool = False) -> list[Diagnostic]:
    """Diagnostics for every KServe document (serving.kserve.io InferenceService, ServingRuntime,
    ClusterServingRuntime, ClusterStorageContainer); other documents are not looked at. Cross-document
    rules (runtimes of the same priority) are `runtime.same_priority_conflicts`."""
    loaded = crd_schemas(crds)
    diags: list[Diagnostic] = []
    for doc in docs:
        if doc.kind in kserve_schema.KSERVE_KINDS and group_of(doc.api_version) == KSERVE_GROUP:
            diags += validate_document(doc, crds=loaded, gateway_api=gateway_api)
    return diags


def validate_document(doc: Document, *, crds: dict | None = None, gateway_api: bool = False) -> list[Diagnostic]:
    """One KServe document: schema first; KServe's webhook rules only once the schema holds (the API
    server never passes an invalid object to a webhook)."""
    prune_nulls(doc.data)
    key = (doc.api_version, doc.kind)
    ours = kserve_schema.validator_for(*key)
    if ours is None:
        return [_unknown_api_version(doc)]
    diags = metadata_rules(doc)
    if crds and key in crds:
        found = list(_convert_all(doc, kserve_schema.crd_validator(crds[key]).iter_errors(doc.data)))
        if not found:
            found = [_ignored(d) if d.code == UNKNOWN_FIELD else d
                     for d in _convert_all(doc, ours.iter_errors(doc.data))]
    elif fast.known_valid(ours, doc.data):  # one-sided: True only when iter_errors would yield nothing
        found = []
    else:
        found = list(_convert_all(doc, ours.iter_errors(doc.data)))
    diags += found
    if not any(d.severity.value == "error" for d in diags):
        diags += _kind_rules(doc)
        if not any(d.severity.value == "error" for d in diags):  # accepted fields our output does not reflect
            diags += fields.document_rules(doc, gateway_api=gateway_api)  # (docs/fields.md)
    return diags


def _kind_rules(doc: Document) -> list[Diagnostic]:
    """The admission webhook of the document's kind (run only on documents whose schema holds)."""
    if doc.kind == "InferenceService":
        return isvc.inference_service_rules(doc)
    if doc.kind in ("ServingRuntime", "ClusterServingRuntime"):
        return runtime.runtime_rules(doc)
    return []


def crd_schemas(crds: str | Path | dict | None) -> dict | None:
    if crds is None or isinstance(crds, dict):
        return crds
    return load_crds_cached(str(crds))


def prune_nulls(data: Any) -> None:
    """Drop `key: null`, as the API server drops the null fields of custom resources before it validates
    them (apiextensions prunes non-nullable nulls that have no default; ObjectMeta reads a null as unset).
    Later stages then read absent and null alike. Values of labels and annotations are left to the schema."""
    if isinstance(data, dict):
        for key in [k for k, v in data.items() if v is None]:
            del data[key]
        meta = data.get("metadata")
        if isinstance(meta, dict):
            for key in [k for k, v in meta.items() if v is None]:
                del meta[key]
        for key, value in data.items():
            if key != "metadata":
                _prune_nested(value)


def _prune_nested(value: Any) -> None:
    if isinstance(value, dict):
        for key in [k for k, v in value.items() if v is None]:
            del value[key]
        for child in value.values():
            _prune_nested(child)
    elif isinstance(value, list):
        for child in value:
            _prune_nested(child)


def _unknown_api_version(doc: Document) -> Diagnostic:
    known = sorted(api for api, kind in kserve_schema.SCHEMA_FILES if kind == doc.kind)
    return error(UNKNOWN_API_VERSION, f"{doc.kind} {doc.api_version} is not an API version KServe v0.20 serves",
                 **doc.where(("apiVersion",), key=False), hint=f"use apiVersion: {known[0]}")


def _ignored(diag: Diagnostic) -> Diagnostic:
    return warning(IGNORED_FIELD, f"{diag.message}: your CRD accepts it, but it is ignored by kserve-compiler "
                   "(it models KServe v0.20)", file=diag.file, line=diag.line, column=diag.column,
                   object=diag.object, index=diag.index, field=diag.field, hint=diag.hint)


# ---------------------------------------------------------------------------------------------------
# jsonschema errors -> Diagnostics


def _convert_all(doc: Document, errors: Iterable[ValidationError]) -> Iterator[Diagnostic]:
    for err in errors:
        yield from _convert(doc, err)


def _convert(doc: Document, err: ValidationError) -> Iterator[Diagnostic]:
    path = tuple(err.absolute_path)
    keyword = err.validator
    if keyword in ("additionalProperties", "unevaluatedProperties"):
        yield from _unknown_fields(doc, err, path)
    elif keyword == "required":
        yield from _missing(doc, err, path)
    elif keyword == "type":
        yield _wrong_type(doc, path, err.instance, err.validator_value)
    elif keyword in ("anyOf", "oneOf"):
        yield from _alternatives(doc, err, path)
    elif keyword == "x-kubernetes-list-map-keys":
        yield _duplicate(doc, err, path)
    else:
        yield _invalid_value(doc, err, path)


def _unknown_fields(doc: Document, err: ValidationError, path: tuple) -> Iterator[Diagnostic]:
    """jsonschema reports unknown fields on their parent mapping, several at once; one Diagnostic per key,
    placed at the key."""
    if not isinstance(err.instance, dict):
        return
    allowed = set(err.schema.get("properties", ()))
    patterns = err.schema.get("patternProperties", {})
    for key in sorted(err.instance):
        if key in allowed or any(_matches(p, key) for p in patterns):
            continue
        where = doc.where((*path, key))
        prefix = f"{dotted_path(path)}: " if path else ""
        yield error(UNKNOWN_FIELD, f'{prefix}unknown field "{key}"', **where,
                    hint=_did_you_mean(key, allowed, path))


def _matches(pattern: str, key: str) -> bool:
    return re.search(pattern, key) is not None


def _did_you_mean(key: str, allowed: set[str], path: tuple) -> str | None:
    removed = removed_hint(path, key)  # a field of an older KServe: say so, not a look-alike's name
    if removed is not None:
        return removed
    folded = {name.lower(): name for name in allowed}
    if key.lower() in folded:
        return f'did you mean "{folded[key.lower()]}"? Field names are case-sensitive'
    if path and path[-1] == "predictor" and key in MODEL_FIELDS:
        return f'"{key}" belongs under {dotted_path((*path, "model"))} (or a framework block such as sklearn)'
    close = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.6)
    if close:
        return f'did you mean "{close[0]}"?'
    if 0 < len(allowed) <= 8:
        return "allowed here: " + ", ".join(sorted(allowed))
    return None


def _missing(doc: Document, err: ValidationError, path: tuple) -> Iterator[Diagnostic]:
    if not isinstance(err.instance, dict):
        return
    for name in err.validator_value:
        if name not in err.instance:
            where = {**doc.where(path), "field": dotted_path((*path, name))}
            at = f"{dotted_path(path)}: " if path else ""
            hint = None
            if path == ("metadata",) and name == "name" and doc.generate_name:
                hint = (f"metadata.generateName ({doc.generate_name}) works only with kubectl create: apply, and "
                        "so every GitOps tool, needs metadata.name")
            yield error(MISSING_FIELD, f'{at}required field "{name}" is missing', **where, hint=hint)


def _wrong_type(doc: Document, path: tuple, value: Any, expected: str | list) -> Diagnostic:
    wanted = [t for t in ([expected] if isinstance(expected, str) else expected) if t != "null"]
    message = f"{dotted_path(path) or 'document'}: expected {' or '.join(wanted)}, got {_describe(value)}"
    return error(WRONG_TYPE, message, **doc.where(path, key=False), hint=_type_hint(wanted, value))


def _describe(value: Any) -> str:
    kind = JSON_TYPES.get(type(value), type(value).__name__)
    if isinstance(value, (dict, list)):
        return "a mapping" if kind == "object" else "a list"
    return "null" if value is None else f"{kind} {json.dumps(value)}"


def _article(word: str) -> str:
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"


def _type_hint(wanted: list[str], value: Any) -> str | None:
    if wanted == ["string"] and isinstance(value, float):
        return "YAML reads this as a number; put the value in quotes, exactly as meant (\"1.10\" is not 1.1)"
    if wanted == ["string"] and isinstance(value, (bool, int)):
        shown = json.dumps(value)
        return f'YAML reads {shown} as {_article(JSON_TYPES[type(value)])}; quote it: "{shown}"'
    if wanted == ["boolean"] and isinstance(value, str) and value.lower() in ("true", "false"):
        return f"write {value.lower()} without quotes"
    if wanted == ["integer"] and isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return f"write {value.strip()} without quotes"
    if wanted == ["object"] and isinstance(value, list):
        return "this takes a mapping (key: value lines), not a list (- items)"
    if wanted == ["array"] and isinstance(value, dict):
        return "this takes a list: start each item with \"- \""
    return None


def _alternatives(doc: Document, err: ValidationError, path: tuple) -> Iterator[Diagnostic]:
    marker = err.schema.get("x-kserve-compiler") if isinstance(err.schema, dict) else None
    if marker == "quantity":
        yield _quantity(doc, path, err.instance)
    elif marker == "int-or-string":
        yield error(WRONG_TYPE, f"{dotted_path(path)}: expected an integer or a string, got {_describe(err.instance)}",
                    **doc.where(path, key=False), hint='use an integer, or a quoted string such as "25%"')
    else:
        best = best_match(err.context) if err.context else None
        if best is None:
            yield _invalid_value(doc, err, path)
        else:
            yield from _convert(doc, best)


def _quantity(doc: Document, path: tuple, value: Any) -> Diagnostic:
    where = doc.where(path, key=False)
    if isinstance(value, str):
        return error(INVALID_VALUE, f'{dotted_path(path)}: "{value}" is not a valid quantity', **where,
                     hint='a Kubernetes quantity is a number with an optional suffix: "100m", "0.5", "2Gi", "1e3"')
    return error(WRONG_TYPE, f"{dotted_path(path)}: {EXPECTED_QUANTITY} (an integer or a string), got "
                 f"{_describe(value)}", **where, hint=_quantity_hint(value))


def _quantity_hint(value: Any) -> str:
    """The user's own number, written the two ways Kubernetes takes it (0.5 -> "0.5" or "500m")."""
    if isinstance(value, float) and not isinstance(value, bool) and value == value and abs(value) < 1e15:
        millis = round(value * 1000)
        if abs(value * 1000 - millis) < 1e-9:
            return f'quote it: "{value:g}", or write "{millis}m"'
    return QUANTITY_EXAMPLES


def _duplicate(doc: Document, err: ValidationError, path: tuple) -> Diagnostic:
    index, items, keys = path[-1], err.instance, err.validator_value
    key_of = _list_key(keys)
    first = next(i for i, item in enumerate(items) if isinstance(item, dict) and key_of(item) == key_of(items[index]))
    shown = " and ".join(f"{k} {json.dumps(v)}" for k, v in zip(keys, key_of(items[index])))
    where = doc.where((*path, keys[0]) if keys[0] in items[index] else path)
    return error(DUPLICATE_ENTRY, f"{dotted_path(path)}: duplicate {shown} (also at {path[-2]}[{first}])", **where,
                 hint=f"the entries of {path[-2]} are keyed by {' and '.join(keys)}; Kubernetes refuses two with "
                      "the same key")


def _list_key(keys: list[str]):
    return lambda item: tuple(item.get(k, kserve_schema.LIST_KEY_DEFAULTS.get(k)) for k in keys)


def _invalid_value(doc: Document, err: ValidationError, path: tuple) -> Diagnostic:
    where = doc.where(path, key=False)
    field = dotted_path(path) or "document"
    keyword, expected, value = err.validator, err.validator_value, err.instance
    hint = None
    if keyword in ("enum", "const"):
        options = expected if keyword == "enum" else [expected]
        message = f"{field}: {_describe(value)} is not one of {', '.join(json.dumps(o) for o in options)}"
        hint = _closest(value, options)
    elif keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        words = {"minimum": "at least", "maximum": "at most", "exclusiveMinimum": "more than",
                 "exclusiveMaximum": "less than"}[keyword]
        message = f"{field}: must be {words} {expected}, got {json.dumps(value)}"
    elif keyword == "pattern":
        message = f"{field}: {json.dumps(value)} does not match {expected}"
    elif keyword in ("minLength", "minItems"):
        message = f"{field}: must not be empty" if expected == 1 else f"{field}: needs at least {expected}"
    elif keyword in ("maxLength", "maxItems"):
        message = f"{field}: longer than the limit of {expected}"
    elif keyword == "uniqueItems":
        message = f"{field}: entries must be unique"
        return error(DUPLICATE_ENTRY, message, **where)
    else:
        message = f"{field}: {err.message}"
    return error(INVALID_VALUE, message, **where, hint=hint)


def _closest(value: Any, options: list) -> str | None:
    if not isinstance(value, str):
        return None
    texts = [o for o in options if isinstance(o, str)]
    folded = {o.lower(): o for o in texts}
    if value.lower() in folded:
        return f'did you mean "{folded[value.lower()]}"? Values are case-sensitive'
    close = difflib.get_close_matches(value, texts, n=1, cutoff=0.6)
    return f'did you mean "{close[0]}"?' if close else None
