"""The code's shape (issue 12): compiler.* imports form a DAG, no module is over 400 lines, and only the
doors (compiler/doors/) import click. Imports inside functions count as much as those at the top."""

from __future__ import annotations

import ast
from pathlib import Path

COMPILER = Path(__file__).resolve().parents[2] / "compiler"
MAX_LINES = 400


def _module_name(path: Path) -> str:
    parts = path.relative_to(COMPILER.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(COMPILER.rglob("*.py"))}


def _imports(name: str, path: Path) -> set[str]:
    """The compiler.* modules this module imports, anywhere in it. `from pkg import x` names the
    module pkg.x when x is a module, else pkg itself."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _cycle() -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(GRAPH[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(GRAPH):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_graph_is_read():
    assert len(MODULES) > 40 and GRAPH["compiler.pipeline"], "the import graph came out empty"


def test_no_import_cycle():
    cycle = _cycle()
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_no_module_over_400_lines():
    long = {name: n for name, path in MODULES.items() if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_only_the_doors_import_click():
    users = sorted(name for name, path in MODULES.items()
                   if any(isinstance(node, (ast.Import, ast.ImportFrom))
                          and any((getattr(node, "module", None) or alias.name).split(".")[0] == "click"
                                  for alias in node.names)
                          for node in ast.walk(ast.parse(path.read_text()))))
    assert users and all(name.startswith("compiler.doors.") for name in users), users
