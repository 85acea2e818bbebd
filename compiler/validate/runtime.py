"""KServe v0.20's ServingRuntime / ClusterServingRuntime admission webhook
(pkg/webhook/admission/servingruntime/servingruntime_webhook.go): the per-runtime rules, and the
cross-runtime priority rule of docs/kserve-behaviour.md §1, applied across every runtime of a build (sources and catalog).
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from compiler.constants import KSERVE_CONTAINER, PROTOCOLS
from compiler.diagnostics import Diagnostic, error, warning
from compiler.document import Document
from compiler.validate.shared import UNKNOWN_PROTOCOL, blocked_env

# Codes (KSC21x: admission rules; shared range with isvc.py)
SAME_PRIORITY = "KSC213"
DIFFERENT_PRIORITIES = "KSC214"
WORKER_SPEC = "KSC222"


def runtime_rules(doc: Document) -> list[Diagnostic]:
    """The runtime webhook's per-object rules. It allows a disabled runtime without looking further."""
    spec = doc.data["spec"]
    if spec.get("disabled") is True:
        return []
    diags = blocked_env(doc, [(("spec", "containers", i), c) for i, c in enumerate(spec.get("containers") or ())])
    worker = spec.get("workerSpec")
    if isinstance(worker, dict):
        diags += blocked_env(doc, [(("spec", "workerSpec", "containers", i), c)
                                    for i, c in enumerate(worker.get("containers") or ())])
        diags += _worker_spec(doc, spec, worker)
    diags += _unknown_protocols(doc, spec)
    return diags


def _worker_spec(doc: Document, spec: dict, worker: dict) -> list[Diagnostic]:
    """validateMultiNodeSpec (the GPU resource-type check is not reproduced)."""
    what = f"the {doc.kind} {doc.display_name} is invalid: "
    path = ("spec", "workerSpec")
    if len(worker.get("containers") or ()) > 1:
        return [error(WORKER_SPEC, what + "setting multiple containers in workerSpec is not allowed",
                      **doc.where((*path, "containers")))]
    for i, container in enumerate(spec.get("containers") or ()):
        if container.get("name") != KSERVE_CONTAINER:
            continue
        for j, env in enumerate(container.get("env") or ()):
            if env.get("name") in ("PIPELINE_PARALLEL_SIZE", "TENSOR_PARALLEL_SIZE"):
                return [error(WORKER_SPEC, what + f"setting {env['name']} in environment variables is not allowed",
                              **doc.where(("spec", "containers", i, "env", j)))]
    for key, label in (("pipelineParallelSize", "PipelineParallelSize"), ("tensorParallelSize", "TensorParallelSize")):
        if worker.get(key, 1) < 1:
            return [error(WORKER_SPEC, what + f"the WorkerSpec.{label} cannot be less than 1({worker[key]})",
                          **doc.where((*path, key), key=False))]
    return []


def _unknown_protocols(doc: Document, spec: dict) -> list[Diagnostic]:
    return [warning(UNKNOWN_PROTOCOL, f'protocol version "{p}" is none of {", ".join(PROTOCOLS)}; only a model '
                    "asking for exactly this protocol can use this runtime",
                    **doc.where(("spec", "protocolVersions", i), key=False))
            for i, p in enumerate(spec.get("protocolVersions") or ()) if p not in PROTOCOLS]


def same_priority_conflicts(runtimes: Iterable[Document], *, default_namespace: str = "default") -> list[Diagnostic]:
    """The runtime webhook's priority rules across every runtime given (sources and catalog). Runtimes are
    applied in the order given, catalog ones first (they are already in the cluster): a runtime is refused
    when an earlier enabled one of the same scope (namespace, or cluster) and multiModel, sharing a listed
    protocol version, has an autoSelect entry of the same format name (case-insensitive) and version with
    the same priority; and when its own autoSelect entries of one name carry different priorities.
    Catalog runtimes a source runtime replaces (same kind and name) are left out."""
    ordered = _effective_runtimes(runtimes)
    diags: list[Diagnostic] = []
    for i, new in enumerate(ordered):
        if new.origin != "source" or _spec(new).get("disabled") is True:
            continue
        diags += _priorities_differ(new)
        for existing in ordered[:i]:
            if _scope(existing, default_namespace) == _scope(new, default_namespace):
                diags += _priority_clash(new, existing, default_namespace)
    return diags


