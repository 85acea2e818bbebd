"""Runtime resolution, as KServe v0.20's controller does it, and why every other runtime was passed over.

Pure: (InferenceService, component, runtimes) -> Resolution and Diagnostics. The rules are docs/kserve-behaviour.md §2
(pkg/apis/serving/v1beta1/predictor_model.go GetSupportingRuntimes and sortServingRuntimeList;
pkg/controller/v1beta1/inferenceservice/components/predictor.go for an explicit `runtime:`).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from compiler.constants import KSERVE_CONTAINER, PROTOCOLS
from compiler.diagnostics import Diagnostic, error, warning
from compiler.model import Component, InferenceService, ModelFormat, Runtime, has_worker_spec

# Codes (KSC3xx: resolve)
RUNTIME_NOT_FOUND = "KSC301"
RUNTIME_DISABLED = "KSC302"
PROTOCOL_UNSUPPORTED = "KSC303"
FORMAT_UNSUPPORTED = "KSC304"
MULTI_MODEL_NAMED = "KSC305"
MULTI_NODE_NAMED = "KSC306"
NO_MODEL_FORMAT = "KSC307"
TIE = "KSC310"
NO_RUNTIME = "KSC311"
NO_CONTAINERS = "KSC312"
NO_KSERVE_CONTAINER = "KSC313"

SERVER_TYPE_ANNOTATION = "serving.kserve.io/server-type"
# constants.GetServerTypeFromRuntimeName: the server type of a runtime without the annotation.
SERVER_TYPE_BY_RUNTIME = {
    "kserve-mlserver": "mlserver",
    "kserve-tritonserver": "tritonserver",
    "kserve-torchserve": "torchserve",
    "kserve-tensorflow-serving": "tensorflow-serving",
    "kserve-huggingfaceserver": "huggingfaceserver",
    "kserve-vllmserver": "vllmserver",
}
# What a server type sets when the model gives no protocolVersion (components/predictor.go).
SERVER_TYPE_PROTOCOL = {"mlserver": "v2", "torchserve": "v1", "tritonserver": "v2"}

# Why a runtime was passed over: one filter each, in the order KServe applies them.
DISABLED, MULTI_MODEL, MULTI_NODE, FORMAT, NOT_AUTO, VERSION, PROTOCOL, RANKED_BELOW, NOT_NAMED = (
    "disabled", "multiModel", "multi-node", "format", "no autoSelect", "version", "protocol", "ranked below",
    "not named")


@dataclass(frozen=True)
class PassedOver:
    runtime: Runtime
    reason: str   # one of the constants above
    detail: str   # a sentence a user can act on


@dataclass(frozen=True, eq=False)
class Resolution:
    isvc: InferenceService
    component: Component
    runtime: Runtime | None                  # None: custom component, or unresolvable
    how: str                                 # "explicit", "auto-selected", "custom", "unresolved"
    protocol: str | None = None              # effective protocolVersion after the server type's default
    passed_over: tuple[PassedOver, ...] = ()
    candidates: tuple[Runtime, ...] = ()     # auto-selection's candidates, best first
    diagnostics: tuple[Diagnostic, ...] = field(default=())

    @property
    def server_type(self) -> str | None:
        return server_type(self.runtime) if self.runtime else None


class Runtimes:
    """The runtimes visible to resolution: namespaced by (namespace, name), cluster-scoped by name."""

    def __init__(self, runtimes: list[Runtime]):
        self.namespaced: dict[tuple[str, str], Runtime] = {}
        self.cluster: dict[str, Runtime] = {}
        # What resolve works out from these runtimes alone (_ranking, _explicit's others), by its inputs:
        # 10,000 InferenceServices ask a few hundred distinct questions. Its values are immutable.
        self.memo: dict[tuple, tuple] = {}
        for rt in runtimes:
            if rt.cluster:
                self.cluster[rt.name] = rt
            else:
                self.namespaced[(rt.namespace, rt.name)] = rt

    def in_namespace(self, namespace: str) -> list[Runtime]:
        return sorted((rt for (ns, _), rt in self.namespaced.items() if ns == namespace), key=lambda r: r.name)

    def cluster_scoped(self) -> list[Runtime]:
        return sorted(self.cluster.values(), key=lambda r: r.name)

    def named(self, namespace: str, name: str) -> Runtime | None:
        return self.namespaced.get((namespace, name)) or self.cluster.get(name)


def server_type(runtime: Runtime) -> str | None:
    value = runtime.annotations.get(SERVER_TYPE_ANNOTATION)
    return value if isinstance(value, str) and value else SERVER_TYPE_BY_RUNTIME.get(runtime.name)


def resolve(isvc: InferenceService, component: Component, runtimes: Runtimes) -> Resolution:
    if component.custom:
        return Resolution(isvc, component, None, "custom")
    where = isvc.doc.where(component.model_path or component.path)
    if component.format is None:
        return Resolution(isvc, component, None, "unresolved", diagnostics=(error(
            NO_MODEL_FORMAT, "the model has no modelFormat, so no runtime can be chosen", **where,
            hint="add modelFormat: {name: <format>} to predictor.model"),))
    if component.runtime is not None:  # `runtime: ""` is still explicit in KServe (a *string)
        resolution = _explicit(isvc, component, runtimes)
    else:
        resolution = _auto(isvc, component, runtimes)
    if resolution.runtime is None:
        return resolution
    return _after_selection(resolution)


# ---------------------------------------------------------------------------------------------------
# Explicit `runtime:` (docs/kserve-behaviour.md §2.1)


def _explicit(isvc: InferenceService, component: Component, runtimes: Runtimes) -> Resolution:
    name = component.runtime
    where = isvc.doc.where((*component.model_path, "runtime"))
    runtime = runtimes.named(isvc.namespace, name)
    key = ("named", isvc.namespace, name)  # the namespace and name decide `runtime` and `others`
    others = runtimes.memo.get(key)
    if others is None:
        others = runtimes.memo[key] = tuple(PassedOver(rt, NOT_NAMED, f"predictor.model.runtime names {name}")
                                            for rt in _visible(isvc, runtimes) if rt is not runtime)

    def fail(code: str, message: str, hint: str) -> Resolution:
        return Resolution(isvc, component, None, "unresolved", passed_over=others,
                          diagnostics=(error(code, message, **where, hint=hint),))

    if runtime is None:
        return fail(RUNTIME_NOT_FOUND, f"No ServingRuntimes or ClusterServingRuntimes with the name: {name}",
                    _suggest(isvc, component, runtimes))
    if runtime.disabled:
        return fail(RUNTIME_DISABLED, f"specified runtime {name} is disabled",
                    f"{runtime.label} sets disabled: true; name another runtime or remove runtime: to auto-select")
    if component.protocol and runtime.protocols and component.protocol not in runtime.protocols:
        return fail(PROTOCOL_UNSUPPORTED, f"specified runtime {name} does not support specified protocol "
                    f"version", f"the model asks for protocol {component.protocol}; {runtime.label} supports "
                    f"{', '.join(runtime.protocols)}")
    if not _format_in(runtime, component.format, auto_only=False):
        return fail(FORMAT_UNSUPPORTED, f"specified runtime {name} does not support specified framework/version",
                    f"the model is {component.format}; {runtime.label} supports {_formats(runtime)}")
    diags = []
    if runtime.multi_model:
        diags.append(warning(MULTI_MODEL_NAMED, f"runtime {name} is a multiModel runtime, meant for ModelMesh; "
                             "KServe uses it anyway for this single model", **where,
                             hint="name a single-model runtime, or drop runtime: to auto-select one"))
    if runtime.multi_node and not has_worker_spec(component.spec):
        diags.append(warning(MULTI_NODE_NAMED, f"runtime {name} is a multi-node runtime (workerSpec); KServe uses "
                             "it anyway, as a single-node Deployment without its workers", **where,
                             hint="add predictor.workerSpec (even {}) to get the workers KServe creates for it"))
    return Resolution(isvc, component, runtime, "explicit", passed_over=others, diagnostics=tuple(diags))


# ---------------------------------------------------------------------------------------------------
# Auto-selection (docs/kserve-behaviour.md §2.2)


def _auto(isvc: InferenceService, component: Component, runtimes: Runtimes) -> Resolution:
    # An unset protocol is v1 for selection; an empty string is supported by every runtime
    # (servingruntime_types.go IsProtocolVersionSupported).
    protocol = "v1" if component.protocol is None else component.protocol
    wants_multi_node = has_worker_spec(component.spec)
    key = ("auto", isvc.namespace, component.format, protocol, wants_multi_node)  # all _ranking reads
    found = runtimes.memo.get(key)
    if found is None:
        found = runtimes.memo[key] = _ranking(runtimes, isvc.namespace, component.format, protocol,
                                              wants_multi_node)
    passed, ordered, first_group = found
    if not ordered:
        return Resolution(isvc, component, None, "unresolved", passed_over=passed, diagnostics=(error(
            NO_RUNTIME, f"no runtime found to support predictor with model type: {component.format.kserve_repr()}",
            **isvc.doc.where(component.model_path), hint=_no_runtime_hint(component, list(passed))),))
    diags = _tie_warning(isvc, component, ordered[0], list(first_group))
    return Resolution(isvc, component, ordered[0], "auto-selected", passed_over=passed,
                      candidates=ordered, diagnostics=diags)


def _ranking(runtimes: Runtimes, namespace: str, fmt: ModelFormat, protocol: str, wants_multi_node: bool
             ) -> tuple[tuple[PassedOver, ...], tuple[Runtime, ...], tuple[Runtime, ...]]:
    """Auto-selection's verdict on every visible runtime: (passed over, with their reasons; candidates best
    first; the candidates of the first group that has any: the namespace's, else the cluster's)."""
    passed: list[PassedOver] = []
    ranked: list[list[Runtime]] = []
    for group in (runtimes.in_namespace(namespace), runtimes.cluster_scoped()):
        candidates = []
        for rt in group:
            reason = _filter(rt, fmt, protocol, wants_multi_node)
            if reason:
                passed.append(reason)
            else:
                candidates.append(rt)
        ranked.append(_order(candidates, fmt))
    ordered = ranked[0] + ranked[1]
    if ordered:
        passed += [PassedOver(rt, RANKED_BELOW, _why_below(rt, ordered[0], fmt)) for rt in ordered[1:]]
    return tuple(passed), tuple(ordered), tuple(ranked[0] or ranked[1])


def _filter(rt: Runtime, fmt: ModelFormat, protocol: str, wants_multi_node: bool) -> PassedOver | None:
    """The one filter that rules `rt` out, or None when it is a candidate."""
    if rt.disabled:
        return PassedOver(rt, DISABLED, "disabled: true")
    if rt.multi_model:
        return PassedOver(rt, MULTI_MODEL, "multiModel: true (a ModelMesh runtime; never auto-selected)")
    if rt.multi_node != wants_multi_node:
        return PassedOver(rt, MULTI_NODE, "a multi-node runtime (workerSpec), and the predictor has no workerSpec"
                          if rt.multi_node else "not a multi-node runtime, and the predictor has a workerSpec")
    if not _format_in(rt, fmt, auto_only=True):
        return _format_miss(rt, fmt)
    if protocol and rt.protocols and protocol not in rt.protocols:
        return PassedOver(rt, PROTOCOL, f"supports {fmt} but only protocol {', '.join(rt.protocols)}, and the "
                          f"model uses {protocol}" + (" (the default)" if protocol == "v1" else ""))
    return None


def _format_miss(rt: Runtime, fmt: ModelFormat) -> PassedOver:
    same_name = [f for f in rt.formats if f.name == fmt.name]
    if not same_name:
        near = [f.name for f in rt.formats if f.name.lower() == fmt.name.lower()]
        if near:
            return PassedOver(rt, FORMAT, f"lists format {near[0]!r}, not {fmt.name!r} (names compare "
                              "case-sensitively)")
        return PassedOver(rt, FORMAT, f"does not list format {fmt.name} (supports {_formats(rt)})")
    if _format_in(rt, fmt, auto_only=False):
        return PassedOver(rt, NOT_AUTO, f"supports {fmt} but without autoSelect: true, so only when named with "
                          f"runtime: {rt.name}")
    versions = ", ".join(sorted({repr(f.version) for f in same_name if f.version is not None})) or "none"
    return PassedOver(rt, VERSION, f"supports {fmt.name} versions {versions}, not {fmt.version!r} (versions "
                      "compare as exact strings)")


def _format_in(rt: Runtime, fmt: ModelFormat, *, auto_only: bool) -> bool:
    """KServe's set rule: each entry adds `name`, and `name:version` when it has a version; the model
    needs `name` (no version) or `name:version` (docs/kserve-behaviour.md §2.1.4)."""
    for entry in rt.formats:
        if auto_only and not entry.auto_select:
            continue
        if entry.name == fmt.name and (fmt.version is None or entry.version == fmt.version):
            return True
    return False


def _protocol_rank(rt: Runtime) -> int:
    ranks = [PROTOCOLS.index(p) for p in rt.protocols if p in PROTOCOLS]
    return min(ranks) if ranks else len(PROTOCOLS)


def _lowest_protocol(rt: Runtime) -> str:
    rank = _protocol_rank(rt)
    return PROTOCOLS[rank] if rank < len(PROTOCOLS) else "v1"


def _priority(rt: Runtime, fmt: ModelFormat) -> int | None:
    """The priority of the runtime's first entry with the model's format name (docs/kserve-behaviour.md §2.2.4)."""
    return next((f.priority for f in rt.formats if f.name == fmt.name), None)


def _order(candidates: list[Runtime], fmt: ModelFormat) -> list[Runtime]:
    # KServe: protocol rank, newest first, name; then priority (higher first, set before unset).
    # Offline there are no creation timestamps: name order stands in, and _tie_warning says so.
    by_protocol = sorted(candidates, key=lambda rt: (_protocol_rank(rt), rt.name))
    return sorted(by_protocol, key=lambda rt: (_priority(rt, fmt) is None, -(_priority(rt, fmt) or 0)))


def _why_below(rt: Runtime, winner: Runtime, fmt: ModelFormat) -> str:
    if rt.cluster and not winner.cluster:
        return f"a candidate, but ServingRuntime {winner.name} in the namespace comes before every " \
               "ClusterServingRuntime"
    mine, theirs = _priority(rt, fmt), _priority(winner, fmt)
    if mine != theirs:
        return (f"a candidate, but its priority for {fmt.name} ({mine if mine is not None else 'unset'}) ranks "
                f"below {winner.name}'s ({theirs if theirs is not None else 'unset'})")
    if _protocol_rank(rt) != _protocol_rank(winner):
        return f"a candidate with the same priority, but {winner.name} lists a lower protocol version first"
    return f"a candidate tied with {winner.name}; name order decided (KServe would take the newest)"


def _tie_warning(isvc: InferenceService, component: Component, winner: Runtime, group: list[Runtime]
                 ) -> tuple[Diagnostic, ...]:
    key = (_priority(winner, component.format), _protocol_rank(winner))
    tied = [rt for rt in group if (_priority(rt, component.format), _protocol_rank(rt)) == key]
    if len(tied) < 2:
        return ()
    names = ", ".join(rt.name for rt in tied)
    return (warning(TIE, f"runtimes {names} tie for {component.format}; chose {winner.name} by name, but KServe "
                    "gives no guarantee between equals (it takes the newest)",
                    **isvc.doc.where(component.model_path),
                    hint=f"name the runtime (runtime: {winner.name}), or give the runtimes different priorities"),)


def _no_runtime_hint(component: Component, passed: list[PassedOver]) -> str:
    fmt = component.format
    by_reason = {}
    for p in passed:
        by_reason.setdefault(p.reason, p)
    if PROTOCOL in by_reason:
        p = by_reason[PROTOCOL]
        wanted = next((pv for pv in p.runtime.protocols), "v2")
        return f"{p.runtime.name} supports {fmt} but only protocol {', '.join(p.runtime.protocols)}; set " \
               f"protocolVersion: {wanted}, or add a runtime that serves {fmt} over {component.protocol or 'v1'}"
    if NOT_AUTO in by_reason:
        p = by_reason[NOT_AUTO]
        return f"{p.runtime.name} supports {fmt} without autoSelect; name it with runtime: {p.runtime.name}"
    if VERSION in by_reason:
        return f"{by_reason[VERSION].runtime.name} {by_reason[VERSION].detail}; change modelFormat.version"
    if DISABLED in by_reason:
        return f"{by_reason[DISABLED].runtime.name} is disabled; enable it or add a runtime for {fmt}"
    return f"add a ServingRuntime with supportedModelFormats [{{name: {fmt.name}, autoSelect: true}}], " \
           "or run `kserve-compiler explain` to see every runtime's reason"


def _suggest(isvc: InferenceService, component: Component, runtimes: Runtimes) -> str:
    visible = _visible(isvc, runtimes)
    close = difflib.get_close_matches(component.runtime, [rt.name for rt in visible], n=1, cutoff=0.8)
    prefix = f"did you mean {close[0]}? " if close else ""
    names = [rt.name for rt in visible if _format_in(rt, component.format, auto_only=False)]
    if names:
        return f"{prefix}runtimes that support {component.format}: {', '.join(names)}"
    return f"{prefix}no runtime visible in namespace {isvc.namespace} supports {component.format}"


def _visible(isvc: InferenceService, runtimes: Runtimes) -> list[Runtime]:
    return runtimes.in_namespace(isvc.namespace) + runtimes.cluster_scoped()


def _formats(rt: Runtime) -> str:
    return ", ".join(f"{f.name}:{f.version}" if f.version is not None else f.name for f in rt.formats) or "nothing"


# ---------------------------------------------------------------------------------------------------
# After selection (docs/kserve-behaviour.md §2.3)


def _after_selection(res: Resolution) -> Resolution:
    rt, comp = res.runtime, res.component
    where = res.isvc.doc.where(comp.model_path)
    problem = None
    if not rt.containers:
        problem = error(NO_CONTAINERS, "no container configuration found in selected serving runtime", **where,
                        hint=f"{rt.label} has no containers")
    elif not any(isinstance(c, dict) and c.get("name") == KSERVE_CONTAINER for c in rt.containers):
        problem = error(NO_KSERVE_CONTAINER, "failed to find kserve-container in ServingRuntime containers",
                        **where, hint=f"{rt.label} must have a container named {KSERVE_CONTAINER}")
    if problem:
        return Resolution(res.isvc, comp, None, "unresolved", passed_over=res.passed_over,
                          diagnostics=(*res.diagnostics, problem))
    # reconcileModel: the model's protocol, else the server type's default, else the lowest protocol
    # the runtime lists (components/predictor.go).
    protocol = comp.protocol or SERVER_TYPE_PROTOCOL.get(server_type(rt) or "") or _lowest_protocol(rt)
    return Resolution(res.isvc, comp, rt, res.how, protocol, res.passed_over, res.candidates, res.diagnostics)
