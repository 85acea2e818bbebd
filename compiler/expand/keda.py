"""The component's KEDA ScaledObject, for autoscalerClass keda (docs/kserve-behaviour.md §6.3; KServe v0.20.0
reconcilers/keda/keda_reconciler.go createKedaScaledObject and getKedaMetrics).

KServe builds it from the component's minReplicas / maxReplicas and autoScaling (metrics, the behavior's
stabilization windows), falling back to the configuration's `autoscaler` windows. Each metric becomes one
trigger: Resource -> a cpu / memory trigger, External -> a trigger of its backend's type, PodMetric with the
opentelemetry backend -> an `external` trigger reading KEDA's OpenTelemetry scaler. The ScaledObject is a custom
resource: KEDA must be installed in the cluster (notice KSC444, once per build).
"""

from __future__ import annotations

from compiler.config import Config
from compiler.diagnostics import Diagnostic, error, notice
from compiler.expand.metadata import ComponentMeta
from compiler.model import Component, InferenceService

# Codes (KSC440-449: autoscaling)
NO_TRIGGERS = "KSC443"
KEDA_NEEDED = "KSC444"

API_VERSION = "keda.sh/v1alpha1"
KIND = "ScaledObject"
DEFAULT_CPU_UTILIZATION = 80                        # constants.DefaultCPUUtilization
DEFAULT_MIN_REPLICAS = 1                            # constants.DefaultMinReplicas
OTEL_BACKEND = "opentelemetry"                      # constants.OTelBackend
PROMETHEUS_BACKEND = "prometheus"


def build(meta: ComponentMeta, comp: Component, isvc: InferenceService, config: Config
          ) -> tuple[dict | None, list[Diagnostic]]:
    """The ScaledObject, or None with an error when KServe's would be refused (no trigger)."""
    spec = comp.spec
    autoscaling = spec.get("autoScaling") if isinstance(spec.get("autoScaling"), dict) else None
    triggers = _triggers(autoscaling, meta, config)
    if not triggers:
        # KServe sends `triggers: null`; the CRD requires the field, so the API server refuses the object.
        return None, [error(NO_TRIGGERS, f"{comp.kind} uses autoscalerClass keda without autoScaling.metrics: KServe "
                            "builds a KEDA ScaledObject without triggers, which the API server rejects "
                            "(spec.triggers is required)", **isvc.doc.where(comp.path),
                            hint="add autoScaling.metrics (Resource, External or PodMetric) to the component")]
    low = _int(spec.get("minReplicas"))
    minimum = low if low is not None else DEFAULT_MIN_REPLICAS
    maximum = max(_int(spec.get("maxReplicas")) or 0, minimum)
    so_spec: dict = {"scaleTargetRef": {"name": meta.name}, "minReplicaCount": minimum, "maxReplicaCount": maximum}
    behavior = _behavior(autoscaling, config)
    if behavior:
        # AdvancedConfig.ScalingModifiers is a struct, not a pointer: Go always writes it, empty.
        so_spec["advanced"] = {"horizontalPodAutoscalerConfig": {"behavior": behavior}, "scalingModifiers": {}}
    so_spec["triggers"] = triggers
    return {"apiVersion": API_VERSION, "kind": KIND, "metadata": meta.object_meta(), "spec": so_spec}, []


def keda_notice() -> Diagnostic:
    """Identical notices are reported once, so this one appears once per build."""
    return notice(KEDA_NEEDED, "the output holds KEDA ScaledObjects (keda.sh/v1alpha1), custom resources that need "
                  "KEDA installed in the cluster: without its CRD they cannot be applied, and without its operator "
                  "nothing scales the Deployments",
                  hint="install KEDA (and, for opentelemetry PodMetric triggers, KEDA's OpenTelemetry scaler) before "
                       "applying; kserve-compiler cannot see whether the cluster has it")


