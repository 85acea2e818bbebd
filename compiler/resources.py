"""Where our bundled data lives: catalog/ and schemas/ ship inside the installed package as
compiler.catalog_data / compiler.schema_data (pyproject.toml maps them there).

Read them only through importlib.resources' Traversable API (iterdir, name, read_bytes): in a wheel
install the package is a namespace package whose files() is a MultiplexedPath, in a zip import it is a
zipfile.Path, and neither is a filesystem path a str() can be opened by. A source tree that was never
installed has no such package; there the checkout's own folders serve (a Path is a Traversable too).
"""

from __future__ import annotations

import functools
import importlib.resources
from importlib.resources.abc import Traversable
from pathlib import Path

_PACKAGES = {"catalog": "compiler.catalog_data", "schemas": "compiler.schema_data"}


@functools.cache
def data_dir(name: str) -> Traversable:
    """`name` is "catalog" or "schemas"."""
    try:
        return importlib.resources.files(_PACKAGES[name])
    except ModuleNotFoundError:  # a checkout run without installing it (python -m compiler from the tree)
        return Path(__file__).resolve().parent.parent / name


def data_files(name: str, suffixes: tuple[str, ...]) -> list[Traversable]:
    """The files of one data folder whose names end in one of `suffixes`, sorted by name."""
    return sorted((entry for entry in data_dir(name).iterdir()
                   if entry.is_file() and entry.name.endswith(suffixes)), key=lambda entry: entry.name)
