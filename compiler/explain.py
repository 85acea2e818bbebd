"""`kserve-compiler explain`: why each component got its runtime, and why every other runtime did not.

Pure rendering of a pipeline Result, as text for people or JSON for tools.
"""

from __future__ import annotations

import difflib
import json

from compiler import KSERVE_VERSION
from compiler.constants import AUTOSCALER_CLASS_ANNOTATION
from compiler.diagnostics import Diagnostic, error
from compiler.kinds import SOURCE_ANNOTATION
from compiler.pipeline import Result
from compiler.resolve import FORMAT, NOT_NAMED, Resolution

# Codes
NO_SUCH_NAME = "KSC018"  # a name asked for matches no InferenceService of the sources (exit 1)

# What holds for every build, so it is shown here (and in README), never warned (docs/design.md, mission).
ALWAYS = (
    "Objects are what KServe's controller makes in Standard (raw Deployment) mode, for KServe "
    f"{KSERVE_VERSION}.",
    "Every generated object carries the label app.kubernetes.io/managed-by: kserve-compiler and the annotation "
    "kserve-compiler/source: <file>#<document>, in its metadata only.",
    "The storage initializer that KServe's pod webhook would inject at pod creation is written into the "
    "Deployment's pod template, so it can be reviewed (--storage-injection webhook leaves it to the cluster).",
    "No ownerReferences: the InferenceService is not applied, so the GitOps tool owns the objects.",
    "The legacy predictor.<framework> form sets the model format only; KServe v0.20 then auto-selects the "
    "runtime (older releases named one).",
)


def selected(result: Result, names: tuple[str, ...]) -> list[Resolution]:
    """Resolutions of the InferenceServices named `[NS/]NAME` (all when none are named)."""
    if not names:
        return result.resolutions
    wanted = set()
    for name in names:
        ns, _, bare = name.rpartition("/")
        wanted.add((ns or None, bare))
    return [r for r in result.resolutions
            if (r.isvc.namespace, r.isvc.name) in wanted or (None, r.isvc.name) in wanted]


def unmatched(result: Result, names: tuple[str, ...]) -> list[Diagnostic]:
    """An error for each `[NS/]NAME` that matches no InferenceService, with the closest one as a hint: a
    typo must not look like "nothing to explain"."""
    known = sorted({(r.isvc.namespace, r.isvc.name) for r in result.resolutions})
    diags = []
    for name in names:
        if selected(result, (name,)):
            continue
        full = {f"{ns}/{bare}": f"{ns}/{bare}" for ns, bare in known}
        full.update({bare: f"{ns}/{bare}" for ns, bare in known if "/" not in name})
        close = difflib.get_close_matches(name, sorted(full), n=1, cutoff=0.6)
        hint = f'did you mean "{full[close[0]]}"?' if close else (
            f"the InferenceServices of the sources are: {', '.join(f'{ns}/{b}' for ns, b in known[:8])}"
            + (", ..." if len(known) > 8 else "") if known else "the sources hold no InferenceService")
        diags.append(error(NO_SUCH_NAME, f'no InferenceService is named "{name}"', hint=hint))
    return diags


def own_diagnostics(result: Result, chosen: list[Resolution]) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """The diagnostics about the chosen InferenceServices (placed in their documents, or naming them as
    their object), and the rest: `explain --name` answers for one object, not for the whole repo."""
    docs = {(r.isvc.doc.file, r.isvc.doc.index) for r in chosen}
    names = {(r.isvc.namespace, r.isvc.name) for r in chosen}
    own, others = [], []
    for d in result.diagnostics:
        ref = d.object
        about = ref is not None and ref.kind == "InferenceService" and (ref.namespace, ref.name) in names
        (own if (d.file, d.index) in docs or about else others).append(d)
    return own, others


def elsewhere_line(others: list[Diagnostic]) -> str | None:
    """One line for what --name leaves out, so a failing repo never looks clean."""
    errors = sum(1 for d in others if d.severity.value == "error")
    warnings = sum(1 for d in others if d.severity.value == "warning")
    if not errors and not warnings:
        return None
    return (f"{errors} error(s) and {warnings} warning(s) about other objects are not shown with --name; "
            "run explain (or validate --resolve) without --name to see them")


