"""The storage-initializer init container KServe's pod webhook injects for a downloadable URI
(CommonStorageInitialization, CreateInitContainerWithConfig): its credentials (credentials.py), the
ClusterStorageContainer merged in, the CA bundle and the HuggingFace variables.
"""

from __future__ import annotations

import json
import posixpath

from compiler.diagnostics import Diagnostic, error
from compiler.expand import credentials
from compiler.expand.context import ExpandContext
from compiler.expand.merge import MergeError, strategic_merge_container
from compiler.expand.mounts import (INIT_CONTAINER, KSERVE_NAMESPACE, MODEL_DIR, VOLUME, add_mount,
                                    append_env_if_absent, find_container, mount_ca, rewrite_storage_uri_env)
from compiler.expand.uri import STORAGE_SPEC, STORAGE_SPEC_KEY, STORAGE_SPEC_PARAM

# Codes (KSC41x: storage)
STORAGE_CONTAINER = "KSC412"
STORAGE_CONFIG = "KSC414"

HF_ENV = (("HF_HUB_ENABLE_HF_TRANSFER", "1"), ("HF_XET_HIGH_PERFORMANCE", "1"),
          ("HF_XET_NUM_CONCURRENT_RANGE_GETS", "8"))


def download(pod_spec: dict, uri: str, targets: list, readonly: bool, csc: dict | None, annotations: dict,
              ctx: ExpandContext, namespace: str, where: dict) -> list[Diagnostic]:
    """The storage-initializer path of CommonStorageInitialization."""
    init, diags = init_container(uri, ctx, where)
    if init is None:
        return diags
    spec_form = annotations.get(STORAGE_SPEC) == "true"
    if spec_form:  # CreateStorageSpecSecretEnvs touches only the init container's env and args
        found, resolved = credentials.storage_spec_envs(
            init, namespace=namespace, annotations=annotations, key=annotations.get(STORAGE_SPEC_KEY, ""),
            params=_params(annotations), ctx=ctx, where=where)
        diags += found
        if not resolved:
            return diags
    pod_spec.setdefault("initContainers", []).append(init)
    for name in (*targets, INIT_CONTAINER):
        add_mount(pod_spec, name, VOLUME, MODEL_DIR, readonly, {"emptyDir": {}})
    rewrite_storage_uri_env(find_container(pod_spec, targets[0]))
    init = pod_spec["initContainers"][-1]
    if not spec_form:
        diags += credentials.service_account_envs(
            init, pod_spec, namespace=namespace, service_account=pod_spec.get("serviceAccountName") or "",
            annotations=annotations, ctx=ctx, where=where)
    return diags + finish_init_container(pod_spec, init, csc, ctx, namespace, where)


def _params(annotations: dict) -> dict:
    try:
        params = json.loads(annotations.get(STORAGE_SPEC_PARAM) or "null")
    except json.JSONDecodeError:
        return {}
    return params if isinstance(params, dict) else {}


def init_container(uri: str, ctx: ExpandContext, where: dict, args: list | None = None
                   ) -> tuple[dict | None, list[Diagnostic]]:
    """CreateInitContainerWithConfig: args `[uri, /mnt/models]`, or the (URI, mount path) pairs given."""
    si = ctx.config.storage_initializer
    missing = [key for key, value in (("memoryRequest", si.memory_request), ("memoryLimit", si.memory_limit),
                                      ("cpuRequest", si.cpu_request), ("cpuLimit", si.cpu_limit)) if not value]
    if missing:
        return None, [error(STORAGE_CONFIG, f'failed to parse resource configuration for "storageInitializer".'
                            f'"{missing[0]}": the {ctx.config.source} configuration does not set it, so KServe\'s '
                            "pod webhook fails", **where,
                            hint="set cpuRequest, cpuLimit, memoryRequest and memoryLimit in storageInitializer")]
    return {
        "name": INIT_CONTAINER,
        "image": si.image or "kserve/storage-initializer:latest",
        "args": list(args) if args is not None else [uri, MODEL_DIR],
        "resources": {"limits": {"cpu": si.cpu_limit, "memory": si.memory_limit},
                      "requests": {"cpu": si.cpu_request, "memory": si.memory_request}},
        "terminationMessagePolicy": "FallbackToLogsOnError",
    }, []


def finish_init_container(pod_spec: dict, init: dict, csc: dict | None, ctx: ExpandContext, namespace: str,
                           where: dict) -> list[Diagnostic]:
    """CA bundle decision, ClusterStorageContainer merge, CA bundle env and volume, HuggingFace env."""
    si = ctx.config.storage_initializer
    env = init.get("env") or []
    ca_name, ca_path = None, None
    if si.ca_bundle_config_map_name or any(e.get("name") == "AWS_CA_BUNDLE_CONFIGMAP" for e in env):
        ca_name = si.ca_bundle_config_map_name if namespace == KSERVE_NAMESPACE else "global-ca-bundle"
        ca_path = si.ca_bundle_volume_mount_path or "/etc/ssl/custom-certs"
        for e in env:
            if e.get("name") == "AWS_CA_BUNDLE_CONFIGMAP":
                ca_name = e.get("value", "")
            if e.get("name") == "AWS_CA_BUNDLE":
                ca_path = posixpath.dirname(e.get("value", "")) or "."
    diags: list[Diagnostic] = []
    if csc is not None and isinstance(csc.get("container"), dict):
        try:
            merged = strategic_merge_container(init, csc["container"], concat_args=False)
        except MergeError as exc:
            return [error(STORAGE_CONTAINER, f"could not apply strategic merge patch: {exc}", **where)]
        init.clear()
        init.update(merged)
    if ca_name is not None:
        append_env_if_absent(init, (("CA_BUNDLE_CONFIGMAP_NAME", ca_name),
                                     ("CA_BUNDLE_VOLUME_MOUNT_POINT", ca_path)))
        mount_ca(pod_spec, init, ca_name, ca_path)
    append_env_if_absent(init, HF_ENV)
    return diags
