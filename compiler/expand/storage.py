"""Model storage: what KServe's pod webhook injects for a component's storage URI (the entry point).

The controller only annotates the component (`internal.serving.kserve.io/storage-initializer-sourceuri`
and, for `storage:`, the storage-spec ones; components/predictor.go, component.go); the pod webhook
(pkg/webhook/admission/pod/storage_initializer_injector.go, mutator.go; pkg/utils/storage.go) injects the
storage-initializer, PVC mount or modelcar when the pod is created. We write the webhook's work into
the pod template (docs/kserve-behaviour.md §5); `storage_injection == "webhook"` keeps only the controller's annotations.

The webhook's order, kept here: modelcar/OCI modes first (they run as their own mutator); no injection
when a `storage-initializer` init container is already there or the agent is injected; pvc:// is mounted
directly; every other URI gets the init container, whose credentials are added before a matching
ClusterStorageContainer is merged in, and the CA bundle and HuggingFace variables after.
"""

from __future__ import annotations

import re

from compiler.constants import KSERVE_CONTAINER, TRANSFORMER_CONTAINER
from compiler.diagnostics import Diagnostic, error, warning
from compiler.expand import oci
from compiler.expand.context import ExpandContext
from compiler.expand.initializer import STORAGE_CONTAINER, download
from compiler.expand.mounts import (INIT_CONTAINER, MODEL_DIR, PVC_VOLUME, WORKER_CONTAINER, add_mount, find_container,
                                    parse_pvc, rewrite_storage_uri_env)
from compiler.expand.oci import NO_TARGET_CONTAINER
from compiler.expand.uri import (AGENT, READONLY, SCHEME_PLACEHOLDER, SOURCE_URI, STORAGE_CONTAINER_NAME,
                                 STORAGE_SPEC, match_storage_container, parse_oci, validate_uri)

# Codes (KSC41x: storage)
UNSUPPORTED_URI = "KSC410"
EMPTY_URI = "KSC416"
BAD_PVC = "KSC417"
STORAGE_HELPER_IGNORED = "KSC418"  # emitted by pod.py, which knows the runtime


def inject_storage(pod_spec: dict, uri: str, *, component_kind: str, annotations: dict, ctx: ExpandContext,
                   namespace: str = "default", where: dict | None = None) -> tuple[dict, list[Diagnostic]]:
    """Inject what KServe's pod webhook would for `uri` into `pod_spec` (modified in place).

    `annotations` are the pod's annotations (runtime, InferenceService and component ones, plus those
    the controller added: KServe's webhook reads the readonly flag, the storage-spec annotations, the
    storage container name and storageSecretName from the pod). Returns the annotations to add to the
    component's objects (the source URI; the controller sets it in both modes) and Diagnostics placed
    at `where`."""
    where = where or {}
    added = {SOURCE_URI: uri}
    spec_form = annotations.get(STORAGE_SPEC) == "true"
    if not (spec_form and uri.startswith(f"{SCHEME_PLACEHOLDER}://")):
        problem = validate_uri(uri, ctx)
        if problem:
            return added, [error(UNSUPPORTED_URI, problem, **where,
                                 hint="use one of the supported schemes, or add a ClusterStorageContainer "
                                      "whose supportedUriFormats match it")]
    if ctx.storage_injection == "webhook":
        return added, []
    try:  # InjectStorageInitializer looks the storage container up before anything else
        csc = match_storage_container(uri, ctx, annotations.get(STORAGE_CONTAINER_NAME))
    except (LookupError, re.error) as exc:
        return added, [error(STORAGE_CONTAINER, f"error resolving storage container for {uri!r}: {exc}", **where)]
    if AGENT in annotations:
        return added, []
    diags: list[Diagnostic] = []
    if uri == "":
        diags.append(warning(EMPTY_URI, f"the {component_kind}'s storage URI is empty; KServe injects a "
                             "storage-initializer with an empty URI, which fails when the pod starts", **where,
                             hint="give a storage URI, or remove the empty STORAGE_URI / storageUri"))
    mode, image_uri, is_oci = parse_oci(uri)
    config_mode = oci.config_oci_mode(ctx)
    if is_oci and (mode or config_mode):
        return added, diags + oci.inject_oci(pod_spec, image_uri, mode or config_mode, config_mode, ctx, namespace,
                                          where)
    if any(isinstance(c, dict) and c.get("name") == INIT_CONTAINER for c in pod_spec.get("initContainers") or []):
        return added, diags  # the webhook never injects twice
    user = find_container(pod_spec, KSERVE_CONTAINER) or find_container(pod_spec, WORKER_CONTAINER)
    if user is None:
        return added, diags + [error(NO_TARGET_CONTAINER, "Invalid configuration: cannot find container "
                                     f"(the {component_kind} has no {KSERVE_CONTAINER}, so KServe's webhook "
                                     "cannot mount the model)", **where)]
    readonly = annotations.get(READONLY) != "false"
    targets = [user.get("name")] + ([TRANSFORMER_CONTAINER] if find_container(pod_spec, TRANSFORMER_CONTAINER) else [])
    if uri.startswith("pvc://"):
        claim, sub_path = parse_pvc(uri)
        if not claim:
            return added, diags + [error(BAD_PVC, f"invalid URI must be pvc://<pvcname>/[path]: {uri}", **where)]
        for name in targets:
            add_mount(pod_spec, name, PVC_VOLUME, MODEL_DIR, readonly,
                       {"persistentVolumeClaim": {"claimName": claim}}, sub_path)
        rewrite_storage_uri_env(user)
        return added, diags
    return added, diags + download(pod_spec, uri, targets, readonly, csc, annotations, ctx, namespace, where)
