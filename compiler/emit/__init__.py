"""Emit: dump.py (objects -> YAML), layout.py (the stream and the output folder's {path: object} plan),
outdir.py (the atomic folder write), drift.py (--check). The only stage that writes OUT.

`Output`, what the pipeline hands to emit, is defined here rather than in layout.py so that the pipeline
can name it without importing the dumper (multiprocessing, yaml) on the `validate` path.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Output:
    obj: dict             # apiVersion, kind, metadata.name always; metadata.namespace may be missing
    cluster_scoped: bool  # filed under _cluster/, never under a namespace
    generated: bool       # made by us (key order enforced); False: pass-through, dumped exactly as written


@dataclass(frozen=True)
class DumpedOutput(Output):
    """An output whose YAML is already known (the warm-rebuild cache, compiler/cache.py): `obj` then holds
    only apiVersion, kind, metadata.name and metadata.namespace, all that ordering and placing read."""
    text: str = ""
