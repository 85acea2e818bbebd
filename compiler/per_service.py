"""The stages that run once per InferenceService (validate, model, resolve, expand, check) as one unit over a
slice of the sources' InferenceServices: a shard. pipeline.compile() runs one shard for a small build and one
per core for a large one (compiler/fork.py, issue 17); each gives a Part, and the pipeline merges the parts
in document order, so the result (its diagnostics in their order included) is the one a single shard gives.

Everything a shard reads is made before the fork (`Shared`): the runtimes, the expand context, the set of
documents that already have an error. Nothing a shard does reaches another: each InferenceService compiles
on its own, which is what makes sharding exact. Two run-wide facts are settled by the pipeline after the
merge: whether the check stage counts (serially it is skipped once anything has an error) and the warning
about a non-Standard deployment mode.
"""

from __future__ import annotations

import pickle
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Callable, Iterable, Iterator

from compiler import check, fork, kinds, model
from compiler.apiserver import objects as apiserver
from compiler.diagnostics import Diagnostic, Severity, has_errors
from compiler.document import Document
from compiler.resolve import Resolution, Runtimes, resolve
from compiler.settings import Settings
from compiler.validate import documents as validate_documents

PROGRESS_EVERY = 50  # InferenceServices between two Settings.progress calls
SHARD_MIN = 500  # InferenceServices per shard, at least: below that a fork and a pipe cost more than they save
# The parent's shard is this much larger than a child's: a child also pickles its result (a fifth of its
# compile time at N=50,000) while the parent would otherwise wait for it, idle (bench/run.py's "stage join").
# Measured at N=10,000 and 50,000 on 2 cores: 1.0 -> 1.2-1.3 cut the join 1.1 -> 0.4 s and 6.4 -> 2.5 s.
PARENT_WEIGHT = 1.25


@dataclass(frozen=True)
class Shared:
    """What every shard reads; made before the fork."""
    settings: Settings
    runtimes: Runtimes | None   # None: not resolving
    ctx: object | None          # an expand.context.ExpandContext; None: not expanding
    crds: dict | None           # --crds, loaded
    gateway_api: bool
    bad: frozenset              # (file, index) of every document with an error before these stages
    failed: bool                # an error before these stages: the check stage is skipped
    dump: bool                  # render each generated object's YAML in the shard (it crosses a pipe anyway)
    lean: bool = False          # a child's part for build: only what build reads crosses (Settings.texts_only)
    tick: Callable[[str, int, int], None] | None = None  # progress, in the parent's own shard only
    scale: int = 1              # shards in all: the parent's shard reports its progress times this


@dataclass
class Part:
    """One shard's results, each list in document order."""
    validate: list[list[Diagnostic]] = field(default_factory=list)  # per InferenceService document
    model: list[Diagnostic] = field(default_factory=list)
    services: list[model.InferenceService] = field(default_factory=list)
    resolutions: list[Resolution] = field(default_factory=list)
    expand: list[Diagnostic] = field(default_factory=list)
    generated: list[dict] = field(default_factory=list)
    owners: list[int] = field(default_factory=list)   # each generated object's document, an index into the shard
    texts: list[str] | None = None                    # each generated object's YAML (Shared.dump)
    check: tuple[list[Diagnostic], list[Diagnostic]] | None = None  # schema, API server; None: skipped
    timings: dict[str, float] = field(default_factory=dict)
    # A lean part (Shared.lean) leaves its services and resolutions in the child, which would cross the pipe
    # with a Python call per object (0.5 s of a child's time at N=10,000): their count and the resolutions'
    # diagnostics, in order, stand in for them.
    lean_services: int = 0
    lean_diagnostics: list[Diagnostic] | None = None


