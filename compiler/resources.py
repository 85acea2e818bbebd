"""Where our bundled data lives: catalog/ and schemas/ ship inside the installed package as the folders
compiler/catalog_data and compiler/schema_data (pyproject.toml maps them there).

Read them only through importlib.resources' Traversable API (iterdir, name, read_bytes), starting from the
regular package `compiler`: in a wheel install that is a folder, in a zip import (a .whl or .zip on
sys.path) a zipfile.Path, and neither a str() of it nor the namespace package compiler.catalog_data
(whose MultiplexedPath refuses zip entries on Python 3.11) can be opened as a path. A source checkout,
installed editable or not installed at all, has no compiler/catalog_data; there the checkout's own
top-level folders serve (a Path is a Traversable too).
"""

from __future__ import annotations

import functools
import importlib.resources
from importlib.resources.abc import Traversable
from pathlib import Path

_PACKAGED = {"catalog": "catalog_data", "schemas": "schema_data"}


@functools.cache
def data_dir(name: str) -> Traversable:
    """`name` is "catalog" or "schemas"."""
    packaged = importlib.resources.files("compiler").joinpath(_PACKAGED[name])
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / name


def package_text(name: str) -> str:
    """A text file that ships inside the package itself (compiler/<name>), e.g. "codes.yaml"."""
    return importlib.resources.files("compiler").joinpath(name).read_text(encoding="utf-8")


def data_files(name: str, suffixes: tuple[str, ...]) -> list[Traversable]:
    """The files of one data folder whose names end in one of `suffixes`, sorted by name."""
    return sorted((entry for entry in data_dir(name).iterdir()
                   if entry.is_file() and entry.name.endswith(suffixes)), key=lambda entry: entry.name)
