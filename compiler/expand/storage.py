"""Model storage: the annotations KServe's controller sets, and what its pod webhook then injects.

The controller only annotates the component (`internal.serving.kserve.io/storage-initializer-sourceuri`
and, for `storage:`, the storage-spec ones; components/predictor.go, component.go); the pod webhook
(pkg/webhook/admission/pod/storage_initializer_injector.go, mutator.go; pkg/utils/storage.go) injects the
storage-initializer, PVC mount or modelcar when the pod is created. We write the webhook's work into
the pod template (spec §5); `storage_injection == "webhook"` keeps only the controller's annotations.

The webhook's order, kept here: modelcar/OCI modes first (they run as their own mutator); no injection
when a `storage-initializer` init container is already there or the agent is injected; pvc:// is mounted
directly; every other URI gets the init container, whose credentials are added before a matching
ClusterStorageContainer is merged in, and the CA bundle and HuggingFace variables after.
"""

from __future__ import annotations

import json
import posixpath
import re

from compiler.constants import KSERVE_CONTAINER, STORAGE_INITIALIZER, TRANSFORMER_CONTAINER
from compiler.diagnostics import Diagnostic, error, warning
from compiler.expand import credentials
from compiler.expand.context import ExpandContext
from compiler.expand.merge import MergeError, strategic_merge_container

# Codes (KSC41x: storage)
UNSUPPORTED_URI = "KSC410"
STORAGE_CONFLICT = "KSC411"
STORAGE_CONTAINER = "KSC412"
NO_TARGET_CONTAINER = "KSC413"
STORAGE_CONFIG = "KSC414"
OCI_NOT_INJECTED = "KSC415"
EMPTY_URI = "KSC416"
BAD_PVC = "KSC417"
STORAGE_HELPER_IGNORED = "KSC418"  # emitted by pod.py, which knows the runtime

SOURCE_URI = "internal.serving.kserve.io/storage-initializer-sourceuri"
STORAGE_SPEC = "internal.serving.kserve.io/storage-spec"
STORAGE_SPEC_PARAM = "internal.serving.kserve.io/storage-spec-param"
STORAGE_SPEC_KEY = "internal.serving.kserve.io/storage-spec-key"
STORAGE_CONTAINER_NAME = "internal.serving.kserve.io/storage-container-name"
AGENT = "internal.serving.kserve.io/agent"
READONLY = "storage.kserve.io/readonly"
SCHEME_PLACEHOLDER = "<scheme-placeholder>"

WORKER_CONTAINER = "worker-container"
INIT_CONTAINER = STORAGE_INITIALIZER
VOLUME = "kserve-provision-location"
PVC_VOLUME = "kserve-pvc-source"
MODEL_DIR = "/mnt/models"
KSERVE_NAMESPACE = "kserve"
CA_VOLUME = "cabundle-cert"
# utils.SupportedStorageURIPrefixList and the Azure rule of ValidateStorageURI.
SUPPORTED_PREFIXES = ("gs://", "s3://", "pvc://", "file://", "https://", "http://", "hdfs://", "webhdfs://",
                      "oci://", "oci+native://", "oci+fetch://", "hf://")
AZURE_BLOB = re.compile(r"https://(.+?).blob.core.windows.net/(.+)")
HF_ENV = (("HF_HUB_ENABLE_HF_TRANSFER", "1"), ("HF_XET_HIGH_PERFORMANCE", "1"),
          ("HF_XET_NUM_CONCURRENT_RANGE_GETS", "8"))


def controller_annotations(uri: str | None, storage: dict | None, storage_container_name: str | None = None
                           ) -> tuple[dict, str | None, list[tuple[str, str]]]:
    """What the controller adds for a component's storage (addStorageSpecAnnotations, then
    addStorageInitializerAnnotations): (annotations, source URI, problems as (code, message))."""
    out: dict = {}
    problems: list[tuple[str, str]] = []
    if isinstance(storage, dict):
        out[STORAGE_SPEC] = "true"
        if isinstance(storage.get("parameters"), dict):
            out[STORAGE_SPEC_PARAM] = go_json(storage["parameters"])
        if isinstance(storage.get("key"), str):
            out[STORAGE_SPEC_KEY] = storage["key"]
        if isinstance(storage.get("path"), str):
            path = storage["path"]
            out[SOURCE_URI] = f"{SCHEME_PLACEHOLDER}://{path[1:] if path.startswith('/') else path}"
    if uri is not None:
        if SOURCE_URI in out:
            problems.append((STORAGE_CONFLICT, "must provide only one of storageUri and storage.path"))
        out[SOURCE_URI] = uri
    if storage_container_name:
        out[STORAGE_CONTAINER_NAME] = storage_container_name
    return out, out.get(SOURCE_URI), problems


