"""KServe v0.20's InferenceService admission webhook, beyond the schema: replicas, the autoscaler class,
blocked env vars, storage URIs, loggers, HPA metrics (docs/kserve-behaviour.md §3). Names: metadata.py; runtimes: runtime.py.

Sources, kserve/kserve v0.20.0: pkg/apis/serving/v1beta1/inference_service_validation.go and component.go,
pkg/validation/env_policy.go (blocked env vars), k8s.io/apimachinery/pkg/util/validation (names). Messages
are KServe's where it has one. KServe stops at the first failing rule; we report every one.
"""

from __future__ import annotations

from typing import Iterator

from compiler.constants import (AUTOSCALER_CLASS_ANNOTATION, AUTOSCALER_CLASSES, DEPLOYMENT_MODE_ANNOTATION,
                                COMPONENTS, PROTOCOLS, TRANSFORMER_CONTAINER)
from compiler.diagnostics import Diagnostic, error, warning
from compiler.document import Document, dotted_path
from compiler.validate.shared import UNKNOWN_PROTOCOL, blocked_env

# Codes (KSC2xx: schema and webhook rules)
REPLICAS = "KSC210"
AUTOSCALER_CLASS = "KSC211"
STORAGE_URI_AND_PATH = "KSC212"
NAME_IN_PREDICTOR = "KSC215"
CONTAINER_CONCURRENCY = "KSC216"
LOGGER = "KSC217"
STORAGE_URIS = "KSC219"
HPA_METRICS = "KSC220"
NO_IMPLEMENTATION = "KSC223"

FRAMEWORKS = ("sklearn", "xgboost", "tensorflow", "pytorch", "triton", "onnx", "huggingface", "pmml",
              "lightgbm", "paddle")


def inference_service_rules(doc: Document) -> list[Diagnostic]:
    spec = doc.data["spec"]
    diags = _autoscaler_class(doc)
    diags += blocked_env(doc, _isvc_containers(spec))
    diags += _predictor_rules(doc, spec["predictor"])
    hpa = _hpa_rules_apply(doc)
    for component in COMPONENTS:
        if isinstance(spec.get(component), dict):
            path = ("spec", component)
            diags += _implementation(doc, spec[component], component, path)
            diags += _extension_rules(doc, spec[component], path)
            diags += _storage_uris(doc, spec[component], path)
            if hpa:
                diags += _hpa_rules(doc, spec[component], path)
    return diags


def _implementation(doc: Document, block: dict, component: str, path: tuple) -> list[Diagnostic]:
    """validateExactlyOneImplementation: a transformer or explainer is its containers (or, for an
    explainer, art); one with neither has nothing to run."""
    if component == "predictor" or block.get("containers") or (component == "explainer" and "art" in block):
        return []
    spec_name = component.capitalize() + "Spec"
    return [error(NO_IMPLEMENTATION, f"exactly one of [Custom] must be specified in {spec_name}",
                  **doc.where(path), hint=f"give the {component} its containers, or remove spec.{component}")]


def _autoscaler_class(doc: Document) -> list[Diagnostic]:
    value = doc.annotations.get(AUTOSCALER_CLASS_ANNOTATION)
    if value is None or value in AUTOSCALER_CLASSES:
        return []
    return [error(AUTOSCALER_CLASS, f"[{value}] is not a supported autoscaler class type",
                  **doc.where(("metadata", "annotations", AUTOSCALER_CLASS_ANNOTATION), key=False),
                  hint=f"{AUTOSCALER_CLASS_ANNOTATION} takes one of: {', '.join(AUTOSCALER_CLASSES)}")]


def _isvc_containers(spec: dict) -> Iterator[tuple[tuple, dict]]:
    """(path, container) of every container the InferenceService webhook checks for blocked env vars."""
    for component in COMPONENTS:
        block = spec.get(component)
        if not isinstance(block, dict):
            continue
        for field in ("containers", "initContainers"):
            for i, container in enumerate(block.get(field) or ()):
                yield ("spec", component, field, i), container
        if component == "predictor":
            for key in ("model", *FRAMEWORKS):
                if isinstance(block.get(key), dict):
                    yield ("spec", "predictor", key), block[key]
                    break
        if component == "explainer" and isinstance(block.get("art"), dict):
            yield ("spec", "explainer", "art"), block["art"]


