"""Settings: everything one compile needs to know, frozen. Both doors build one (the command line from
its flags and, under Argo CD, the environment; the KRM door from a functionConfig) and hand it to
`pipeline.compile()`; nothing in the core reads flags, keys or the environment.

Errors about a setting (a bad --config file, an unreadable --catalog folder) are raised by the core as
`UsageError(..., setting=NAME)`, NAME being a field below; each door words them with its own name for
that setting (the CLI's flag, the KRM functionConfig key).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from compiler.filtering import Filter

BUILTIN_CATALOG = "builtin"


@dataclass(frozen=True, slots=True)
class Limits:
    """What a hostile repo cannot pass; each has a command-line flag to raise it (--max-*)."""
    file_bytes: int = 64 * 1024 * 1024  # one source file
    depth: int = 100                    # nesting of mappings and sequences in one document
    nodes: int = 1_000_000              # nodes in one document, counted after alias expansion
    documents: int = 100_000            # documents in one file


@dataclass(frozen=True)
class Settings:
    sources: tuple[str, ...] = (".",)
    default_namespace: str = "default"
    catalog: str = BUILTIN_CATALOG         # builtin | none | a folder
    config_file: str | None = None         # an inferenceservice-config ConfigMap file
    crds: str | None = None                # a folder of CRD YAML replacing our KServe schemas
    kubernetes_version: str | None = None  # schemas `check` applies (None: the newest we bundle)
    excludes: tuple[str, ...] = ()         # globs a folder walk skips
    skip: tuple[Path, ...] = ()            # folders a walk never enters (the -o target)
    limits: Limits = Limits()
    max_placeholder_bytes: int = 256 * 1024  # one placeholder-bearing value, expanded
    storage_injection: str = "pod"         # pod | webhook
    resolve: bool = True                   # validate without --resolve stops before resolution
    expand: bool = True                    # build: make the objects
    allow_empty: bool = False
    strict: bool = False                   # warnings fail the run (the warnings the filter leaves)
    filter: Filter = Filter()              # --quiet, --min-severity, --select, --ignore, the project file
    stdin: bytes | None = None             # stdin's bytes when a source is "-" (tests, KRM)
    drop_previous_output: bool = False     # KRM: items we generated last time are regenerated
    sources_named: bool = True             # False: no SRC was given, so `.` was searched by default
    stdin_piped: bool = False              # stdin is not a terminal, yet unread (no `-`): worth a hint
    # build without --summary: after compiling, only each generated object's YAML and what names its file are
    # read, and the resolutions' diagnostics, so a shard in a child sends just those (compiler/per_service.py)
    texts_only: bool = False
    # The generated objects' YAML is wanted (build, krm). diff, explain and fix read only the objects, so a
    # shard in a child leaves them unrendered (at N=10,000 a diff rendered 86,000 texts it never read).
    render: bool = True
    # Called as progress(stage, done, total) while compiling, for a door that shows progress (a terminal);
    # it must not touch the data. None: nobody is watching.
    progress: Callable[[str, int, int], None] | None = field(default=None, compare=False)
    cache_dir: str | None = None           # --cache / KSC_CACHE_DIR: the warm-rebuild cache (compiler/incremental.py)
