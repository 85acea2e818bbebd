"""Helpers for plain data (what YAML and JSON decode to: dicts, lists, scalars)."""

from __future__ import annotations

_CONTAINERS = frozenset((dict, list))


def clone(value):
    """A deep copy of plain data, several times faster than copy.deepcopy: no memo, no reduce
    protocol, because dicts, lists and immutable scalars are all YAML can hold. Scalars (most of the
    values) are taken as they are without a call each."""
    kind = type(value)
    if kind is dict:
        return {k: clone(v) if type(v) in _CONTAINERS else v for k, v in value.items()}
    if kind is list:
        return [clone(v) if type(v) in _CONTAINERS else v for v in value]
    return value