def go_json(params: dict) -> str:
    """json.Marshal of a map[string]string: sorted keys, compact, HTML-safe."""
    text = json.dumps({str(k): str(v) for k, v in params.items()}, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                    ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


def validate_uri(uri: str, ctx: ExpandContext) -> str | None:
    """ValidateStorageURI: None when KServe accepts the URI, else its error message."""
    try:
        if match_storage_container(uri, ctx) is not None:
            return None
    except re.error:
        pass
    if not re.search(r"\w+?://", uri):
        return None  # a local path
    if "blob.core.windows.net" in uri:
        if AZURE_BLOB.search(uri):
            return None
    elif uri.startswith(SUPPORTED_PREFIXES):
        return None
    return ("StorageURI not supported: storageUri, must be one of: [" + ", ".join(SUPPORTED_PREFIXES) + "] or "
            "match https://{}.blob.core.windows.net/{}/{} or be an absolute or relative local path. "
            f"StorageUri [{uri}] is not supported")


def match_storage_container(uri: str, ctx: ExpandContext, name: str | None = None) -> dict | None:
    """GetStorageContainerSpec: the named ClusterStorageContainer (which must be usable), else the
    first by name that is enabled, an initContainer and supports the URI. Raises LookupError with
    KServe's message for a named one that cannot be used, re.error for a bad regex."""
    containers = sorted((c for c in ctx.storage_containers if isinstance(c, dict)),
                        key=lambda c: str((c.get("metadata") or {}).get("name") or ""))
    if name:
        found = next((c for c in containers if (c.get("metadata") or {}).get("name") == name), None)
        if found is None:
            raise LookupError(f'ClusterStorageContainer "{name}" not found')
        spec = found.get("spec") or {}
        if found.get("disabled") is True:
            raise LookupError(f'ClusterStorageContainer "{name}" is disabled')
        if (spec.get("workloadType") or "initContainer") != "initContainer":
            raise LookupError(f'ClusterStorageContainer "{name}" has workloadType "{spec.get("workloadType")}"; '
                              'explicit selection requires "initContainer"')
        if not _supports(spec, uri):
            raise LookupError(f'ClusterStorageContainer "{name}" does not support storageUri "{uri}"')
        return spec
    for found in containers:
        spec = found.get("spec") or {}
        if found.get("disabled") is True or (spec.get("workloadType") or "initContainer") != "initContainer":
            continue
        if _supports(spec, uri):
            return spec
    return None


def _supports(spec: dict, uri: str) -> bool:
    for fmt in spec.get("supportedUriFormats") or []:
        if not isinstance(fmt, dict):
            continue
        if fmt.get("prefix"):
            if uri.startswith(str(fmt["prefix"])):
                return True
        elif fmt.get("regex") and re.search(str(fmt["regex"]), uri):  # Go regexp.MatchString: unanchored
            return True
    return False


# ---------------------------------------------------------------------------------------------------
# The pod webhook


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
    mode, image_uri, is_oci = _oci(uri)
    config_mode = _config_oci_mode(ctx)
    if is_oci and (mode or config_mode):
        return added, diags + _inject_oci(pod_spec, image_uri, mode or config_mode, config_mode, ctx, namespace,
                                          where)
    if any(isinstance(c, dict) and c.get("name") == INIT_CONTAINER for c in pod_spec.get("initContainers") or []):
        return added, diags  # the webhook never injects twice
    user = _container(pod_spec, KSERVE_CONTAINER) or _container(pod_spec, WORKER_CONTAINER)
    if user is None:
        return added, diags + [error(NO_TARGET_CONTAINER, "Invalid configuration: cannot find container "
                                     f"(the {component_kind} has no {KSERVE_CONTAINER}, so KServe's webhook "
                                     "cannot mount the model)", **where)]
    readonly = annotations.get(READONLY) != "false"
    targets = [user.get("name")] + ([TRANSFORMER_CONTAINER] if _container(pod_spec, TRANSFORMER_CONTAINER) else [])
    if uri.startswith("pvc://"):
        claim, sub_path = _parse_pvc(uri)
        if not claim:
            return added, diags + [error(BAD_PVC, f"invalid URI must be pvc://<pvcname>/[path]: {uri}", **where)]
        for name in targets:
            _add_mount(pod_spec, name, PVC_VOLUME, MODEL_DIR, readonly,
                       {"persistentVolumeClaim": {"claimName": claim}}, sub_path)
        _rewrite_storage_uri_env(user)
        return added, diags
    return added, diags + _download(pod_spec, uri, targets, readonly, csc, annotations, ctx, namespace, where)


def _download(pod_spec: dict, uri: str, targets: list, readonly: bool, csc: dict | None, annotations: dict,
              ctx: ExpandContext, namespace: str, where: dict) -> list[Diagnostic]:
    """The storage-initializer path of CommonStorageInitialization."""
    init, diags = _init_container(uri, ctx, where)
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
        _add_mount(pod_spec, name, VOLUME, MODEL_DIR, readonly, {"emptyDir": {}})
    _rewrite_storage_uri_env(_container(pod_spec, targets[0]))
    init = pod_spec["initContainers"][-1]
    if not spec_form:
        diags += credentials.service_account_envs(
            init, pod_spec, namespace=namespace, service_account=pod_spec.get("serviceAccountName") or "",
            annotations=annotations, ctx=ctx)
    return diags + _finish_init_container(pod_spec, init, csc, ctx, namespace, where)


def _params(annotations: dict) -> dict:
    try:
        params = json.loads(annotations.get(STORAGE_SPEC_PARAM) or "null")
    except json.JSONDecodeError:
        return {}
    return params if isinstance(params, dict) else {}


def _init_container(uri: str, ctx: ExpandContext, where: dict) -> tuple[dict | None, list[Diagnostic]]:
    """CreateInitContainerWithConfig."""
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
        "args": [uri, MODEL_DIR],
        "resources": {"limits": {"cpu": si.cpu_limit, "memory": si.memory_limit},
                      "requests": {"cpu": si.cpu_request, "memory": si.memory_request}},
        "terminationMessagePolicy": "FallbackToLogsOnError",
    }, []


