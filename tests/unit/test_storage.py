"""Storage injection (compiler/expand/storage.py, uri.py, initializer.py, oci.py, credentials.py) against docs/kserve-behaviour.md §5.

Where the spec is silent the expectation is KServe v0.20.0's source, in our words:
  pkg/webhook/admission/pod/storage_initializer_injector.go  InjectStorageInitializer: the storage container
      is looked up first (a named one must exist, be enabled, be an initContainer and support the URI);
      CommonStorageInitialization: no injection with the agent annotation or an existing storage-initializer;
      credentials before the ClusterStorageContainer merge, CA bundle and HuggingFace env after it
  pkg/webhook/admission/pod/mutator.go       the modelcar step runs only when the config enables an OCI mode;
      an oci+MODE:// URI with OCI disabled is injected by nothing
  pkg/utils/storage.go                       AddModelMount (init containers always writable; the volume only
      when the mount was added), ParsePvcURI, CreateModelcarContainer / CreateModelcarInitContainer,
      ConfigureOciNativeToContainer
  .../inferenceservice/utils/utils.go        ValidateStorageURI: a matching storage container, a local path,
      an Azure blob URL or one of the prefixes; else "StorageURI not supported: ..."
  pkg/credentials                            the s3 / gcs / azure / hf envs and volumes, storage-spec secrets
"""

from __future__ import annotations

import base64
import copy
import dataclasses

import pytest

from compiler.config import BUILTIN
from compiler.diagnostics import Severity
from compiler.expand import credentials, initializer, oci, storage
from compiler.expand import uri as storage_uri
from compiler.expand.context import ExpandContext
from compiler.expand.storage import inject_storage
from compiler.expand.uri import SOURCE_URI, controller_annotations

# The release's ClusterStorageContainer `default` (docs/kserve-behaviour.md §0.1), written out here independently of catalog/.
DEFAULT_CSC = {
    "apiVersion": "serving.kserve.io/v1alpha1", "kind": "ClusterStorageContainer", "metadata": {"name": "default"},
    "spec": {
        "container": {"name": "storage-initializer", "image": "kserve/storage-initializer:v0.20.0",
                      "imagePullPolicy": "IfNotPresent",
                      "resources": {"requests": {"cpu": "100m", "memory": "100Mi"},
                                    "limits": {"cpu": "1", "memory": "1Gi"}}},
        "supportedUriFormats": [{"prefix": "gs://"}, {"prefix": "s3://"}, {"prefix": "hdfs://"}, {"prefix": "hf://"},
                                {"prefix": "webhdfs://"}, {"regex": "https://(.+?).blob.core.windows.net/(.+)"},
                                {"regex": "https://(.+?).file.core.windows.net/(.+)"},
                                {"regex": "https?://(.+)/(.+)"}],
        "workloadType": "initContainer"},
}
CTX = ExpandContext(BUILTIN, storage_containers=(DEFAULT_CSC,))
WHERE = {"file": "isvc.yaml", "line": 7, "column": 7}
HF = [{"name": "HF_HUB_ENABLE_HF_TRANSFER", "value": "1"}, {"name": "HF_XET_HIGH_PERFORMANCE", "value": "1"},
      {"name": "HF_XET_NUM_CONCURRENT_RANGE_GETS", "value": "8"}]
INIT_RESOURCES = {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "100m", "memory": "100Mi"}}
MOUNT_RO = {"name": "kserve-provision-location", "mountPath": "/mnt/models", "readOnly": True}
MOUNT_RW = {"name": "kserve-provision-location", "mountPath": "/mnt/models"}
VOLUME = {"name": "kserve-provision-location", "emptyDir": {}}


def pod(*extra: dict, env: list | None = None) -> dict:
    server = {"name": "kserve-container", "image": "server:1"}
    if env is not None:
        server["env"] = env
    return {"containers": [server, *extra]}


def inject(spec: dict, uri: str, *, annotations: dict | None = None, ctx: ExpandContext = CTX, namespace="default"):
    return inject_storage(spec, uri, component_kind="predictor", annotations=annotations or {}, ctx=ctx,
                          namespace=namespace, where=WHERE)


def init(uri: str, *, matched: bool = True, env: list | None = None) -> dict:
    out = {"name": "storage-initializer", "image": "kserve/storage-initializer:v0.20.0", "args": [uri, "/mnt/models"],
           "resources": INIT_RESOURCES, "terminationMessagePolicy": "FallbackToLogsOnError",
           "volumeMounts": [MOUNT_RW]}
    if matched:
        out["imagePullPolicy"] = "IfNotPresent"
    out["env"] = [*(env or []), *HF]
    return out


