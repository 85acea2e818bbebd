"""Names and metadata of a component's raw objects (docs/kserve-behaviour.md §4.5).

KServe builds one ObjectMeta per component (components/predictor.go buildObjectMeta, transformer.go,
explainer.go) and shares it between the Deployment, its pod template, the Service and the HPA; the
Deployment reconciler adds `app: isvc.<name>` to that shared label map, so every object carries it.
Later sources win: runtime `spec.labels`/`spec.annotations` (predictor only), the InferenceService's,
the component's. Annotations are filtered by the disallow list; KServe's own annotations (storage,
logger, batcher, agent) sit between the InferenceService's and the component's, exactly as
buildPredictorResources merges them. Label and annotation maps are emitted with sorted keys, as the
API server serialises Go maps.
"""

from __future__ import annotations

from dataclasses import dataclass

from compiler.config import Config
from compiler.diagnostics import Diagnostic, warning
from compiler.model import Component, InferenceService
from compiler.resolve import Resolution

# Codes (KSC435-439: metadata)
AGENT_SIDECAR = "KSC435"
LOGGER_AGENT = "KSC436"

ISVC_LABEL = "serving.kserve.io/inferenceservice"   # constants.InferenceServicePodLabelKey
COMPONENT_LABEL = "component"                       # constants.KServiceComponentLabel
APP_LABEL = "app"                                   # constants.RawDeploymentAppLabel
# constants.ServiceAnnotationDisallowedList; the config's serviceAnnotationDisallowedList is appended.
FIXED_DISALLOW = (
    "autoscaling.knative.dev/min-scale",
    "autoscaling.knative.dev/max-scale",
    "internal.serving.kserve.io/storage-initializer-sourceuri",
    "kubectl.kubernetes.io/last-applied-configuration",
    "modelFormat",
)
_INTERNAL = "internal.serving.kserve.io"
# components/component.go addAgentAnnotations: one shard (id 0) per InferenceService in v0.20.
AGENT = f"{_INTERNAL}/agent"
MULTI_MODEL_ENV = "MULTI_MODEL_SERVER"              # constants.CustomSpecMultiModelServerEnvVarKey


@dataclass(frozen=True)
class ComponentMeta:
    name: str
    namespace: str
    kind: str                 # predictor | transformer | explainer
    labels: dict              # final, `app` included, sorted
    annotations: dict         # final, sorted
    template_labels: dict     # before `app`: what the component's host template sees (raw_kube_reconciler.go)

    @property
    def app(self) -> str:
        return f"isvc.{self.name}"                  # constants.GetRawServiceLabel

    def object_meta(self) -> dict:
        """A fresh metadata mapping: the pipeline may add to one object's without touching the others."""
        out: dict = {"name": self.name, "namespace": self.namespace, "labels": dict(self.labels)}
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        return out


def component_name(isvc: InferenceService, component: Component) -> str:
    """constants.PredictorServiceName / TransformerServiceName / ExplainerServiceName."""
    if component.kind == "predictor":
        given = component.spec.get("name")
        if isinstance(given, str) and given:
            return f"{isvc.name}-{given}-predictor"
    return f"{isvc.name}-{component.kind}"


def isvc_meta(isvc: InferenceService, server_labels: dict) -> dict:
    """The InferenceService's ObjectMeta as the controller holds it after SetRuntimeDefaults (docs/kserve-behaviour.md §2.3),
    which overwrites its labels unconditionally."""
    return {"name": isvc.name, "namespace": isvc.namespace,
            "labels": {**isvc.labels, **server_labels}, "annotations": dict(isvc.annotations)}


def disallowed(config: Config) -> frozenset[str]:
    """Nothing at all is filtered when the ConfigMap has no `inferenceService` key (configmap.go)."""
    if config.annotation_disallow is None:
        return frozenset()
    return frozenset((*FIXED_DISALLOW, *config.annotation_disallow))


def component_meta(isvc: InferenceService, meta: dict, res: Resolution, kserve_annotations: dict,
                   config: Config, *, name: str) -> tuple[ComponentMeta, list[Diagnostic]]:
    comp = res.component
    drop = disallowed(config)
    runtime_spec = res.runtime.spec if (res.runtime is not None and comp.kind == "predictor") else {}
    added, diags = _kserve_annotations(isvc, comp, kserve_annotations)
    annotations = {
        **_strings(runtime_spec.get("annotations"), drop),
        **_strings(meta["annotations"], drop),
        **added,
        **_strings(comp.spec.get("annotations"), drop),
    }
    labels = {
        **_strings(runtime_spec.get("labels")),
        **meta["labels"],
        **_strings(comp.spec.get("labels")),
        ISVC_LABEL: isvc.name,
        COMPONENT_LABEL: comp.kind,
    }
    final = {**labels, APP_LABEL: f"isvc.{name}"}
    return ComponentMeta(name, isvc.namespace, comp.kind, dict(sorted(final.items())),
                         dict(sorted(annotations.items())), labels), diags


