"""Typed, read-only views of the KServe objects: Runtime, InferenceService, Component.

Building an InferenceService applies what KServe's defaulting webhook does before the controller sees it
(pkg/apis/serving/v1beta1/inference_service_defaults.go; docs/kserve-behaviour.md §3): the legacy `predictor.sklearn:` form is
mapped to `predictor.model`, the `modelFormat` and `deploymentMode` annotations are added, and the
protocol defaults for triton/vLLM/legacy blocks are set. Pure: data in, data and Diagnostics out.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from compiler.constants import DEPLOYMENT_MODE_ANNOTATION, KSERVE_CONTAINER, OLD_DEPLOYMENT_MODES
from compiler.diagnostics import Diagnostic, error, notice, warning
from compiler.document import Document
from compiler.fragment import yaml_fragment
from compiler.plain import clone

ISVC_API = "serving.kserve.io/v1beta1"
RUNTIME_API = "serving.kserve.io/v1alpha1"
RUNTIME_KINDS = ("ServingRuntime", "ClusterServingRuntime")
STORAGE_CONTAINER_KIND = "ClusterStorageContainer"

# Codes (KSC23x: the InferenceService webhook's defaulting and validation, applied in model building)
LEGACY_FORM = "KSC230"
NO_IMPLEMENTATION = "KSC231"
DEPLOYMENT_MODE = "KSC233"
CANARY = "KSC246"           # a canary the webhook refuses (checked in expand/canary.py)
MULTI_NODE_WEBHOOK = "KSC247"  # validateMultiNodeVariables (checked in expand/multinode.py; KSC232 is retired)
OLD_DEPLOYMENT_MODE = "KSC248"  # notice: RawDeployment / Serverless, the old names (`fix` rewrites them)

# The legacy framework blocks of PredictorSpec, in KServe's order (docs/kserve-behaviour.md §3).
FRAMEWORKS = ("sklearn", "xgboost", "tensorflow", "pytorch", "triton", "onnx", "pmml", "lightgbm",
              "paddle", "huggingface")
V2_FRAMEWORKS = {"triton", "onnx", "huggingface"}  # legacy blocks that default to protocol v2
V2_FORMATS = {"triton", "vLLM"}                      # model formats the defaulter sets v2 for (case-sensitive)
MODEL_FORMAT_ANNOTATION = "modelFormat"
# Bookkeeping that kustomize, kpt and our KRM function put on items: the API server never sees it on an
# InferenceService, so KServe never copies it onto the objects it makes.
HOST_TOOL_ANNOTATIONS = ("config.kubernetes.io/", "internal.config.kubernetes.io/", "config.k8s.io/",
                         "kustomize.config.k8s.io/", "kpt.dev/")
# Fields of a component spec that are not pod fields (ComponentExtensionSpec and friends).
COMPONENT_EXTENSION_FIELDS = {
    "minReplicas", "maxReplicas", "scaleTarget", "scaleMetric", "scaleMetricType", "autoScaling",
    "containerConcurrency", "timeout", "canaryTrafficPercent", "logger", "batcher", "labels", "annotations",
    "deploymentStrategy", "storageUris", "workerSpec", "name", "model", "art", "storageContainerName", *FRAMEWORKS,
}


@dataclass(frozen=True, slots=True)
class ModelFormat:
    name: str
    version: str | None = None

    def kserve_repr(self) -> str:
        """How KServe prints the format in "no runtime found" ({sklearn <nil>}; docs/kserve-behaviour.md §2.2.5)."""
        return f"{{{self.name} {self.version if self.version is not None else '<nil>'}}}"

    def __str__(self) -> str:
        return self.name if self.version is None else f"{self.name}:{self.version}"


@dataclass(frozen=True, slots=True)
class SupportedFormat:
    name: str
    version: str | None
    auto_select: bool
    priority: int | None


@dataclass(frozen=True, eq=False)
class Runtime:
    name: str
    namespace: str | None            # None for a ClusterServingRuntime
    formats: tuple[SupportedFormat, ...]
    protocols: tuple[str, ...]       # as listed; empty = every protocol
    multi_model: bool
    disabled: bool
    multi_node: bool                 # has workerSpec
    spec: dict
    annotations: dict                # metadata.annotations
    doc: Document
    builtin: bool = False            # from our catalog

    @property
    def cluster(self) -> bool:
        return self.namespace is None

    @property
    def kind(self) -> str:
        return "ClusterServingRuntime" if self.cluster else "ServingRuntime"

    @property
    def label(self) -> str:
        """How explain and messages name it: "ClusterServingRuntime kserve-sklearnserver (built-in)"."""
        where = " (built-in)" if self.builtin else ("" if self.cluster else f" in namespace {self.namespace}")
        return f"{self.kind} {self.name}{where}"

    @property
    def containers(self) -> list:
        value = self.spec.get("containers")
        return value if isinstance(value, list) else []


@dataclass(frozen=True, eq=False)
class Component:
    kind: str                          # predictor | transformer | explainer
    spec: dict                         # the component after defaulting (legacy block mapped to model)
    path: tuple                        # where the component is in its document
    model: dict | None = None          # predictor.model after defaulting; None for custom components
    model_path: tuple | None = None    # where the model (or the legacy block) is written
    legacy: str | None = None          # the framework key of a legacy predictor
    format: ModelFormat | None = None
    runtime: str | None = None         # the runtime named by the user
    protocol: str | None = None        # protocolVersion after defaulting; None = unset (v1 for selection)
    canary: int | None = None          # index in spec.canary: the stable predictor with the canary merged over it

    @property
    def custom(self) -> bool:
        return self.model is None

    @property
    def storage_uri(self) -> str | None:
        value = (self.model or {}).get("storageUri")
        return value if isinstance(value, str) and value else None


@dataclass(frozen=True, eq=False)
class InferenceService:
    name: str
    namespace: str
    labels: dict                       # after defaulting
    annotations: dict                  # after defaulting (modelFormat, deploymentMode added)
    spec: dict
    doc: Document
    components: tuple[Component, ...] = field(default=())

    @property
    def predictor(self) -> Component:
        return self.components[0]

    def component(self, kind: str) -> Component | None:
        return next((c for c in self.components if c.kind == kind), None)


def _str_or_none(value) -> str | None:
    return value if isinstance(value, str) else None


def canary_entries(spec: dict) -> list:
    """An InferenceService spec's `canary` list, as the webhook and the controller read it (else none)."""
    value = spec.get("canary")
    return value if isinstance(value, list) else []


