"""The cluster objects a KServe v0.20.0 install brings, which every build sees unless `--catalog none`:
its 14 ClusterServingRuntimes and the ClusterStorageContainer `default` (spec §0.1, §7).

`--catalog builtin` (the default) reads our catalog/ folder; `--catalog DIR` reads a folder of the same
shape instead (a team's own set of cluster objects); `--catalog none` reads nothing.
"""

from __future__ import annotations

from pathlib import Path

from compiler.diagnostics import Diagnostic, UsageError
from compiler.document import Document
from compiler.load import Loaded, SourceFile, load
from compiler.resources import data_dir

BUILTIN = "builtin"
NONE = "none"


def catalog_files(choice: str) -> list[SourceFile]:
    if choice == NONE:
        return []
    if choice == BUILTIN:
        folder, shown = data_dir("catalog"), "<builtin catalog>"
    else:
        folder, shown = Path(choice), choice
        if not folder.is_dir():
            raise UsageError(f"--catalog {choice!r} is not a folder", hint="use builtin, none, or a folder of "
                             "ClusterServingRuntime / ClusterStorageContainer YAML files", code="KSC002")
    names = sorted(p.name for p in folder.iterdir() if p.suffix in (".yaml", ".yml", ".json"))
    return [SourceFile(folder / name, f"{shown}/{name}", name, True) for name in names]


def load_catalog(choice: str) -> tuple[list[Document], list[Diagnostic]]:
    loaded: Loaded = load(catalog_files(choice), origin="catalog")
    return loaded.documents, loaded.diagnostics