def _predictor_rules(doc: Document, predictor: dict) -> list[Diagnostic]:
    diags = []
    path = ("spec", "predictor")
    for key in ("model", *FRAMEWORKS):
        block = predictor.get(key)
        if not isinstance(block, dict):
            continue
        if block.get("name"):
            diags.append(error(NAME_IN_PREDICTOR, "the 'name' field is not allowed in standard predictor",
                               **doc.where((*path, key, "name")),
                               hint="remove it: the model's container is always kserve-container"))
        storage = block.get("storage")
        if block.get("storageUri") is not None and isinstance(storage, dict) and storage.get("path") is not None:
            diags.append(error(STORAGE_URI_AND_PATH, "must provide only one of storageUri and storage.path",
                               **doc.where((*path, key, "storage", "path")),
                               hint=f"keep {key}.storageUri, or {key}.storage with its path"))
        protocol = block.get("protocolVersion")
        if protocol is not None and protocol not in PROTOCOLS:
            diags.append(warning(UNKNOWN_PROTOCOL, f'protocolVersion "{protocol}" is none of '
                                 f"{', '.join(PROTOCOLS)}; only a runtime listing it can serve this model",
                                 **doc.where((*path, key, "protocolVersion"), key=False)))
    diags += _transformer_container_storage(doc, predictor)
    return diags


def _transformer_container_storage(doc: Document, predictor: dict) -> list[Diagnostic]:
    """validateCollocationStorageURI: a collocated transformer-container must not carry STORAGE_URI."""
    for i, container in enumerate(predictor.get("containers") or ()):
        if container.get("name") == TRANSFORMER_CONTAINER:
            for j, env in enumerate(container.get("env") or ()):
                if env.get("name") == "STORAGE_URI":
                    return [error(STORAGE_URIS, "storage uri should not be specified in transformer container",
                                  **doc.where(("spec", "predictor", "containers", i, "env", j)))]
            break
    return []


def _extension_rules(doc: Document, block: dict, path: tuple) -> list[Diagnostic]:
    """ComponentExtensionSpec.Validate: containerConcurrency, replicas, logger."""
    diags = []
    if block.get("containerConcurrency", 0) < 0:
        diags.append(error(CONTAINER_CONCURRENCY, "parallelism cannot be less than 0",
                           **doc.where((*path, "containerConcurrency"), key=False)))
    diags += _replicas(doc, block, path)
    logger = block.get("logger")
    if isinstance(logger, dict):
        diags += _logger(doc, logger, (*path, "logger"))
    return diags


def _replicas(doc: Document, block: dict, path: tuple) -> list[Diagnostic]:
    """validateReplicas: an absent minReplicas counts as 1 (constants.DefaultMinReplicas)."""
    minimum, maximum = block.get("minReplicas", 1), block.get("maxReplicas", 0)
    if minimum < 0:
        return [error(REPLICAS, "'MinReplicas' cannot be less than 0", **doc.where((*path, "minReplicas"), key=False))]
    if maximum < 0:
        return [error(REPLICAS, "'MaxReplicas' cannot be less than 0", **doc.where((*path, "maxReplicas"), key=False))]
    if minimum > maximum and maximum != 0:
        at = (*path, "minReplicas") if "minReplicas" in block else (*path, "maxReplicas")
        return [error(REPLICAS, "'MinReplicas' cannot be greater than MaxReplicas", **doc.where(at, key=False),
                      hint=f"{dotted_path(path)}: minReplicas {minimum} > maxReplicas {maximum} "
                           "(maxReplicas 0 means no limit)")]
    return []


def _logger(doc: Document, logger: dict, path: tuple) -> list[Diagnostic]:
    """validateLogger: KServe's defaulter sets no mode, so a logger without one is refused."""
    if logger.get("mode") not in ("all", "request", "response"):
        return [error(LOGGER, "invalid logger type", **doc.where(path),
                      hint="set logger.mode to all, request or response")]
    storage = logger.get("storage")
    if isinstance(storage, dict) and any(storage.get(k) is None for k in ("path", "parameters", "key")):
        return [error(LOGGER, "invalid logger storage configuration", **doc.where((*path, "storage")),
                      hint="logger.storage needs path, parameters and key")]
    return []


