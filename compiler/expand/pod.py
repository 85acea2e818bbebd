"""The pod each component runs, as KServe v0.20's controller builds it and its pod webhook completes it.

Predictor with a runtime: components/predictor.go buildPodSpec (docs/kserve-behaviour.md §4.1, with §2.3's server-type
defaults from inference_service_defaults.go SetRuntimeDefaults and utils.UpdateImageTag); custom predictor
(§4.2, predictor_custom.go), transformer (§4.3, transformer_custom.go), explainer (§4.4,
explainer_custom.go); then the defaulter's automountServiceAccountToken and the storage webhook (§5,
storage.py). Pure: a Resolution and the InferenceService's metadata in, a PodResult out.
"""

from __future__ import annotations

import dataclasses
import re

from compiler.constants import TRANSFORMER_CONTAINER
from compiler.diagnostics import Diagnostic, error, warning
from compiler.expand import art, component_storage, placeholders
from compiler.expand import uri as storage_uri
from compiler.expand.mounts import MODEL_DIR
from compiler.expand.context import ExpandContext, PodResult
from compiler.expand.merge import (MergeError, merge_pod_fields, strategic_merge_container,
                                   volume_source_conflicts)
from compiler.model import COMPONENT_EXTENSION_FIELDS
from compiler.resolve import (KSERVE_CONTAINER, SERVER_TYPE_ANNOTATION, SERVER_TYPE_BY_RUNTIME, Resolution,
                              server_type)

# Codes (KSC42x: pod)
MERGE_FAILED = "KSC420"
NO_KSERVE_CONTAINER = "KSC421"
DUPLICATE_CONTAINER = "KSC422"
RENAMED_CONTAINER = "KSC423"
VOLUME_CONFLICT = "KSC424"
ENV_CONFLICT = "KSC425"
PROBE_WITHOUT_PORT = "KSC426"

ISVC_NAME_ENV = "INFERENCE_SERVICE_NAME"
# ModelSpec fields that are not Container fields (predictor_model.go, PredictorExtensionSpec).
MODEL_ONLY_FIELDS = {"modelFormat", "runtime", "storageUri", "runtimeVersion", "protocolVersion", "storage",
                     "confidential"}
# PredictorSpec fields that are neither pod fields nor extension fields.
NOT_POD_FIELDS = {*COMPONENT_EXTENSION_FIELDS, "containers", "storageContainerName"}
# constants.ServiceAnnotationDisallowedList (docs/kserve-behaviour.md §4.5), filtered before the webhook reads the pod.
MODEL_CLASS = {"xgboost": "mlserver_xgboost.XGBoostModel", "lightgbm": "mlserver_lightgbm.LightGBMModel",
               "mlflow": "mlserver_mlflow.MLflowRuntime"}
GPU_SUFFIX_TYPES = {"tensorflow-serving", "torchserve", "huggingfaceserver"}
_TAG = re.compile(r"(:([A-Za-z0-9_.\-]*))$")  # utils.UpdateImageTag's `(:([\w.\-_]*))$`, \w being ASCII in Go


def server_type_labels(res: Resolution) -> dict:
    """The InferenceService labels SetRuntimeDefaults adds for the predictor's server type (docs/kserve-behaviour.md §2.3)."""
    kind = _defaults_server_type(res)
    if kind == "mlserver":
        fmt = res.component.format.name if res.component.format else ""
        return {"modelClass": MODEL_CLASS.get(fmt, "mlserver_sklearn.SKLearnModel")}
    if kind == "torchserve":
        return {"serviceEnvelope": "kservev2" if res.protocol in ("v2", "grpc-v2") else "kserve"}
    return {}