def codes(diags) -> list[tuple]:
    return [(d.severity, d.code) for d in diags]


SA_NOTICE = (Severity.NOTICE, credentials.NOT_INJECTED)

# (uri, whether the default ClusterStorageContainer matches)
INIT_CONTAINER_URIS = [
    ("s3://bucket/model", True), ("gs://bucket/model", True), ("hdfs://nn/model", True),
    ("webhdfs://nn/model", True), ("hf://org/model", True), ("https://host/model.tar.gz", True),
    ("http://host/dir/model.joblib", True), ("https://acct.blob.core.windows.net/c/model", True),
    ("http://host", False), ("file:///data/model", False), ("/mnt/data/model", False), ("models/iris", False),
]


@pytest.mark.parametrize("uri, matched", INIT_CONTAINER_URIS)
def test_init_container_schemes(uri, matched):
    spec = pod()
    added, diags = inject(spec, uri)
    assert added == {SOURCE_URI: uri}
    assert codes(diags) == [SA_NOTICE]
    assert spec == {
        "containers": [{"name": "kserve-container", "image": "server:1", "volumeMounts": [MOUNT_RO]}],
        "initContainers": [init(uri, matched=matched)],
        "volumes": [VOLUME],
    }


def test_init_container_after_the_components_own_and_transformer_mounted():
    spec = pod({"name": "transformer-container", "image": "t:1"})
    spec["initContainers"] = [{"name": "warmup", "image": "busybox"}]
    spec["volumes"] = [{"name": "cache", "emptyDir": {}}]
    inject(spec, "s3://b/m", annotations={"storage.kserve.io/readonly": "false"})
    assert [c["name"] for c in spec["initContainers"]] == ["warmup", "storage-initializer"]
    assert spec["containers"][0]["volumeMounts"] == [MOUNT_RW]     # readonly "false": writable
    assert spec["containers"][1]["volumeMounts"] == [MOUNT_RW]
    assert spec["volumes"] == [{"name": "cache", "emptyDir": {}}, VOLUME]


def test_storage_uri_env_becomes_the_mount_path():
    spec = pod(env=[{"name": "STORAGE_URI", "value": "s3://b/m"}, {"name": "OTHER", "value": "s3://b/m"}])
    inject(spec, "s3://b/m")
    assert spec["containers"][0]["env"] == [{"name": "STORAGE_URI", "value": "/mnt/models"},
                                            {"name": "OTHER", "value": "s3://b/m"}]


@pytest.mark.parametrize("uri, claim, sub_path", [
    ("pvc://claim", "claim", None), ("pvc://claim/", "claim", None), ("pvc://claim/models/v1", "claim", "models/v1"),
])
@pytest.mark.parametrize("readonly", [True, False])
def test_pvc_is_mounted_directly(uri, claim, sub_path, readonly):
    spec = pod({"name": "transformer-container", "image": "t:1"}, env=[{"name": "STORAGE_URI", "value": uri}])
    added, diags = inject(spec, uri, annotations={} if readonly else {"storage.kserve.io/readonly": "false"})
    mount = {"name": "kserve-pvc-source", "mountPath": "/mnt/models"}
    if sub_path:
        mount["subPath"] = sub_path
    if readonly:
        mount["readOnly"] = True
    assert (added, diags) == ({SOURCE_URI: uri}, [])  # no init container, so no credentials either
    assert spec == {
        "containers": [
            {"name": "kserve-container", "image": "server:1", "env": [{"name": "STORAGE_URI", "value": "/mnt/models"}],
             "volumeMounts": [mount]},
            {"name": "transformer-container", "image": "t:1", "volumeMounts": [mount]}],
        "volumes": [{"name": "kserve-pvc-source", "persistentVolumeClaim": {"claimName": claim}}],
    }