def _finish_init_container(pod_spec: dict, init: dict, csc: dict | None, ctx: ExpandContext, namespace: str,
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
        _append_env_if_absent(init, (("CA_BUNDLE_CONFIGMAP_NAME", ca_name),
                                     ("CA_BUNDLE_VOLUME_MOUNT_POINT", ca_path)))
        _mount_ca(pod_spec, init, ca_name, ca_path)
    _append_env_if_absent(init, HF_ENV)
    return diags


# ---------------------------------------------------------------------------------------------------
# OCI (modelcar, native image volumes, fetch)


def _oci(uri: str) -> tuple[str, str, bool]:
    """ParseOciScheme: (mode from an oci+MODE:// prefix, the oci:// URI, whether it is OCI)."""
    if uri.startswith("oci+"):
        rest = uri[4:]
        sep = rest.find("://")
        if sep > 0:
            return rest[:sep], "oci://" + rest[sep + 3:], True
    return "", uri, uri.startswith("oci://")


def _config_oci_mode(ctx: ExpandContext) -> str:
    """types.ResolveOciModelMode, resolved when the configuration is read (config.py)."""
    return ctx.config.storage_initializer.oci_model_mode


def _inject_oci(pod_spec: dict, uri: str, mode: str, config_mode: str, ctx: ExpandContext, namespace: str,
                where: dict) -> list[Diagnostic]:
    if not config_mode:
        # The storage-initializer step stands aside for an OCI URI with a mode, and the modelcar step
        # only runs when the config enables OCI: nothing provides the model.
        return [warning(OCI_NOT_INJECTED, f"{uri} names OCI mode {mode!r}, but the configuration enables no OCI "
                        "model mode (storageInitializer.enableModelcar / ociModelMode); KServe's pod webhook "
                        "injects nothing, so the model is not mounted", **where,
                        hint="set storageInitializer.enableModelcar: true, or use a plain oci:// URI")]
    targets = [KSERVE_CONTAINER] if _container(pod_spec, KSERVE_CONTAINER) else [WORKER_CONTAINER]
    if _container(pod_spec, targets[0]) is None:
        return [error(NO_TARGET_CONTAINER, f"Invalid configuration: cannot find container: {KSERVE_CONTAINER}",
                      **where)]
    if _container(pod_spec, TRANSFORMER_CONTAINER):
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
    container = _container(pod_spec, target)
    _add_or_replace_env(container, "MODEL_INIT_MODE", "async")
    _append_volume_if_absent(pod_spec, {"name": VOLUME, "emptyDir": {}})
    if not any(m.get("name") == VOLUME for m in container.get("volumeMounts") or []):
        container.setdefault("volumeMounts", []).append({"name": VOLUME, "mountPath": "/mnt"})
    if si.uid_modelcar is not None:
        sc = container.get("securityContext")
        container["securityContext"] = {**(sc if isinstance(sc, dict) else {}), "runAsUser": si.uid_modelcar}
    if _container(pod_spec, "modelcar") is None:
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
    _append_volume_if_absent(pod_spec, {"name": "mnt-models",
                                        "image": {"reference": uri[len("oci://"):], "pullPolicy": "IfNotPresent"}})
    container = _container(pod_spec, target)
    if not any(m.get("name") == "mnt-models" for m in container.get("volumeMounts") or []):
        container.setdefault("volumeMounts", []).append(
            {"name": "mnt-models", "mountPath": MODEL_DIR, "subPath": "models", "readOnly": True})


def _oci_fetch(pod_spec: dict, target: str, uri: str, ctx: ExpandContext, namespace: str) -> None:
    """ConfigureOciFetchToContainer: the storage-initializer pulls the image's model layers."""
    if not any(c.get("name") == INIT_CONTAINER for c in pod_spec.get("initContainers") or []):
        init, _ = _init_container(uri, ctx, {})
        init = init or {"name": INIT_CONTAINER, "args": [uri, MODEL_DIR]}
        pod_spec.setdefault("initContainers", []).append(init)
        _fetch_docker_config(pod_spec, init)
        si = ctx.config.storage_initializer
        if si.ca_bundle_config_map_name and not any(v.get("name") == CA_VOLUME for v in pod_spec.get("volumes") or []):
            name = si.ca_bundle_config_map_name if namespace == KSERVE_NAMESPACE else "global-ca-bundle"
            path = si.ca_bundle_volume_mount_path or "/etc/ssl/custom-certs"
            init.setdefault("env", []).extend([{"name": "CA_BUNDLE_CONFIGMAP_NAME", "value": name},
                                               {"name": "CA_BUNDLE_VOLUME_MOUNT_POINT", "value": path}])
            _mount_ca(pod_spec, init, name, path)
    for name in (INIT_CONTAINER, target):
        _add_mount(pod_spec, name, "mnt-models", MODEL_DIR, False, {"emptyDir": {}})


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


def _mount_ca(pod_spec: dict, init: dict, name: str, path: str) -> None:
    pod_spec.setdefault("volumes", []).append({"name": CA_VOLUME, "configMap": {"name": name}})
    init.setdefault("volumeMounts", []).append({"name": CA_VOLUME, "mountPath": path, "readOnly": True})


# ---------------------------------------------------------------------------------------------------
# Small pod helpers, each a KServe helper of the same behaviour


def _container(pod_spec: dict, name: str) -> dict | None:
    return next((c for c in pod_spec.get("containers") or [] if isinstance(c, dict) and c.get("name") == name),
                None)


def _add_mount(pod_spec: dict, container_name: str, volume: str, path: str, readonly: bool, source: dict,
               sub_path: str = "") -> None:
    """AddModelMount: containers first, then init containers (always writable); the volume is
    appended when the mount was added and the pod lacks it."""
    target = _container(pod_spec, container_name)
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
    _append_volume_if_absent(pod_spec, {"name": volume, **source})


def _append_volume_if_absent(pod_spec: dict, volume: dict) -> None:
    volumes = pod_spec.setdefault("volumes", [])
    if not any(isinstance(v, dict) and v.get("name") == volume["name"] for v in volumes):
        volumes.append(volume)


def _parse_pvc(uri: str) -> tuple[str, str]:
    """ParsePvcURI: pvc://NAME[/PATH]."""
    parts = uri[len("pvc://"):].split("/")
    return parts[0], "/".join(parts[1:])


def _rewrite_storage_uri_env(container: dict) -> None:
    for entry in container.get("env") or []:
        if entry.get("name") == "STORAGE_URI" and entry.get("value"):
            entry["value"] = MODEL_DIR


def _append_env_if_absent(container: dict, pairs) -> None:
    env = container.setdefault("env", [])
    for name, value in pairs:
        if not any(e.get("name") == name for e in env):
            env.append({"name": name, "value": value})


def _add_or_replace_env(container: dict, name: str, value: str) -> None:
    env = container.setdefault("env", [])
    for entry in env:
        if entry.get("name") == name:
            entry["value"] = value
            return
    env.append({"name": name, "value": value})
