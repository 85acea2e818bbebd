"""OCI model images as KServe's pod webhook mounts them: modelcar (a sidecar sharing the process
namespace), native image volumes, and fetch by the storage-initializer (pkg/utils/storage.go).
"""

from __future__ import annotations

from compiler.constants import KSERVE_CONTAINER, TRANSFORMER_CONTAINER
from compiler.diagnostics import Diagnostic, error, warning
from compiler.expand.context import ExpandContext
from compiler.expand.initializer import init_container
from compiler.expand.mounts import (CA_VOLUME, INIT_CONTAINER, KSERVE_NAMESPACE, MODEL_DIR, VOLUME,
                                    WORKER_CONTAINER, add_mount, add_or_replace_env, append_volume_if_absent,
                                    find_container, mount_ca)

# Codes (KSC41x: storage)
NO_TARGET_CONTAINER = "KSC413"
OCI_NOT_INJECTED = "KSC415"


def config_oci_mode(ctx: ExpandContext) -> str:
    """types.ResolveOciModelMode, resolved when the configuration is read (config.py)."""
    return ctx.config.storage_initializer.oci_model_mode


def inject_oci(pod_spec: dict, uri: str, mode: str, config_mode: str, ctx: ExpandContext, namespace: str,
                where: dict) -> list[Diagnostic]:
    if not config_mode:
        # The storage-initializer step stands aside for an OCI URI with a mode, and the modelcar step
        # only runs when the config enables OCI: nothing provides the model.
        return [warning(OCI_NOT_INJECTED, f"{uri} names OCI mode {mode!r}, but the configuration enables no OCI "
                        "model mode (storageInitializer.enableModelcar / ociModelMode); KServe's pod webhook "
                        "injects nothing, so the model is not mounted", **where,
                        hint="set storageInitializer.enableModelcar: true, or use a plain oci:// URI")]
    targets = [KSERVE_CONTAINER] if find_container(pod_spec, KSERVE_CONTAINER) else [WORKER_CONTAINER]
    if find_container(pod_spec, targets[0]) is None:
        return [error(NO_TARGET_CONTAINER, f"Invalid configuration: cannot find container: {KSERVE_CONTAINER}",
                      **where)]
    if find_container(pod_spec, TRANSFORMER_CONTAINER):
        targets.append(TRANSFORMER_CONTAINER)
    for name in targets:
        if mode == "native":
            _oci_native(pod_spec, name, uri)
        elif mode == "fetch":
            _oci_fetch(pod_spec, name, uri, ctx, namespace)
        else:
            _modelcar(pod_spec, name, uri, ctx)
    return []


def _modelcar(pod_spec: dict, target: str, uri: str, ctx: ExpandContext) -> None:
    """ConfigureModelcarToContainer for /mnt/models (pkg/utils/storage.go)."""
    si = ctx.config.storage_initializer
    container = find_container(pod_spec, target)
    add_or_replace_env(container, "MODEL_INIT_MODE", "async")
    append_volume_if_absent(pod_spec, {"name": VOLUME, "emptyDir": {}})
    if not any(m.get("name") == VOLUME for m in container.get("volumeMounts") or []):
        container.setdefault("volumeMounts", []).append({"name": VOLUME, "mountPath": "/mnt"})
    if si.uid_modelcar is not None:
        sc = container.get("securityContext")
        container["securityContext"] = {**(sc if isinstance(sc, dict) else {}), "runAsUser": si.uid_modelcar}
    if find_container(pod_spec, "modelcar") is None:
        image = uri[len("oci://"):]
        cpu, memory = si.cpu_modelcar or "10m", si.memory_modelcar or "15Mi"
        resources = {"limits": {"cpu": cpu, "memory": memory}, "requests": {"cpu": cpu, "memory": memory}}
        sidecar = {"name": "modelcar", "image": image,
                   "volumeMounts": [{"name": VOLUME, "mountPath": "/mnt"}],
                   "args": ["sh", "-c", f"ln -sf /proc/$$$$/root/models {MODEL_DIR} && sleep infinity"],
                   "resources": resources, "terminationMessagePolicy": "FallbackToLogsOnError"}
        if si.uid_modelcar is not None:
            sidecar["securityContext"] = {"runAsUser": si.uid_modelcar}
        pod_spec.setdefault("containers", []).append(sidecar)
        check = (f"echo 'Pre-fetching modelcar {image}: ' && [ -d /models ] && [ \"$$(ls -A /models)\" ] && "
                 "echo 'OK ... Prefetched and valid (/models exists)' || (echo 'NOK ... Prefetched but modelcar "
                 "is invalid (/models does not exist or is empty)' && exit 1)")
        pod_spec.setdefault("initContainers", []).append({
            "name": "modelcar-init", "image": image, "args": ["sh", "-c", check],
            "resources": {k: dict(v) for k, v in resources.items()},
            "terminationMessagePolicy": "FallbackToLogsOnError"})
    pod_spec["shareProcessNamespace"] = True


