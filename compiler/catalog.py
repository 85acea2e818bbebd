"""The cluster objects a KServe v0.20.0 install brings, which every build sees unless `--catalog none`:
its 14 ClusterServingRuntimes and the ClusterStorageContainer `default` (docs/kserve-behaviour.md §0.1, §7).

`--catalog builtin` (the default) reads our catalog/ folder; `--catalog DIR` reads a folder of the same
shape instead (a team's own set of cluster objects); `--catalog none` reads nothing.
"""

from __future__ import annotations

from pathlib import Path

from compiler.diagnostics import SETTING, Diagnostic, UsageError
from compiler.document import Document
from compiler.settings import BUILTIN_CATALOG
from compiler.sources.parse import Loaded, load, parse
from compiler.sources.walk import SourceFile
from compiler.resources import data_files

BAD_CATALOG = "KSC002"  # UsageError: the catalog setting names nothing we can read

BUILTIN = BUILTIN_CATALOG
NONE = "none"
SUFFIXES = (".yaml", ".yml", ".json")


def catalog_files(choice: str) -> list[SourceFile]:
    """The files of a `--catalog DIR` (the builtin catalog is package data: see load_catalog)."""
    if choice in (NONE, BUILTIN):
        return []
    folder, shown = Path(choice), choice
    try:  # not is_dir(): it raises on a name too long for the OS, which is still the user's input
        names = sorted(p.name for p in folder.iterdir() if p.name.endswith(SUFFIXES))
    except OSError as exc:
        raise UsageError(f"{SETTING} {choice[:200]!r} is not a folder we can read ({exc.strerror or exc})",
                         hint="use builtin, none, or a folder of ClusterServingRuntime / "
                              "ClusterStorageContainer YAML files", code=BAD_CATALOG, setting="catalog") from None
    return [SourceFile(folder / name, f"{shown}/{name}", name, True) for name in names]


def load_catalog(choice: str) -> tuple[list[Document], list[Diagnostic]]:
    if choice == BUILTIN:
        loaded = Loaded()
        for entry in data_files("catalog", SUFFIXES):
            parse(entry.read_bytes(), SourceFile(None, f"<builtin catalog>/{entry.name}", entry.name, True),
                  into=loaded, origin="catalog")
    else:
        loaded = load(catalog_files(choice), origin="catalog")
    return loaded.documents, loaded.diagnostics
