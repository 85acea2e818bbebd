"""Pod helpers the storage injection shares, each a KServe helper of the same behaviour
(pkg/webhook/admission/pod/storage_initializer_injector.go, pkg/utils), and the names they use.
"""

from __future__ import annotations

from compiler.constants import STORAGE_INITIALIZER

WORKER_CONTAINER = "worker-container"
INIT_CONTAINER = STORAGE_INITIALIZER
VOLUME = "kserve-provision-location"
PVC_VOLUME = "kserve-pvc-source"
MODEL_DIR = "/mnt/models"
KSERVE_NAMESPACE = "kserve"
CA_VOLUME = "cabundle-cert"


def find_container(pod_spec: dict, name: str) -> dict | None:
    return next((c for c in pod_spec.get("containers") or [] if isinstance(c, dict) and c.get("name") == name),
                None)


def add_mount(pod_spec: dict, container_name: str, volume: str, path: str, readonly: bool, source: dict,
               sub_path: str = "") -> None:
    """AddModelMount: containers first, then init containers (always writable); the volume is
    appended when the mount was added and the pod lacks it."""
    target = find_container(pod_spec, container_name)
    if target is None:
        target = next((c for c in pod_spec.get("initContainers") or [] if c.get("name") == container_name), None)
        readonly = False
    if target is None or any(m.get("name") == volume for m in target.get("volumeMounts") or []):
        return
    mount = {"name": volume, "mountPath": path}
    if sub_path:
        mount["subPath"] = sub_path
    if readonly:
        mount["readOnly"] = True
    target.setdefault("volumeMounts", []).append(mount)
    append_volume_if_absent(pod_spec, {"name": volume, **source})


def append_volume_if_absent(pod_spec: dict, volume: dict) -> None:
    volumes = pod_spec.setdefault("volumes", [])
    if not any(isinstance(v, dict) and v.get("name") == volume["name"] for v in volumes):
        volumes.append(volume)


def parse_pvc(uri: str) -> tuple[str, str]:
    """ParsePvcURI: pvc://NAME[/PATH]."""
    parts = uri[len("pvc://"):].split("/")
    return parts[0], "/".join(parts[1:])


def rewrite_storage_uri_env(container: dict) -> None:
    for entry in container.get("env") or []:
        if entry.get("name") == "STORAGE_URI" and entry.get("value"):
            entry["value"] = MODEL_DIR


def append_env_if_absent(container: dict, pairs) -> None:
    env = container.setdefault("env", [])
    for name, value in pairs:
        if not any(e.get("name") == name for e in env):
            env.append({"name": name, "value": value})


def add_or_replace_env(container: dict, name: str, value: str) -> None:
    env = container.setdefault("env", [])
    for entry in env:
        if entry.get("name") == name:
            entry["value"] = value
            return
    env.append({"name": name, "value": value})


def mount_ca(pod_spec: dict, init: dict, name: str, path: str) -> None:
    pod_spec.setdefault("volumes", []).append({"name": CA_VOLUME, "configMap": {"name": name}})
    init.setdefault("volumeMounts", []).append({"name": CA_VOLUME, "mountPath": path, "readOnly": True})