def _oci_native(pod_spec: dict, target: str, uri: str) -> None:
    """ConfigureOciNativeToContainer: a Kubernetes image volume at /mnt/models, subPath models."""
    append_volume_if_absent(pod_spec, {"name": "mnt-models",
                                        "image": {"reference": uri[len("oci://"):], "pullPolicy": "IfNotPresent"}})
    container = find_container(pod_spec, target)
    if not any(m.get("name") == "mnt-models" for m in container.get("volumeMounts") or []):
        container.setdefault("volumeMounts", []).append(
            {"name": "mnt-models", "mountPath": MODEL_DIR, "subPath": "models", "readOnly": True})


def _oci_fetch(pod_spec: dict, target: str, uri: str, ctx: ExpandContext, namespace: str) -> None:
    """ConfigureOciFetchToContainer: the storage-initializer pulls the image's model layers."""
    if not any(c.get("name") == INIT_CONTAINER for c in pod_spec.get("initContainers") or []):
        init, _ = init_container(uri, ctx, {})
        init = init or {"name": INIT_CONTAINER, "args": [uri, MODEL_DIR]}
        pod_spec.setdefault("initContainers", []).append(init)
        _fetch_docker_config(pod_spec, init)
        si = ctx.config.storage_initializer
        if si.ca_bundle_config_map_name and not any(v.get("name") == CA_VOLUME for v in pod_spec.get("volumes") or []):
            name = si.ca_bundle_config_map_name if namespace == KSERVE_NAMESPACE else "global-ca-bundle"
            path = si.ca_bundle_volume_mount_path or "/etc/ssl/custom-certs"
            init.setdefault("env", []).extend([{"name": "CA_BUNDLE_CONFIGMAP_NAME", "value": name},
                                               {"name": "CA_BUNDLE_VOLUME_MOUNT_POINT", "value": path}])
            mount_ca(pod_spec, init, name, path)
    for name in (INIT_CONTAINER, target):
        add_mount(pod_spec, name, "mnt-models", MODEL_DIR, False, {"emptyDir": {}})


def _fetch_docker_config(pod_spec: dict, init: dict) -> None:
    """mountImagePullSecretsAsDockerConfig: the pod's first imagePullSecret as docker config.json."""
    secrets, volume = pod_spec.get("imagePullSecrets") or [], "kserve-oci-fetch-docker-config"
    if not secrets or any(v.get("name") == volume for v in pod_spec.get("volumes") or []):
        return
    pod_spec.setdefault("volumes", []).append({"name": volume, "secret": {
        "secretName": secrets[0].get("name"), "defaultMode": 0o400,
        "items": [{"key": ".dockerconfigjson", "path": "config.json"}]}})
    init.setdefault("volumeMounts", []).append({"name": volume, "mountPath": "/mnt/oci-fetch-auth", "readOnly": True})
    init.setdefault("env", []).append({"name": "KSERVE_OCI_DOCKER_CONFIG", "value": "/mnt/oci-fetch-auth/config.json"})