def test_oci_modelcar():
    spec = pod(env=[{"name": "STORAGE_URI", "value": "oci://registry/model:1"}])
    spec["containers"][0]["securityContext"] = {"runAsNonRoot": True}
    added, diags = inject(spec, "oci://registry/model:1")
    resources = {"limits": {"cpu": "10m", "memory": "15Mi"}, "requests": {"cpu": "10m", "memory": "15Mi"}}
    mount = {"name": "kserve-provision-location", "mountPath": "/mnt"}
    assert (added, diags) == ({SOURCE_URI: "oci://registry/model:1"}, [])
    assert spec == {
        "containers": [
            {"name": "kserve-container", "image": "server:1",
             "env": [{"name": "STORAGE_URI", "value": "oci://registry/model:1"},  # not rewritten for OCI
                     {"name": "MODEL_INIT_MODE", "value": "async"}],
             "securityContext": {"runAsNonRoot": True, "runAsUser": 1010}, "volumeMounts": [mount]},
            {"name": "modelcar", "image": "registry/model:1", "volumeMounts": [mount],
             "args": ["sh", "-c", "ln -sf /proc/$$$$/root/models /mnt/models && sleep infinity"],
             "resources": resources, "terminationMessagePolicy": "FallbackToLogsOnError",
             "securityContext": {"runAsUser": 1010}}],
        "initContainers": [
            {"name": "modelcar-init", "image": "registry/model:1",
             "args": ["sh", "-c", "echo 'Pre-fetching modelcar registry/model:1: ' && [ -d /models ] && "
                      "[ \"$$(ls -A /models)\" ] && echo 'OK ... Prefetched and valid (/models exists)' || "
                      "(echo 'NOK ... Prefetched but modelcar is invalid (/models does not exist or is empty)' "
                      "&& exit 1)"],
             "resources": resources, "terminationMessagePolicy": "FallbackToLogsOnError"}],
        "volumes": [VOLUME],
        "shareProcessNamespace": True,
    }


def without_modelcar() -> ExpandContext:
    si = dataclasses.replace(BUILTIN.storage_initializer, enable_modelcar=False, oci_model_mode="")
    return dataclasses.replace(CTX, config=dataclasses.replace(BUILTIN, storage_initializer=si))


def test_oci_without_modelcar_takes_the_init_container():
    spec = pod()
    inject(spec, "oci://registry/model:1", ctx=without_modelcar())
    assert spec["initContainers"] == [init("oci://registry/model:1", matched=False)]


def test_oci_native_is_an_image_volume():
    spec = pod({"name": "transformer-container", "image": "t:1"})
    assert inject(spec, "oci+native://registry/model:1") == ({SOURCE_URI: "oci+native://registry/model:1"}, [])
    mount = {"name": "mnt-models", "mountPath": "/mnt/models", "subPath": "models", "readOnly": True}
    assert spec == {"containers": [{"name": "kserve-container", "image": "server:1", "volumeMounts": [mount]},
                                   {"name": "transformer-container", "image": "t:1", "volumeMounts": [mount]}],
                    "volumes": [{"name": "mnt-models", "image": {"reference": "registry/model:1",
                                                                 "pullPolicy": "IfNotPresent"}}]}


def test_oci_mode_with_oci_disabled_injects_nothing():
    spec = pod()
    _, diags = inject(spec, "oci+native://registry/model:1", ctx=without_modelcar())
    assert spec == pod()
    assert codes(diags) == [(Severity.WARNING, oci.OCI_NOT_INJECTED)]


@pytest.mark.parametrize("uri", ["ftp://host/model", "oci+modelcar://r/m:1", "azure://x", "/data/s3://x"])
def test_unsupported_scheme(uri):
    spec = pod()
    added, diags = inject(spec, uri)
    assert spec == pod()
    assert added == {SOURCE_URI: uri}
    assert codes(diags) == [(Severity.ERROR, storage.UNSUPPORTED_URI)]
    assert diags[0].message == (
        "StorageURI not supported: storageUri, must be one of: [gs://, s3://, pvc://, file://, https://, http://, "
        "hdfs://, webhdfs://, oci://, oci+native://, oci+fetch://, hf://] or match "
        f"https://{{}}.blob.core.windows.net/{{}}/{{}} or be an absolute or relative local path. StorageUri [{uri}] "
        "is not supported")
    assert (diags[0].file, diags[0].line) == ("isvc.yaml", 7)


