"""A quick yes to "does jsonschema find no error here?", for the documents that are valid (nearly all).

jsonschema walks a document through generic keyword functions, evolving a validator per node; for an
InferenceService that is most of the validate stage. `known_valid(validator, instance)` answers from a
checker compiled once per schema: plain closures over the keywords our schemas use. It is one-sided:
True means the validator's iter_errors yields nothing; False means only "not sure", and the caller then
asks jsonschema, so every diagnostic, position and hint still comes from jsonschema itself.

Each keyword below answers True only where jsonschema's own keyword function (jsonschema/_keywords.py,
Draft 2020-12 with its type checker) yields no error; anything less certain answers False:
- a schema node holding any keyword not listed here (say a `$ref`, `oneOf` or `patternProperties`), or
  the boolean schema `false`, never passes;
- values of a type other than dict, list, str, int, float, bool and None never pass;
- `enum` and `const` pass only a string equal to a string member (jsonschema's `equal` is `==` for strings);
- `type: integer` does not pass a float (jsonschema accepts 1.0; we leave that to it);
- `anyOf` passes when one branch passes here, `allOf` when every branch does; `x-kubernetes-list-map-keys`
  when no two entries share keys (KServe's validator enforces them; the plain one of Kubernetes' schemas
  ignores the keyword, so there this is only stricter);
- `oneOf` passes only when its branches are bare `type`s (Kubernetes' Quantity and IntOrString) and the
  instance's type is in exactly one of them; a float where a branch says "integer" is left to jsonschema.

Also used by check.py on Kubernetes' own schemas, with their `$ref`s inlined (check._quick).
"""

from __future__ import annotations

import re
from typing import Any, Callable

from compiler.schema.kserve import LIST_KEY_DEFAULTS, _hashable

Check = Callable[[Any], bool]

# Keywords jsonschema ignores when validating (annotations, and the x- extensions that are not ours).
_IGNORED = {"description", "title", "$comment", "$schema", "$id", "$defs", "format", "default", "examples",
            "x-kubernetes-list-type", "x-kubernetes-patch-strategy", "x-kubernetes-patch-merge-key",
            "x-kubernetes-map-type", "x-kubernetes-unions", "x-kserve-compiler", "x-kubernetes-int-or-string",
            "x-kubernetes-preserve-unknown-fields", "x-kubernetes-embedded-resource", "nullable",
            "x-kubernetes-group-version-kind"}
_HANDLED = {"type", "properties", "additionalProperties", "required", "items", "minItems", "maxItems",
            "x-kubernetes-list-map-keys", "enum", "const", "pattern", "minLength", "maxLength", "minimum",
            "maximum", "anyOf", "allOf", "oneOf"}
# The JSON types each Python type of parsed YAML may pass as (a float as "integer" is left to jsonschema).
_TYPES = {str: {"string"}, bool: {"boolean"}, int: {"integer", "number"}, float: {"number"},
          type(None): {"null"}, dict: {"object"}, list: {"array"}}


def _never(_instance: Any) -> bool:
    return False


def _always(_instance: Any) -> bool:
    return True


def known_valid(validator: Any, instance: Any) -> bool:
    """True only if `validator.iter_errors(instance)` would yield nothing (see the module docstring)."""
    return checker(validator.schema)(instance)


def checker(schema: dict) -> Check:
    """known_valid's check for a schema with no `$ref` left (or with them: each then never passes), compiled
    once per schema object."""
    cached = _CHECKS.get(id(schema))
    if cached is None or cached[0] is not schema:
        cached = (schema, _compile(schema, {}))
        _CHECKS[id(schema)] = cached
    return cached[1]


_CHECKS: dict[int, tuple[dict, Check]] = {}


def _compile(node: Any, memo: dict[int, Check]) -> Check:
    """The checker of one schema node; shared subschemas (inline_refs shares them) compile once."""
    if node is True:
        return _always
    if not isinstance(node, dict) or not node.keys() <= _HANDLED | _IGNORED:
        return _never
    found = memo.get(id(node))
    if found is None:
        memo[id(node)] = _never  # a cycle (none today) stays unsure rather than recursing forever
        found = memo[id(node)] = _node(node, memo)
    return found


