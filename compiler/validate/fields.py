"""Nothing dropped without a word (issue 13 item 3): input fields our schemas accept but our output does not
reflect get a warning that names the field and says what KServe v0.20 does with it in Standard (raw) mode.

Two kinds of field end up here (docs/fields.md is the audit, field by field):
- fields KServe's raw mode does not use either (Knative-only, ModelMesh-only, or read by nothing): the
  warning says so, so the user knows the field is dead weight in Standard mode;
- fields KServe does use and we do not reproduce yet (confidential): the warning says what is missing
  from our output.
Plus one error: the pre-KServe API group serving.kubeflow.org, which v0.20 does not serve.

Pure: a Document in, Diagnostics out. `document_rules` runs beside webhook.document_rules in validate.py
(only on documents whose schema holds); `legacy_api_group` runs where the pipeline classifies objects.
"""

from __future__ import annotations

from compiler.constants import AUTOSCALER_CLASS_ANNOTATION
from compiler.diagnostics import Diagnostic, error, warning
from compiler.document import Document, dotted_path

# Codes (KSC237-KSC244: fields accepted by the schema that do not reach our output; KSC236, the storageUris
# gap, is retired: storage_uris.py reproduces them)
CANARY_TRAFFIC_PERCENT = "KSC237"    # warning: Knative-only traffic split
KNATIVE_ANNOTATION = "KSC238"        # warning: autoscaling.knative.dev/* annotations
NO_SCALE_TO_ZERO = "KSC239"          # warning: minReplicas 0 with an HPA
LEGACY_API_GROUP = "KSC240"          # error: serving.kubeflow.org (KFServing) objects
KNATIVE_ONLY = "KSC241"              # warning: containerConcurrency (predictor), timeout
NOT_USED_BY_KSERVE = "KSC242"        # warning: accepted, but KServe v0.20 reads it nowhere in Standard mode
NOT_REPRODUCED = "KSC243"            # warning: KServe uses it; kserve-compiler does not reproduce it yet
MODELMESH_ONLY = "KSC244"            # warning: ServingRuntime fields only ModelMesh reads

KSERVE_GROUP = "serving.kserve.io"
LEGACY_GROUP = "serving.kubeflow.org"
KNATIVE_AUTOSCALING = "autoscaling.knative.dev/"
# constants.ServiceAnnotationDisallowedList: KServe drops these from Deployment, pod, Service and HPA (docs/kserve-behaviour.md §4.5).
DISALLOWED_KNATIVE = ("autoscaling.knative.dev/min-scale", "autoscaling.knative.dev/max-scale")
COMPONENTS = ("predictor", "transformer", "explainer")
IMPLEMENTATIONS = ("model", "sklearn", "xgboost", "tensorflow", "pytorch", "triton", "onnx", "pmml", "lightgbm",
                   "paddle", "huggingface")
MODELMESH_FIELDS = ("grpcEndpoint", "grpcDataEndpoint", "httpDataEndpoint", "replicas", "builtInAdapter")
SCALE_FIELDS = ("maxReplicas", "scaleTarget", "scaleMetric", "scaleMetricType", "autoScaling")
# Where a legacy kind lives now (the hint of LEGACY_API_GROUP).
CURRENT_API = {"InferenceService": "serving.kserve.io/v1beta1", "TrainedModel": "serving.kserve.io/v1alpha1",
               "InferenceGraph": "serving.kserve.io/v1alpha1"}


def document_rules(doc: Document, *, gateway_api: bool = False) -> list[Diagnostic]:
    """Warnings for one KServe document whose schema holds. `gateway_api`: the config's
    ingress.enableGatewayApi, under which a component's timeout does reach the output (its HTTPRoute)."""
    if _group(doc.api_version) != KSERVE_GROUP or not isinstance(doc.data, dict):
        return []
    if doc.kind == "InferenceService":
        return inference_service_rules(doc, gateway_api=gateway_api)
    if doc.kind in ("ServingRuntime", "ClusterServingRuntime"):
        return runtime_rules(doc)
    return []


def legacy_api_group(doc: Document) -> list[Diagnostic]:
    """An object of KFServing's group serving.kubeflow.org: KServe v0.20 installs no CRD for it."""
    if _group(doc.api_version) != LEGACY_GROUP:
        return []
    version = doc.api_version.rsplit("/", 1)[-1]
    current = CURRENT_API.get(doc.kind, f"{KSERVE_GROUP}/{version}")
    return [error(LEGACY_API_GROUP, f"{doc.kind} {doc.api_version}: serving.kubeflow.org is KFServing's API group, "
                  "which KServe v0.20 does not serve; kubectl apply would fail with \"no matches for kind "
                  f"{doc.kind} in version {doc.api_version}\" (unless the old KFServing CRD is still installed), and "
                  "kserve-compiler does not compile it", **doc.where(("apiVersion",), key=False),
                  hint=f"change apiVersion to {current}")]