def _behavior(autoscaling: dict | None, config: Config) -> dict:
    """The stabilization windows only (the rest of autoScaling.behavior is dropped), each from the component
    or else from the configuration's `autoscaler` key; a value there that is not an integer is ignored."""
    given = autoscaling.get("behavior") if autoscaling and isinstance(autoscaling.get("behavior"), dict) else {}
    out: dict = {}
    for key, fallback in (("scaleDown", config.scale_down_window), ("scaleUp", config.scale_up_window)):
        rules = given.get(key) if isinstance(given.get(key), dict) else {}
        window = _int(rules.get("stabilizationWindowSeconds"))
        if window is None:
            window = _parse_int32(fallback)
        if window is not None:
            out[key] = {"stabilizationWindowSeconds": window}
    return out


def _triggers(autoscaling: dict | None, meta: ComponentMeta, config: Config) -> list[dict]:
    entries = autoscaling.get("metrics") if autoscaling else None
    out: list[dict] = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        kind = entry.get("type")
        if kind == "Resource":
            out.append(_resource(_obj(entry, "resource")))
        elif kind == "External":
            out.append(_external(_obj(entry, "external")))
        elif kind == "PodMetric":
            out.append(_pod_metric(_obj(entry, "podmetric"), meta, config))
    return out


def _resource(resource: dict) -> dict:
    target = _obj(resource, "target")
    metric_type = target.get("type") or ""
    value = "0"
    if metric_type == "Utilization":
        utilization = _int(target.get("averageUtilization"))
        if utilization is None and resource.get("name") == "cpu":
            utilization = DEFAULT_CPU_UTILIZATION
        if utilization is not None:
            value = str(utilization)
    elif metric_type == "AverageValue":
        value = original(target.get("averageValue"))
    elif metric_type == "Value":
        value = original(target.get("value"))
    trigger = {"type": str(resource.get("name") or ""), "metadata": {"value": value}}
    if metric_type:
        trigger["metricType"] = metric_type
    return trigger


def _external(external: dict) -> dict:
    metric, target = _obj(external, "metric"), _obj(external, "target")
    backend = metric.get("backend") or ""
    metadata = {"serverAddress": metric.get("serverAddress") or "", "query": metric.get("query") or "",
                "threshold": original(target.get("value"))}
    if backend == PROMETHEUS_BACKEND and metric.get("namespace"):
        metadata["namespace"] = metric["namespace"]
    trigger: dict = {"type": backend, "metadata": metadata}
    auth = external.get("authenticationRef")
    if isinstance(auth, dict):
        if auth.get("authModes"):
            metadata["authModes"] = auth["authModes"]
        name = _obj(auth, "authenticationRef").get("name")
        if name:
            trigger["authenticationRef"] = {"name": name}
    return trigger


def _pod_metric(pod_metric: dict, meta: ComponentMeta, config: Config) -> dict:
    """Only the opentelemetry backend (the one the CRD allows) fills the trigger; KServe leaves any other empty."""
    metric, target = _obj(pod_metric, "metric"), _obj(pod_metric, "target")
    if metric.get("backend") != OTEL_BACKEND:
        return {"type": "", "metadata": {}}
    # The query is narrowed to this Deployment's series: sum(<query>{namespace="<ns>", deployment="<name>"}).
    query = f'sum({metric.get("query") or ""}{{namespace="{meta.namespace}", deployment="{meta.name}"}})'
    metadata = {"metricQuery": query, "targetValue": original(target.get("value")),
                "scalerAddress": metric.get("serverAddress") or config.otel.metric_scaler_endpoint}
    if metric.get("operationOverTime"):
        metadata["operationOverTime"] = metric["operationOverTime"]
    return {"type": "external", "metadata": metadata}


def original(quantity) -> str:
    """MetricQuantity.GetOriginal: the value as written (a string as is, an integer in decimal); "0" if unset."""
    if isinstance(quantity, str) and quantity:
        return quantity
    if isinstance(quantity, int) and not isinstance(quantity, bool):
        return str(quantity)
    return "0"


def _parse_int32(text: str) -> int | None:
    """strconv.ParseInt(text, 10, 32): an optional sign and decimal digits, within int32."""
    body = text[1:] if text[:1] in "+-" else text
    if not body.isascii() or not body.isdigit():
        return None
    value = int(text)
    return value if -2**31 <= value < 2**31 else None


def _obj(parent: dict, key: str) -> dict:
    value = parent.get(key)
    return value if isinstance(value, dict) else {}


def _int(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
