"""Multi-node predictors (`predictor.workerSpec`): what KServe v0.20 adds in Standard mode
(docs/kserve-behaviour.md §6.5).

Sources, read at the v0.20.0 tag: components/predictor.go (Reconcile, reconcileWorker, multiNodeProcess,
computeRayNodeAndGPUs, computeMpNodeAndGPUs); reconcilers/deployment/deployment_reconciler.go
(createRawDeployment, createRawWorkerDeployment, addGPUResourceToDeployment);
reconcilers/service/service_reconciler.go (createService, createHeadlessSvc, createWorkerHeadlessSvc);
the webhook's validateMultiNodeVariables (inference_service_validation.go).

In short: the predictor (the Ray head) keeps its Deployment and Service, both labelled with the
InferenceService's generation; a second Deployment `<isvc>-predictor-worker` runs the runtime's
workerSpec container merged with the InferenceService's, with RAY_NODE_COUNT - 1 replicas and a rollout
that keeps old pods until new ones are ready; two headless Services find the head and the workers.
Parallel sizes and GPU counts reach both pods as environment variables and GPU requests/limits.

We differ: the generation is always "1", the generation a newly created object gets (the InferenceService
is never applied, so it has no other); the webhook's rules are checked when building, not by `validate`;
the unknown-GPU-type rule of the webhook is not checked. Pure: data in, objects and Diagnostics out.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace

from compiler.constants import KSERVE_CONTAINER
from compiler.diagnostics import Diagnostic, error
from compiler.expand import deployment, hpa, storage
from compiler.expand.context import ExpandContext
from compiler.expand.merge import MergeError, merge_pod_fields, strategic_merge_container
from compiler.expand.metadata import APP_LABEL, COMPONENT_LABEL, ISVC_LABEL, ComponentMeta, component_meta
from compiler.expand.mounts import WORKER_CONTAINER, add_or_replace_env, find_container
from compiler.expand.uri import SOURCE_URI
from compiler.model import MULTI_NODE_WEBHOOK as WEBHOOK
from compiler.model import InferenceService, has_worker_spec
from compiler.resolve import Resolution

# Codes (KSC455-456: what the controller fails on; the webhook's rules are KSC247, model.py).
NO_WORKER_SPEC = "KSC455"
GPU_ALLOCATION = "KSC456"

WORKER_SPEC = "workerSpec"
GENERATION = "1"                                  # see the module docstring
GENERATION_LABEL = "isvc.generation"              # constants.InferenceServiceGenerationPodLabelKey
ROLE_LABEL = "multinode/role"                     # constants.MultiNodeRoleLabelKey
EXECUTOR_BACKEND = "multinode/executor-backend"   # constants.MultiNodeExecutorBackendAnnotationKey
GPU_TYPES_ANNOTATION = "serving.kserve.io/gpu-resource-types"
GPU_TYPES = ("nvidia.com/gpu", "amd.com/gpu", "intel.com/gpu", "habana.ai/gaudi")  # DefaultGPUResourceTypeList
PIPELINE_ENV, TENSOR_ENV = "PIPELINE_PARALLEL_SIZE", "TENSOR_PARALLEL_SIZE"
NODES_ENV, GPUS_ENV = "RAY_NODE_COUNT", "REQUEST_GPU_COUNT"
WORKER_ONLY_FIELDS = {"containers", "pipelineParallelSize", "tensorParallelSize"}


def check(isvc: InferenceService) -> list[Diagnostic]:
    """validateMultiNodeVariables (the GPU-type rule aside): the first rule broken, as the webhook stops there."""
    pred = isvc.predictor
    if pred is None or pred.canary is not None or not has_worker_spec(pred.spec):
        return []
    worker, path, name = pred.spec[WORKER_SPEC], (*pred.path, WORKER_SPEC), isvc.name
    where = isvc.doc.where
    containers = worker.get("containers")
    if isinstance(containers, list) and len(containers) > 1:
        return [_webhook(name, "setting multiple containers in workerSpec is not allowed", where((*path, "containers")),
                         "give the workerSpec one container (it is merged over the runtime's worker-container)")]
    if pred.model is not None:
        problem = _model_problem(isvc, pred.model)
        if problem:
            return [_webhook(name, problem[0], where(pred.model_path), problem[1])]
    elif pred.custom:
        return [error(NO_WORKER_SPEC, "you cannot set WorkerSpec in the InferenceService if the ServingRuntime does "
                      "not have a WorkerSpec", **where(path), hint="a custom predictor has no runtime: use "
                      "predictor.model with a multi-node runtime (kserve-huggingfaceserver-multinode)")]
    for key, label in (("pipelineParallelSize", "PipelineParallelSize"), ("tensorParallelSize", "TensorParallelSize")):
        value = worker.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value < 1:
            return [_webhook(name, f"WorkerSpec.{label} cannot be less than 1({value})", where((*path, key)),
                             f"set {key} to 1 or more")]
    return []


def _model_problem(isvc: InferenceService, model: dict) -> tuple[str, str] | None:
    env = [e.get("name") for e in model.get("env") or [] if isinstance(e, dict)]
    for var in (PIPELINE_ENV, TENSOR_ENV):
        if var in env:
            return (f"setting {var} in environment variables is not allowed",
                    f"set workerSpec.{'pipelineParallelSize' if var == PIPELINE_ENV else 'tensorParallelSize'} instead")
    uri = model.get("storageUri")
    if not isinstance(uri, str):
        return "StorageURI must be set for multinode enabled", "set model.storageUri to a pvc:// or oci:// URI"
    scheme = uri.split("://")[0]
    if scheme not in ("pvc", "oci"):
        return (f"Multinode only supports 'pvc' and 'oci' Storage Protocol({scheme})",
                "put the model on a PersistentVolumeClaim (pvc://) or in an OCI image (oci://)")
    cls = isvc.annotations.get(hpa.AUTOSCALER_CLASS, "")
    if cls != "none":
        return (f"Multinode only supports 'none' autoscaler({cls})",
                f'annotate the InferenceService with {hpa.AUTOSCALER_CLASS}: "none"')
    return None


def _webhook(name: str, message: str, where: dict, hint: str) -> Diagnostic:
    return error(WEBHOOK, f'the InferenceService "{name}" is invalid: {message}', **where, hint=hint)


def worker_pod(res: Resolution, head_pod: dict) -> tuple[dict | None, list[Diagnostic]]:
    """multiNodeProcess: the worker's pod, and the head's environment (head_pod is changed in place)."""
    isvc, comp, rt = res.isvc, res.component, res.runtime
    where = isvc.doc.where((*comp.path, WORKER_SPEC))
    runtime_worker = rt.spec.get(WORKER_SPEC) if rt is not None else None
    if not isinstance(runtime_worker, dict):
        return None, [error(NO_WORKER_SPEC, "you cannot set WorkerSpec in the InferenceService if the ServingRuntime "
                            "does not have a WorkerSpec", **where,
                            hint="name a multi-node runtime (one with a workerSpec), or remove workerSpec")]
    own = comp.spec[WORKER_SPEC]
    pipeline = _size(own, runtime_worker, "pipelineParallelSize")
    tensor = _size(own, runtime_worker, "tensorParallelSize")
    containers = [c for c in runtime_worker.get("containers") or [] if isinstance(c, dict)]
    if not containers:
        return None, [error(NO_WORKER_SPEC, "No workerSpec container configuration found in selected serving runtime",
                            **where, hint=f"{rt.label} has a workerSpec without containers")]
    base = next((c for c in containers if c.get("name") == WORKER_CONTAINER), None)
    if base is None:
        return None, [error(NO_WORKER_SPEC, f"failed to find {WORKER_CONTAINER} in ServingRuntime containers", **where,
                            hint=f"the workerSpec of {rt.label} must have a container named {WORKER_CONTAINER}")]
    patch = own.get("containers")[0] if isinstance(own.get("containers"), list) and own["containers"] else {}
    try:
        merged = strategic_merge_container(base, patch if isinstance(patch, dict) else {})
        pod = merge_pod_fields(runtime_worker, {k: v for k, v in own.items()
                                                if k not in WORKER_ONLY_FIELDS and v is not None})
    except MergeError as exc:
        return None, [error(NO_WORKER_SPEC, f"failed to merge container. Detail: {exc}", **where)]
    pod["containers"] = [merged]
    annotations = rt.spec.get("annotations") if isinstance(rt.spec.get("annotations"), dict) else {}
    if annotations.get(EXECUTOR_BACKEND) == "mp":
        nodes, worker_gpus, head_gpus = pipeline, tensor, tensor
    else:
        counts = _ray_counts(pipeline * tensor, _gpus(head_pod), _gpus(pod))
        if isinstance(counts, str):
            return None, [error(GPU_ALLOCATION, counts, **where, hint="the head and worker GPU requests must add up "
                                "to at least tensorParallelSize x pipelineParallelSize")]
        nodes, worker_gpus, head_gpus = counts
    head = find_container(head_pod, KSERVE_CONTAINER)
    if head is not None:
        for name, value in ((PIPELINE_ENV, pipeline), (TENSOR_ENV, tensor), (NODES_ENV, nodes),
                            (GPUS_ENV, head_gpus), ("MODEL_NAME", isvc.name)):
            add_or_replace_env(head, name, str(value))
        uri = comp.model.get("storageUri") if comp.model else None
        if isinstance(uri, str) and uri.split("://")[0] in ("pvc", "oci"):
            add_or_replace_env(head, "MODEL_DIR", "/mnt/models")
    prefix = comp_name(res).removesuffix("-predictor")
    for name, value in ((NODES_ENV, nodes), (GPUS_ENV, worker_gpus), (PIPELINE_ENV, pipeline), (TENSOR_ENV, tensor),
                        ("ISVC_NAME", isvc.name), ("HEAD_SVC", f"{isvc.name}-head-{GENERATION}"),
                        ("WORKER_SVC", f"{prefix}-workers-{GENERATION}")):
        add_or_replace_env(merged, name, str(value))
    return pod, []


def comp_name(res: Resolution) -> str:
    """constants.PredictorServiceName: `<isvc>-predictor`, or `<isvc>-<name>-predictor`."""
    own = res.component.spec.get("name")
    return f"{res.isvc.name}-{own}-predictor" if isinstance(own, str) and own else f"{res.isvc.name}-predictor"


def _size(own: dict, runtime_worker: dict, key: str) -> int:
    for source in (own, runtime_worker):
        value = source.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return 1                                     # DefaultPipelineParallelSize, DefaultTensorParallelSize


def _gpus(pod: dict) -> int:
    """The first container's GPU request (the default GPU types only), as a whole number."""
    containers = pod.get("containers") or []
    resources = containers[0].get("resources") if containers and isinstance(containers[0], dict) else None
    requests = resources.get("requests") if isinstance(resources, dict) else None
    for name, qty in (requests or {}).items():
        if name in GPU_TYPES:
            try:
                return math.ceil(float(str(qty)))
            except ValueError:
                return 0
    return 0


