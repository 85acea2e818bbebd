"""Helpers for plain data (what YAML and JSON decode to: dicts, lists, scalars)."""

from __future__ import annotations


def clone(value):
    """A deep copy of plain data, several times faster than copy.deepcopy: no memo, no reduce
    protocol, because dicts, lists and immutable scalars are all YAML can hold."""
    kind = type(value)
    if kind is dict:
        return {k: clone(v) for k, v in value.items()}
    if kind is list:
        return [clone(v) for v in value]
    return value
