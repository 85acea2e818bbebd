"""YAML dumping: the one place objects become text. `dump` writes our output (generated objects in
Kubernetes' key order, pass-through objects as written); `dump_item` writes the items the KRM door
echoes into the user's package (docs/design.md Decision 8: PyYAML's C emitter for both).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import re
import signal

import yaml

from compiler.emit import Output
from compiler.emit.block import BlockWriter, Unsupported

# Dumping


_STR, _INT, _BOOL, _NULL = (f"tag:yaml.org,2002:{t}" for t in ("str", "int", "bool", "null"))
_MAP, _SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_RESOLVED: dict[str, str] = {}  # plain scalar text -> the tag it would be read as ("true" -> bool)
_NOT_A_STRING = "tag:kserve-compiler,2026:not-a-string"  # anything but str makes the emitter quote

# kubectl and the API server read YAML with sigs.k8s.io/yaml, i.e. gopkg.in/yaml.v2's resolve.go, which
# takes more plain scalars for non-strings than PyYAML's YAML 1.1 resolver: y/Y/n/N (bools), 0o17, 1e3,
# .5e3, and numbers once every `_` is dropped (ParseInt/ParseFloat). Such strings must be quoted.
_GO_BOOLS = frozenset(("y", "Y", "n", "N"))
_GO_NUMBER = re.compile(r"[-+]?(0[xX][0-9a-fA-F]+|0[oObB][0-7]+"      # strconv.ParseInt(s, 0, 64)
                        r"|(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)")  # yamlStyleFloat
_GO_DOT_FLOAT = re.compile(r"\.[0-9]+([eE][-+]?[0-9]+)?")


# ruamel.yaml's YAML 1.2 resolver reads digits and `_` after a sign, a dot or a base prefix as a number
# and fails on those left with no digit once `_` is dropped (`-_`, `._`, `0x_`): quoted too (issue 17).
_UNDERSCORE_NUMBER = re.compile(r"[-+]?(0[xXoObB][0-9a-fA-F_]*|[0-9_]*\.?[0-9_]*([eE][-+]?[0-9_]*)?)")


def _go_reads_as_non_string(text: str) -> bool:
    if text in _GO_BOOLS:
        return True
    if text[:1] not in "0123456789+-.":
        return False
    if "_" in text and _UNDERSCORE_NUMBER.fullmatch(text):
        return True
    if text[:1] == ".":  # Go drops every `_` first here too: `._5` is 0.5
        return _GO_DOT_FLOAT.fullmatch(text.replace("_", "")) is not None
    return _GO_NUMBER.fullmatch(text.replace("_", "")) is not None


_Scalar, _Mapping, _Sequence = yaml.ScalarNode, yaml.MappingNode, yaml.SequenceNode


def _node(data) -> yaml.Node:
    """Plain data straight to YAML nodes: what SafeRepresenter does, minus its alias bookkeeping and
    per-node dispatch (a third of the dump time)."""
    kind = type(data)
    if kind is str:
        if "\n" not in data:
            return _Scalar(_STR, data)
        # A literal block for text with line breaks; libyaml falls back to double quotes by itself
        # where a block cannot hold the text (trailing spaces on a line, a key). Text ending in a blank
        # line goes double-quoted: its `|+` block would make libyaml end the document with `...`.
        keep = data.endswith("\n\n") or data == "\n"
        return _Scalar(_STR, data, None, None, '"' if keep else "|")
    if kind is dict:
        return _Mapping(_MAP, [(_node(k), _node(v)) for k, v in data.items()], None, None, False)
    if kind is list:
        return _Sequence(_SEQ, [_node(v) for v in data], None, None, False)
    if kind is bool:
        return _Scalar(_BOOL, "true" if data else "false")
    if kind is int:
        return _Scalar(_INT, str(data))
    if data is None:
        return _Scalar(_NULL, "null")
    if kind is float:
        return _SAFE.represent_float(data)  # .nan, .inf, 1e+20 spelt the way YAML 1.1 reads them back
    return yaml.representer.SafeRepresenter(default_flow_style=False).represent_data(data)  # rare


_SAFE = yaml.representer.SafeRepresenter()  # stateless for represent_float


class _Dumper(yaml.CSafeDumper):
    """PyYAML's C emitter (Decision 8) fed by `_node`: no anchors (producers may share one dict in two
    places; Kubernetes YAML has none), multi-line strings as literal blocks, the resolver's regex work
    cached. About twice as fast as SafeDumper; the same text apart from the block style."""

    def represent_data(self, data):
        return _node(data)

    def ignore_aliases(self, data) -> bool:
        return True

    def descend_resolver(self, current_node, current_index) -> None:
        pass  # no path resolvers are registered; skipping saves two Python calls per node

    def ascend_resolver(self) -> None:
        pass

    def resolve(self, kind, value, implicit):
        # The emitter asks twice per scalar: may it go plain (implicit[0]) or quoted (implicit[1]).
        if kind is _Scalar:
            if not implicit[0]:
                return _STR
            tag = _RESOLVED.get(value)
            if tag is None:
                if len(_RESOLVED) > 100_000:
                    _RESOLVED.clear()
                tag = super().resolve(kind, value, implicit)
                if tag == _STR and value and _go_reads_as_non_string(value):
                    tag = _NOT_A_STRING
                _RESOLVED[value] = tag
            return tag
        return super().resolve(kind, value, implicit)


_DUMP_OPTIONS = dict(Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True,
                     width=2**31 - 1, explicit_start=False)  # the C emitter wants an int width
_TOP_ORDER = ("apiVersion", "kind", "metadata", "spec")
_META_ORDER = ("name", "namespace", "labels", "annotations")


def _ordered(data: dict, first: tuple[str, ...]) -> dict:
    out = {key: data[key] for key in first if key in data}
    out.update((key, value) for key, value in data.items() if key not in out)
    return out


def _conventional(obj: dict) -> dict:
    """Kubernetes' conventional key order for a generated object (apiVersion, kind, metadata, spec,
    the rest as built; in metadata: name, namespace, labels, annotations, the rest)."""
    out = _ordered(obj, _TOP_ORDER)
    if isinstance(out.get("metadata"), dict):
        out["metadata"] = _ordered(out["metadata"], _META_ORDER)
    return out


def _libyaml(data) -> str:
    return yaml.dump(data, **_DUMP_OPTIONS)


def _probe(text: str) -> str:
    """A string's text as libyaml writes it as a mapping value (plain, quoted, or a block with its lines)."""
    return _libyaml({"a": text})[3:-1]