# ---------------------------------------------------------------------------------------------------
# InferenceService


def inference_service_rules(doc: Document, *, gateway_api: bool = False) -> list[Diagnostic]:
    spec = doc.data.get("spec")
    diags: list[Diagnostic] = []
    diags += _knative_annotations(doc, ("metadata", "annotations"), doc.annotations, top=True)
    if not isinstance(spec, dict):
        return diags
    cls = doc.annotations.get(AUTOSCALER_CLASS_ANNOTATION)
    for kind in COMPONENTS:
        block = spec.get(kind)
        if isinstance(block, dict):
            diags += _component(doc, kind, block, ("spec", kind), cls, gateway_api)
    return diags


def _component(doc: Document, kind: str, block: dict, path: tuple, cls: str | None,
               gateway_api: bool) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    at = dotted_path(path)
    if "canaryTrafficPercent" in block:
        diags.append(warning(
            CANARY_TRAFFIC_PERCENT, f"{at}.canaryTrafficPercent is Knative-only: KServe's Standard (raw) mode "
            "ignores it and rolls out a new Deployment revision to all traffic (RollingUpdate); there is no traffic "
            "split", **doc.where((*path, "canaryTrafficPercent")),
            hint="remove it, or split traffic with your ingress or Gateway API routes"))
    if kind == "predictor" and "containerConcurrency" in block:
        diags.append(warning(
            KNATIVE_ONLY, f"{at}.containerConcurrency is Knative-only for a predictor: KServe's Standard mode "
            "sets no concurrency limit from it (only a transformer or explainer gets --workers from it)",
            **doc.where((*path, "containerConcurrency")), hint="remove it, or configure the model server's own workers"))
    if "timeout" in block and not gateway_api:  # with Gateway API it is the HTTPRoute's request timeout
        diags.append(warning(
            KNATIVE_ONLY, f"{at}.timeout has no effect on what kserve-compiler emits: KServe uses it only for "
            "Knative revisions and Gateway API HTTPRoutes (ingress.enableGatewayApi), and the Ingress of Standard "
            "mode carries no timeout", **doc.where((*path, "timeout")),
            hint="set the request timeout on your ingress controller (e.g. an Ingress annotation)"))
    diags += _knative_annotations(doc, (*path, "annotations"), block.get("annotations"), top=False)
    diags += _scaling(doc, block, path, cls)
    batcher = block.get("batcher")
    if isinstance(batcher, dict) and "timeout" in batcher:
        diags.append(_unused(doc, (*path, "batcher", "timeout"), f"{at}.batcher.timeout is read by nothing in "
                             "KServe v0.20 (only maxBatchSize and maxLatency reach the batcher)"))
    if kind == "predictor":
        for impl in IMPLEMENTATIONS:
            model = block.get(impl)
            if isinstance(model, dict):
                diags += _implementation(doc, model, (*path, impl))
    return diags


def _implementation(doc: Document, model: dict, path: tuple) -> list[Diagnostic]:
    diags = []
    at = dotted_path(path)
    storage = model.get("storage")
    if isinstance(storage, dict) and "schemaPath" in storage:
        diags.append(_unused(doc, (*path, "storage", "schemaPath"), f"{at}.storage.schemaPath is read by nothing "
                             "in KServe v0.20: neither the storage-spec annotations nor the storage initializer use it"))
    confidential = model.get("confidential")
    if isinstance(confidential, dict) and confidential.get("enabled") is True:
        diags.append(warning(
            NOT_REPRODUCED, f"{at}.confidential is not reproduced by kserve-compiler: KServe adds the annotations "
            "internal.serving.kserve.io/confidential-enabled (and confidential-resource-id) and its pod webhook "
            "configures the storage initializer for confidential model serving; our output has neither",
            **doc.where((*path, "confidential")),
            hint="deploy confidential models with KServe directly"))
    return diags


