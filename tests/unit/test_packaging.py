"""The wheel holds every module: each package folder under compiler/ is named in pyproject.toml. The editable
install finds modules in the tree whatever pyproject lists, so a missing entry only shows after
`pip install .` (it did, twice); this test shows it in the README's test run too."""

from __future__ import annotations

import tomllib
from pathlib import Path

from conftest import REPO


def test_every_package_folder_is_listed_in_pyproject():
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    folders = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "compiler").rglob("*.py")
               if "__pycache__" not in p.parts}
    assert folders - listed == set()


def test_every_package_folder_has_an_init():
    """A folder without __init__.py is a namespace package: importable, but easy to leave out of a wheel."""
    missing = sorted(str(p.relative_to(REPO)) for p in (REPO / "compiler").rglob("*")
                     if p.is_dir() and p.name != "__pycache__" and any(p.glob("*.py"))
                     and not (p / "__init__.py").exists())
    assert missing == []
