"""Where our bundled data lives: catalog/ and schemas/ at the top of a source checkout, or inside the
installed package as compiler.catalog_data / compiler.schema_data (pyproject.toml maps them)."""

from __future__ import annotations

import functools
import importlib.resources
from pathlib import Path


@functools.cache
def data_dir(name: str) -> Path:
    """`name` is "catalog" or "schemas"."""
    checkout = Path(__file__).resolve().parent.parent / name
    if checkout.is_dir():
        return checkout
    package = {"catalog": "compiler.catalog_data", "schemas": "compiler.schema_data"}[name]
    return Path(str(importlib.resources.files(package)))