def build_pod(res: Resolution, isvc_meta: dict, ctx: ExpandContext) -> PodResult:
    comp = res.component
    if comp.kind == "predictor" and not comp.custom:
        if res.runtime is None:
            return PodResult(spec={})  # unresolved: resolve already reported why
        pod, added, diags, uri = _model_predictor(res, isvc_meta, ctx)
    elif comp.kind == "predictor":
        pod, added, diags, uri = _custom_predictor(res, isvc_meta, ctx)
    else:
        pod, added, diags, uri = _transformer_or_explainer(res, isvc_meta, ctx)
    if any(d.severity.value == "error" for d in diags):
        return PodResult(spec=pod, annotations=added, diagnostics=diags)
    diags += _probes_without_port(res, pod)
    if any(d.severity.value == "error" for d in diags):
        return PodResult(spec=pod, annotations=added, diagnostics=diags)
    if not ctx.config.auto_mount_service_account_token:
        pod.setdefault("automountServiceAccountToken", False)  # disableAutomountServiceAccountToken
    diags += component_storage.inject(res, isvc_meta, ctx, pod, uri, added)
    return PodResult(spec=pod, annotations=added, diagnostics=diags)


def _probes_without_port(res: Resolution, pod: dict) -> list[Diagnostic]:
    """KServe's CRD lets a probe leave out its port (Knative fills it in); in Standard mode nothing does,
    so the API server would reject the Deployment. Said here, as the user's problem, not left to check."""
    out = []
    for container in pod.get("containers") or []:
        for probe_name in ("readinessProbe", "livenessProbe", "startupProbe"):
            probe = container.get(probe_name) if isinstance(container, dict) else None
            for handler in ("httpGet", "tcpSocket", "grpc"):
                action = probe.get(handler) if isinstance(probe, dict) else None
                if isinstance(action, dict) and action.get("port") in (None, "", 0):
                    out.append(error(PROBE_WITHOUT_PORT, f"{probe_name}.{handler} of container {container.get('name')} "
                                     "has no port: in Standard mode nothing fills it in (Knative did), so Kubernetes "
                                     "would reject the Deployment", **res.isvc.doc.where(res.component.model_path
                                                                                         or res.component.path),
                                     hint=f"set {probe_name}.{handler}.port (8080 for KServe's own servers)"))
    return out


# ---------------------------------------------------------------------------------------------------
# Predictor with a runtime (docs/kserve-behaviour.md §4.1)


def _model_predictor(res: Resolution, meta: dict, ctx: ExpandContext) -> tuple[dict, dict, list, str | None]:
    comp, rt = res.component, res.runtime
    where = res.isvc.doc.where(comp.model_path)
    model = _no_nulls(comp.model)
    patch = {k: v for k, v in model.items() if k not in MODEL_ONLY_FIELDS}
    _server_type_defaults(res, model, patch)
    base = next(c for c in rt.containers if isinstance(c, dict) and c.get("name") == KSERVE_CONTAINER)
    try:
        merged = strategic_merge_container(base, patch)
        pod = merge_pod_fields(rt.spec, _pod_fields(comp.spec))
        others = _other_containers(res, meta)
    except MergeError as exc:
        return {}, {}, [error(MERGE_FAILED, f"failed to merge container. Detail: {exc}", **where)], None
    diags = _check_merge(res, merged, pod, where)
    merged, found = placeholders.render_container(merged, meta, runtime=rt.name, max_bytes=ctx.max_placeholder_bytes)
    diags += _place(found, res)
    _update_image_tag(merged, model.get("runtimeVersion"), server_type(rt))
    if others and others[0].get("name") == TRANSFORMER_CONTAINER:
        others[0], found = placeholders.render_container(others[0], meta, runtime=rt.name,
                                                          max_bytes=ctx.max_placeholder_bytes)
        diags += _place(found, res)
    pod["containers"] = [merged, *others]
    diags += _isvc_name_env(pod["containers"], res)
    added, uri, problems = storage_uri.controller_annotations(
        _str(model.get("storageUri")), model.get("storage"), _str(comp.spec.get("storageContainerName")))
    diags += [error(code, message, **where) for code, message in problems]
    return pod, added, diags, uri


