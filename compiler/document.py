"""A loaded YAML document: plain data, where it came from, and where each of its nodes sits.

The data is plain dicts, lists and scalars (the fast path stays plain); positions live beside it in a
small index keyed by path, so any later stage can point a Diagnostic at the exact field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from compiler.diagnostics import ObjectRef

Path = tuple  # a path into the data: ("spec", "predictor", "containers", 0, "image")


@dataclass(slots=True)
class Positions:
    values: dict = field(default_factory=dict)  # path -> (line, column) of the value node, 1-based
    keys: dict = field(default_factory=dict)    # path -> (line, column) of the mapping key, 1-based

    def of_key(self, path: Path) -> tuple[int | None, int | None]:
        """Where the key of `path` is written (or the nearest enclosing node that exists)."""
        path = tuple(path)
        while path:
            if path in self.keys:
                return self.keys[path]
            if path in self.values:
                return self.values[path]
            path = path[:-1]
        return self.values.get((), (None, None))

    def of_value(self, path: Path) -> tuple[int | None, int | None]:
        """Where the value at `path` is written (or the nearest enclosing node that exists)."""
        path = tuple(path)
        while path:
            if path in self.values:
                return self.values[path]
            path = path[:-1]
        return self.values.get((), (None, None))


@dataclass(slots=True)
class Document:
    file: str          # path as the user sees it (relative to cwd, or as given), "-" for stdin
    source: str        # path relative to its SRC root, POSIX; "-" for stdin (kserve-compiler/source)
    index: int         # position of the document in its file, 0-based
    data: Any          # the document: a dict for every object we keep
    positions: Positions
    named: bool = False  # the file was named on the command line (not found by a folder walk)
    origin: str = "source"  # "source", "catalog" or "config" (a --config file)

    @property
    def api_version(self) -> str:
        value = self.data.get("apiVersion") if isinstance(self.data, dict) else None
        return value if isinstance(value, str) else ""

    @property
    def kind(self) -> str:
        value = self.data.get("kind") if isinstance(self.data, dict) else None
        return value if isinstance(value, str) else ""

    @property
    def metadata(self) -> dict:
        meta = self.data.get("metadata") if isinstance(self.data, dict) else None
        return meta if isinstance(meta, dict) else {}

    @property
    def name(self) -> str | None:
        value = self.metadata.get("name")
        return value if isinstance(value, str) else None

    @property
    def namespace(self) -> str | None:
        value = self.metadata.get("namespace")
        return value if isinstance(value, str) else None

    @property
    def generate_name(self) -> str | None:
        value = self.metadata.get("generateName")
        return value if isinstance(value, str) else None

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef(self.api_version, self.kind, self.name, self.namespace, self.generate_name)

    @property
    def display_name(self) -> str:
        """metadata.name for a message: `<generateName iris->` or `<unnamed>` when there is none."""
        return self.ref.display_name

    @property
    def annotations(self) -> dict:
        value = self.metadata.get("annotations")
        return value if isinstance(value, dict) else {}

    @property
    def labels(self) -> dict:
        value = self.metadata.get("labels")
        return value if isinstance(value, dict) else {}

    def where(self, path: Path = (), *, key: bool = True) -> dict:
        """Keyword arguments that place a Diagnostic at `path` in this document."""
        line, column = self.positions.of_key(path) if key else self.positions.of_value(path)
        dotted = dotted_path(path) if path else None
        return {"file": self.file, "line": line, "column": column, "object": self.ref,
                "index": self.index, "field": dotted}


def dotted_path(path: Path) -> str:
    """("spec", "containers", 0, "image") -> "spec.containers[0].image"."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
