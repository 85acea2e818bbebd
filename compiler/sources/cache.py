"""The warm-rebuild cache's store (an edge: the only file I/O of the cache; keys and entries are
compiler/cache.py). Layout: DIR/kserve-compiler-1/<first two hex digits>/<key>.ksc, one immutable entry
per key, so two builds sharing DIR never see each other's half-written file (the record of an output
folder, compiler/warm.py, is the one entry rewritten under its key: atomically, like every write here).

- Writes are atomic: a temp file `.<key>.<random>` in the entry's folder, then rename. A crash leaves at
  worst a temp file, which the next prune removes; an entry torn any other way fails its checksum.
- Bounded: after a build that wrote entries, entries that build did not use are deleted once the store
  holds more than twice as many as the build used, plus PRUNE_SLACK (so a store holds about two builds'
  worth: the current one and the one before it, which a branch switch may want back).
- Nothing here raises on a bad cache: an unreadable, damaged or foreign entry becomes a notice and a miss;
  a cache that cannot be written is skipped with one notice (the build itself never depends on it).
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import secrets
from pathlib import Path

from compiler import __version__
from compiler import cache
from compiler.diagnostics import Diagnostic, notice
from compiler.resources import data_dir
from compiler.settings import BUILTIN_CATALOG, Settings

# Codes (KSC1xx: load)
CACHE_ENTRY_IGNORED = "KSC126"   # a damaged or foreign entry: not trusted, the file is compiled
CACHE_UNWRITABLE = "KSC127"      # the cache folder cannot be written: the build goes on without it

STORE = "kserve-compiler-1"
PRUNE_SLACK = 1000
_LIBRARIES = ("PyYAML", "jsonschema", "kubernetes-validate")  # their versions change what we emit or check


class Store:
    def __init__(self, folder: str):
        self.root = Path(folder) / STORE
        self.used: set[str] = set()
        self.recorded: set[str] = set()  # keys whose entry the folder record stood in for (compiler/warm.py)
        self.wrote = 0
        self.diagnostics: list[Diagnostic] = []
        self._write_failed = False

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}{cache.SUFFIX}"

    def get(self, key: str, decode=cache.decode, instead: str = "the file it stood for was compiled again"):
        """The entry under `key` (decoded by `decode`), or None: missing, or ignored with a notice that says
        what the build does `instead`."""
        path = self._path(key)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            self._ignored(path, exc.strerror or str(exc), instead)
            return None
        try:
            entry = decode(key, raw)
        except cache.BadEntry as exc:
            self._ignored(path, str(exc), instead)
            return None
        self.used.add(key)
        return entry

    def put(self, key: str, entry, encode=cache.encode) -> None:
        if self._write_failed:
            return
        path = self._path(key)
        tmp = path.parent / f".{key}.{secrets.token_hex(4)}"
        try:
            data = encode(key, entry)
            if data is None:  # nothing to keep (compiler/warm.py: an OUT whose paths the record cannot hold)
                return
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(data)
            os.replace(tmp, path)
        except OSError as exc:
            self._write_failed = True
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            self.diagnostics.append(notice(CACHE_UNWRITABLE, f"the cache {self.root.parent} cannot be written "
                                           f"({exc.strerror or exc}); this build did not update it",
                                           hint="point --cache (or KSC_CACHE_DIR) at a writable folder"))
            return
        self.used.add(key)
        self.wrote += 1

    def prune(self) -> None:
        """Delete unused entries (and leftover temp files) once the store outgrows the bound above."""
        if not self.wrote or self._write_failed:
            return
        try:
            entries = [(sub, name) for sub in os.scandir(self.root) if sub.is_dir()
                       for name in os.listdir(sub.path)]
        except OSError:
            return
        if len(entries) <= 2 * len(self.used) + PRUNE_SLACK:
            return
        for sub, name in entries:
            if name.startswith(".") or name.removesuffix(cache.SUFFIX) not in self.used:
                try:
                    os.unlink(os.path.join(sub.path, name))
                except OSError:
                    pass  # another build removed it, or it is not ours to remove: never fatal

    def _ignored(self, path: Path, why: str, instead: str) -> None:
        self.diagnostics.append(notice(CACHE_ENTRY_IGNORED, f"cache entry {path} ignored: {why}; {instead}",
                                       hint="harmless; delete the cache folder if this repeats"))


def read_sources(files) -> list[bytes | None]:
    """Each source file's bytes (None where it cannot be read: the loader then reports why)."""
    out: list[bytes | None] = []
    for source in files:
        try:
            out.append(source.path.read_bytes() if source.path is not None else None)
        except OSError:
            out.append(None)
    return out


def settings_key(settings: Settings) -> str:
    """A digest of the tool (version, libraries, its own files) and of every setting and settings file that
    changes a build's output or diagnostics. Filters are not in it: they are applied after the cache."""
    parts = [__version__, *(f"{lib}={_version(lib)}" for lib in _LIBRARIES), _tool_files()]
    parts += [repr((settings.default_namespace, settings.catalog, settings.config_file, settings.crds,
                    settings.kubernetes_version, settings.limits, settings.max_placeholder_bytes,
                    settings.storage_injection, settings.resolve, settings.expand, settings.allow_empty,
                    settings.drop_previous_output))]
    if settings.config_file:
        parts.append(_file_digest(Path(settings.config_file)))
    for folder in (settings.catalog if settings.catalog not in (BUILTIN_CATALOG, "none") else None, settings.crds):
        if folder:
            parts.append(_tree_digest(Path(folder), contents=True))
    return cache.combine(*parts)


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def _tool_files() -> str:
    """Names, sizes and modification times of our code and bundled data: a changed installation (or an
    edited checkout) never reuses an older one's entries, even at the same version number."""
    roots = [Path(__file__).resolve().parent.parent]
    roots += [d for d in (data_dir("catalog"), data_dir("schemas")) if isinstance(d, Path)]
    return cache.combine(*(_tree_digest(root, contents=False) for root in roots))


def _file_digest(path: Path) -> str:
    try:
        return cache.digest(path.read_bytes())
    except OSError as exc:
        return f"unreadable:{exc.errno}"


def _tree_digest(root: Path, *, contents: bool) -> str:
    parts = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            path = Path(folder) / name
            if contents:
                parts.append(f"{path.relative_to(root)}:{_file_digest(path)}")
            else:
                try:
                    st = path.stat()
                except OSError:
                    continue
                parts.append(f"{path.relative_to(root)}:{st.st_size}:{st.st_mtime_ns}")
    return cache.combine(*parts)