def _server_type_defaults(res: Resolution, model: dict, patch: dict) -> None:
    """SetMlServerDefaults / SetTorchServeDefaults / SetTritonDefaults on the model container."""
    kind = _defaults_server_type(res)
    has_storage = model.get("storageUri") is not None or model.get("storage") is not None
    env = patch["env"] = list(patch["env"]) if isinstance(patch.get("env"), list) else []
    if kind == "mlserver":
        wanted = ((("MLSERVER_MODEL_NAME", res.isvc.name), ("MLSERVER_MODEL_URI", MODEL_DIR))
                  if has_storage else (("MLSERVER_LOAD_MODELS_AT_STARTUP", "false"),))
        for name, value in wanted:
            if not any(isinstance(e, dict) and e.get("name") == name for e in env):
                env.append({"name": name, "value": value})
    elif kind == "torchserve":
        env.append({"name": "PROTOCOL_VERSION", "value": res.protocol or "v1"})
    elif kind == "tritonserver" and not has_storage:
        patch["args"] = [*(patch.get("args") or []), "--model-control-mode=explicit"]
    if not env:
        patch.pop("env")


def _defaults_server_type(res: Resolution) -> str | None:
    """SetRuntimeDefaults reads the annotation whenever it is present (even empty), else the name."""
    if res.runtime is None:
        return None
    if SERVER_TYPE_ANNOTATION in res.runtime.annotations:
        return str(res.runtime.annotations[SERVER_TYPE_ANNOTATION])
    return SERVER_TYPE_BY_RUNTIME.get(res.runtime.name)


def _check_merge(res: Resolution, merged: dict, pod: dict, where: dict) -> list[Diagnostic]:
    diags = []
    if merged.get("name") != KSERVE_CONTAINER:
        diags.append(warning(RENAMED_CONTAINER, f"predictor.model names its container {merged.get('name')!r}; "
                             f"KServe keeps that name for the merged {KSERVE_CONTAINER}, so no container is "
                             f"named {KSERVE_CONTAINER} (no default readiness probe; a storage URI cannot be "
                             "mounted)", **where, hint="remove name: from predictor.model"))
    for name in volume_source_conflicts(pod.get("volumes")):
        diags.append(error(VOLUME_CONFLICT, f"volume {name} of {res.runtime.label} and the predictor's volume of "
                           "the same name merge into one volume with two sources; the API server rejects it",
                           **res.isvc.doc.where((*res.component.path, "volumes")),
                           hint="give the predictor's volume another name"))
    return diags


def _other_containers(res: Resolution, meta: dict) -> list[dict]:
    """transformer-container (runtime's merged with the predictor's), the runtime's other containers as
    written, then the predictor's other containers."""
    rt, own = res.runtime, _containers(res.component.spec.get("containers"))
    in_rt = next((c for c in rt.containers if isinstance(c, dict) and c.get("name") == TRANSFORMER_CONTAINER), None)
    in_own = next((c for c in own if c.get("name") == TRANSFORMER_CONTAINER), None)
    out = []
    if in_rt is not None or in_own is not None:
        if in_rt is not None and in_own is not None:
            transformer = strategic_merge_container(in_rt, in_own)
        else:
            transformer = _no_nulls(in_rt if in_rt is not None else in_own)
        out.append(transformer)  # rendered by the caller
    out += [c for c in _containers(rt.containers) if c.get("name") not in (KSERVE_CONTAINER, TRANSFORMER_CONTAINER)]
    out += [c for c in own if c.get("name") != TRANSFORMER_CONTAINER]
    return out


def _update_image_tag(container: dict, runtime_version, kind: str | None) -> None:
    """utils.UpdateImageTag (docs/kserve-behaviour.md §2.3)."""
    image = container.get("image")
    if not isinstance(image, str) or "@sha256:" in image:
        return
    if isinstance(runtime_version, str):
        match = _TAG.search(image)
        container["image"] = image[:match.start()] + ":" + runtime_version if match else image + ":" + runtime_version
        return
    match = _TAG.search(image)
    if not kind or not match or not match.group(0):
        return
    repository, tag = image[:match.start()], match.group(0)
    limits = (container.get("resources") or {}).get("limits") or {}
    if "nvidia.com/gpu" in limits or any(str(k).startswith("nvidia.com/mig") for k in limits):
        if kind in GPU_SUFFIX_TYPES and not image.endswith("-gpu"):
            container["image"] = image + "-gpu"
    elif kind == "vllmserver" and not repository.endswith("-cpu"):
        container["image"] = repository + "-cpu" + tag


