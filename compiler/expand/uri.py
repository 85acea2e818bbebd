"""Storage URIs as KServe's controller reads them: the annotations it sets on a component
(components/predictor.go, component.go: addStorageSpecAnnotations, addStorageInitializerAnnotations),
ValidateStorageURI, the ClusterStorageContainer a URI selects, and the oci+MODE:// scheme.
"""

from __future__ import annotations

import json
import re

from compiler.expand.context import ExpandContext

# Codes (KSC41x: storage)
STORAGE_CONFLICT = "KSC411"

SOURCE_URI = "internal.serving.kserve.io/storage-initializer-sourceuri"
STORAGE_SPEC = "internal.serving.kserve.io/storage-spec"
STORAGE_SPEC_PARAM = "internal.serving.kserve.io/storage-spec-param"
STORAGE_SPEC_KEY = "internal.serving.kserve.io/storage-spec-key"
STORAGE_CONTAINER_NAME = "internal.serving.kserve.io/storage-container-name"
AGENT = "internal.serving.kserve.io/agent"
READONLY = "storage.kserve.io/readonly"
SCHEME_PLACEHOLDER = "<scheme-placeholder>"

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
    if storage_container_name and uri is not None:  # only beside a storageUri (not storage.path, storageUris)
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


def parse_oci(uri: str) -> tuple[str, str, bool]:
    """ParseOciScheme: (mode from an oci+MODE:// prefix, the oci:// URI, whether it is OCI)."""
    if uri.startswith("oci+"):
        rest = uri[4:]
        sep = rest.find("://")
        if sep > 0:
            return rest[:sep], "oci://" + rest[sep + 3:], True
    return "", uri, uri.startswith("oci://")