def has_worker_spec(spec: dict) -> bool:
    """multiNodeEnabled: a predictor's or a runtime's spec has a workerSpec, even an empty one."""
    return isinstance(spec.get("workerSpec"), dict)


def runtime_from(doc: Document, *, default_namespace: str, builtin: bool = False) -> Runtime:
    spec = doc.data.get("spec") if isinstance(doc.data.get("spec"), dict) else {}
    formats = []
    for entry in spec.get("supportedModelFormats") or []:
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            priority = entry.get("priority")
            formats.append(SupportedFormat(
                entry["name"], _str_or_none(entry.get("version")), entry.get("autoSelect") is True,
                priority if isinstance(priority, int) and not isinstance(priority, bool) else None))
    protocols = tuple(p for p in spec.get("protocolVersions") or [] if isinstance(p, str))
    cluster = doc.kind == "ClusterServingRuntime"
    return Runtime(
        name=doc.name or "", namespace=None if cluster else (doc.namespace or default_namespace),
        formats=tuple(formats), protocols=protocols, multi_model=spec.get("multiModel") is True,
        disabled=spec.get("disabled") is True, multi_node=has_worker_spec(spec),
        spec=spec, annotations=doc.annotations, doc=doc, builtin=builtin)


def inference_service_from(doc: Document, *, default_namespace: str
                           ) -> tuple[InferenceService | None, list[Diagnostic]]:
    """Apply KServe's defaulting webhook to one InferenceService document."""
    diags: list[Diagnostic] = []
    spec = clone(doc.data.get("spec")) if isinstance(doc.data.get("spec"), dict) else {}
    predictor = spec.get("predictor") if isinstance(spec.get("predictor"), dict) else {}
    components: list[Component] = []
    pred, pred_diags = _predictor(doc, predictor)
    diags += pred_diags
    if pred is None:
        return None, diags
    components.append(pred)
    for kind in ("transformer", "explainer"):
        part = spec.get(kind)
        if isinstance(part, dict):
            if kind == "explainer" and "art" in part and part.get("containers"):
                # validateExactlyOneImplementation: art and containers are two implementations
                return None, diags + [error(NO_IMPLEMENTATION, "exactly one of [ART, PodSpec, ComponentExtensionSpec] "
                                            "must be specified in ExplainerSpec", **doc.where(("spec", kind)),
                                            hint="keep explainer.art or explainer.containers, not both")]
            components.append(Component(kind, _custom_component(part, kind), ("spec", kind)))
    for i, entry in enumerate(canary_entries(spec)):
        own = entry.get("predictor") if isinstance(entry, dict) else None
        if not isinstance(own, dict):
            continue
        if any(key in own for key in FRAMEWORKS):
            return None, diags + [error(CANARY, "a legacy framework block in a canary predictor is not compiled by "
                                        "kserve-compiler", **doc.where(("spec", "canary", i, "predictor")),
                                        hint="describe the canary's model under predictor.model")]
        canary, canary_diags = _predictor(doc, merge_override(pred.spec, own), ("spec", "canary", i, "predictor"))
        if canary is None:
            return None, diags + canary_diags
        components.append(replace(canary, canary=i))
    annotations = {k: v for k, v in doc.annotations.items() if not k.startswith(HOST_TOOL_ANNOTATIONS)}
    if pred.format is not None:
        annotations.setdefault(MODEL_FORMAT_ANNOTATION, pred.format.name)
    diags += _deployment_mode(doc, annotations)
    return InferenceService(
        name=doc.name or "", namespace=doc.namespace or default_namespace, labels=dict(doc.labels),
        annotations=annotations, spec=spec, doc=doc, components=tuple(components)), diags