# ---------------------------------------------------------------------------------------------------
# Custom components (docs/kserve-behaviour.md §4.2-4.4)


def _custom_predictor(res: Resolution, meta: dict, ctx: ExpandContext) -> tuple[dict, dict, list, str | None]:
    comp = res.component
    pod = _pod_fields(comp.spec)
    containers = _containers(comp.spec.get("containers"))
    _resource_defaults(containers, ctx)
    index = next((i for i, c in enumerate(containers) if c.get("name") == KSERVE_CONTAINER), None)
    where = res.isvc.doc.where((*comp.path, "containers"))
    if index is None:
        return pod, {}, [error(NO_KSERVE_CONTAINER, f"no predictor container is named {KSERVE_CONTAINER}; KServe's "
                               "controller cannot find the predictor container and fails", **where,
                               hint=f"name the model server's container {KSERVE_CONTAINER}")], None
    if index != 0:
        # buildPredictorResources puts the kserve-container in the first slot, over the first container.
        return pod, {}, [error(DUPLICATE_CONTAINER, f"KServe replaces the first predictor container "
                               f"({containers[0].get('name')!r}) with the {KSERVE_CONTAINER}, leaving two "
                               f"containers named {KSERVE_CONTAINER}; the API server rejects the Deployment",
                               **where, hint=f"list the {KSERVE_CONTAINER} first")], None
    pod["containers"] = containers
    diags = _isvc_name_env(containers, res)
    uri = _storage_uri_env(containers[0])
    added, uri, _ = storage_uri.controller_annotations(uri, None, _str(comp.spec.get("storageContainerName")))
    return pod, added, diags, uri


def _transformer_or_explainer(res: Resolution, meta: dict, ctx: ExpandContext) -> tuple[dict, dict, list, str | None]:
    comp, isvc = res.component, res.isvc
    pod = _pod_fields(comp.spec)
    predictor = isvc.predictor.spec.get("name")
    host = f"{isvc.name}-{predictor}-predictor" if predictor else f"{isvc.name}-predictor"
    if comp.kind == "explainer" and isinstance(comp.spec.get("art"), dict):
        pod["containers"] = art.containers(comp.spec, name=isvc.name, namespace=isvc.namespace,
                                           predictor_host=host, ctx=ctx)
        _resource_defaults(pod["containers"], ctx)  # ARTExplainerSpec.Default, on the art container
        uri = art.storage_uri(comp.spec)
        return pod, {storage_uri.SOURCE_URI: uri} if uri is not None else {}, [], uri
    containers = _containers(comp.spec.get("containers"))
    if not containers:
        return pod, {}, [], None
    _resource_defaults(containers, ctx)
    first = containers[0]
    args = first["args"] = list(first["args"]) if isinstance(first.get("args"), list) else []
    for flag, value in (("--model_name", isvc.name), ("--predictor_host", f"{host}.{isvc.namespace}")):
        if not _has_arg(args, flag):
            args += [flag, value]
    if comp.kind == "explainer" or not _has_arg(args, "--http_port"):
        args += ["--http_port", "8080"]
    concurrency = comp.spec.get("containerConcurrency")
    if not _has_arg(args, "--workers") and isinstance(concurrency, int) and not isinstance(concurrency, bool):
        args += ["--workers", str(concurrency)]
    pod["containers"] = containers
    diags = _isvc_name_env(containers[:1], res) if comp.kind == "transformer" else []
    uri = _storage_uri_env(first)
    added = {storage_uri.SOURCE_URI: uri} if uri is not None else {}
    return pod, added, diags, uri