def _runtime_text(res: Resolution) -> str:
    if res.how == "custom":
        return "no runtime: a custom container"
    if res.runtime is None:
        return "NO RUNTIME (see the error)"
    return f"{res.runtime.label}, {res.how}"


def _protocol_text(res: Resolution) -> str:
    if res.protocol:
        if res.component.protocol:
            source = "as written"
        elif res.server_type in ("mlserver", "torchserve", "tritonserver"):
            source = f"not set; the {res.server_type} server's default"
        elif res.protocol == "v1":
            source = "not set; the default"
        else:
            source = "not set; the lowest protocol the runtime lists"
        return f"{res.protocol} ({source})"
    return "v1 (not set; the default)"


def render_text(result: Result, resolutions: list[Resolution]) -> str:
    lines: list[str] = []
    current = None
    by_source = produced(result)
    for res in resolutions:
        if res.isvc is not current:
            if current is not None:
                lines += _objects_text(result, by_source, current)
            current = res.isvc
            line = current.doc.positions.of_value(())[0]
            lines += ["" if lines else None, f"InferenceService {current.namespace}/{current.name} "
                      f"({current.doc.file}:{line})"]
        lines += _component_text(res)
    if current is not None:
        lines += _objects_text(result, by_source, current)
    lines = [line for line in lines if line is not None]
    if not resolutions:
        lines.append("No InferenceService matched." if result.services else "No InferenceServices in the sources.")
    lines += ["", f"Configuration: {result.config.source}", "", "True of every build:"]
    lines += [f"  - {fact}" for fact in ALWAYS]
    return "\n".join(lines) + "\n"


def produced(result: Result) -> dict[str, list[dict]]:
    """The generated objects by our source annotation (`file#index`, one InferenceService's), in the order
    they were made; empty when the build failed, since a failed build emits nothing. Indexed once: a
    10,000-model repo has some 43,000 objects."""
    found: dict[str, list[dict]] = {}
    for out in result.outputs:
        if out.generated:
            source = (out.obj.get("metadata", {}).get("annotations") or {}).get(SOURCE_ANNOTATION)
            found.setdefault(source, []).append(out.obj)
    return found


def _source(isvc) -> str:
    return f"{isvc.doc.source}#{isvc.doc.index}"


_SCALERS = {"hpa": "HorizontalPodAutoscaler", "keda": "KEDA ScaledObject"}


def _objects_text(result: Result, by_source: dict[str, list[dict]], isvc) -> list[str]:
    objects = by_source.get(_source(isvc), [])
    if not objects:
        return ["  objects: none (the build fails: see the errors)" if result.failed() else "  objects: none"]
    out = [f"  objects ({len(objects)}):"]
    for obj in objects:
        component = (obj["metadata"].get("labels") or {}).get("component")
        out.append(f"    {obj['kind']} {obj['metadata']['name']}" + (f"  [{component}]" if component else ""))
    out += [f"    why: {reason}" for reason in _why(objects)]
    return out


def _why(objects: list[dict]) -> list[str]:
    """Why these kinds: the autoscaler class of each component, and the route objects the config asks for."""
    reasons = []
    for obj in objects:
        if obj["kind"] != "Deployment" or obj["metadata"]["name"].endswith("-worker"):
            continue
        cls = (obj["metadata"].get("annotations") or {}).get(AUTOSCALER_CLASS_ANNOTATION, "hpa")
        scaler = _SCALERS.get(cls, "no autoscaler (replicas as written)")
        reasons.append(f"{obj['metadata']['name']}: autoscalerClass {cls} -> {scaler}")
    kinds = {obj["kind"] for obj in objects}
    if "HTTPRoute" in kinds:
        reasons.append("routes: HTTPRoutes, since the config sets ingress.enableGatewayApi")
    elif "Ingress" in kinds:
        reasons.append("routes: an Ingress (the config's ingress; Gateway API is off)")
    else:
        reasons.append("routes: none (cluster-local visibility, a cluster-local domain, or disableIngressCreation)")
    return reasons


