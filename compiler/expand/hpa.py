"""The component's HorizontalPodAutoscaler (docs/kserve-behaviour.md §6.3; reconcilers/hpa/hpa_reconciler.go createHPA and
getHPAMetrics, reconcilers/autoscaler/autoscaler_reconciler.go).

The webhook's replica and autoscaling rules (docs/kserve-behaviour.md §3) are checked before this stage (compiler/validate/isvc.py),
so an InferenceService reaching expand has passed them; the min/max rules below still never fail.
"""

from __future__ import annotations

from compiler.constants import AUTOSCALER_CLASS_ANNOTATION, AUTOSCALER_CLASSES
from compiler.diagnostics import Diagnostic, error
from compiler.expand.metadata import ComponentMeta
from compiler.model import Component, InferenceService

# Codes (KSC440-449: autoscaling; KSC440 retired: keda's ScaledObject is now emitted, compiler/expand/keda.py)
UNKNOWN_CLASS = "KSC441"
HPA_TARGET_INVALID = "KSC442"

AUTOSCALER_CLASS = AUTOSCALER_CLASS_ANNOTATION
CLASSES = AUTOSCALER_CLASSES
DEFAULT_CPU_UTILIZATION = 80                        # constants.DefaultCPUUtilization


def autoscaler_class(annotations: dict) -> str:
    """From the component's merged annotations; absent = hpa (autoscaler_reconciler.go getAutoscalerClass)."""
    value = annotations.get(AUTOSCALER_CLASS, "hpa")
    return value if isinstance(value, str) else str(value)


def build(meta: ComponentMeta, comp: Component, isvc: InferenceService) -> tuple[dict | None, list[Diagnostic]]:
    """An HPA for class hpa; none for external and none (keda: the ScaledObject of compiler/expand/keda.py)."""
    cls = autoscaler_class(meta.annotations)
    if cls != "hpa":
        return None, []
    spec = comp.spec
    low = _int(spec.get("minReplicas"))
    minimum = low if low is not None and low >= 1 else 1
    maximum = max(_int(spec.get("maxReplicas")) or 0, minimum)
    metrics, diags = _metrics(spec, comp, isvc)
    hpa_spec: dict = {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": meta.name},
        "minReplicas": minimum,
        "maxReplicas": maximum,
    }
    if metrics:
        hpa_spec["metrics"] = metrics
    hpa_spec["behavior"] = {}      # always empty: autoScaling.behavior is not read (hpa_reconciler.go)
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": meta.object_meta(),
            "spec": hpa_spec}, diags


def _metrics(spec: dict, comp: Component, isvc: InferenceService) -> tuple[list[dict], list[Diagnostic]]:
    autoscaling = spec.get("autoScaling")
    if autoscaling is not None:
        return _autoscaling_metrics(autoscaling, comp, isvc)
    metric = spec.get("scaleMetric") or "cpu"
    target = _int(spec.get("scaleTarget"))
    if metric == "cpu":
        return [_resource("cpu", {"type": "Utilization", "averageUtilization": target
                                  if target is not None else DEFAULT_CPU_UTILIZATION})], []
    if metric == "memory" and target is not None:
        return [_resource("memory", {"type": "Utilization", "averageUtilization": target})], []
    return [], []                  # memory without a target, concurrency, rps: no metrics


def _autoscaling_metrics(autoscaling, comp: Component, isvc: InferenceService) -> tuple[list[dict], list[Diagnostic]]:
    out: list[dict] = []
    diags: list[Diagnostic] = []
    entries = autoscaling.get("metrics") if isinstance(autoscaling, dict) else None
    for i, entry in enumerate(entries if isinstance(entries, list) else []):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            continue
        target = resource.get("target") if isinstance(resource.get("target"), dict) else {}
        if resource.get("name") == "cpu":
            given = _int(target.get("averageUtilization"))
            out.append(_resource("cpu", {"type": "Utilization", "averageUtilization": given
                                         if given is not None else DEFAULT_CPU_UTILIZATION}))
        elif resource.get("name") == "memory":
            kind = target.get("type")
            if kind == "Utilization":
                value = {"type": "Utilization"}
                if target.get("averageUtilization") is not None:
                    value["averageUtilization"] = target["averageUtilization"]
            elif kind == "AverageValue":
                value = {"type": "AverageValue"}
                if target.get("averageValue") is not None:
                    value["averageValue"] = target["averageValue"]
            else:
                # KServe leaves the target empty, and the API server refuses the HPA.
                diags.append(error(HPA_TARGET_INVALID, f"memory metric target type {kind!r}: KServe builds an HPA "
                                   "without a target type, which the API server rejects",
                                   **isvc.doc.where((*comp.path, "autoScaling", "metrics", i, "resource", "target")),
                                   hint="use target type Utilization or AverageValue for memory"))
                continue
            out.append(_resource("memory", value))
    return out, diags


def _resource(name: str, target: dict) -> dict:
    return {"type": "Resource", "resource": {"name": name, "target": target}}


def _int(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
