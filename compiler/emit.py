"""Emit: sort the objects, dump them as YAML, lay them out as the output folder (design.md "Output
folder", Decisions 2, 3 and 8). The only stage that writes OUT; the writing itself, atomic and
refusing foreign folders, lives in `outdir.py` and is re-exported here.

Layout (Decision 3)::

    OUT/.kserve-compiler                 marker: generated, do not edit; digest of the other files
    OUT/kustomization.yaml               resources: the folders, `_cluster` first, then namespaces sorted
    OUT/_cluster/kustomization.yaml      resources: the folder's files, sorted
    OUT/_cluster/<name>.<kind>.yaml      cluster-scoped objects
    OUT/<namespace>/<name>.<kind>.yaml   kind lower-case; `<name>.<kind>.<group>.yaml` where two collide

`_cluster` comes first in OUT/kustomization.yaml because it holds the Namespaces, CRDs and cluster
roles the namespaced objects rely on (kustomize reorders by kind anyway; a reader expects this order).
It can never clash with a namespace: `_` is not allowed in a DNS label.
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
import re
from dataclasses import dataclass
from typing import Iterable

import yaml

from compiler.diagnostics import Diagnostic, ObjectRef, error
from compiler.load import OUTPUT_MARKER
from compiler.outdir import (  # noqa: F401  (re-exported: emit is the one door to OUT)
    DRIFT, FOREIGN_OUT, LEFTOVER, LEFTOVER_KEPT, UNWRITABLE, OutputError, check_folder, marker_text,
    repair_leftovers, write_folder)

# Codes (KSC6xx: emit); 603-607 are raised in outdir.py
COLLISION = "KSC601"  # two objects would be written to one file
BAD_PATH = "KSC602"   # a namespace or name that cannot be a folder or file name

CLUSTER_FOLDER = "_cluster"
KUSTOMIZATION = "kustomization.yaml"
MAX_FILE_NAME = 255  # bytes; ext4, xfs, btrfs, APFS and NTFS all stop here


@dataclass(frozen=True)
class Output:
    obj: dict             # apiVersion, kind, metadata.name always; metadata.namespace may be missing
    cluster_scoped: bool  # filed under _cluster/, never under a namespace
    generated: bool       # made by us (key order enforced); False: pass-through, dumped exactly as written


# ---------------------------------------------------------------------------------------------------
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


def _go_reads_as_non_string(text: str) -> bool:
    if text in _GO_BOOLS:
        return True
    if text[:1] == ".":
        return _GO_DOT_FLOAT.fullmatch(text) is not None
    return text[:1] in "0123456789+-" and _GO_NUMBER.fullmatch(text.replace("_", "")) is not None


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


def dump(obj: dict, *, generated: bool = False) -> str:
    """One object as YAML; with generated=True its keys are put in the conventional order first."""
    return yaml.dump(_conventional(obj) if generated else obj, **_DUMP_OPTIONS)


def _dump_output(out: Output) -> str:
    return dump(out.obj, generated=out.generated)


# Dumping is most of a large build's time (design.md's cost table) and each object dumps on its own,
# so a large build spreads it over the machine's cores: forked workers inherit the objects (nothing is
# pickled on the way in) and send back text, in order.
PARALLEL_MIN = 2_000
_PENDING: list = []


def _dump_slice(bounds: tuple[int, int]) -> list[str]:
    return [_dump_output(out) for out in _PENDING[bounds[0]:bounds[1]]]


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
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            parts = pool.map(_dump_slice, chunks, chunksize=1)
    finally:
        _PENDING = []
        gc.unfreeze()
    return [text for part in parts for text in part]


# ---------------------------------------------------------------------------------------------------
# Order and the stream


def _meta(obj: dict) -> dict:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _sort_key(out: Output) -> tuple[str, str, str, str]:
    meta = _meta(out.obj)
    return (str(meta.get("namespace") or ""), str(meta.get("name") or ""), str(out.obj.get("kind", "")),
            str(out.obj.get("apiVersion", "")))


def sort_outputs(outputs: Iterable[Output]) -> list[Output]:
    """By namespace ("" for none), name, kind, apiVersion; stable, so equal keys keep input order."""
    return sorted(outputs, key=_sort_key)


def stream(outputs: Iterable[Output]) -> str:
    """The YAML stream of `build` without -o: every object, sorted, separated by `---` lines."""
    return "---\n".join(dump_many(sort_outputs(outputs)))


# ---------------------------------------------------------------------------------------------------
# The folder layout

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_GROUP = re.compile(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?")


def _ref(obj: dict) -> ObjectRef:
    meta = _meta(obj)
    ns = meta.get("namespace")
    return ObjectRef(str(obj.get("apiVersion", "")), str(obj.get("kind", "")), str(meta.get("name", "")),
                     str(ns) if ns else None)


def _describe(obj: dict, folder: str) -> str:
    where = "" if folder == CLUSTER_FOLDER else f"{folder}/"
    return f"{obj.get('kind')} {where}{_meta(obj).get('name')} ({obj.get('apiVersion')})"


def _unsafe_part(text: str) -> bool:
    """A name or kind that cannot be one path component (Kubernetes allows `:` or upper case in some
    names, e.g. RBAC's, and those are fine; these are not)."""
    return not text or text in (".", "..") or any(c in text for c in "/\\\0")


def _folder(out: Output, default_namespace: str) -> str | None:
    if out.cluster_scoped:
        return CLUSTER_FOLDER
    ns = _meta(out.obj).get("namespace") or default_namespace  # Decision 2
    return ns if isinstance(ns, str) and _DNS_LABEL.fullmatch(ns) else None


def _group(api_version: str) -> str:
    group, _, _version = api_version.rpartition("/")
    return group or "core"


def _file_name(name: str, kind: str, group: str | None = None) -> str:
    suffix = f".{kind.lower()}{'.' + group if group else ''}.yaml"
    if len((name + suffix).encode()) <= MAX_FILE_NAME:
        return name + suffix
    # A name of up to 253 characters plus kind and group can pass the file system's limit: shorten it,
    # keeping it unique with a digest of the whole name.
    digest = "-" + hashlib.sha256(name.encode()).hexdigest()[:12]
    room = MAX_FILE_NAME - len((digest + suffix).encode())
    short = name.encode()[:room].decode("utf-8", "ignore")
    return short + digest + suffix


def _check_placeable(out: Output, folder: str | None, default_namespace: str) -> Diagnostic | None:
    obj, meta = out.obj, _meta(out.obj)
    if folder is None:
        ns = meta.get("namespace") or default_namespace
        return error(BAD_PATH, f"namespace {ns!r} of {_describe(obj, str(ns))} is not a valid namespace "
                     "name, so it cannot be a folder of the output", object=_ref(obj),
                     hint="a namespace is a DNS label: lower-case letters, digits and '-', at most 63")
    for what, value in (("name", meta.get("name")), ("kind", obj.get("kind"))):
        if not isinstance(value, str) or _unsafe_part(value):
            return error(BAD_PATH, f"{what} {value!r} of {_describe(obj, folder)} cannot be part of a file "
                         "name", object=_ref(obj),
                         hint="Kubernetes names hold no '/' and are never '.' or '..'")
    return None


def _place(items: list[tuple[Output, str]]) -> tuple[dict[str, Output], list[Diagnostic]]:
    """{relative path: output}. The API group goes into the file names of objects that would share
    one; names are compared case-insensitively, because macOS and Windows would merge such files."""
    by_base: dict[str, list[tuple[Output, str]]] = {}
    for out, folder in items:
        base = f"{folder}/{_file_name(_meta(out.obj)['name'], out.obj['kind'])}"
        by_base.setdefault(base.casefold(), []).append((out, folder))
    placed: dict[str, Output] = {}
    taken: dict[str, str] = {}  # casefolded path -> path
    diags: list[Diagnostic] = []
    for group in by_base.values():
        for out, folder in group:
            obj = out.obj
            qualifier = _group(str(obj["apiVersion"])) if len(group) > 1 else None
            if qualifier is not None and not _GROUP.fullmatch(qualifier):
                diags.append(error(BAD_PATH, f"API group {qualifier!r} of {_describe(obj, folder)} cannot be "
                                   "part of a file name", object=_ref(obj)))
                continue
            path = f"{folder}/{_file_name(_meta(obj)['name'], obj['kind'], qualifier)}"
            first = taken.get(path.casefold())
            if first is not None:
                diags.append(error(
                    COLLISION, f"{_describe(obj, folder)} and {_describe(placed[first].obj, folder)} would "
                    f"be written to the same file {path}", object=_ref(obj),
                    hint="objects of one kind and API group with one namespace and name are one object to "
                         "Kubernetes, and names that differ only in case would share a file on macOS; "
                         "rename or remove one"))
                continue
            taken[path.casefold()] = path
            placed[path] = out
    return placed, diags


def _kustomization(resources: list[str]) -> str:
    # Only `resources:`, no apiVersion/kind (Decision 3); dumped, so any odd file name is quoted right.
    return dump({"resources": resources})


def layout(outputs: Iterable[Output], default_namespace: str) -> tuple[dict[str, str], list[Diagnostic]]:
    """The output folder as {relative POSIX path: text}, marker included. With an error diagnostic
    the files are {}: a build with an error emits nothing (design.md "Diagnostics")."""
    items: list[tuple[Output, str]] = []
    diags: list[Diagnostic] = []
    for out in sort_outputs(outputs):
        folder = _folder(out, default_namespace)
        problem = _check_placeable(out, folder, default_namespace)
        if problem is not None:
            diags.append(problem)
        else:
            items.append((out, folder))
    placed, collisions = _place(items)
    diags.extend(collisions)
    if diags:
        return {}, diags
    files: dict[str, str] = {}
    folders: dict[str, list[str]] = {}
    paths = sorted(placed)
    for path, text in zip(paths, dump_many([placed[p] for p in paths])):
        files[path] = text
        folder, _, name = path.partition("/")
        folders.setdefault(folder, []).append(name)
    for folder, names in folders.items():
        files[f"{folder}/{KUSTOMIZATION}"] = _kustomization(sorted(names))
    order = sorted(folders, key=lambda f: (f != CLUSTER_FOLDER, f))
    files[KUSTOMIZATION] = _kustomization(order)
    files[OUTPUT_MARKER] = marker_text(files)
    return dict(sorted(files.items())), diags