def run(shared: Shared, docs: list[Document]) -> Part:
    """Compile the InferenceService documents `docs` (a shard)."""
    part = Part()
    settings = shared.settings
    with _timed(part.timings, "validate"):
        part.validate = [validate_documents.validate_document(doc, crds=shared.crds, gateway_api=shared.gateway_api)
                         for doc in _watched(docs, "validate", shared)]
        bad = shared.bad | {(d.file, d.index) for diags in part.validate for d in diags
                            if d.severity is Severity.ERROR}
    with _timed(part.timings, "resolve"):
        for doc in docs:
            if (doc.file, doc.index) in bad:
                continue
            isvc, diags = model.inference_service_from(doc, default_namespace=settings.default_namespace)
            part.model += diags
            if isvc is not None:
                part.services.append(isvc)
        if shared.runtimes is not None:
            for isvc in _watched(part.services, "resolve", shared):
                part.resolutions += [resolve(isvc, component, shared.runtimes) for component in isvc.components]
    if shared.ctx is None:  # validate: no expand, but its first step, the webhook's rules, still applies
        with _timed(part.timings, "validate"):
            part.expand += webhook_rules(part.services)
        return part
    with _timed(part.timings, "expand"):
        _expand(shared, docs, part)
    failed = shared.failed or has_errors(_diagnostics(part))
    if not failed:
        with _timed(part.timings, "check"):
            relaxed = relaxed_env_names(settings)
            part.check = (check.check(_watched(part.generated, "check", shared),
                                      kubernetes_version=settings.kubernetes_version),
                          apiserver.generated_diagnostics(zip(part.generated, (docs[i] for i in part.owners)),
                                                          relaxed_env_names=relaxed))
    if shared.dump:
        from compiler.emit.dump import dump  # lazy: the dumper, only for a shard that renders
        with _timed(part.timings, "dump"):
            part.texts = [dump(obj, generated=True) for obj in part.generated]
    if shared.lean and shared.dump:  # (lean comes with dump: the texts stand in for the objects)
        part.generated = [_skeleton(obj) for obj in part.generated]
        part.lean_services, part.lean_diagnostics = len(part.services), resolution_diagnostics(part)
        part.services, part.resolutions = [], []
    return part


def resolution_diagnostics(part: Part) -> list[Diagnostic]:
    """The diagnostics of a part's resolutions, in order (a lean part's, kept when they were dropped)."""
    if part.lean_diagnostics is not None:
        return part.lean_diagnostics
    return [d for res in part.resolutions for d in res.diagnostics]


def _skeleton(obj: dict) -> dict:
    """What emit/layout.py and the cache read of an object whose text is rendered: pickling the whole
    object for the parent cost a child 0.28 s and the parent as much again at N=10,000."""
    meta = obj["metadata"]
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"],
            "metadata": {key: meta[key] for key in ("name", "namespace") if key in meta}}