def _component_text(res: Resolution) -> list[str]:
    comp = res.component
    label = comp.kind if comp.canary is None else f"{comp.kind} (canary {comp.spec.get('name')})"
    out = [f"  {label}: {_runtime_text(res)}"]
    if comp.custom:
        return out
    legacy = f" (from the legacy predictor.{comp.legacy} form)" if comp.legacy else ""
    out.append(f"    model format {comp.format}{legacy}; protocol {_protocol_text(res)}")
    if len(res.candidates) > 1:
        out.append(f"    candidates, best first: {', '.join(_name(rt) for rt in res.candidates)}")
    out += _passed_over_text(res)
    for d in res.diagnostics:
        out.append(f"    {d.severity.value} {d.code}: {d.message}")
        if d.hint:
            out.append(f"      hint: {d.hint}")
    return out


def _name(rt) -> str:
    """A runtime's name in lists: namespace/name for a ServingRuntime, so it never reads like the
    ClusterServingRuntime of the same name."""
    return rt.name if rt.cluster else f"{rt.namespace}/{rt.name}"


def _passed_over_text(res: Resolution) -> list[str]:
    """Every runtime not chosen, with its one reason; the runtimes that never list the model's format,
    or that were not named, are folded into one line each so the reasons that matter stand out."""
    folded = {FORMAT: [], NOT_NAMED: []}
    shown = []
    for p in res.passed_over:
        if p.reason in folded and not p.detail.startswith("lists format"):
            folded[p.reason].append(_name(p.runtime))
        else:
            shown.append(p)
    out = []
    if shown:
        width = max(len(_name(p.runtime)) for p in shown)
        out.append("    passed over:")
        out += [f"      {_name(p.runtime).ljust(width)}  {p.reason}: {p.detail}" for p in shown]
    if folded[FORMAT]:
        out.append(f"    do not list format {res.component.format.name} ({len(folded[FORMAT])}): "
                   f"{', '.join(folded[FORMAT])}")
    if folded[NOT_NAMED]:
        out.append(f"    not considered, because the model names its runtime ({len(folded[NOT_NAMED])}): "
                   f"{', '.join(folded[NOT_NAMED])}")
    return out


def render_json(result: Result, resolutions: list[Resolution]) -> str:
    items = [{
        "inferenceService": {"namespace": r.isvc.namespace, "name": r.isvc.name, "file": r.isvc.doc.file},
        "component": r.component.kind,
        "how": r.how,
        "runtime": None if r.runtime is None else {
            "name": r.runtime.name, "kind": r.runtime.kind, "namespace": r.runtime.namespace,
            "builtin": r.runtime.builtin, "file": r.runtime.doc.file},
        "modelFormat": None if r.component.format is None else {
            "name": r.component.format.name, "version": r.component.format.version},
        "legacyForm": r.component.legacy,
        "protocolVersion": r.protocol,
        "candidates": [rt.name for rt in r.candidates],
        "passedOver": [{"runtime": p.runtime.name, "kind": p.runtime.kind, "reason": p.reason, "detail": p.detail}
                       for p in r.passed_over],
        "diagnostics": [d.to_dict() for d in r.diagnostics],
    } for r in resolutions]
    services = {(r.isvc.namespace, r.isvc.name): r.isvc for r in resolutions}
    by_source = produced(result)
    objects = [{"inferenceService": {"namespace": ns, "name": name},
                "objects": [{"kind": o["kind"], "name": o["metadata"]["name"],
                             "component": (o["metadata"].get("labels") or {}).get("component")}
                            for o in by_source.get(_source(isvc), [])]}
               for (ns, name), isvc in services.items()]
    return json.dumps({"configuration": result.config.source, "always": list(ALWAYS), "components": items,
                       "objects": objects}, indent=2) + "\n"