def _resource_defaults(containers: list, ctx: ExpandContext) -> None:
    """setResourceRequirementDefaults on the first container: each missing default key is filled."""
    if not containers or not ctx.config.resource_defaults:
        return
    resources = containers[0].get("resources")
    resources = containers[0]["resources"] = dict(resources) if isinstance(resources, dict) else {}
    for bucket in ("requests", "limits"):
        defaults = ctx.config.resource_defaults.get(bucket) or {}
        if defaults:
            current = dict(resources.get(bucket) or {})
            resources[bucket] = {**current, **{k: v for k, v in defaults.items() if k not in current}}


def _has_arg(args: list, flag: str) -> bool:
    """utils.IncludesArg: an arg equal to the flag or starting with it."""
    return any(isinstance(a, str) and a.startswith(flag) for a in args)


def _storage_uri_env(container: dict) -> str | None:
    """GetStorageUri of a custom component: the STORAGE_URI env's value, "" when it has none."""
    entry = next((e for e in container.get("env") or [] if isinstance(e, dict) and e.get("name") == "STORAGE_URI"),
                 None)
    return None if entry is None else str(entry.get("value") or "")


# ---------------------------------------------------------------------------------------------------
# Shared steps


def _isvc_name_env(containers: list, res: Resolution) -> list[Diagnostic]:
    """AddEnvVarToPodSpec(INFERENCE_SERVICE_NAME): appended, or its value overwritten."""
    diags = []
    for container in containers:
        env = container.setdefault("env", [])
        entry = next((e for e in env if isinstance(e, dict) and e.get("name") == ISVC_NAME_ENV), None)
        if entry is None:
            env.append({"name": ISVC_NAME_ENV, "value": res.isvc.name})
            continue
        entry["value"] = res.isvc.name
        if entry.get("valueFrom"):
            diags.append(error(ENV_CONFLICT, f"container {container.get('name')} sets {ISVC_NAME_ENV} with "
                               "valueFrom; KServe also sets its value, and the API server rejects an env with both",
                               **res.isvc.doc.where(res.component.path), hint=f"remove {ISVC_NAME_ENV}"))
    return diags


def _pod_fields(spec: dict) -> dict:
    return _no_nulls({k: v for k, v in spec.items() if k not in NOT_POD_FIELDS})


def _containers(items) -> list[dict]:
    """Deep copies of the container mappings, nulls dropped (Go reads a null field as an absent one)."""
    return [_no_nulls(c) for c in items or [] if isinstance(c, dict)]


def _no_nulls(value):
    """A copy without null mapping values (list items stay). Scalars are taken without a call each."""
    if isinstance(value, dict):
        return {k: _no_nulls(v) if isinstance(v, _CONTAINERS) else v for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_no_nulls(v) if isinstance(v, _CONTAINERS) else v for v in value]
    return value


_CONTAINERS = (dict, list)


def _place(found: list[Diagnostic], res: Resolution) -> list[Diagnostic]:
    """Placeholder problems: a missing key is the InferenceService's; a bad template is placed where it
    is written: in the model's own fields when it is there, else in the runtime (when in the sources)."""
    out = []
    for d in found:
        written = _find_template(res.component.model, d.message)
        if written is not None:
            where = res.isvc.doc.where((*res.component.model_path, *written), key=False)
        elif d.code == placeholders.MISSING_KEY or res.runtime.builtin:
            where = res.isvc.doc.where(res.component.model_path)
        else:
            index = next((i for i, c in enumerate(res.runtime.containers) if isinstance(c, dict)
                          and c.get("name") == KSERVE_CONTAINER), 0)
            where = res.runtime.doc.where(("spec", "containers", index))
        out.append(dataclasses.replace(d, **where))
    return out


def _find_template(data, message: str, path: tuple = ()) -> tuple | None:
    """The path of the first string in `data` holding a template the message quotes."""
    snippets = re.findall(r"\{\{.*?\}\}", message)
    if isinstance(data, str):
        return path if any(s in data for s in snippets) else None
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        found = _find_template(value, message, (*path, key))
        if found is not None:
            return found
    return None


def _str(value) -> str | None:
    return value if isinstance(value, str) else None