def test_a_storage_container_makes_a_scheme_supported():
    custom = {"metadata": {"name": "a-custom"}, "spec": {
        "container": {"name": "storage-initializer", "image": "mine/dl:1", "args": ["--from-csc"],
                      "env": [{"name": "HF_XET_HIGH_PERFORMANCE", "value": "0"}]},
        "supportedUriFormats": [{"prefix": "ftp://"}]}}
    spec = pod()
    ctx = dataclasses.replace(CTX, storage_containers=(custom, DEFAULT_CSC))
    added, diags = inject(spec, "ftp://host/model", ctx=ctx)
    assert codes(diags) == [SA_NOTICE]
    # its fields win (args replaced: no concatenation here); HF variables added only where absent
    assert spec["initContainers"] == [{
        "name": "storage-initializer", "image": "mine/dl:1", "args": ["--from-csc"], "resources": INIT_RESOURCES,
        "terminationMessagePolicy": "FallbackToLogsOnError", "volumeMounts": [MOUNT_RW],
        "env": [{"name": "HF_XET_HIGH_PERFORMANCE", "value": "0"}, HF[0], HF[2]]}]


@pytest.mark.parametrize("csc, message", [
    (None, 'ClusterStorageContainer "mine" not found'),
    ({"metadata": {"name": "mine"}, "disabled": True, "spec": {"supportedUriFormats": [{"prefix": "s3://"}]}},
     'ClusterStorageContainer "mine" is disabled'),
    ({"metadata": {"name": "mine"}, "spec": {"workloadType": "localModelDownloadJob",
                                             "supportedUriFormats": [{"prefix": "s3://"}]}}, "workloadType"),
    ({"metadata": {"name": "mine"}, "spec": {"supportedUriFormats": [{"prefix": "gs://"}]}},
     'ClusterStorageContainer "mine" does not support storageUri "s3://b/m"'),
])
def test_named_storage_container_must_be_usable(csc, message):
    ctx = dataclasses.replace(CTX, storage_containers=(DEFAULT_CSC, *([csc] if csc else [])))
    spec = pod()
    _, diags = inject(spec, "s3://b/m", annotations={storage_uri.STORAGE_CONTAINER_NAME: "mine"}, ctx=ctx)
    assert codes(diags) == [(Severity.ERROR, initializer.STORAGE_CONTAINER)]
    assert message in diags[0].message
    assert spec == pod()


def test_disabled_storage_container_is_skipped_when_matching():
    disabled = copy.deepcopy(DEFAULT_CSC)
    disabled["disabled"] = True
    spec = pod()
    inject(spec, "s3://b/m", ctx=dataclasses.replace(CTX, storage_containers=(disabled,)))
    assert spec["initContainers"] == [init("s3://b/m", matched=False)]


def test_webhook_mode_only_annotates():
    spec = pod()
    ctx = dataclasses.replace(CTX, storage_injection="webhook")
    assert inject(spec, "s3://b/m", ctx=ctx) == ({SOURCE_URI: "s3://b/m"}, [])
    assert spec == pod()
    assert codes(inject(pod(), "ftp://x/y", ctx=ctx)[1]) == [(Severity.ERROR, storage.UNSUPPORTED_URI)]


@pytest.mark.parametrize("annotations, spec", [
    ({storage_uri.AGENT: "true"}, pod()),
    ({}, {**pod(), "initContainers": [{"name": "storage-initializer", "image": "mine"}]}),
])
def test_no_injection(annotations, spec):
    before = copy.deepcopy(spec)
    assert inject(spec, "s3://b/m", annotations=annotations) == ({SOURCE_URI: "s3://b/m"}, [])
    assert spec == before


def test_no_kserve_container():
    spec = {"containers": [{"name": "main", "image": "x"}]}
    _, diags = inject(spec, "s3://b/m")
    assert codes(diags) == [(Severity.ERROR, oci.NO_TARGET_CONTAINER)]


def test_empty_uri_is_injected_as_kserve_does():
    spec = pod(env=[{"name": "STORAGE_URI"}])
    _, diags = inject(spec, "")
    assert codes(diags) == [(Severity.WARNING, storage.EMPTY_URI), SA_NOTICE]
    assert spec["initContainers"][0]["args"] == ["", "/mnt/models"]


def test_config_without_resources_fails_like_the_webhook():
    si = dataclasses.replace(BUILTIN.storage_initializer, cpu_limit="")
    ctx = dataclasses.replace(CTX, config=dataclasses.replace(BUILTIN, storage_initializer=si))
    spec = pod()
    _, diags = inject(spec, "s3://b/m", ctx=ctx)
    assert codes(diags) == [(Severity.ERROR, initializer.STORAGE_CONFIG)]
    assert spec == pod()


