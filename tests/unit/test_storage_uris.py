"""storageUris (compiler/expand/storage_uris.py) against docs/kserve-behaviour.md §5.1, i.e. KServe v0.20.0's
CommonStorageInitialization with IsLegacyURI false (pkg/webhook/admission/pod/storage_initializer_injector.go)
and FindCommonParentPath / GetVolumeNameFromPath (pkg/utils/storage.go). The golden cases storage-uris,
storage-uris-custom-container and error-storage-uris-no-multi-download hold the whole Deployments.
"""

from __future__ import annotations

import copy
import dataclasses

import pytest

from compiler.config import BUILTIN
from compiler.expand.context import ExpandContext
from compiler.expand.storage_uris import common_parent, inject_storage_uris, volume_name

CSC = {"metadata": {"name": "default"},
       "spec": {"container": {"name": "storage-initializer", "image": "si:1"},
                "supportedUriFormats": [{"prefix": "s3://"}, {"prefix": "gs://"}], "workloadType": "initContainer",
                "supportsMultiModelDownload": True}}
CTX = ExpandContext(BUILTIN, storage_containers=(CSC,))


def run(uris, *, ctx=CTX, annotations=None, storage_spec=None, containers=("kserve-container",)):
    pod = {"containers": [{"name": n, "image": "x"} for n in containers]}
    diags = inject_storage_uris(pod, [dict(u) for u in uris], annotations=annotations or {}, ctx=ctx,
                                namespace="default", storage_container_name=None, storage_spec=storage_spec,
                                where={})
    return pod, [d.code for d in diags if d.severity.value != "notice"]


@pytest.mark.parametrize("paths, parent", [
    (["/mnt/models/base", "/mnt/models/adapter"], "/mnt/models"),
    (["/mnt/models/a"], "/mnt/models/a"),
    (["/mnt/models", "/mnt/models/x"], "/mnt/models"),
    (["/mnt/a/b/c", "/mnt/a/b/d", "/mnt/a/e"], "/mnt/a"),
    (["/mnt/a", "/opt/b"], "/"),
])
def test_common_parent(paths, parent):
    assert common_parent(paths) == parent


def test_volume_name():
    assert volume_name("/mnt/models/base/") == "mnt-models-base"


def test_downloads_share_one_volume_and_pvcs_get_their_own():
    pod, codes = run([{"uri": "pvc://claim/sub", "mountPath": "/mnt/models/base"},
                      {"uri": "s3://b/lora", "mountPath": "/mnt/models/lora"},
                      {"uri": "gs://b/tok", "mountPath": "/mnt/models/tok"}])
    assert codes == []
    assert pod["volumes"] == [{"name": "mnt-models-base", "persistentVolumeClaim": {"claimName": "claim"}},
                              {"name": "mnt-models", "emptyDir": {}}]
    assert pod["containers"][0]["volumeMounts"] == [
        {"name": "mnt-models-base", "mountPath": "/mnt/models/base", "readOnly": True},
        {"name": "mnt-models", "mountPath": "/mnt/models", "readOnly": True}]
    init = pod["initContainers"][0]
    assert init["args"] == ["s3://b/lora", "/mnt/models/lora", "gs://b/tok", "/mnt/models/tok"]
    assert init["volumeMounts"] == [{"name": "mnt-models", "mountPath": "/mnt/models"}]


def test_transformer_container_is_mounted_too_and_mount_path_defaults():
    pod, _ = run([{"uri": "s3://b/m"}], containers=("kserve-container", "transformer-container"))
    for container in pod["containers"]:
        assert container["volumeMounts"] == [{"name": "mnt-models", "mountPath": "/mnt/models", "readOnly": True}]
    assert pod["initContainers"][0]["args"] == ["s3://b/m", "/mnt/models"]


def test_skipped_with_the_agent_annotation():
    pod, codes = run([{"uri": "s3://b/m"}], annotations={"internal.serving.kserve.io/agent": "true"})
    assert codes == [] and "initContainers" not in pod


def test_storage_container_without_multi_download_is_refused():
    csc = copy.deepcopy(CSC)
    del csc["spec"]["supportsMultiModelDownload"]
    _, codes = run([{"uri": "s3://b/m"}], ctx=dataclasses.replace(CTX, storage_containers=(csc,)))
    assert codes == ["KSC419"]


def test_no_target_container():
    _, codes = run([{"uri": "s3://b/m"}], containers=("other",))
    assert codes == ["KSC413"]


@pytest.mark.parametrize("uris, spec", [
    ([{"uri": "oci://registry/model:1"}], None),
    ([{"uri": "s3://b/m"}], {"key": "k", "parameters": {"type": "s3"}}),
])
def test_refused_forms(uris, spec):
    _, codes = run(uris, storage_spec=spec)
    assert codes == ["KSC427"]


def test_injected_in_webhook_mode_too():
    pod, _ = run([{"uri": "s3://b/m"}], ctx=dataclasses.replace(CTX, storage_injection="webhook"))
    assert pod["initContainers"][0]["name"] == "storage-initializer"