def _strings(value, drop: frozenset[str] = frozenset()) -> dict:
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if k not in drop}


def _kserve_annotations(isvc: InferenceService, comp: Component, from_pod: dict
                        ) -> tuple[dict, list[Diagnostic]]:
    """What the component reconcilers add to the filtered InferenceService annotations."""
    out = dict(from_pod)
    diags: list[Diagnostic] = []
    logger = comp.spec.get("logger")
    if isinstance(logger, dict):
        out.update(_logger(logger))
    batcher = comp.spec.get("batcher")
    if isinstance(batcher, dict) and comp.kind != "explainer":   # explainer.go adds no batcher annotations
        out.update(_batcher(batcher))
    if isinstance(logger, dict) or isinstance(batcher, dict):
        which = " and ".join(k for k in ("logger", "batcher") if isinstance(comp.spec.get(k), dict))
        diags.append(warning(
            LOGGER_AGENT, f"{comp.kind} {which}: KServe's pod webhook adds an `agent` sidecar listening on port "
            "9081, where the Service sends traffic; kserve-compiler does not emit that sidecar",
            **isvc.doc.where((*comp.path, "logger" if isinstance(logger, dict) else "batcher")),
            hint="apply the output only where KServe's pod webhook runs, or drop the logger/batcher"))
    if comp.kind == "predictor" and _multi_model(comp):
        out.update({AGENT: "true", f"{_INTERNAL}/configVolumeName": f"modelconfig-{isvc.name}-0",
                    f"{_INTERNAL}/configMountPath": "/mnt/configs", f"{_INTERNAL}/modelDir": "/mnt/models"})
        diags.append(warning(
            AGENT_SIDECAR, "the predictor has no storageUri, storage or storageUris, so KServe treats it as a "
            "multi-model server: it adds agent annotations, and its pod webhook an `agent` sidecar that "
            "kserve-compiler does not emit", **isvc.doc.where(comp.model_path or comp.path),
            hint="give the model a storageUri (or storage), or apply the output where KServe's pod webhook runs"))
    return out, diags


def _logger(logger: dict) -> dict:
    """components/component.go addLoggerAnnotations."""
    out = {f"{_INTERNAL}/logger": "true"}
    if isinstance(logger.get("url"), str):
        out[f"{_INTERNAL}/logger-sink-url"] = logger["url"]
    out[f"{_INTERNAL}/logger-mode"] = str(logger.get("mode") or "")
    for key, suffix in (("metadataHeaders", "headers"), ("metadataAnnotations", "annotations")):
        if isinstance(logger.get(key), list):
            out[f"{_INTERNAL}/logger-metadata-{suffix}"] = ",".join(str(v) for v in logger[key])
    return out


def _batcher(batcher: dict) -> dict:
    """components/component.go addBatcherAnnotations."""
    out = {f"{_INTERNAL}/batcher": "true"}
    for key, suffix in (("maxBatchSize", "max-batchsize"), ("maxLatency", "max-latency")):
        if isinstance(batcher.get(key), int) and not isinstance(batcher.get(key), bool):
            out[f"{_INTERNAL}/batcher-{suffix}"] = str(batcher[key])
    return out


def _multi_model(comp: Component) -> bool:
    """inferenceservice/utils IsMMSPredictor: with `containers`, only MULTI_MODEL_SERVER=true on the first
    container says so; otherwise a model without storageUri, storage or storageUris, unless huggingface."""
    containers = comp.spec.get("containers")
    if isinstance(containers, list) and containers:
        first = containers[0] if isinstance(containers[0], dict) else {}
        return any(isinstance(e, dict) and e.get("name") == MULTI_MODEL_ENV and e.get("value") == "true"
                   for e in first.get("env") or [])
    if comp.model is None:
        return False
    if comp.legacy == "huggingface" or (comp.format is not None and comp.format.name == "huggingface"):
        return False
    return (comp.model.get("storageUri") is None and comp.model.get("storage") is None
            and not comp.spec.get("storageUris"))


def ordered(mapping: dict, keys: tuple[str, ...]) -> dict:
    """`mapping` with `keys` first, in that order (Kubernetes' field order); unknown keys keep theirs."""
    out = {k: mapping[k] for k in keys if k in mapping}
    out.update((k, v) for k, v in mapping.items() if k not in out)
    return out