def _node(node: dict, memo: dict[int, Check]) -> Check:
    types = node.get("type")
    allowed = {t: bool(set([types] if isinstance(types, str) else types) & jsons) for t, jsons in _TYPES.items()} \
        if types is not None else dict.fromkeys(_TYPES, True)
    for_dict = _object_check(node, memo) if allowed[dict] else None
    for_list = _array_check(node, memo) if allowed[list] else None
    for_str = _string_check(node) if allowed[str] else None
    for_number = _number_check(node)
    choices = [_compile(sub, memo) for sub in node.get("anyOf", ())]
    has_any_of, has_values = "anyOf" in node, "enum" in node or "const" in node
    every = [_compile(sub, memo) for sub in node.get("allOf", ())]
    one_of = _one_of_check(node["oneOf"]) if "oneOf" in node else None

    def check(instance: Any) -> bool:
        kind = type(instance)
        if not allowed.get(kind, False):
            return False
        if kind is dict:
            if not for_dict(instance):
                return False
        elif kind is list:
            if not for_list(instance):
                return False
        elif kind is str:
            if not for_str(instance):
                return False
        elif has_values:  # enum/const on a non-string: left to jsonschema
            return False
        elif (kind is int or kind is float) and not for_number(instance):
            return False
        if every and not all(sub(instance) for sub in every):
            return False
        if one_of is not None and not one_of(instance):
            return False
        return not has_any_of or any(choice(instance) for choice in choices)

    return check


def _one_of_check(branches: Any) -> Check:
    """oneOf over bare types (Quantity: string or number; IntOrString: string or integer; each also null):
    exactly one branch's types hold the instance's. Any other oneOf is left to jsonschema."""
    if not isinstance(branches, list) or not all(
            isinstance(b, dict) and "type" in b and b.keys() <= {"type"} | _IGNORED for b in branches):
        return _never
    kinds = [{b["type"]} if isinstance(b["type"], str) else set(b["type"]) for b in branches]
    float_unsure = any("integer" in k and "number" not in k for k in kinds)  # jsonschema takes 1.0 as integer

    def check(instance: Any) -> bool:
        jsons = _TYPES.get(type(instance))
        if jsons is None or (float_unsure and type(instance) is float):
            return False
        return sum(1 for k in kinds if k & jsons) == 1

    return check


def _object_check(node: dict, memo: dict[int, Check]) -> Check:
    if "enum" in node or "const" in node:
        return _never
    props = {name: _compile(sub, memo) for name, sub in node.get("properties", {}).items()}
    extra = node.get("additionalProperties", True)
    other = None if extra is True else _never if extra is False else _compile(extra, memo)
    required = tuple(node.get("required", ()))

    def check(instance: dict) -> bool:
        for key, value in instance.items():
            sub = props.get(key, other)
            if sub is not None and not sub(value):
                return False
        return all(name in instance for name in required)

    return check


def _array_check(node: dict, memo: dict[int, Check]) -> Check:
    if "enum" in node or "const" in node or isinstance(node.get("items"), list):
        return _never
    each = _compile(node.get("items", True), memo)
    low, high = node.get("minItems", 0), node.get("maxItems")
    keys = node.get("x-kubernetes-list-map-keys")

    def check(instance: list) -> bool:
        if len(instance) < low or (high is not None and len(instance) > high):
            return False
        if each is not _always and not all(each(item) for item in instance):
            return False
        return keys is None or _unique(instance, keys)

    return check


def _unique(instance: list, keys: list) -> bool:
    """kserve._unique_list_keys finds no duplicate (same key tuple, defaults applied, dict entries only)."""
    seen = set()
    for item in instance:
        if isinstance(item, dict):
            key = tuple(_hashable(item.get(k, LIST_KEY_DEFAULTS.get(k))) for k in keys)
            try:
                if key in seen:
                    return False
                seen.add(key)
            except TypeError:  # unhashable: let jsonschema's own check say what it says
                return False
    return True


def _string_check(node: dict) -> Check:
    members = None
    if "enum" in node or "const" in node:
        values = list(node.get("enum", ())) + ([node["const"]] if "const" in node else [])
        if "enum" in node and "const" in node:
            return _never  # both at once: not in our schemas, not worth the care
        members = {v for v in values if type(v) is str}
    pattern = re.compile(node["pattern"]) if "pattern" in node else None
    low, high = node.get("minLength", 0), node.get("maxLength")

    def check(instance: str) -> bool:
        if members is not None and instance not in members:
            return False
        if pattern is not None and not pattern.search(instance):
            return False
        return len(instance) >= low and (high is None or len(instance) <= high)

    return check


def _number_check(node: dict) -> Check:
    low, high = node.get("minimum"), node.get("maximum")

    def check(instance: int | float) -> bool:
        return (low is None or instance >= low) and (high is None or instance <= high)

    return check
