"""The project file: a team's defaults for the flags, kept beside its sources, as ruff's and yamllint's are.

`.kserve-compiler.yaml` or a `[tool.kserve-compiler]` table in `pyproject.toml`, found by walking up from the
sources: the nearest folder holding either wins (`.kserve-compiler.yaml` first when a folder holds both). The
walk stops at the repository root (a folder with `.git`), or, in the KRM function, the kustomize plugin and
under Argo CD, at their root (the package, kustomization or application folder): nothing outside it is read,
as for their `paths` and `config`.

Keys are the long flags' names: a flag always wins over the file. Paths in it are relative to its folder.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from compiler.diagnostics import Severity, UsageError
from compiler.filtering import Filter, parse_codes

# Codes (KSC0xx: command line and configuration)
BAD_PROJECT_FILE = "KSC022"  # the project file cannot be read, or holds an unknown key or a bad value
TWO_PROJECTS = "KSC023"      # the sources sit under different project files

YAML_NAME = ".kserve-compiler.yaml"
PYPROJECT = "pyproject.toml"
TABLE = "kserve-compiler"  # [tool.kserve-compiler]

LISTS = ("select", "ignore", "exclude")
CHOICES = {"min-severity": ("notice", "warning", "error")}
STRINGS = ("default-namespace", "kubernetes-version")
PATHS = ("config", "catalog", "crds")  # relative to the file's folder (catalog's builtin / none stay words)
BOOLEANS = ("strict", "quiet")
KEYS = LISTS + tuple(CHOICES) + STRINGS + PATHS + BOOLEANS


@dataclass(frozen=True)
class Project:
    path: str | None = None               # the file, as found (None: no project file)
    values: dict = field(default_factory=dict)  # key (as in KEYS) -> value, checked

    def get(self, key: str, default=None):
        return self.values.get(key, default)

    def filter(self) -> Filter:
        """The file's own filter (the KRM function and the kustomize plugin have no flags to add)."""
        floor = "error" if self.get("quiet") else self.get("min-severity", "notice")
        return Filter(min_severity=Severity(floor), select=parse_codes(self.get("select", ()), where=f"{self.path}: select"),
                      ignore=parse_codes(self.get("ignore", ()), where=f"{self.path}: ignore"))


NONE = Project()


def find(sources: tuple[str, ...], *, root: str | None = None) -> Project:
    """The project file of `sources` (stdin and sources outside `root` start from the working folder)."""
    starts = {_start(s) for s in sources if s != "-"} or {Path.cwd()}
    stop = Path(os.path.abspath(root)) if root is not None else None
    found = {p for p in (_nearest(start, stop) for start in starts) if p is not None}
    if not found:
        return NONE
    if len(found) > 1:
        names = ", ".join(sorted(str(_shown(p)) for p in found))
        raise UsageError(f"the sources belong to different project files: {names}", code=TWO_PROJECTS,
                         hint="run kserve-compiler once per project, or keep one project file above all sources")
    return read(found.pop())


MAX_BYTES = 1024 * 1024  # a project file is a few lines; a huge one is a mistake or hostile


def read(path: Path) -> Project:
    shown = str(_shown(path))
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            raise UsageError(f"project file {shown} is larger than {MAX_BYTES // 1024} KiB", code=BAD_PROJECT_FILE)
        text = raw.decode("utf-8")
        if path.name == PYPROJECT:
            table = tomllib.loads(text).get("tool", {}).get(TABLE, {})
        else:
            table = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise UsageError(f"cannot read the project file {shown}: {_reason(exc)}", code=BAD_PROJECT_FILE) from None
    if table is None:
        table = {}
    if not isinstance(table, dict):
        raise UsageError(f"project file {shown}: must be a mapping of option names to values", code=BAD_PROJECT_FILE)
    return Project(shown, {key: _checked(shown, path.parent, key, value) for key, value in table.items()})


def _checked(shown: str, folder: Path, key: object, value: object):
    key = str(key).replace("_", "-")
    if key not in KEYS:
        close = difflib.get_close_matches(key, KEYS, n=1)
        raise UsageError(f"project file {shown}: unknown key {key!r}", code=BAD_PROJECT_FILE,
                         hint=f"did you mean {close[0]!r}?" if close else "the keys are " + ", ".join(KEYS))
    if key in LISTS:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
            raise _bad(shown, key, "a list of strings")
        return tuple(items)
    if key in BOOLEANS:
        if not isinstance(value, bool):
            raise _bad(shown, key, "true or false")
        return value
    if not isinstance(value, str) or not value:
        raise _bad(shown, key, "a string")
    if key in CHOICES and value not in CHOICES[key]:
        raise _bad(shown, key, " or ".join(CHOICES[key]))
    if key in PATHS and not (key == "catalog" and value in ("builtin", "none")):
        return str(folder / value)
    return value


def _bad(shown: str, key: str, wanted: str) -> UsageError:
    return UsageError(f"project file {shown}: {key} must be {wanted}", code=BAD_PROJECT_FILE)


def _start(source: str) -> Path:
    # abspath, not resolve(): a symlink loop among the sources is the walk's to report (KSC121), not ours.
    path = Path(os.path.abspath(source))
    return path if path.is_dir() else path.parent


def _nearest(start: Path, stop: Path | None) -> Path | None:
    if stop is not None and not start.is_relative_to(stop):
        start = stop  # a source outside the root: only the root's own file may apply
    for folder in (start, *start.parents):
        for candidate in (folder / YAML_NAME, folder / PYPROJECT):
            if candidate.is_file() and (candidate.name == YAML_NAME or _has_table(candidate)):
                return candidate
        if folder == stop or (stop is None and (folder / ".git").exists()):
            return None
    return None


def _has_table(pyproject: Path) -> bool:
    """Whether a pyproject.toml has [tool.kserve-compiler]; one that cannot be parsed is another tool's
    problem, unless it names us (then read() reports it)."""
    try:
        text = pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    if f"tool.{TABLE}" not in text:
        return False
    try:
        return TABLE in tomllib.loads(text).get("tool", {})
    except tomllib.TOMLDecodeError:
        return True


def _shown(path: Path) -> Path:
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def _reason(exc: Exception) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc).splitlines()[0]