def merge_override(base, over):
    """A canary predictor over a copy of the stable one, as components/predictor.go buildCanaryPredictor merges
    them (mergo with override): every field the canary sets wins, mappings merge key by key, lists are
    replaced whole; a field the canary leaves empty (absent, null, "", 0, false, [], {}) keeps the stable value."""
    if not isinstance(base, dict) or not isinstance(over, dict):
        return clone(over)
    out = clone(base)
    for key, value in over.items():
        if value is None or value == "" or value == 0 or value is False or value == [] or value == {}:
            continue
        out[key] = merge_override(out[key], value) if isinstance(out.get(key), dict) else clone(value)
    return out


def _predictor(doc: Document, predictor: dict, path: tuple = ("spec", "predictor")
               ) -> tuple[Component | None, list[Diagnostic]]:
    given = [key for key in ("model", *FRAMEWORKS) if isinstance(predictor.get(key), dict)]
    containers = predictor.get("containers") if isinstance(predictor.get("containers"), list) else []
    # PredictorSpec.GetImplementations counts a container named kserve-container as a custom
    # implementation even beside a model, so the two together are rejected.
    if given and any(isinstance(c, dict) and c.get("name") == KSERVE_CONTAINER for c in containers):
        given.append("containers (kserve-container)")
    if len(given) > 1 or (not given and not containers):
        names = ", ".join(given) if given else "none"
        return None, [error(NO_IMPLEMENTATION,
                            "exactly one of model, a framework block (sklearn, xgboost, ...) or containers "
                            f"must be specified in the predictor (found: {names})",
                            **doc.where(path), hint="describe the model once, under predictor.model")]
    if not given:
        return Component("predictor", _custom_component(predictor, "predictor"), path), []
    key = given[0]
    diags: list[Diagnostic] = []
    if key == "model":
        model = dict(predictor["model"])
    else:
        model = _legacy_model(key, predictor[key])
        diags.append(_legacy_notice(doc, key, model))
    spec = {k: v for k, v in predictor.items() if k not in FRAMEWORKS}
    spec["model"] = model
    fmt = model.get("modelFormat") if isinstance(model.get("modelFormat"), dict) else {}
    model_format = ModelFormat(fmt["name"], _str_or_none(fmt.get("version"))) if isinstance(
        fmt.get("name"), str) else None
    protocol = _str_or_none(model.get("protocolVersion"))
    if protocol is None and model_format is not None and model_format.name in V2_FORMATS:
        protocol = "v2"
        model["protocolVersion"] = protocol
    return Component("predictor", spec, path, model=model, model_path=(*path, key), legacy=None if key == "model"
                     else key, format=model_format, runtime=_str_or_none(model.get("runtime")),
                     protocol=protocol), diags