def _ray_counts(total: int, head: int, worker: int) -> tuple[int, int, int] | str:
    """computeRayNodeAndGPUs: (node count, GPUs per worker, GPUs on the head), or the error message."""
    def nodes(gpus: int, per_node: int) -> int:
        return 1 if per_node == 0 else math.ceil(gpus / per_node)

    if worker > 0:
        count = nodes(total, worker)
        if head > 0:
            if nodes(total, head) == 1:
                count = 1
        else:
            head = total - worker * (count - 1)
        if count == 1:
            worker, head = 0, total
    elif head > 0:
        worker, count = 1, 1
        if total - head > 0:
            count = nodes(total - head, 1) + 1
    else:
        return total, 1, 1
    if total > head + worker * (count - 1):
        return (f"the total required number of GPUs({total}) is less than the number of GPUs assigned to the head "
                f"node({head}) + worker node({worker * (count - 1)})")
    return count, worker, head


def head_meta(cmeta: ComponentMeta) -> ComponentMeta:
    """Reconcile adds the generation label to the predictor's ObjectMeta once the worker is built."""
    labels = dict(sorted({**cmeta.labels, GENERATION_LABEL: GENERATION}.items()))
    return replace(cmeta, labels=labels, template_labels={**cmeta.template_labels, GENERATION_LABEL: GENERATION})


