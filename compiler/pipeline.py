"""`compile()`: the one place the stages are sequenced. doors/cli.py and doors/function.py (the KRM door and
the exec plugin) both call it.

load -> validate -> model -> resolve -> expand -> check. Emitting (stream or folder) is the caller's job,
because only the caller knows where the payload goes.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Iterable, Iterator

from compiler import catalog as catalog_mod
from compiler import filtering, gcpause, kinds, model, per_service
from compiler import config as config_mod
from compiler.apiserver import objects as apiserver
from compiler.constants import KSERVE_GROUP
from compiler.diagnostics import Diagnostic, Severity, error, has_errors, has_internal_error, notice, warning
from compiler.document import Document
from compiler.emit import DumpedOutput, Output
from compiler.resolve import Resolution, Runtimes
from compiler.schema.bundle import kubernetes_version
from compiler.settings import Settings
from compiler.sources.config_file import read_config_file
from compiler.sources.parse import load
from compiler.sources.walk import SourceFile, collect
from compiler.validate import documents as validate_documents
from compiler.validate import fields
from compiler.validate import runtime as runtime_rules

# Codes owned by the pipeline
DUPLICATE_OBJECT = "KSC115"
NOT_COMPILED = "KSC116"
UNKNOWN_KIND = "KSC117"
CATALOG_OVERRIDE = "KSC118"
PREVIOUS_OUTPUT = "KSC119"
BAD_OBJECT_NAME = "KSC120"
CONFIG_NOT_STANDARD = "KSC013"
EMPTY = "KSC608"
PROGRESS_EVERY = 50  # files loaded between two Settings.progress calls
ISVC = "InferenceService"
NOTHING_FOUND = "KSC124"  # warning: no SRC named, and `.` holds no KServe document (the error KSC608 when empty)
INTERNAL = "KSC500"


@dataclass
class Result:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)       # the sources' objects
    services: list[model.InferenceService] = field(default_factory=list)
    resolutions: list[Resolution] = field(default_factory=list)
    runtimes: list[model.Runtime] = field(default_factory=list)
    outputs: list[Output] = field(default_factory=list)           # generated and passed through
    origins: list[str] = field(default_factory=list)              # each output's source file (the cache)
    config: config_mod.Config = config_mod.BUILTIN
    timings: dict[str, float] = field(default_factory=dict)       # seconds per stage (bench/)
    filter: filtering.Filter = filtering.Filter()                 # what the user chose not to see
    silenced: list[filtering.Silenced] = field(default_factory=list)  # per-object annotations
    files: list[str] = field(default_factory=list)                # every source file read, as the user names it
    read: int = 0                                                  # documents parsed from them
    config_document: Document | None = None  # the inferenceservice-config among the sources (diff points at it)
    # Every generated object and pass-through document, even when the build failed and `outputs` is empty:
    # `fix` compares them per source file before and after its rewrite (compiler/fix/verify.py).
    generated: list[dict] = field(default_factory=list)
    passthrough: list[Document] = field(default_factory=list)
    read_by_file: dict[str, int] = field(default_factory=dict)     # the same, per file (the cache)

    def shown(self) -> tuple[list[Diagnostic], int]:
        """The diagnostics to report (errors always) and how many the filters hid. A door may append
        diagnostics after compile() (the folder writer's, --check's): they are filtered here too."""
        return filtering.apply(self.diagnostics, self.filter, self.silenced)

    def failed(self, *, strict: bool = False) -> bool:
        return has_errors(self.shown()[0] if strict else self.diagnostics, strict=strict)

    @property
    def internal_error(self) -> bool:
        return has_internal_error(self.diagnostics)


def compile(settings: Settings, documents: list[Document] | None = None, *,
            files: list[SourceFile] | None = None) -> Result:
    """Compile the sources named by `settings` (or the given documents, for KRM; or, for the warm-rebuild
    cache, the given files instead of the walk's). The cycle collector is paused meanwhile (gcpause.py)."""
    with gcpause.paused():
        return _compile(settings, documents, files)


def _compile(settings: Settings, documents: list[Document] | None, files: list[SourceFile] | None) -> Result:
    # Settled first, so every command takes the same versions the same way (validate never checks an
    # emitted object, but must still refuse a version build refuses): "v1.30.2" -> "1.30", None -> newest.
    settings = replace(settings, kubernetes_version=kubernetes_version(settings.kubernetes_version))
    result = Result(filter=settings.filter)
    timings = result.timings
    tick = settings.progress or _unwatched
    with timed(timings, "load"):
        docs = documents if documents is not None else _load_sources(settings, result, files, tick)
        catalog_docs, catalog_diags = catalog_mod.load_catalog(settings.catalog)
        result.diagnostics += catalog_diags
        result.config = _config(settings, docs, result)
        consumed, passthrough = _classify(docs, settings, result)
        nothing = _nothing_found(settings, result, consumed) if documents is None else None
        result.documents, result.passthrough = consumed + passthrough, passthrough
        result.silenced, bad = filtering.silenced(result.documents)
        result.diagnostics += bad
    with timed(timings, "validate"):
        services_docs = [d for d in consumed if d.kind == ISVC]
        kserve_docs = catalog_docs + consumed
        crds = validate_documents.crd_schemas(settings.crds)
        gateway_api = result.config.ingress.enable_gateway_api
        early = {id(d): validate_documents.validate([d], crds=crds, gateway_api=gateway_api)
                 for d in kserve_docs if d.kind != ISVC}
        conflicts = runtime_rules.same_priority_conflicts(
            [d for d in kserve_docs if d.kind in model.RUNTIME_KINDS], default_namespace=settings.default_namespace)
        before = result.diagnostics + [d for diags in early.values() for d in diags] + conflicts
        bad = frozenset((d.file, d.index) for d in before if d.severity is Severity.ERROR)
        passthrough_rules = _apiserver_rules(settings, passthrough)  # issue 13: what the API server refuses
    with timed(timings, "resolve"):
        overrides = _runtime_model(settings, catalog_docs, [d for d in consumed if (d.file, d.index) not in bad],
                                   result)
    shared = per_service.Shared(
        settings=settings, runtimes=Runtimes(result.runtimes) if settings.resolve else None,
        ctx=_expand_context(settings, catalog_docs, consumed, result) if settings.expand and settings.resolve
        else None, crds=crds, gateway_api=gateway_api, bad=bad,
        failed=has_errors(before + passthrough_rules + overrides), dump=False, tick=settings.progress)
    parts = per_service.run_shards(shared, services_docs, catalog_docs + docs, result.runtimes, timings)
    result.diagnostics += per_service.validated_in_order(kserve_docs, early, services_docs, parts)
    result.diagnostics += conflicts + passthrough_rules + overrides
    generated, texts = _merge(parts, services_docs, result)
    if shared.ctx is not None:
        result.generated = [obj for obj, _ in generated]
        if not result.failed():
            result.diagnostics += [d for part in parts for d in part.check[0]]
            result.diagnostics += [d for part in parts for d in part.check[1]]
        result.outputs = _outputs(generated, passthrough, settings, result, nothing, texts)
    elif nothing is not None:
        result.diagnostics.append(nothing)
    return result


def _unwatched(stage: str, done: int, total: int) -> None:
    """Settings.progress when nobody watches."""


def _watched(items: list, stage: str, tick) -> Iterable:
    """`items` as they are, or, when someone watches, an iterator telling Settings.progress how far a
    stage got every PROGRESS_EVERY items. The stages take any iterable, so they never know."""
    if tick is _unwatched:
        return items

    def counted() -> Iterator:
        for done, item in enumerate(items):
            if done % PROGRESS_EVERY == 0:
                tick(stage, done, len(items))
            yield item
    return counted()


@contextmanager
def timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    """Add the seconds the block takes to timings[stage] (Result.timings; bench/ reads them)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - start


def _load_sources(settings: Settings, result: Result, files: list[SourceFile] | None,
                  tick=_unwatched) -> list[Document]:
    if files is None:
        files, diags = collect(list(settings.sources), excludes=settings.excludes, skip=settings.skip)
        result.diagnostics += diags
    result.files = [f.display for f in files]
    loaded = load(_watched(files, "load", tick), limits=settings.limits, stdin=settings.stdin)
    result.diagnostics += loaded.diagnostics
    result.read = len(loaded.documents)
    for doc in loaded.documents:
        result.read_by_file[doc.file] = result.read_by_file.get(doc.file, 0) + 1
    return loaded.documents


def _config(settings: Settings, docs: list[Document], result: Result) -> config_mod.Config:
    if settings.config_file:
        return read_config_file(settings)
    found = [d for d in docs if config_mod.is_config(d)]
    if len(found) > 1:
        for d in found[1:]:
            result.diagnostics.append(error(config_mod.TWO_CONFIGS, f"a second {config_mod.CONFIG_NAME} ConfigMap; "
                                            f"the first is in {found[0].file}", **d.where(),
                                            hint="keep one inferenceservice-config in the sources"))
        return config_mod.BUILTIN
    if not found:
        return config_mod.BUILTIN
    cfg, diags = config_mod.from_configmap(found[0])
    result.config_document = found[0]  # diff points at the line of a changed key
    result.diagnostics += diags
    return cfg or config_mod.BUILTIN


def _classify(docs: list[Document], settings: Settings, result: Result) -> tuple[list[Document], list[Document]]:
    """Consumed inputs (KServe objects and the config) and pass-through objects; config-only items and
    our previous output drop out (Decision 1, 10). Duplicate objects are errors."""
    consumed: list[Document] = []
    passthrough: list[Document] = []
    seen: dict[tuple, Document] = {}
    for doc in docs:
        if doc.kind in kinds.CONSUMED_KINDS and kinds.group_of(doc.api_version) == KSERVE_GROUP:
            target = consumed
        elif config_mod.is_config(doc):
            continue
        elif kinds.is_config_only(doc):
            continue
        elif kinds.is_ours(doc):
            if not settings.drop_previous_output:
                result.diagnostics.append(notice(PREVIOUS_OUTPUT, "skipped: this object was generated by "
                                                 "kserve-compiler (it carries our managed-by label)", **doc.where(),
                                                 hint="keep generated output out of the sources (--exclude)"))
            continue
        else:
            target = passthrough
            problem = _unnamed(doc)
            if problem:
                result.diagnostics.append(problem)
                continue
            if kinds.group_of(doc.api_version) == KSERVE_GROUP:
                result.diagnostics.append(warning(NOT_COMPILED, f"{doc.kind} is not compiled by kserve-compiler; "
                                                  "it is passed through unchanged", **doc.where()))
            result.diagnostics += fields.legacy_api_group(doc)  # serving.kubeflow.org: an error
        key = (kinds.group_of(doc.api_version), doc.kind,
               None if kinds.is_cluster_scoped(doc.kind) else (doc.namespace or settings.default_namespace),
               doc.name)
        if key in seen:
            first = seen[key]
            result.diagnostics.append(error(DUPLICATE_OBJECT, f"{doc.kind} {doc.name} is defined twice; the first "
                                            f"is at {first.file}:{first.positions.of_value(())[0]}", **doc.where(),
                                            hint="Kubernetes would keep only one of them; remove the other"))
            continue
        seen[key] = doc
        target.append(doc)
    return consumed, passthrough


def _unnamed(doc: Document) -> Diagnostic | None:
    """What every kind's API refuses: metadata that is not a mapping, or a name that cannot be a path
    segment (ValidatePathSegmentName, the loosest of Kubernetes' name rules)."""
    meta = doc.data.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    if isinstance(name, str) and name and name not in (".", "..") and "/" not in name and "%" not in name:
        return None
    hint = "every object needs metadata.name: a non-empty string without '/' or '%'"
    if not isinstance(meta, dict):
        what = "metadata is not a mapping"
    elif name is None and doc.generate_name:
        # the API server makes a name only on create; apply (and so every GitOps tool) needs one, and our
        # output files are named after it
        what, hint = (f"metadata.generateName {doc.generate_name!r} without metadata.name: kubectl apply needs "
                      "a name", f"give it metadata.name (e.g. {doc.generate_name}1); generateName works only "
                      "with kubectl create")
    elif name is None:
        what = "metadata.name is missing"
    else:
        what = f"metadata.name {name!r} is not a name"
    return error(BAD_OBJECT_NAME, f"{doc.kind}: {what}; the API server would refuse this object",
                 **doc.where(("metadata", "name") if isinstance(meta, dict) and "name" in meta else ("metadata",)),
                 hint=hint)


def _runtime_model(settings: Settings, catalog_docs: list[Document], consumed: list[Document],
                   result: Result) -> list[Diagnostic]:
    """result.runtimes from the catalog and the sources' valid runtimes; a notice for each catalog runtime
    a ClusterServingRuntime of the sources replaces."""
    runtimes: dict[tuple, model.Runtime] = {}
    catalog_names = set()
    diags: list[Diagnostic] = []
    for doc in catalog_docs:
        if doc.kind in model.RUNTIME_KINDS:
            rt = model.runtime_from(doc, default_namespace=settings.default_namespace,
                                    builtin=settings.catalog == catalog_mod.BUILTIN)
            runtimes[(rt.namespace, rt.name)] = rt
            catalog_names.add(rt.name)
    for doc in consumed:
        if doc.kind in model.RUNTIME_KINDS:
            rt = model.runtime_from(doc, default_namespace=settings.default_namespace)
            if rt.cluster and rt.name in catalog_names:
                diags.append(notice(CATALOG_OVERRIDE, f"ClusterServingRuntime {rt.name} replaces the "
                                    "catalog's runtime of that name", **doc.where()))
            runtimes[(rt.namespace, rt.name)] = rt
    result.runtimes = sorted(runtimes.values(), key=lambda r: (r.namespace or "", r.name))
    return diags


def _expand_context(settings: Settings, catalog_docs: list[Document], consumed: list[Document], result: Result):
    from compiler.expand.context import ExpandContext  # lazy: `validate` never expands
    storage = tuple(sorted((d.data for d in catalog_docs + consumed if d.kind == model.STORAGE_CONTAINER_KIND),
                           key=lambda data: str((data.get("metadata") or {}).get("name"))))
    by_kind = {"ServiceAccount": {}, "Secret": {}}
    for doc in result.documents:
        if doc.kind in by_kind and doc.api_version == "v1":
            by_kind[doc.kind][(doc.namespace or settings.default_namespace, doc.name)] = doc.data
    return ExpandContext(config=result.config, storage_containers=storage,
                         service_accounts=by_kind["ServiceAccount"], secrets=by_kind["Secret"],
                         storage_injection=settings.storage_injection,
                         max_placeholder_bytes=settings.max_placeholder_bytes)


def _merge(parts: list[per_service.Part], docs: list[Document], result: Result) -> tuple[list, list | None]:
    """The parts' services, resolutions and diagnostics into `result`, stage by stage; returns the generated
    (object, InferenceService document) pairs and their YAML texts (None when not rendered)."""
    for part in parts:
        result.diagnostics += part.model
        result.services += part.services
    mode = result.config.deploy.default_deployment_mode
    if (result.services or any(part.lean_services for part in parts)) and mode != "Standard":
        result.diagnostics.append(warning(
            CONFIG_NOT_STANDARD, f"the configuration ({result.config.source}) has defaultDeploymentMode "
            f"{mode or '(none: no deploy key)'}; kserve-compiler emits Standard (raw) objects and adds "
            "serving.kserve.io/deploymentMode: Standard to InferenceServices without one",
            hint='set deploy to {"defaultDeploymentMode": "Standard"} in inferenceservice-config'))
    for part in parts:
        result.resolutions += part.resolutions
        result.diagnostics += per_service.resolution_diagnostics(part)
    generated, texts, offset = [], [], 0
    for part in parts:
        result.diagnostics += part.expand
        generated += [(obj, docs[offset + owner]) for obj, owner in zip(part.generated, part.owners)]
        texts = None if texts is None or part.texts is None else texts + part.texts
        offset += len(part.validate)  # the shard's documents
    return generated, texts


def _apiserver_rules(settings: Settings, passthrough: list[Document]) -> list[Diagnostic]:
    """The API server's own validation (compiler/apiserver/) of pass-through objects, placed at their fields
    (generated objects: per_service.py)."""
    return apiserver.source_diagnostics(passthrough, relaxed_env_names=per_service.relaxed_env_names(settings))


def _nothing_found(settings: Settings, result: Result, consumed: list[Document]) -> Diagnostic | None:
    """When `.` was searched by default and holds no KServe document, say where we looked, and point at `-`
    when something is piped in: stdin is read only with `-` (Decision 1), since CI runners leave a pipe there."""
    if settings.sources_named or any(d.kind in kinds.CONSUMED_KINDS and d.kind != model.STORAGE_CONTAINER_KIND
                                     for d in consumed):
        return None
    files = len(result.files)
    hint = ("stdin is not a terminal but is read only when a source is -: add - to read what is piped in"
            if settings.stdin_piped else
            "name the folders or files that hold your InferenceServices and runtimes, e.g. kserve-compiler build models/")
    return warning(NOTHING_FOUND, f"no InferenceService, ServingRuntime or ClusterServingRuntime found: no source "
                   f"was named, so the current folder . was searched ({files} YAML file{'' if files == 1 else 's'}, "
                   "hidden folders, kustomization files and folders of our output skipped)", hint=hint)


def _outputs(generated: list, passthrough: list[Document], settings: Settings, result: Result,
             nothing: Diagnostic | None = None, texts: list[str] | None = None) -> list[Output]:
    if result.failed():
        result.diagnostics += [nothing] if nothing else []
        return []
    outputs = ([Output(obj, False, True) for obj, _ in generated] if texts is None else
               [DumpedOutput(obj, False, True, text) for (obj, _), text in zip(generated, texts)])
    result.origins = [doc.file for _, doc in generated] + [doc.file for doc in passthrough]
    for doc in passthrough:
        if doc.kind not in kinds.NAMESPACED and not kinds.is_cluster_scoped(doc.kind):
            result.diagnostics.append(notice(UNKNOWN_KIND, f"{doc.kind} is not a kind kserve-compiler knows; filed "
                                             "as namespaced", **doc.where()))
        outputs.append(Output(doc.data, kinds.is_cluster_scoped(doc.kind), False))
    if not outputs and not settings.allow_empty:  # Decision 4: zero emitted objects, generated or passed through
        if nothing is not None:  # one message, saying why it is empty
            result.diagnostics.append(error(EMPTY, f"the build emitted no objects: {nothing.message}",
                                            hint=nothing.hint))
            return []
        result.diagnostics.append(error(EMPTY, "the build emitted no objects (none generated, none passed through)", hint="an empty build would let "
                                        "Argo CD or Flux prune everything; pass --allow-empty if that is meant"))
        return []
    if nothing is not None:
        result.diagnostics.append(nothing)
    return outputs