def test_ca_bundle_from_config():
    si = dataclasses.replace(BUILTIN.storage_initializer, ca_bundle_config_map_name="my-ca")
    ctx = dataclasses.replace(CTX, config=dataclasses.replace(BUILTIN, storage_initializer=si))
    spec = pod()
    inject(spec, "s3://b/m", ctx=ctx, namespace="models")
    assert spec["initContainers"][0]["env"] == [
        {"name": "CA_BUNDLE_CONFIGMAP_NAME", "value": "global-ca-bundle"},   # outside the kserve namespace
        {"name": "CA_BUNDLE_VOLUME_MOUNT_POINT", "value": "/etc/ssl/custom-certs"}, *HF]
    assert spec["initContainers"][0]["volumeMounts"] == [
        MOUNT_RW, {"name": "cabundle-cert", "mountPath": "/etc/ssl/custom-certs", "readOnly": True}]
    assert spec["volumes"] == [VOLUME, {"name": "cabundle-cert", "configMap": {"name": "global-ca-bundle"}}]


# ---------------------------------------------------------------------------------------------------
# Credentials


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def secret(name: str, data: dict, annotations: dict | None = None, namespace: str = "default") -> dict:
    meta = {"name": name, "namespace": namespace, **({"annotations": annotations} if annotations else {})}
    return {"apiVersion": "v1", "kind": "Secret", "metadata": meta, "data": {k: b64(v) for k, v in data.items()}}


def with_objects(service_accounts=(), secrets=(), ctx: ExpandContext = CTX) -> ExpandContext:
    return dataclasses.replace(
        ctx, service_accounts={(o["metadata"]["namespace"], o["metadata"]["name"]): o for o in service_accounts},
        secrets={(o["metadata"]["namespace"], o["metadata"]["name"]): o for o in secrets})


def sa(name: str, secrets: list[str], annotations: dict | None = None) -> dict:
    meta = {"name": name, "namespace": "default", **({"annotations": annotations} if annotations else {})}
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta, "secrets": [{"name": s} for s in secrets]}


def ref(env: str, name: str, key: str) -> dict:
    return {"name": env, "valueFrom": {"secretKeyRef": {"name": name, "key": key}}}


def test_notice_says_the_same_for_every_component_and_names_where_it_was_read():
    # The same message (so the report collapses them into one notice per ServiceAccount), each at the
    # component that reads the ServiceAccount (issue 15: KSC430 named no file or line).
    [one] = inject(pod(), "s3://b/m")[1]
    [other] = inject_storage(pod(), "gs://x/y", component_kind="transformer", annotations={}, ctx=CTX,
                             namespace="default", where={"file": "other.yaml", "line": 1, "column": 1})[1]
    assert one.message == other.message and "ServiceAccount default/default" in one.message
    assert (one.file, other.file, other.line) == (WHERE.get("file"), "other.yaml", 1)


def test_s3_secret_of_the_service_account():
    ctx = with_objects([sa("sa", ["s3creds"])], [secret("s3creds", {
        "AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "key"}, {
        "serving.kserve.io/s3-endpoint": "minio.minio:9000", "serving.kserve.io/s3-usehttps": "0",
        "serving.kserve.io/s3-region": "us-east-2"})])
    spec = {**pod(), "serviceAccountName": "sa"}
    _, diags = inject(spec, "s3://b/m", ctx=ctx)
    assert diags == []
    assert spec["initContainers"][0]["env"] == [
        ref("AWS_ACCESS_KEY_ID", "s3creds", "AWS_ACCESS_KEY_ID"),      # the shipped config's key names
        ref("AWS_SECRET_ACCESS_KEY", "s3creds", "AWS_SECRET_ACCESS_KEY"),
        {"name": "S3_USE_HTTPS", "value": "0"}, {"name": "S3_ENDPOINT", "value": "minio.minio:9000"},
        {"name": "AWS_ENDPOINT_URL", "value": "http://minio.minio:9000"},
        {"name": "AWS_DEFAULT_REGION", "value": "us-east-2"}, *HF]


