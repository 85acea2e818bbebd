"""Sources -> the files to read: folders walked in a stable order, files named, `-` for stdin (design.md
Decision 1). Hidden entries, folders holding our output marker, the -o target, host config files
(kustomization.yaml, Kptfile) and --exclude globs are skipped. Never raises on bad input, only on a
source that does not exist (a usage problem).
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from compiler.constants import OUTPUT_MARKER
from compiler.diagnostics import Diagnostic, UsageError, error, notice

# Codes (KSC1xx: load); the parser raises UNREADABLE and SKIPPED too
SYMLINK_ESCAPE = "KSC110"
UNREADABLE = "KSC111"
SKIPPED = "KSC114"

YAML_SUFFIXES = (".yaml", ".yml", ".json")
# Files that configure a host tool rather than describe cluster objects (Decision 1).
HOST_CONFIG_FILES = {"kustomization.yaml", "kustomization.yml", "Kustomization", "Kptfile"}


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: Path | None   # None for stdin
    display: str        # as the user sees it
    source: str         # relative to its SRC root, POSIX ("-" for stdin)
    named: bool         # named on the command line




def collect(sources: list[str], *, excludes: tuple[str, ...] = (), skip: tuple[Path, ...] = ()
            ) -> tuple[list[SourceFile], list[Diagnostic]]:
    """Expand SRC arguments into files, in a stable order. `skip` holds folders never to enter
    (the -o target)."""
    files: list[SourceFile] = []
    diags: list[Diagnostic] = []
    skip_real = {p.resolve() for p in skip}
    seen: set[Path] = set()  # a file named twice (or inside a folder also named) is read once
    for src in sources or ["."]:
        if src == "-":
            files.append(SourceFile(None, "-", "-", True))
            continue
        path = Path(src)
        if not path.exists():
            raise UsageError(f"source {src!r} does not exist", hint="name a file, a folder, or - for stdin")
        found = _walk(path, src, excludes, skip_real, diags) if path.is_dir() else [
            SourceFile(path, os.path.normpath(src), path.name, True)]
        for source in found:
            real = source.path.resolve()
            if real not in seen:
                seen.add(real)
                files.append(source)
    return files, diags


def _walk(root: Path, given: str, excludes: tuple[str, ...], skip_real: set[Path],
          diags: list[Diagnostic]) -> Iterator[SourceFile]:
    root_real = root.resolve()
    seen: set[Path] = set()

    def visit(folder: Path, rel: str) -> Iterator[SourceFile]:
        real = folder.resolve()
        if real in seen or real in skip_real or (folder / OUTPUT_MARKER).exists():
            return
        seen.add(real)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            diags.append(error(UNREADABLE, f"cannot read folder: {exc.strerror}", file=_display(given, rel)))
            return
        for entry in entries:
            child_rel = f"{rel}/{entry.name}" if rel else entry.name
            if entry.name.startswith(".") or _excluded(child_rel, entry.name, excludes):
                continue
            child = Path(entry.path)
            if entry.is_symlink() and not _inside(child.resolve(), root_real):
                diags.append(error(SYMLINK_ESCAPE, f"symlink leaves the source root {given!r}; not read",
                                   file=_display(given, child_rel),
                                   hint="copy the file into the repo, or name its real location as a source"))
                continue
            if entry.is_dir():
                yield from visit(child, child_rel)
            elif entry.name.endswith(YAML_SUFFIXES) and entry.name not in HOST_CONFIG_FILES:
                if entry.is_symlink() and not child.exists():
                    diags.append(error(UNREADABLE, "cannot read file: the symlink points to nothing",
                                       file=_display(given, child_rel)))
                    continue
                if not entry.is_file():  # a FIFO or device would block the walk; only a named one is read
                    diags.append(notice(SKIPPED, "skipped: not a regular file", file=_display(given, child_rel)))
                    continue
                yield SourceFile(child, _display(given, child_rel), child_rel, False)

    yield from visit(root, "")


def _display(given: str, rel: str) -> str:
    return os.path.normpath(os.path.join(given, rel)) if rel else os.path.normpath(given)


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _excluded(rel: str, name: str, excludes: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(name, pattern) for pattern in excludes)

