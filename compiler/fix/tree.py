"""ruamel.yaml's round-trip tree of one file: where each fixer finds the node a diagnostic points at (its
marks give line and column of every key, value and item) and reads what it needs (flow or block style,
the keys beside it). Only `fix` loads it; the build keeps PyYAML's C loader (docs/design.md Decision 8)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator


def load(body: str) -> list:
    """Every document of the file (None for an empty one); raises ValueError when ruamel cannot read it."""
    # lazy: ruamel.yaml costs ~60 ms to import and only `fix` uses it; validate and build (pre-commit,
    # the Argo CD sidecar) must not pay for it at start-up.
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError
    yaml = YAML(typ="rt", pure=True)
    yaml.allow_duplicate_keys = True  # our own parser reports duplicates; fix only needs the tree
    try:
        return list(yaml.load_all(body))
    except (YAMLError, RecursionError) as exc:
        raise ValueError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None


@dataclass(frozen=True)
class Spot:
    """What sits at a position: the mapping (or list) `parent` and the key (or index) `key`; `on_key`
    when the position is the key's own text, else its value's."""
    parent: Any
    key: Any
    on_key: bool

    @property
    def value(self) -> Any:
        return self.parent[self.key]


def find(documents: list, line: int, column: int, *, key: bool) -> Spot | None:
    """The key (`key`) or value written at (line, column), both 1-based as in a Diagnostic. A block
    mapping's value starts where its first key does, hence the caller says which it means."""
    target = (line - 1, column - 1)
    found = None
    for doc in documents:
        for position, spot in _spots(doc):
            if position == target and spot.on_key == key:
                found = spot  # the deepest: a value nested at the same position is the one meant
    return found


def _spots(node: Any) -> Iterator[tuple[tuple[int, int], Spot]]:
    if is_mapping(node):
        for key in node:
            yield _position(node.lc.key(key)), Spot(node, key, True)
            yield _position(node.lc.value(key)), Spot(node, key, False)
            yield from _spots(node[key])
    elif is_sequence(node):
        for i, item in enumerate(node):
            yield _position(node.lc.item(i)), Spot(node, i, False)
            yield from _spots(item)


def _position(pair) -> tuple[int, int]:
    return (pair[0], pair[1]) if pair else (-1, -1)


def is_mapping(node: Any) -> bool:
    return isinstance(node, dict) and hasattr(node, "lc")


def is_sequence(node: Any) -> bool:
    return isinstance(node, list) and hasattr(node, "lc")


def is_flow(node: Any) -> bool:
    return bool(node.fa.flow_style()) if hasattr(node, "fa") else False