def test_gcs_secret_named_by_the_annotation():
    ctx = with_objects([sa("default", ["ignored"])], [
        secret("gcs", {"gcloud-application-credentials.json": "{}"})])
    spec = pod()
    _, diags = inject(spec, "gs://b/m", ctx=ctx, annotations={"serving.kserve.io/storageSecretName": "gcs"})
    assert diags == []
    assert spec["initContainers"][0]["volumeMounts"] == [
        MOUNT_RW, {"name": "user-gcp-sa", "mountPath": "/var/secrets/", "readOnly": True}]
    assert spec["initContainers"][0]["env"] == [
        {"name": "GOOGLE_APPLICATION_CREDENTIALS", "value": "/var/secrets/gcloud-application-credentials.json"}, *HF]
    assert spec["volumes"] == [VOLUME, {"name": "user-gcp-sa", "secret": {"secretName": "gcs"}}]


def test_azure_and_hf_and_missing_secret():
    ctx = with_objects([sa("default", ["az", "hf", "gone"])], [
        secret("az", {"AZURE_CLIENT_ID": "c", "AZURE_CLIENT_SECRET": "s"}), secret("hf", {"HF_TOKEN": "t"})])
    spec = pod()
    _, diags = inject(spec, "hf://org/model", ctx=ctx)
    assert codes(diags) == [SA_NOTICE] and "Secret default/gone" in diags[0].message and diags[0].file == "isvc.yaml"
    assert spec["initContainers"][0]["env"] == [
        ref("AZURE_TENANT_ID", "az", "AZURE_TENANT_ID"),   # KServe always adds the tenant id
        ref("AZURE_CLIENT_ID", "az", "AZURE_CLIENT_ID"), ref("AZURE_CLIENT_SECRET", "az", "AZURE_CLIENT_SECRET"),
        ref("HF_TOKEN", "hf", "HF_TOKEN"), *HF]


def test_irsa_service_account():
    ctx = with_objects([sa("default", [], {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/r",
                                           "serving.kserve.io/s3-endpoint": "https://s3.example.com"})])
    spec = pod()
    inject(spec, "s3://b/m", ctx=ctx)
    assert spec["initContainers"][0]["env"] == [
        {"name": "S3_USE_HTTPS", "value": "1"}, {"name": "S3_ENDPOINT", "value": "s3.example.com"},
        {"name": "AWS_ENDPOINT_URL", "value": "https://s3.example.com"}, *HF]


def test_storage_spec_with_its_secret():
    annotations, uri, problems = controller_annotations(None, {"path": "/models/iris", "key": "localMinIO",
                                                               "parameters": {"bucket": "mlpipeline"}})
    assert problems == [] and uri == "<scheme-placeholder>://models/iris"
    assert annotations == {"internal.serving.kserve.io/storage-spec": "true",
                           "internal.serving.kserve.io/storage-spec-param": '{"bucket":"mlpipeline"}',
                           "internal.serving.kserve.io/storage-spec-key": "localMinIO", SOURCE_URI: uri}
    ctx = with_objects(secrets=[secret("storage-config", {"localMinIO": '{"type": "s3", "bucket": "other"}'})])
    spec = pod()
    added, diags = inject(spec, uri, annotations=annotations, ctx=ctx)
    assert (added, diags) == ({SOURCE_URI: uri}, [])
    assert spec["initContainers"][0]["args"] == ["s3://mlpipeline/models/iris", "/mnt/models"]
    assert spec["initContainers"][0]["env"] == [
        ref("STORAGE_CONFIG", "storage-config", "localMinIO"),
        {"name": "STORAGE_OVERRIDE_CONFIG", "value": '{"bucket":"mlpipeline"}'}, *HF]


def test_storage_spec_without_its_secret():
    annotations, uri, _ = controller_annotations(None, {"path": "m", "parameters": {"type": "s3", "bucket": "b"}})
    spec = pod()
    _, diags = inject(spec, uri, annotations=annotations)
    assert codes(diags) == [(Severity.WARNING, credentials.STORAGE_SPEC_UNRESOLVED)]
    assert spec["initContainers"][0]["args"] == ["s3://b/m", "/mnt/models"]
    # without a type nothing can be written: left to KServe's webhook
    annotations, uri, _ = controller_annotations(None, {"path": "m"})
    spec = pod()
    _, diags = inject(spec, uri, annotations=annotations)
    assert codes(diags) == [(Severity.WARNING, credentials.STORAGE_SPEC_UNRESOLVED)] * 2
    assert spec == pod()


def test_storage_uri_and_storage_path_conflict():
    _, _, problems = controller_annotations("s3://b/m", {"path": "x"})
    assert problems == [(storage_uri.STORAGE_CONFLICT, "must provide only one of storageUri and storage.path")]
