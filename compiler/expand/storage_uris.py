"""A component's `storageUris`: what KServe v0.20's controller writes into the pod itself (docs/kserve-behaviour.md §5.1).

Unlike a single storageUri, which the pod webhook injects when the pod is created, `storageUris` are
handled by the raw reconciler before the Deployment is written (reconcilers/raw/raw_kube_reconciler.go
calls CommonStorageInitialization in pkg/webhook/admission/pod/storage_initializer_injector.go with the
legacy switch off). So they are part of KServe's controller output in both --storage-injection modes.

What that path does, in order:
- the ClusterStorageContainer is the one matching the first URI (or the component's
  storageContainerName); it must declare `supportsMultiModelDownload: true`, else the reconcile fails;
- nothing when the agent annotation is present or a `storage-initializer` init container already is;
- every pvc:// entry is mounted whole (no subPath) at its mountPath, on a volume named after that path
  (slashes trimmed, inner ones turned into dashes), on kserve-container (or worker-container) and
  transformer-container;
- every other entry becomes a (URI, mountPath) pair of one init container's args; one emptyDir volume,
  named after the entries' longest common parent path, is mounted at that path on the same containers
  and, writable, on the init container;
- the init container then gets credentials, the CA bundle decision, the storage container merged in and
  the HuggingFace variables, exactly as for a single URI (initializer.finish_init_container).
STORAGE_URI env values are not rewritten on this path.
"""

from __future__ import annotations

import re

from compiler.constants import KSERVE_CONTAINER, TRANSFORMER_CONTAINER
from compiler.diagnostics import Diagnostic, error
from compiler.expand import credentials
from compiler.expand.context import ExpandContext
from compiler.expand.initializer import STORAGE_CONTAINER, finish_init_container, init_container
from compiler.expand.mounts import INIT_CONTAINER, MODEL_DIR, WORKER_CONTAINER, add_mount, find_container, parse_pvc
from compiler.expand.oci import NO_TARGET_CONTAINER
from compiler.expand.uri import AGENT, READONLY, match_storage_container, parse_oci

# Codes (KSC419, KSC427: storageUris)
NO_MULTI_DOWNLOAD = "KSC419"       # error: KServe's controller refuses the storage container
URIS_NOT_COMPILED = "KSC427"       # error: a storageUris form kserve-compiler does not reproduce

PVC_PREFIX = "pvc://"


def inject_storage_uris(pod_spec: dict, entries: list, *, annotations: dict, ctx: ExpandContext, namespace: str,
                        storage_container_name: str | None, storage_spec: dict | None, where: dict
                        ) -> list[Diagnostic]:
    """CommonStorageInitialization for a component's storageUris, into `pod_spec` (modified in place).

    `annotations` are the component's object annotations (readonly flag, agent, storageSecretName);
    `storage_spec` is the predictor model's `storage:` block, which KServe passes for every component."""
    uris = [(str(e.get("uri")), str(e.get("mountPath") or MODEL_DIR)) for e in entries if isinstance(e, dict)]
    if not uris:
        return []
    refused = _refused(uris, storage_spec, where)
    if refused:
        return refused
    try:
        csc = match_storage_container(uris[0][0], ctx, storage_container_name)
    except (LookupError, re.error) as exc:
        return [error(STORAGE_CONTAINER, f"failed to get storage container spec: {exc}", **where)]
    if AGENT in annotations:
        return []
    if any(isinstance(c, dict) and c.get("name") == INIT_CONTAINER for c in pod_spec.get("initContainers") or []):
        return []
    user = find_container(pod_spec, KSERVE_CONTAINER) or find_container(pod_spec, WORKER_CONTAINER)
    if user is None:
        return [error(NO_TARGET_CONTAINER, "Invalid configuration: cannot find container (the component has no "
                      f"{KSERVE_CONTAINER}, so KServe's controller cannot mount its storageUris)", **where)]
    if csc is not None and csc.get("supportsMultiModelDownload") is not True:
        name = (csc.get("container") or {}).get("name", "")
        return [error(NO_MULTI_DOWNLOAD, f'storage container "{name}" does not support multi-model download; use '
                      "the default kserve storage initializer or a compatible storage container", **where,
                      hint="set supportsMultiModelDownload: true on the ClusterStorageContainer if it can "
                           "download several URIs, or name another one with storageContainerName")]
    readonly = annotations.get(READONLY) != "false"
    targets = [user.get("name")] + ([TRANSFORMER_CONTAINER] if find_container(pod_spec, TRANSFORMER_CONTAINER) else [])
    pvcs = [(uri, path) for uri, path in uris if uri.startswith(PVC_PREFIX)]
    downloads = [(uri, path) for uri, path in uris if not uri.startswith(PVC_PREFIX)]
    for uri, path in pvcs:
        claim, _ = parse_pvc(uri)
        if not claim:
            return [error(URIS_NOT_COMPILED, f"invalid URI must be pvc://<pvcname>/[path]: {uri}", **where)]
        for name in targets:
            add_mount(pod_spec, name, volume_name(path), path, readonly, {"persistentVolumeClaim": {"claimName": claim}})
    if not downloads:
        return []
    init, diags = init_container(downloads[0][0], ctx, where, args=[x for pair in downloads for x in pair])
    if init is None:
        return diags
    pod_spec.setdefault("initContainers", []).append(init)
    shared = common_parent([path for _, path in downloads])
    for name in (*targets, INIT_CONTAINER):
        add_mount(pod_spec, name, volume_name(shared), shared, readonly, {"emptyDir": {}})
    init = pod_spec["initContainers"][-1]
    diags += credentials.service_account_envs(
        init, pod_spec, namespace=namespace, service_account=pod_spec.get("serviceAccountName") or "",
        annotations=annotations, ctx=ctx, where=where)
    return diags + finish_init_container(pod_spec, init, csc, ctx, namespace, where)


def _refused(uris: list, storage_spec: dict | None, where: dict) -> list[Diagnostic]:
    oci = [uri for uri, _ in uris if parse_oci(uri)[2]]
    if oci:
        return [error(URIS_NOT_COMPILED, f"storageUris with an OCI image ({oci[0]}) are not supported by "
                      "kserve-compiler: KServe mounts each as its own modelcar or image volume", **where,
                      hint="use predictor.model.storageUri for a single OCI model, or deploy this "
                           "InferenceService with KServe directly")]
    if isinstance(storage_spec, dict) and storage_spec.get("key") is not None and storage_spec.get("parameters") is not None:
        return [error(URIS_NOT_COMPILED, "storageUris beside a predictor storage: block with key and parameters are "
                      "not supported by kserve-compiler: KServe then takes the init container's credentials from "
                      "the storage-config Secret", **where,
                      hint="remove predictor.model.storage, or deploy this InferenceService with KServe directly")]
    return []


def common_parent(paths: list[str]) -> str:
    """FindCommonParentPath: the deepest directory every path lies in ("/" when none but the root); one
    path is its own parent."""
    if not paths:
        return ""
    if len(paths) == 1:
        return paths[0]
    parts = [p.strip("/").split("/") if p.strip("/") else [] for p in paths]
    nonempty = [p for p in parts if p]
    depth = min((len(p) for p in nonempty), default=-1)
    common: list[str] = []
    for i in range(max(depth, 0)):
        level = {p[i] if i < len(p) else None for p in parts}
        if len(level) != 1 or None in level:
            break
        common.append(next(iter(level)))
    return "/" + "/".join(common) if common else "/"


def volume_name(path: str) -> str:
    """GetVolumeNameFromPath: /mnt/models/base -> mnt-models-base."""
    return path.strip("/").replace("/", "-")