def worker_meta(isvc: InferenceService, meta: dict, res: Resolution, kserve_annotations: dict, config,
                head: ComponentMeta) -> ComponentMeta:
    """reconcileWorker's ObjectMeta: the runtime workerSpec's labels and annotations under the
    InferenceService's and the predictor's (no runtime spec labels or annotations)."""
    runtime_worker = res.runtime.spec.get(WORKER_SPEC) or {}
    plain, _ = component_meta(isvc, meta, replace(res, runtime=None), kserve_annotations, config,
                              name=f"{isvc.name}-predictor-worker")
    labels = {**_strings(runtime_worker.get("labels")), **plain.template_labels, GENERATION_LABEL: GENERATION,
              ISVC_LABEL: isvc.name, COMPONENT_LABEL: "predictor", APP_LABEL: f"isvc.{head.name}-worker"}
    annotations = {**_strings(runtime_worker.get("annotations")), **plain.annotations}
    return replace(plain, labels=dict(sorted(labels.items())), annotations=dict(sorted(annotations.items())))


def _strings(value) -> dict:
    return {k: v for k, v in value.items() if isinstance(v, str)} if isinstance(value, dict) else {}


def inject_worker_storage(pod: dict, wmeta: ComponentMeta, ctx: ExpandContext, where: dict) -> list[Diagnostic]:
    """The pod webhook serves the worker pod too: its source-URI annotation mounts the model into worker-container."""
    uri = wmeta.annotations.get(SOURCE_URI)
    if not isinstance(uri, str):
        return []
    _, diags = storage.inject_storage(pod, uri, component_kind="predictor worker", annotations=wmeta.annotations,
                                      ctx=ctx, namespace=wmeta.namespace, where=where)
    return diags