def run_shards(shared: Shared, docs: list[Document], documents: list[Document],
                runtimes: list[model.Runtime], timings: dict[str, float]) -> list[Part]:
    """The per-InferenceService stages over `docs`: in one shard, or, for a large build, in one shard per
    core (compiler/fork.py). Every shard renders its objects' YAML too, when it is wanted (Settings.render):
    a child's text has to cross the pipe either way, and rendering is a share of the work that then runs
    side by side."""
    count = min(fork.jobs(), len(docs) // SHARD_MIN)
    if count < 2:
        part = run(shared, docs)
        add_timings(timings, part.timings)
        return [part]
    for doc in docs:  # what validate does to each document, done here, where the parent keeps it
        validate_documents.prune_nulls(doc.data)
    _warm_up(shared, docs[0])
    bounds = shard_bounds(len(docs), count)
    shards = [docs[bounds[k]:bounds[k + 1]] for k in range(count)]
    dumps, loads = _carrier([*documents, *runtimes])

    def job(k: int) -> Part:
        mine = replace(shared, dump=shared.settings.render, lean=k > 0 and shared.settings.texts_only,
                       tick=shared.tick if k == 0 else None, scale=count)
        return run(mine, shards[k])

    start = time.perf_counter()
    parts = fork.run(count, job, dumps=dumps, loads=loads)
    add_timings(timings, parts[0].timings)
    timings["join"] = time.perf_counter() - start - sum(parts[0].timings.values())
    return parts


def shard_bounds(n: int, count: int) -> list[int]:
    """Where each of `count` shards of n InferenceServices starts (and n): the parent's shard 0 weighs
    PARENT_WEIGHT, each child's 1; every shard holds at least one when n >= count."""
    total = PARENT_WEIGHT + count - 1
    bounds = [0] + [round(n * (PARENT_WEIGHT + k - 1) / total) for k in range(1, count)] + [n]
    for k in range(count - 1, 0, -1):  # rounding may leave a small shard empty: move its bound back
        bounds[k] = max(k, min(bounds[k], bounds[k + 1] - 1))
    return bounds


def _warm_up(shared: Shared, doc: Document) -> None:
    """Load once, before the fork, what every shard would otherwise load for itself on its first
    InferenceService: the InferenceService schema, expand/'s modules, the output kinds' validators."""
    validate_documents.validate_document(doc, crds=shared.crds, gateway_api=shared.gateway_api)
    if shared.ctx is not None:
        from compiler import expand  # noqa: F401  # lazy: as in _expand
        check.prepare(shared.settings.kubernetes_version)


def _carrier(shared: list):
    """How a child's Part crosses the pipe: its plain data (objects, texts, diagnostics) with pickle's C
    pickler, its services and resolutions (which point at documents and runtimes) with fork.pickler's
    references, which cost a Python call per pickled object."""
    link_dumps, link_loads = fork.pickler(shared)

    def dumps(part: Part) -> bytes:
        plain = replace(part, services=[], resolutions=[])
        return pickle.dumps((plain, link_dumps((part.services, part.resolutions))), pickle.HIGHEST_PROTOCOL)

    def loads(data: bytes) -> Part:
        plain, linked = pickle.loads(data)
        services, resolutions = link_loads(linked)
        return replace(plain, services=services, resolutions=resolutions)

    return dumps, loads


def add_timings(timings: dict[str, float], more: dict[str, float]) -> None:
    for stage, seconds in more.items():
        timings[stage] = timings.get(stage, 0.0) + seconds


def validated_in_order(kserve_docs: list[Document], early: dict[int, list[Diagnostic]], docs: list[Document],
                       parts: list[Part]) -> list[Diagnostic]:
    """Every KServe document's validation diagnostics, in document order, as one pass over them gives."""
    by_doc = dict(zip(map(id, docs), (diags for part in parts for diags in part.validate)))
    return [d for doc in kserve_docs for d in (early.get(id(doc)) or by_doc.get(id(doc)) or ())]


def relaxed_env_names(settings: Settings) -> bool:
    """Env var names are relaxed from Kubernetes 1.32 (the API server's own validation, compiler/apiserver/)."""
    return tuple(map(int, settings.kubernetes_version.split("."))) >= (1, 32)


def _diagnostics(part: Part) -> Iterator[Diagnostic]:
    for diags in part.validate:
        yield from diags
    yield from part.model
    for res in part.resolutions:
        yield from res.diagnostics
    yield from part.expand


def webhook_rules(services: list[model.InferenceService]) -> list[Diagnostic]:
    """expand.webhook_rules for `validate`, which never expands: the canary and multi-node rules KServe's
    webhook applies at admission. Only an InferenceService with a canary or a workerSpec can break them,
    so expand/ (~30 ms to import; validate ONE_FILE has a 0.3 s budget) is imported for those alone."""
    marked = [isvc for isvc in services
              if model.canary_entries(isvc.spec) or (isvc.components and model.has_worker_spec(isvc.predictor.spec))]
    if not marked:
        return []
    from compiler.expand import webhook_rules as rules  # lazy: see above
    return [d for isvc in marked for d in rules(isvc)]


def _expand(shared: Shared, docs: list[Document], part: Part) -> None:
    from compiler.expand import expand, webhook_rules as rules_of  # lazy: expand/ costs ~55 ms to import
    position = {id(doc): n for n, doc in enumerate(docs)}
    by_isvc: dict[int, list[Resolution]] = {}
    for res in part.resolutions:
        by_isvc.setdefault(id(res.isvc), []).append(res)
    for isvc in _watched(part.services, "expand", shared):
        resolutions = by_isvc.get(id(isvc), [])
        if not resolutions or any(r.how == "unresolved" for r in resolutions):
            part.expand += rules_of(isvc)  # the webhook refuses these before any runtime is looked for
            continue
        objects, diags = expand(isvc, resolutions, shared.ctx)
        part.expand += diags
        for obj in objects:
            part.generated.append(_stamp(obj, isvc.doc))
            part.owners.append(position[id(isvc.doc)])


def _stamp(obj: dict, doc: Document) -> dict:
    """Our label and source annotation, in metadata only (never selectors or pod labels; Decision 3)."""
    meta = obj["metadata"]
    meta["labels"] = {**(meta.get("labels") or {}), kinds.MANAGED_BY_LABEL: kinds.MANAGED_BY}
    meta["annotations"] = {**(meta.get("annotations") or {}), kinds.SOURCE_ANNOTATION: f"{doc.source}#{doc.index}"}
    return obj


def _watched(items: list, stage: str, shared: Shared) -> Iterable:
    """`items` as they are, or, when someone watches this shard, an iterator telling Settings.progress how far
    the stage got every PROGRESS_EVERY items (times the shard count: the other shards keep the same pace)."""
    tick = shared.tick
    if tick is None:
        return items

    def counted() -> Iterator:
        total = len(items) * shared.scale
        for done, item in enumerate(items):
            if done % PROGRESS_EVERY == 0:
                tick(stage, done * shared.scale, total)
            yield item
    return counted()


@contextmanager
def _timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - start
