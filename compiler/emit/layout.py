"""The output's shape: objects sorted, the YAML stream of `build` without -o, and the output folder as a
{relative path: Output} plan (docs/design.md "Output folder", Decisions 2 and 3) rendered to {path: text}.
The folder writer, `--check` and the KRM door's path annotations all start from that one plan.

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

import hashlib
import re
from typing import Callable, Iterable

from compiler.constants import OUTPUT_MARKER
from compiler.diagnostics import Diagnostic, ObjectRef, error
from compiler.emit import DumpedOutput, Output
from compiler.emit.dump import dump, dump_many
from compiler.emit.fill import Reused
from compiler.emit.outdir import MARKER_TEXT
from compiler.kinds import group_of

# Codes (KSC6xx: emit); 603 is raised in drift.py, 604-607 in outdir.py
COLLISION = "KSC601"  # two objects would be written to one file
BAD_PATH = "KSC602"   # a namespace or name that cannot be a folder or file name

CLUSTER_FOLDER = "_cluster"
KUSTOMIZATION = "kustomization.yaml"
MAX_FILE_NAME = 255  # bytes; ext4, xfs, btrfs, APFS and NTFS all stop here




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
    return "---\n".join(texts(sort_outputs(outputs)))


def texts(outputs: list[Output]) -> list[str]:
    """Each output's YAML, in order: dumped now, or as the cache holds it (a DumpedOutput)."""
    fresh = iter(dump_many([out for out in outputs if not isinstance(out, DumpedOutput)]))
    return [out.text if isinstance(out, DumpedOutput) else next(fresh) for out in outputs]


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
            qualifier = (group_of(str(obj["apiVersion"])) or "core") if len(group) > 1 else None
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


def plan(outputs: Iterable[Output], default_namespace: str) -> tuple[dict[str, Output], list[Diagnostic]]:
    """Where each object goes: {relative POSIX path: Output}, sorted by path. With an error diagnostic
    the plan is {}: a build with an error emits nothing (docs/design.md "Diagnostics")."""
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
    return {path: placed[path] for path in sorted(placed)}, diags


def render(placed: dict[str, Output]) -> dict[str, str]:
    """A plan as the output folder's files, {relative POSIX path: text}: the objects, each folder's
    kustomization.yaml, OUT/kustomization.yaml and the marker."""
    return complete(dict(zip(placed, texts(list(placed.values())))))


def complete(objects: dict[str, str | Reused], unchanged=lambda folder: None) -> dict[str, str | Reused]:
    """The object files plus each folder's kustomization.yaml, OUT/kustomization.yaml and the marker, sorted
    by path (an object may be a Reused one, the warm rebuild's: only its path is read). `unchanged(folder)`:
    the Reused kustomization.yaml of a folder whose files are those of the previous build, or None."""
    files: dict[str, str | Reused] = dict(objects)
    folders = _folders(objects)
    for folder, names in folders.items():
        files[f"{folder}/{KUSTOMIZATION}"] = unchanged(folder) or _kustomization(sorted(names))
    order = sorted(folders, key=lambda f: (f != CLUSTER_FOLDER, f))
    files[KUSTOMIZATION] = _kustomization(order)
    files[OUTPUT_MARKER] = MARKER_TEXT
    return {path: files[path] for path in sorted(files)}


def _folders(objects) -> dict[str, list[str]]:
    folders: dict[str, list[str]] = {}
    for path in objects:
        folder, _, name = path.partition("/")
        folders.setdefault(folder, []).append(name)
    return folders


def kustomization_of(objects, folder: str) -> str:
    """A folder's kustomization.yaml, as complete() writes it."""
    return _kustomization(sorted(_folders(p for p in objects if p.startswith(folder + "/")).get(folder, [])))


def base_key(out: Output, folder: str) -> str:
    """The name two objects of one folder compare to decide whether the API group goes into their file
    names (_place): the path without the group, case-folded."""
    return f"{folder}/{_file_name(_meta(out.obj)['name'], out.obj['kind'])}".casefold()


def place_more(outputs: list[Output], default_namespace: str, kept: Callable[[str], bool],
               groups: Callable[[str], int], removed: dict[str, int]) -> list[str] | None:
    """Where `outputs` go when they join objects already placed (the warm rebuild, compiler/warm.py):
    `kept(p)` whether an object that stays has the casefolded path p, `groups(b)` how many objects of the
    previous plan had the base key b, `removed` how many of those are gone, by base key. The paths `plan`
    would give them, or None when `plan` must decide instead: an object cannot be placed, two collide, or
    a kept object's file name would change (its base key gains or loses a second object)."""
    bases: list[tuple[str, str]] = []
    joined: dict[str, int] = {}
    for out in outputs:
        folder = _folder(out, default_namespace)
        if _check_placeable(out, folder, default_namespace) is not None:
            return None
        base = base_key(out, folder)
        bases.append((base, folder))
        joined[base] = joined.get(base, 0) + 1
    for base in joined.keys() | removed.keys():
        before = groups(base)
        stay = before - removed.get(base, 0)
        if stay and (before > 1) != (stay + joined.get(base, 0) > 1):
            return None
    paths, taken = [], set()
    for out, (base, folder) in zip(outputs, bases):
        group = None
        if groups(base) - removed.get(base, 0) + joined[base] > 1:
            group = group_of(str(out.obj["apiVersion"])) or "core"
            if not _GROUP.fullmatch(group):
                return None
        path = f"{folder}/{_file_name(_meta(out.obj)['name'], out.obj['kind'], group)}"
        if path.casefold() in taken or kept(path.casefold()):
            return None
        taken.add(path.casefold())
        paths.append(path)
    return paths


def layout(outputs: Iterable[Output], default_namespace: str) -> tuple[dict[str, str], list[Diagnostic]]:
    """The output folder as {relative POSIX path: text}, marker included ({} with an error)."""
    placed, diags = plan(outputs, default_namespace)
    return (render(placed) if not diags else {}), diags