def objects(head: ComponentMeta, head_deployment: dict, wmeta: ComponentMeta, pod: dict, ext: dict, config
            ) -> list[dict]:
    """The worker Deployment and the two headless Services; the head Deployment gets its GPU count."""
    head_env = _env(find_container(head_deployment["spec"]["template"]["spec"], KSERVE_CONTAINER))
    replicas = int(head_env.get(NODES_ENV, "1")) - 1
    _set_gpus(head_deployment, KSERVE_CONTAINER, head_env.get(GPUS_ENV, ""))
    worker = deployment.build(wmeta, pod, ext, config)
    spec = worker["spec"]
    spec["selector"] = {"matchLabels": {APP_LABEL: wmeta.labels[APP_LABEL]}}
    strategy = spec.get("strategy") or {}
    if strategy.get("type") == "RollingUpdate":   # keep the old pods until the new ones are ready
        strategy["rollingUpdate"] = {"maxUnavailable": "0%", "maxSurge": "100%"}
    spec.pop("replicas", None)
    worker["spec"] = {"replicas": replicas, **spec}
    worker_env = _env(find_container(worker["spec"]["template"]["spec"], WORKER_CONTAINER))
    _set_gpus(worker, WORKER_CONTAINER, worker_env.get(GPUS_ENV, ""))
    prefix = head.name.removesuffix("-predictor")
    return [worker, _headless(head, f"{prefix}-head-{GENERATION}", "head", head.app),
            _headless(head, f"{prefix}-workers-{GENERATION}", "worker", f"{head.app}-worker")]


def _headless(head: ComponentMeta, name: str, role: str, app: str) -> dict:
    meta = head.object_meta()
    meta["name"] = name
    meta["labels"] = dict(sorted({**meta["labels"], ROLE_LABEL: role}.items()))
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta,
            "spec": {"selector": {APP_LABEL: app, GENERATION_LABEL: GENERATION}, "clusterIP": "None",
                     "publishNotReadyAddresses": True}}


def _env(container: dict | None) -> dict:
    return {e.get("name"): e.get("value") for e in (container or {}).get("env") or [] if isinstance(e, dict)}


def _set_gpus(obj: dict, container_name: str, count: str) -> None:
    """addGPUResourceToDeployment: the container's GPU type (the first with a non-zero limit or request,
    the pod's gpu-resource-types annotation extending the list; else nvidia.com/gpu) set to `count`."""
    template = obj["spec"]["template"]
    types = list(GPU_TYPES)
    try:
        extra = json.loads(template["metadata"].get("annotations", {}).get(GPU_TYPES_ANNOTATION, "[]"))
    except ValueError:
        extra = []
    types += [t for t in extra if isinstance(t, str) and t not in types] if isinstance(extra, list) else []
    container = find_container(template["spec"], container_name)
    if container is None:
        return
    resources = container.setdefault("resources", {})
    chosen = "nvidia.com/gpu"
    for kind in types:
        if any(str((resources.get(part) or {}).get(kind, "0")) not in ("0", "") for part in ("limits", "requests")):
            chosen = kind
            break
    for part in ("limits", "requests"):
        values = {**(resources.get(part) or {}), chosen: count}
        resources[part] = dict(sorted(values.items()))
    container["resources"] = {k: resources[k] for k in ("limits", "requests", *resources) if k in resources}