def _scaling(doc: Document, block: dict, path: tuple, cls: str | None) -> list[Diagnostic]:
    """Autoscaling fields by autoscaler class (docs/kserve-behaviour.md §6.1, §6.3). keda: expand/keda.py; unknown classes: KSC211."""
    at = dotted_path(path)
    diags: list[Diagnostic] = []
    if cls in ("none", "external"):
        for name in SCALE_FIELDS + (("minReplicas",) if cls == "external" else ()):
            if name in block:
                diags.append(_unused(doc, (*path, name), f"{at}.{name} has no effect with autoscalerClass {cls}: "
                                     "KServe makes no HorizontalPodAutoscaler"
                                     + (" (only minReplicas sets the Deployment's replicas)" if cls == "none" else "")))
        return diags
    if cls not in (None, "hpa"):
        return diags
    # hpa, explicit or by default
    if block.get("minReplicas") == 0:
        diags.append(warning(
            NO_SCALE_TO_ZERO, f"{at}.minReplicas 0: there is no scale-to-zero in Standard mode; KServe's HPA takes "
            "max(minReplicas, 1), so the HorizontalPodAutoscaler has minReplicas 1 and one pod always runs",
            **doc.where((*path, "minReplicas")),
            hint="set minReplicas: 1 to say so; only serving.kserve.io/autoscalerClass: none gives replicas: 0 "
                 "(and then nothing scales)"))
    if "scaleMetricType" in block:
        diags.append(_unused(doc, (*path, "scaleMetricType"), f"{at}.scaleMetricType is ignored by KServe's HPA "
                             "(cpu is always Utilization; memory follows scaleTarget)"))
    autoscaling = block.get("autoScaling")
    if isinstance(autoscaling, dict):
        for name in ("scaleMetric", "scaleTarget"):
            if name in block:
                diags.append(_unused(doc, (*path, name), f"{at}.{name} is ignored because autoScaling is set: "
                                     "KServe's HPA then takes its metrics from autoScaling.metrics only"))
        if "behavior" in autoscaling:
            diags.append(_unused(doc, (*path, "autoScaling", "behavior"), f"{at}.autoScaling.behavior is ignored "
                                 "by KServe's HPA, which always writes behavior: {} (only KEDA reads it)"))
        metrics = autoscaling.get("metrics")
        if cls is None and isinstance(metrics, list):
            for i, entry in enumerate(metrics):
                if isinstance(entry, dict) and not isinstance(entry.get("resource"), dict):
                    diags.append(_unused(doc, (*path, "autoScaling", "metrics", i), f"{at}.autoScaling.metrics[{i}] "
                                         f"(type {entry.get('type')}) is skipped by KServe's HPA, which uses Resource "
                                         "metrics only (External and PodMetric are for KEDA)"))
    return diags


def _knative_annotations(doc: Document, path: tuple, annotations, *, top: bool) -> list[Diagnostic]:
    if not isinstance(annotations, dict):
        return []
    diags = []
    for key in annotations:
        if not (isinstance(key, str) and key.startswith(KNATIVE_AUTOSCALING)):
            continue
        if key in DISALLOWED_KNATIVE:
            fate = ("KServe drops it from the Deployment, pod template, Service and HPA (annotation disallow list)"
                    + ("; the Ingress copies it unfiltered, to no effect" if top else ""))
            hint = "use minReplicas / maxReplicas on the component instead"
        else:
            fate = ("KServe copies it onto the Deployment, pod template, Service and HPA"
                    + (" and the Ingress" if top else "") + ", where nothing reads it")
            hint = "use the component's scaleMetric / scaleTarget / autoScaling instead"
        diags.append(warning(KNATIVE_ANNOTATION, f"annotation {key} is read only by Knative's autoscaler, which "
                             f"Standard (raw) mode does not use: {fate}", **doc.where((*path, key)), hint=hint))
    return diags


# ---------------------------------------------------------------------------------------------------
# ServingRuntime / ClusterServingRuntime


def runtime_rules(doc: Document) -> list[Diagnostic]:
    spec = doc.data.get("spec")
    if not isinstance(spec, dict):
        return []
    diags = []
    for name in MODELMESH_FIELDS:
        if name in spec:
            diags.append(warning(MODELMESH_ONLY, f"spec.{name} is read only by ModelMesh: KServe's InferenceService "
                                 "controller ignores it, and so does kserve-compiler", **doc.where(("spec", name)),
                                 hint="remove it unless ModelMesh also serves from this runtime"))
    if spec.get("hostIPC") is True:
        diags.append(_unused(doc, ("spec", "hostIPC"), "spec.hostIPC is dropped: KServe takes only nodeSelector, "
                             "affinity, tolerations, volumes, imagePullSecrets and schedulerName from a runtime's pod "
                             "fields, so the pod does not get hostIPC",
                             hint="set hostIPC on the InferenceService's predictor if the model needs it"))
    return diags


def _unused(doc: Document, path: tuple, message: str, *, hint: str | None = None) -> Diagnostic:
    return warning(NOT_USED_BY_KSERVE, message, **doc.where(path),
                   hint=hint or f"remove {dotted_path(path)}: it changes nothing KServe creates in Standard mode")


def _group(api_version: str) -> str:
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""