_BLOCK = BlockWriter(_probe)


def dump(obj: dict, *, generated: bool = False) -> str:
    """One object as YAML; with generated=True its keys are put in the conventional order first.
    The block writer (compiler/emit/block.py, the same bytes, faster) takes what it can; libyaml the rest."""
    data = _conventional(obj) if generated else obj
    try:
        return _BLOCK.write(data)
    except Unsupported:
        return _libyaml(data)


def _dump_output(out: Output) -> str:
    return dump(out.obj, generated=out.generated)


# Dumping is most of a large build's time (docs/design.md's cost table) and each object dumps on its own,
# so a large build spreads it over the machine's cores: forked workers inherit the objects (nothing is
# pickled on the way in) and send back text, in order.
PARALLEL_MIN = 2_000
_PENDING: list = []


def _dump_slice(bounds: tuple[int, int]) -> list[str]:
    return [_dump_output(out) for out in _PENDING[bounds[0]:bounds[1]]]


def _worker_signals() -> None:
    """Workers keep the default signal actions: the CLI's SIGTERM/SIGHUP handler (doors/streams.py), inherited
    through fork, raised inside multiprocessing's queue lock when Pool.terminate() stopped an idle worker,
    which then deadlocked and hung the build forever (1 run in ~70 of 2,500 objects). Ctrl-C is the parent's."""
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def dump_many(outputs: list[Output]) -> list[str]:
    """Every output's YAML, in order; in parallel worker processes for large builds."""
    global _PENDING
    workers = min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1, 8)
    if len(outputs) < PARALLEL_MIN or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [_dump_output(out) for out in outputs]
    step = -(-len(outputs) // (workers * 4))
    chunks = [(start, min(start + step, len(outputs))) for start in range(0, len(outputs), step)]
    _PENDING = outputs
    gc.freeze()  # the workers' collector then never walks (and copies) the parent's heap
    try:
        with multiprocessing.get_context("fork").Pool(workers, initializer=_worker_signals) as pool:
            parts = pool.map(_dump_slice, chunks, chunksize=1)
    finally:
        _PENDING = []
        gc.unfreeze()
    return [text for part in parts for text in part]



# ---------------------------------------------------------------------------------------------------
# Items echoed into a KRM package


class _ItemDumper(yaml.CSafeDumper):
    """Double quotes for strings that read as something else unquoted ("true", "8080", ""). kpt keeps the
    quoting style a function returns when it rewrites the package's files, and Kubernetes YAML is
    written with double quotes: PyYAML's single quotes would change every such value in the user's
    sources on the first render."""


def _represent_str(dumper: _ItemDumper, data: str) -> yaml.ScalarNode:
    if "\n" in data:
        return dumper.represent_scalar(_STR, data, style="|")
    plain_tag = dumper.resolve(yaml.ScalarNode, data, (True, False))
    return dumper.represent_scalar(_STR, data, style='"' if plain_tag != _STR else None)


_ItemDumper.add_representer(str, _represent_str)


def dump_item(data: dict) -> str:
    """An item the KRM door echoes (or a ResourceList part), quoted as Kubernetes YAML is written."""
    return yaml.dump(data, Dumper=_ItemDumper, sort_keys=False, default_flow_style=False, allow_unicode=True,
                     width=2**31 - 1)