def _legacy_model(key: str, block: dict) -> dict:
    """v0.20's mapping: the block's fields carried over, the format set, no runtime named (docs/kserve-behaviour.md §3)."""
    model = {"modelFormat": {"name": key}, **clone(block)}
    if key in V2_FRAMEWORKS and block.get("protocolVersion") is None:
        model["protocolVersion"] = "v2"
    return model


def _legacy_notice(doc: Document, key: str, model: dict) -> Diagnostic:
    # The hint keeps protocolVersion: for triton/onnx/huggingface the legacy block's v2 default does not
    # apply to predictor.model, so dropping it would change the runtime chosen.
    return notice(LEGACY_FORM, f"predictor.{key} is the legacy form; KServe v0.20 reads it as "
                  f"predictor.model with modelFormat {key} and auto-selects the runtime",
                  **doc.where(("spec", "predictor", key)),
                  hint="the current form is:\n" + yaml_fragment({"predictor": {"model": model}}))


def _custom_component(part: dict, kind: str) -> dict:
    """Custom components (docs/kserve-behaviour.md §3): the first container is named kserve-container for a transformer or
    explainer always, for a predictor when it is the only one or has no name."""
    spec = clone(part)
    containers = spec.get("containers")
    if isinstance(containers, list) and containers and isinstance(containers[0], dict):
        first = containers[0]
        if kind != "predictor" or len(containers) == 1 or not first.get("name"):
            first["name"] = KSERVE_CONTAINER
    return spec


def _deployment_mode(doc: Document, annotations: dict) -> list[Diagnostic]:
    mode = annotations.get(DEPLOYMENT_MODE_ANNOTATION)
    diags = [_old_mode_notice(doc, mode)] if mode in OLD_DEPLOYMENT_MODES else []
    if mode in (None, ""):
        annotations[DEPLOYMENT_MODE_ANNOTATION] = "Standard"
        return diags
    if mode in ("Standard", "RawDeployment"):
        annotations[DEPLOYMENT_MODE_ANNOTATION] = "Standard"
        return diags
    annotations[DEPLOYMENT_MODE_ANNOTATION] = "Standard"
    return diags + [warning(DEPLOYMENT_MODE, f"deployment mode {mode!r} is not compiled; kserve-compiler emits "
                            "Standard (raw Deployment) objects for this InferenceService",
                            **doc.where(("metadata", "annotations", DEPLOYMENT_MODE_ANNOTATION)),
                            hint="set serving.kserve.io/deploymentMode: Standard to say so, or deploy it with KServe")]


def _old_mode_notice(doc: Document, mode: str) -> Diagnostic:
    return notice(OLD_DEPLOYMENT_MODE, f"deployment mode {mode!r} is the old name of {OLD_DEPLOYMENT_MODES[mode]!r}; "
                  "KServe v0.20 rewrites it", **doc.where(("metadata", "annotations", DEPLOYMENT_MODE_ANNOTATION),
                                                          key=False),
                  hint=f"write {OLD_DEPLOYMENT_MODES[mode]} (kserve-compiler fix does)")