def _effective_runtimes(runtimes: Iterable[Document]) -> list[Document]:
    runtimes = [r for r in runtimes if isinstance(r.data.get("spec"), dict) and r.name]
    replaced = {(r.kind, r.namespace, r.name) for r in runtimes if r.origin == "source"}
    catalog = [r for r in runtimes if r.origin != "source" and (r.kind, r.namespace, r.name) not in replaced]
    return catalog + [r for r in runtimes if r.origin == "source"]


def _spec(doc: Document) -> dict:
    return doc.data["spec"]


def _scope(doc: Document, default_namespace: str) -> tuple:
    return ("cluster",) if doc.kind == "ClusterServingRuntime" else ("namespace", doc.namespace or default_namespace)


def _auto_formats(doc: Document) -> Iterator[tuple[int, dict]]:
    entries = _spec(doc).get("supportedModelFormats")
    for i, entry in enumerate(entries if isinstance(entries, list) else ()):
        if isinstance(entry, dict) and entry.get("autoSelect") is True and isinstance(entry.get("name"), str):
            yield i, entry


def _priorities_differ(doc: Document) -> list[Diagnostic]:
    """validateModelFormatPrioritySame: keyed by the exact name; the first entry's priority (even unset) is
    what later ones are compared with."""
    first: dict[str, Any] = {}
    for i, entry in _auto_formats(doc):
        name, priority = entry["name"], entry.get("priority")
        if name not in first:
            first[name] = priority
        elif first[name] is not None and priority is not None and first[name] != priority:
            scope = "clusterservingruntime" if doc.kind == "ClusterServingRuntime" else "servingruntime"
            where = doc.where(("spec", "supportedModelFormats", i, "priority"), key=False)
            return [error(DIFFERENT_PRIORITIES, f"different priorities assigned for the model format {name} under "
                          f"the {scope} {doc.display_name}", **where,
                          hint="give every autoSelect entry of one format the same priority")]
    return []


def _priority_clash(new: Document, existing: Document, default_namespace: str) -> list[Diagnostic]:
    """validateServingRuntimePriority(new, existing)."""
    new_spec, old_spec = _spec(new), _spec(existing)
    if (new_spec.get("multiModel") is True) != (old_spec.get("multiModel") is True) \
            or old_spec.get("disabled") is True or new.name == existing.name:
        return []
    if not set(_strings(new_spec.get("protocolVersions"))) & set(_strings(old_spec.get("protocolVersions"))):
        return []
    for _, old in _auto_formats(existing):
        for i, entry in _auto_formats(new):
            same_priority = old.get("priority") is not None and old.get("priority") == entry.get("priority")
            if same_priority and _same_format(old, entry):
                return [_clash(new, existing, entry, i, default_namespace)]
    return []


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _same_format(a: dict, b: dict) -> bool:
    """areSupportedModelFormatsEqual: names case-insensitive, versions both absent or equal."""
    return a["name"].lower() == b["name"].lower() and a.get("version") == b.get("version")


def _clash(new: Document, existing: Document, entry: dict, i: int, default_namespace: str) -> Diagnostic:
    if new.kind == "ClusterServingRuntime":
        message = (f"same priority assigned for the model format {entry['name']} in the clusterservingruntimes "
                   f"{existing.name} and {new.name}")
    else:
        message = (f"same priority assigned for the model format {entry['name']} in the servingruntimes "
                   f"{existing.name} and {new.name} in namespace {new.namespace or default_namespace}")
    where_existing = "built in" if existing.origin == "catalog" else f"{existing.file}"
    return error(SAME_PRIORITY, message, **new.where(("spec", "supportedModelFormats", i, "priority"), key=False),
                 hint=f"{existing.name} ({where_existing}) also auto-selects {entry['name']} at priority "
                      f"{entry['priority']} for a shared protocol; give one of them another priority, or "
                      "autoSelect: false")
