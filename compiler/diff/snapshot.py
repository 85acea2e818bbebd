"""One side of a diff as plain data: the objects it emits, each InferenceService with the runtime each of its
components got (and why the others were passed over: resolve's own record, never re-derived), the runtimes
and the configuration it saw. Built from a pipeline Result in the process that compiled it; plain data so
it crosses a process boundary cheaply and compares without the compiler's types.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field

from compiler.diagnostics import Diagnostic
from compiler.kinds import SOURCE_ANNOTATION, group_of
from compiler.resolve import TIE

ObjKey = tuple  # (api group, kind, namespace or "", name)


@dataclass(frozen=True)
class Choice:
    """The runtime one component got, as resolve decided it."""
    runtime: str | None                      # "kserve-sklearnserver", or "ns/name" for a ServingRuntime
    how: str                                 # explicit | auto-selected | custom | unresolved
    protocol: str | None
    passed_over: dict = field(default_factory=dict)  # runtime -> (reason, detail)
    tie: bool = False                        # the winner tied with another runtime (KSC310)


@dataclass(frozen=True)
class Place:
    file: str
    line: int | None


@dataclass(frozen=True)
class ServiceSide:
    place: Place
    source: str                              # kserve-compiler/source of its objects: file#index
    data: dict                               # the InferenceService as written
    choices: dict = field(default_factory=dict)  # component label -> Choice
    positions: object = None                 # document.Positions: the line of a changed field (annotations)

    def line_of(self, path: tuple) -> int | None:
        return self.positions.of_key(path)[0] if self.positions is not None else self.place.line


@dataclass(frozen=True)
class RuntimeSide:
    kind: str
    place: Place
    spec: dict
    catalog: bool                            # from the catalog (built-in or --catalog DIR), not the sources
    positions: object = None

    def line_of(self, path: tuple) -> int | None:
        return self.positions.of_key(path)[0] if self.positions is not None else self.place.line


@dataclass
class Snapshot:
    exit_code: int = 0                             # as build would exit: 1 invalid input, 3 our bug
    diagnostics: list[Diagnostic] = field(default_factory=list)
    objects: dict = field(default_factory=dict)    # ObjKey -> object
    owners: dict = field(default_factory=dict)     # ObjKey -> (namespace, isvc name, component or None)
    services: dict = field(default_factory=dict)   # (namespace, name) -> ServiceSide
    runtimes: dict = field(default_factory=dict)   # runtime name (ns/name when namespaced) -> RuntimeSide
    config: dict = field(default_factory=dict)     # the effective configuration, by Config field
    config_place: Place | None = None              # the inferenceservice-config read, when one was
    config_positions: object = None                # ... and where its keys are

    @property
    def failed(self) -> bool:
        return self.exit_code != 0


def runtime_name(rt) -> str:
    return rt.name if rt.cluster else f"{rt.namespace}/{rt.name}"


def component_label(component) -> str:
    if component.canary is None:
        return component.kind
    return f"{component.kind} (canary {component.spec.get('name')})"


def object_key(obj: dict) -> ObjKey:
    meta = obj.get("metadata") or {}
    return (group_of(str(obj.get("apiVersion", ""))), obj.get("kind"), meta.get("namespace") or "", meta.get("name"))


def take(result, *, exit_code: int, prefix: str = "", diagnostics: list[Diagnostic] | None = None,
         positions: bool = True) -> Snapshot:
    """The snapshot of one compiled side. `prefix` is joined before the file names of the sources (a side read
    from a folder other than the user's), so annotations and diagnostics name files the user can open."""
    where = _placer(prefix)
    diags = [dataclasses.replace(d, file=where(d.file)) if d.file else d
             for d in (result.diagnostics if diagnostics is None else diagnostics)]
    snap = Snapshot(exit_code=exit_code, diagnostics=diags)
    if exit_code:
        return snap
    by_source = {}
    for isvc in result.services:
        doc = isvc.doc
        source = f"{doc.source}#{doc.index}"
        by_source[source] = (isvc.namespace, isvc.name)
        snap.services[(isvc.namespace, isvc.name)] = ServiceSide(
            Place(where(doc.file), doc.positions.of_value(())[0]), source, doc.data, {},
            doc.positions if positions else None)
    for res in result.resolutions:
        side = snap.services.get((res.isvc.namespace, res.isvc.name))
        if side is not None:
            side.choices[component_label(res.component)] = _choice(res)
    for rt in result.runtimes:
        catalog = rt.builtin or rt.doc.origin == "catalog"
        file = rt.doc.file if catalog else where(rt.doc.file)
        snap.runtimes[runtime_name(rt)] = RuntimeSide(rt.kind, Place(file, rt.doc.positions.of_value(())[0]),
                                                      rt.spec, catalog, rt.doc.positions if positions else None)
    for out in result.outputs:
        key = object_key(out.obj)
        snap.objects[key] = out.obj
        if out.generated:
            meta = out.obj.get("metadata") or {}
            owner = by_source.get((meta.get("annotations") or {}).get(SOURCE_ANNOTATION))
            if owner is not None:
                snap.owners[key] = (*owner, (meta.get("labels") or {}).get("component"))
    snap.config = {f.name: getattr(result.config, f.name) for f in dataclasses.fields(result.config)
                   if f.name not in ("source", "builtin")}
    config_doc = result.config_document
    if config_doc is not None:
        snap.config_place = Place(where(config_doc.file), config_doc.positions.of_value(())[0])
        snap.config_positions = config_doc.positions if positions else None
    return snap


def _choice(res) -> Choice:
    passed = {runtime_name(p.runtime): (p.reason, p.detail) for p in res.passed_over}
    tie = any(d.code == TIE for d in res.diagnostics)
    return Choice(runtime_name(res.runtime) if res.runtime is not None else None, res.how, res.protocol, passed, tie)


def _placer(prefix: str):
    def where(file: str | None) -> str | None:
        if not prefix or not file or file == "-" or os.path.isabs(file):
            return file
        return os.path.normpath(os.path.join(prefix, file))
    return where
