"""Canary predictors (`spec.canary`, new in KServe v0.20; docs/kserve-behaviour.md §6.6).

Read from KServe v0.20.0: components/predictor.go (reconcileRawDeployment, canaryReplicaCount,
buildCanaryPredictor, reconcileCanaryDeployments) and the webhook's validateCanarySpecs
(pkg/apis/serving/v1beta1/inference_service_validation.go); canary_controller_test.go asserts the counts.

What KServe does, in our words:
- each canary is the stable predictor with the canary's own predictor merged over it (model.merge_override),
  built exactly as a predictor is (runtime, pod, metadata), under the name `{isvc}-{canary name}-predictor`;
- its replica count is its own minReplicas if it sets one, else its trafficPercent of the stable
  predictor's minReplicas (1 when unset), rounded up;
- its raw objects are made with a component extension holding only that minReplicas: a Deployment (with
  `replicas` under autoscalerClass none), a Service, and the autoscaler the merged annotations ask for
  (an HPA pinned at min = max = the count under hpa); no deploymentStrategy, batcher or logger port, and no
  storageUris initializer (the reconciler is given none), whatever the merged spec says;
- the stable predictor's minReplicas, when set, loses the canaries' counts (never below 1);
- no Ingress or HTTPRoute reaches a canary: the routes still name the stable predictor only.
Pure: data in, data and Diagnostics out.
"""

from __future__ import annotations

import math
from dataclasses import replace

from compiler.constants import KSERVE_CONTAINER
from compiler.diagnostics import Diagnostic, error
from compiler.model import CANARY, FRAMEWORKS, Component, InferenceService, canary_entries

AUTOSCALING_FIELDS = ("maxReplicas", "scaleTarget", "scaleMetric", "autoScaling")


def _int(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _own(entry) -> dict:
    own = entry.get("predictor") if isinstance(entry, dict) else None
    return own if isinstance(own, dict) else {}


def _stable_min(isvc: InferenceService) -> int | None:
    return _int(isvc.predictor.spec.get("minReplicas"))


def replica_count(isvc: InferenceService, index: int) -> int:
    """canaryReplicaCount: the canary's own minReplicas, else ceil(stable minReplicas x trafficPercent / 100)."""
    entry = canary_entries(isvc.spec)[index]
    own = _int(_own(entry).get("minReplicas"))
    if own is not None:
        return own
    stable = _stable_min(isvc)
    traffic = _int(entry.get("trafficPercent")) or 0
    return math.ceil((stable if stable is not None else 1) * traffic / 100)


def stable_extension(isvc: InferenceService) -> dict:
    """The stable predictor's spec as its raw objects see it: minReplicas (only when set) minus every
    canary's count, at least 1 (reconcileRawDeployment)."""
    spec = isvc.predictor.spec
    stable = _stable_min(isvc)
    if not canary_entries(isvc.spec) or stable is None:
        return spec
    taken = sum(replica_count(isvc, i) for i in range(len(canary_entries(isvc.spec))))
    return {**spec, "minReplicas": max(stable - taken, 1)}


def extension(isvc: InferenceService, comp: Component) -> dict:
    """The component extension the canary's raw reconciler gets: its replica count and nothing else."""
    return {"minReplicas": replica_count(isvc, comp.canary)}


def pod_component(comp: Component) -> Component:
    """The canary as its pod is built: the autoscaling fields cleared and minReplicas set
    (buildCanaryPredictor), storageUris left out (the canary's reconciler is given none)."""
    spec = {k: v for k, v in comp.spec.items() if k not in AUTOSCALING_FIELDS and k != "storageUris"}
    return replace(comp, spec=spec)


def check(isvc: InferenceService) -> list[Diagnostic]:
    """validateCanarySpecs: the first rule broken, as the webhook returns one error."""
    canaries = canary_entries(isvc.spec)
    if not canaries:
        return []
    doc = isvc.doc
    problem = _check(isvc, canaries)
    if problem is None:
        return []
    message, path, hint = problem
    return [error(CANARY, message, **doc.where(path), hint=hint)]


def _check(isvc: InferenceService, canaries: list) -> tuple[str, tuple, str] | None:
    stable = isvc.predictor
    if stable.custom and not _custom_storage_uri(stable.spec):
        return ("canary requires a stable predictor with a model (multi-model serving is not supported with canary)",
                ("spec", "predictor"), "give the stable predictor a model (predictor.model with a storageUri)")
    names: set[str] = set()
    total = 0
    stable_name = stable.spec.get("name") or ""
    for i, entry in enumerate(canaries):
        own, at = _own(entry), ("spec", "canary", i, "predictor")
        name = own.get("name") or ""
        if not name:
            return (f"canary[{i}] predictor.name is required", at,
                    "name the canary: its objects are called <isvc>-<name>-predictor")
        if name in names:
            return f'canary predictor.name "{name}" is duplicated', (*at, "name"), "give each canary its own name"
        names.add(name)
        if name == stable_name:
            return (f'canary predictor.name "{name}" conflicts with stable predictor name', (*at, "name"),
                    "the canary and the stable predictor need different names")
        traffic = _int(entry.get("trafficPercent")) or 0
        total += traffic
        if _implementations(own) != 1:
            return (f'canary "{name}" predictor: exactly one of [Model, PodSpec, ...] must be specified',
                    at, "give the canary predictor one model (or one set of containers)")
        if "workerSpec" in own:
            return (f'canary "{name}" must not set workerSpec (multi-node is not yet supported for canary)',
                    (*at, "workerSpec"), "remove workerSpec from the canary")
        for key in AUTOSCALING_FIELDS:
            value = own.get(key)
            if (key == "maxReplicas" and (_int(value) or 0) > 0) or (key != "maxReplicas" and value is not None):
                return (f'canary "{name}" must not set {key} (canary uses fixed replicas)', (*at, key),
                        "a canary runs a fixed number of replicas: set minReplicas or trafficPercent")
        own_min = _int(own.get("minReplicas"))
        stable_min = _stable_min(isvc)
        stable_min = stable_min if stable_min is not None else 1
        if own_min is not None and own_min > stable_min:
            return (f'canary "{name}" minReplicas ({own_min}) must not exceed stable predictor minReplicas '
                    f"({stable_min})", (*at, "minReplicas"), "lower the canary's minReplicas")
    if total > 100:
        return (f"sum of canary trafficPercent values ({total}) must be <= 100", ("spec", "canary"),
                "the canaries' trafficPercent values add up to at most 100")
    return None


def _implementations(own: dict) -> int:
    given = [key for key in ("model", *FRAMEWORKS) if isinstance(own.get(key), dict)]
    containers = own.get("containers") if isinstance(own.get("containers"), list) else []
    if given:
        named = any(isinstance(c, dict) and c.get("name") == KSERVE_CONTAINER for c in containers)
        return len(given) + (1 if named else 0)
    return 1 if containers else 0


def _custom_storage_uri(spec: dict) -> bool:
    """A custom predictor's storage URI: the STORAGE_URI env of its first container (CustomPredictor)."""
    containers = spec.get("containers") if isinstance(spec.get("containers"), list) else []
    first = containers[0] if containers and isinstance(containers[0], dict) else {}
    env = first.get("env") if isinstance(first.get("env"), list) else []
    return any(isinstance(e, dict) and e.get("name") == "STORAGE_URI" and e.get("value") for e in env)