def _storage_uris(doc: Document, block: dict, path: tuple) -> list[Diagnostic]:
    """validateMultipleStorageURIs and validateMultipleStorageURIsSpec."""
    uris = block.get("storageUris")
    if uris is None:
        return []
    if _implementation_storage_uri(block) is not None:
        return [error(STORAGE_URIS, "Setting both StorageURI and StorageURIs is not supported.",
                      **doc.where((*path, "storageUris")))]
    paths, pvc_paths = [], []
    for i, entry in enumerate(uris):
        mount = entry.get("mountPath", "/mnt/models")  # the CRD's default
        problem = ("storage path cannot be empty" if mount == "/" else
                   f"storage path cannot contain '..' for security reasons: {mount}" if ".." in mount else None)
        if problem:
            return [error(STORAGE_URIS, problem, **doc.where((*path, "storageUris", i, "mountPath"), key=False))]
        (pvc_paths if entry["uri"].startswith("pvc://") else paths).append(mount)
    if len(paths) <= 1:
        return []
    if len(pvc_paths) != len(set(pvc_paths)):
        return [error(STORAGE_URIS, "PVC storage paths must be unique", **doc.where((*path, "storageUris")))]
    if _common_parent(paths) == "/":
        return [error(STORAGE_URIS, f"storage paths must have a common parent directory. Current paths: "
                      f"[{' '.join(paths)}] have no common parent beyond root", **doc.where((*path, "storageUris")))]
    return []


def _implementation_storage_uri(block: dict) -> str | None:
    for key in ("model", *FRAMEWORKS):
        if isinstance(block.get(key), dict):
            return block[key].get("storageUri")
    containers = block.get("containers") or ()
    if containers:  # a custom component's storage URI is its first container's STORAGE_URI env
        for env in containers[0].get("env") or ():
            if env.get("name") == "STORAGE_URI":
                return env.get("value", "")
    return None


def _common_parent(paths: list[str]) -> str:
    """utils.FindCommonParentPath."""
    parts = [p.strip("/").split("/") for p in paths]
    common = []
    for level in zip(*parts):
        if len(set(level)) != 1:
            break
        common.append(level[0])
    return "/" + "/".join(common) if common else "/"


def _hpa_rules_apply(doc: Document) -> bool:
    """validateAutoScalingCompExtension checks HPA settings in Standard mode with autoscalerClass hpa
    (absent deploymentMode becomes Standard under our default config)."""
    mode = doc.annotations.get(DEPLOYMENT_MODE_ANNOTATION, "Standard")
    return mode in ("Standard", "RawDeployment") and doc.annotations.get(AUTOSCALER_CLASS_ANNOTATION) == "hpa"


def _hpa_rules(doc: Document, block: dict, path: tuple) -> list[Diagnostic]:
    """validateScalingHPACompExtension, including its precedence quirk: `cpu && target < 1 || target > 100`."""
    metric = block.get("scaleMetric", "cpu")
    if metric not in ("cpu", "memory"):
        return [error(HPA_METRICS, f"[{metric}] is not a supported metric",
                      **doc.where((*path, "scaleMetric"), key=False),
                      hint="with autoscalerClass hpa, scaleMetric is cpu or memory")]
    target = block.get("scaleTarget")
    where = doc.where((*path, "scaleTarget"), key=False)
    if target is not None and ((metric == "cpu" and target < 1) or target > 100):
        return [error(HPA_METRICS, "the target utilization percentage should be a [1-100] integer", **where)]
    if target is not None and metric == "memory" and target < 1:
        return [error(HPA_METRICS, "the target memory should be greater than 1 MiB", **where)]
    metrics = (block.get("autoScaling") or {}).get("metrics") or ()
    for i, spec in enumerate(metrics):
        mpath = (*path, "autoScaling", "metrics", i)
        if spec.get("type") != "Resource":
            return [error(HPA_METRICS, f"invalid HPA metric source type with value [{spec.get('type')}],valid metric "
                          "source types are Resource", **doc.where((*mpath, "type"), key=False))]
        if spec.get("resource") is None:
            return [error(HPA_METRICS, "metricSpec.Resource is not set for resource metric source type",
                          **doc.where(mpath))]
    return []
