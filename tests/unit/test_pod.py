"""The pod of each component (compiler/expand/pod.py) against docs/kserve-behaviour.md §2.3, §3, §4.1-4.4.

Where the spec is silent the expectation is KServe v0.20.0's source, in our words:
  components/predictor.go buildPredictorResources, buildPodSpec: the container order, placeholders only on
      the kserve-container and transformer-container, INFERENCE_SERVICE_NAME on every predictor container;
      a custom predictor's kserve-container is copied over its first container
  inference_service_defaults.go SetRuntimeDefaults (the server-type annotation is read whenever present,
      even empty; else the runtime name), setResourceRequirementDefaults, disableAutomountServiceAccountToken
  .../inferenceservice/utils/utils.go UpdateImageTag, AddEnvVarToPodSpec
  transformer_custom.go / explainer_custom.go GetContainer (IncludesArg is a prefix test)
"""

from __future__ import annotations

import dataclasses
import textwrap

import pytest

from compiler import model, resolve
from compiler.config import BUILTIN
from compiler.diagnostics import Severity
from compiler.expand import oci, placeholders, pod, storage
from compiler.expand import uri as storage_uri
from compiler.expand.context import ExpandContext
from compiler.expand.metadata import isvc_meta
from compiler.sources.parse import load_text

CSC = {"metadata": {"name": "default"}, "spec": {
    "container": {"name": "storage-initializer", "image": "kserve/storage-initializer:v0.20.0",
                  "imagePullPolicy": "IfNotPresent"},
    "supportedUriFormats": [{"prefix": "gs://"}, {"prefix": "s3://"}]}}
CTX = ExpandContext(BUILTIN, storage_containers=(CSC,))
ENV_NAME = {"name": "INFERENCE_SERVICE_NAME", "value": "iris"}
RUNTIME = """\
apiVersion: serving.kserve.io/v1alpha1
kind: ServingRuntime
metadata:
  name: rt
  namespace: default
  annotations: {annotations}
spec:
  supportedModelFormats: [{{name: fmt, version: "1", autoSelect: true}}]
  {body}
"""
DEFAULT_BODY = """containers:
    - name: kserve-container
      image: example/server:1.0
      args: ["--model_name={{.Name}}"]"""


def runtime(body: str = DEFAULT_BODY, annotations: str = "{}") -> model.Runtime:
    text = RUNTIME.format(annotations=annotations, body=body)
    return model.runtime_from(load_text(text, "rt.yaml").documents[0], default_namespace="default")


def build(isvc_spec: str, runtimes=None, *, labels: str = "{}", annotations: str = "{}", ctx=CTX):
    """All components' PodResults, and the InferenceService metadata they were built with."""
    text = (f"apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: iris\n"
            f"  namespace: default\n  labels: {labels}\n  annotations: {annotations}\nspec:\n"
            + textwrap.indent(textwrap.dedent(isvc_spec), "  "))
    isvc, diags = model.inference_service_from(load_text(text, "isvc.yaml").documents[0], default_namespace="default")
    assert isvc is not None, diags
    pool = resolve.Runtimes(runtimes if runtimes is not None else [runtime()])
    results = [resolve.resolve(isvc, c, pool) for c in isvc.components]
    meta = isvc_meta(isvc, pod.server_type_labels(results[0]))
    return [pod.build_pod(r, meta, ctx) for r in results], meta


def codes(result) -> list[tuple]:
    return [(d.severity, d.code) for d in result.diagnostics]


MODEL = "predictor:\n  model:\n    modelFormat: {name: fmt}\n"


def test_predictor_with_runtime_exact_pod():
    body = """containers:
    - name: kserve-container
      image: example/server:1.0
      args: ["--model_name={{.Name}}", "--ns={{.Namespace}}"]
      env: [{name: A, value: a}, {name: B, value: b}]
      resources: {requests: {cpu: "1", memory: 2Gi}, limits: {cpu: "1", memory: 2Gi}}
    - name: sidecar
      image: side:1
      args: ["{{.Name}}"]
  nodeSelector: {pool: cpu}
  tolerations: [{key: rt, operator: Exists}]
  volumes: [{name: devshm, emptyDir: {medium: Memory}}]
  hostIPC: true"""
    (result,), _ = build(MODEL + """\
    args: [--extra]
    env: [{name: C, value: c}, {name: B, value: b2}]
    resources: {limits: {memory: 4Gi}}
  serviceAccountName: sa
  nodeSelector: {zone: a}
  volumes: [{name: cache, emptyDir: {}}]
  containers: [{name: logger, image: log:1}]
  minReplicas: 2
  timeout: 30
""", [runtime(body)])
    assert codes(result) == []
    assert result.annotations == {}
    assert result.spec == {
        "nodeSelector": {"pool": "cpu", "zone": "a"},
        "tolerations": [{"key": "rt", "operator": "Exists"}],
        "volumes": [{"name": "cache", "emptyDir": {}}, {"name": "devshm", "emptyDir": {"medium": "Memory"}}],
        "serviceAccountName": "sa",
        "containers": [
            {"name": "kserve-container", "image": "example/server:1.0",
             "args": ["--model_name=iris", "--ns=default", "--extra"],
             "env": [{"name": "C", "value": "c"}, {"name": "A", "value": "a"}, {"name": "B", "value": "b2"}, ENV_NAME],
             "resources": {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"cpu": "1", "memory": "4Gi"}}},
            {"name": "sidecar", "image": "side:1", "args": ["{{.Name}}"], "env": [ENV_NAME]},  # no placeholders
            {"name": "logger", "image": "log:1", "env": [ENV_NAME]},
        ],
    }


def test_container_order_with_transformer_containers():
    body = """containers:
    - {name: helper, image: h:1}
    - {name: transformer-container, image: tr:1, args: [--rt], env: [{name: T, value: "{{.Name}}"}]}
    - {name: kserve-container, image: s:1}"""
    (result,), _ = build(MODEL + """\
  containers:
  - {name: transformer-container, args: ["--mine={{.Namespace}}"]}
  - {name: extra, image: e:1}
""", [runtime(body)])
    assert [c["name"] for c in result.spec["containers"]] == [
        "kserve-container", "transformer-container", "helper", "extra"]
    assert result.spec["containers"][1] == {
        "name": "transformer-container", "image": "tr:1", "args": ["--rt", "--mine=default"],
        "env": [{"name": "T", "value": "iris"}, ENV_NAME]}


def test_placeholder_problems_are_placed():
    body = """containers:
    - name: kserve-container
      image: s:1
      args: ["--impl={{.Labels.modelClass}}", "{{ call .Foo }}"]"""
    (result,), _ = build(MODEL, [runtime(body)])
    assert codes(result) == [(Severity.WARNING, placeholders.MISSING_KEY),
                             (Severity.ERROR, placeholders.PLACEHOLDER_ERROR)]
    missing, bad = result.diagnostics
    assert (missing.file, missing.field) == ("isvc.yaml", "spec.predictor.model")
    assert (bad.file, bad.field) == ("rt.yaml", "spec.containers[0]")
    assert bad.message.startswith("failed to replace placeholders in serving runtime rt Container kserve-container")


def test_isvc_name_env_overwrites_and_valuefrom_conflicts():
    (result,), _ = build(MODEL + "    env: [{name: INFERENCE_SERVICE_NAME, value: other}]\n")
    assert result.spec["containers"][0]["env"] == [ENV_NAME]
    (result,), _ = build(MODEL + "    env: [{name: INFERENCE_SERVICE_NAME, valueFrom: {fieldRef: "
                         "{fieldPath: metadata.name}}}]\n")
    assert codes(result) == [(Severity.ERROR, pod.ENV_CONFLICT)]


# ---------------------------------------------------------------------------------------------------
# Server types (docs/kserve-behaviour.md §2.3)


def typed(kind: str, image: str = "example/server:1.0", extra: str = "") -> model.Runtime:
    body = f"""protocolVersions: [v1, v2, grpc-v2]
  containers:
    - name: kserve-container
      image: {image}
      args: [--a]
      env: [{{name: RT, value: r}}]{extra}"""
    return runtime(body, annotations="{serving.kserve.io/server-type: " + kind + "}")


def kserve_container(results) -> dict:
    return results[0].spec["containers"][0]


# (id, server type, model fields, expected env of the kserve-container, expected args, labels)
SERVER_TYPES = [
    ("mlserver with storage", "mlserver", "storageUri: gs://b/m",
     [{"name": "MLSERVER_MODEL_NAME", "value": "iris"}, {"name": "MLSERVER_MODEL_URI", "value": "/mnt/models"},
      {"name": "RT", "value": "r"}, ENV_NAME], ["--a"], {"modelClass": "mlserver_sklearn.SKLearnModel"}),
    ("mlserver without storage", "mlserver", "env: [{name: MLSERVER_LOAD_MODELS_AT_STARTUP, value: 'true'}]",
     [{"name": "MLSERVER_LOAD_MODELS_AT_STARTUP", "value": "true"}, {"name": "RT", "value": "r"}, ENV_NAME],
     ["--a"], {"modelClass": "mlserver_sklearn.SKLearnModel"}),
    ("torchserve v1", "torchserve", "storageUri: gs://b/m",
     [{"name": "PROTOCOL_VERSION", "value": "v1"}, {"name": "RT", "value": "r"}, ENV_NAME], ["--a"],
     {"serviceEnvelope": "kserve"}),
    ("torchserve grpc-v2", "torchserve", "storageUri: gs://b/m\nprotocolVersion: grpc-v2",
     [{"name": "PROTOCOL_VERSION", "value": "grpc-v2"}, {"name": "RT", "value": "r"}, ENV_NAME], ["--a"],
     {"serviceEnvelope": "kservev2"}),
    ("triton without storage", "tritonserver", "args: [--x]",
     [{"name": "RT", "value": "r"}, ENV_NAME], ["--a", "--x", "--model-control-mode=explicit"], {}),
    ("triton with storage", "tritonserver", "storageUri: gs://b/m",
     [{"name": "RT", "value": "r"}, ENV_NAME], ["--a"], {}),
]


@pytest.mark.parametrize("kind, fields, env, args, labels", [s[1:] for s in SERVER_TYPES],
                         ids=[s[0] for s in SERVER_TYPES])
def test_server_type_defaults(kind, fields, env, args, labels):
    results, meta = build(MODEL + textwrap.indent(fields, "    ") + "\n", [typed(kind)])
    assert kserve_container(results)["env"] == env
    assert kserve_container(results)["args"] == args
    assert {k: v for k, v in meta["labels"].items()} == labels


@pytest.mark.parametrize("fmt, model_class", [("xgboost", "mlserver_xgboost.XGBoostModel"),
                                               ("lightgbm", "mlserver_lightgbm.LightGBMModel"),
                                               ("mlflow", "mlserver_mlflow.MLflowRuntime"),
                                               ("sklearn", "mlserver_sklearn.SKLearnModel")])
def test_mlserver_model_class_renders_into_the_runtime(fmt, model_class):
    text = textwrap.dedent(f"""\
        apiVersion: serving.kserve.io/v1alpha1
        kind: ClusterServingRuntime
        metadata: {{name: kserve-mlserver}}
        spec:
          supportedModelFormats: [{{name: {fmt}, version: "1", autoSelect: true}}]
          protocolVersions: [v2]
          containers:
          - name: kserve-container
            image: docker.io/seldonio/mlserver:1.7.1
            env: [{{name: MLSERVER_MODEL_IMPLEMENTATION, value: "{{{{.Labels.modelClass}}}}"}}]
        """)
    rt = model.runtime_from(load_text(text).documents[0], default_namespace="default")  # server type from the name
    results, meta = build(f"predictor:\n  model:\n    runtime: kserve-mlserver\n    modelFormat: {{name: {fmt}}}\n"
                          "    storageUri: gs://b/m\n", [rt])
    assert meta["labels"] == {"modelClass": model_class}
    assert results[0].spec["containers"][0]["env"] == [
        {"name": "MLSERVER_MODEL_NAME", "value": "iris"}, {"name": "MLSERVER_MODEL_URI", "value": "/mnt/models"},
        {"name": "MLSERVER_MODEL_IMPLEMENTATION", "value": model_class}, ENV_NAME]


def test_null_fields_read_as_absent():
    results, _ = build(MODEL + "    storageUri: gs://b/m\n    env: null\n    args: null\n", [typed("torchserve")])
    assert kserve_container(results)["env"] == [{"name": "PROTOCOL_VERSION", "value": "v1"}, {"name": "RT", "value": "r"},
                                                ENV_NAME]
    assert kserve_container(results)["args"] == ["--a"]


def test_empty_server_type_annotation_sets_no_defaults():
    (result,), meta = build(MODEL + "    storageUri: gs://b/m\n", [typed("")])
    assert meta["labels"] == {} and kserve_container([result])["env"] == [{"name": "RT", "value": "r"}, ENV_NAME]


GPU = "\n      resources: {limits: {nvidia.com/gpu: \"1\"}}"
MIG = "\n      resources: {limits: {nvidia.com/mig-1g.5gb: \"1\"}}"
# (id, server type, runtime image, runtime extra, model fields, expected image)
IMAGES = [
    ("runtimeVersion replaces the tag", "sklearnserver", "kserve/sklearnserver:v0.20.0", "",
     "runtimeVersion: v0.19.0", "kserve/sklearnserver:v0.19.0"),
    ("runtimeVersion adds a tag", "sklearnserver", "kserve/sklearnserver", "", "runtimeVersion: '1.2'",
     "kserve/sklearnserver:1.2"),
    ("runtimeVersion beside a registry port", "sklearnserver", "localhost:5000/server", "", "runtimeVersion: v2",
     "localhost:5000/server:v2"),
    ("runtimeVersion wins over GPU", "torchserve", "pytorch/torchserve-kfs:0.9.0", GPU, "runtimeVersion: 0.8.2",
     "pytorch/torchserve-kfs:0.8.2"),
    ("GPU adds -gpu", "torchserve", "pytorch/torchserve-kfs:0.9.0", GPU, "", "pytorch/torchserve-kfs:0.9.0-gpu"),
    ("GPU -gpu only once", "huggingfaceserver", "kserve/huggingfaceserver:v0.20.0-gpu", GPU, "",
     "kserve/huggingfaceserver:v0.20.0-gpu"),
    ("MIG counts as GPU", "tensorflow-serving", "tensorflow/serving:2.6.2", MIG, "", "tensorflow/serving:2.6.2-gpu"),
    ("GPU from the isvc", "tensorflow-serving", "tensorflow/serving:2.6.2", "",
     "resources: {limits: {nvidia.com/gpu: '2'}}", "tensorflow/serving:2.6.2-gpu"),
    ("GPU ignored for other servers", "sklearnserver", "kserve/sklearnserver:v0.20.0", GPU, "",
     "kserve/sklearnserver:v0.20.0"),
    ("no tag, no GPU suffix", "torchserve", "pytorch/torchserve-kfs", GPU, "", "pytorch/torchserve-kfs"),
    ("vllm without GPU: -cpu repository", "vllmserver", "vllm/vllm-openai:v0.20.0", "", "",
     "vllm/vllm-openai-cpu:v0.20.0"),
    ("vllm -cpu only once", "vllmserver", "vllm/vllm-openai-cpu:v0.20.0", "", "", "vllm/vllm-openai-cpu:v0.20.0"),
    ("vllm with GPU unchanged", "vllmserver", "vllm/vllm-openai:v0.20.0", GPU, "", "vllm/vllm-openai:v0.20.0"),
    ("digest untouched", "torchserve", "pytorch/torchserve-kfs@sha256:" + "a" * 64, GPU, "runtimeVersion: x",
     "pytorch/torchserve-kfs@sha256:" + "a" * 64),
    ("placeholders render before the tag rule", "vllmserver", "vllm/{{.Name}}:v1", "", "", "vllm/iris-cpu:v1"),
]


@pytest.mark.parametrize("kind, image, extra, fields, expected", [i[1:] for i in IMAGES], ids=[i[0] for i in IMAGES])
def test_image_tag_rules(kind, image, extra, fields, expected):
    results, _ = build(MODEL + (textwrap.indent(fields, "    ") + "\n" if fields else ""), [typed(kind, image, extra)])
    assert kserve_container(results)["image"] == expected


# ---------------------------------------------------------------------------------------------------
# Custom components (docs/kserve-behaviour.md §3, §4.2-4.4)


RESOURCES = {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}}


def test_custom_predictor():
    (result,), _ = build("""\
predictor:
  serviceAccountName: sa
  minReplicas: 1
  containers:
  - image: me/server:1
    resources: {limits: {cpu: "2"}}
    env: [{name: STORAGE_URI, value: "s3://b/m"}]
""")
    assert codes(result) == [(Severity.NOTICE, "KSC430")]
    assert result.annotations == {storage_uri.SOURCE_URI: "s3://b/m"}
    container = result.spec["containers"][0]
    assert container == {"image": "me/server:1", "name": "kserve-container",
                         "resources": {"limits": {"cpu": "2", "memory": "2Gi"},
                                       "requests": {"cpu": "1", "memory": "2Gi"}},
                         "env": [{"name": "STORAGE_URI", "value": "/mnt/models"}, ENV_NAME],
                         "volumeMounts": [{"name": "kserve-provision-location", "mountPath": "/mnt/models",
                                           "readOnly": True}]}
    assert result.spec["serviceAccountName"] == "sa" and "minReplicas" not in result.spec
    assert [c["name"] for c in result.spec["initContainers"]] == ["storage-initializer"]


@pytest.mark.parametrize("containers, names, code", [
    ("[{image: a:1}, {name: side, image: b:1}]", ["kserve-container", "side"], None),
    ("[{name: kserve-container, image: a:1}, {name: side, image: b:1}]", ["kserve-container", "side"], None),
    ("[{name: main, image: a:1}, {name: side, image: b:1}]", None, pod.NO_KSERVE_CONTAINER),
    ("[{name: main, image: a:1}, {name: kserve-container, image: b:1}]", None, pod.DUPLICATE_CONTAINER),
])
def test_custom_predictor_naming(containers, names, code):
    (result,), _ = build(f"predictor:\n  containers: {containers}\n")
    if code:
        assert codes(result) == [(Severity.ERROR, code)]
        return
    assert [c["name"] for c in result.spec["containers"]] == names
    assert all(c["env"] == [ENV_NAME] for c in result.spec["containers"])
    assert result.spec["containers"][0]["resources"] == RESOURCES and "resources" not in result.spec["containers"][1]


def test_transformer_args_and_env():
    _, transformer = build(MODEL + """\
transformer:
  containerConcurrency: 4
  containers:
  - name: my-transformer
    image: t:1
    args: [--model_name=custom, --http_port, "9000"]
  - {name: side, image: s:1}
""")[0]
    first, side = transformer.spec["containers"]
    assert first == {"name": "kserve-container", "image": "t:1", "resources": RESOURCES,
                     "args": ["--model_name=custom", "--http_port", "9000", "--predictor_host",
                              "iris-predictor.default", "--workers", "4"],
                     "env": [ENV_NAME]}
    assert side == {"name": "side", "image": "s:1"}
    assert transformer.diagnostics == []


def test_transformer_and_explainer_use_the_predictor_name():
    results, _ = build("""\
predictor:
  name: blue
  model: {modelFormat: {name: fmt}}
transformer:
  containers: [{image: t:1}]
explainer:
  containers: [{image: e:1, args: [--http_port=9000]}]
""")
    transformer, explainer = results[1].spec["containers"][0], results[2].spec["containers"][0]
    assert transformer["args"] == ["--model_name", "iris", "--predictor_host", "iris-blue-predictor.default",
                                   "--http_port", "8080"]
    assert explainer == {"image": "e:1", "args": ["--http_port=9000", "--model_name", "iris", "--predictor_host",
                                                  "iris-blue-predictor.default", "--http_port", "8080"],
                         "name": "kserve-container", "resources": RESOURCES}  # --http_port always; no env


def test_automount_service_account_token():
    (result,), _ = build(MODEL)
    assert "automountServiceAccountToken" not in result.spec       # shipped config: true
    ctx = dataclasses.replace(CTX, config=dataclasses.replace(BUILTIN, auto_mount_service_account_token=False))
    results, _ = build(MODEL + "  automountServiceAccountToken: true\ntransformer:\n  containers: [{image: t:1}]\n",
                       ctx=ctx)
    assert results[0].spec["automountServiceAccountToken"] is True
    assert results[1].spec["automountServiceAccountToken"] is False


def test_no_resource_defaults_without_inference_service_config():
    ctx = dataclasses.replace(CTX, config=dataclasses.replace(BUILTIN, resource_defaults={}))
    (result,), _ = build("predictor:\n  containers: [{image: a:1}]\n", ctx=ctx)
    assert "resources" not in result.spec["containers"][0]


# ---------------------------------------------------------------------------------------------------
# Storage through the pod step


def test_storage_helper_disabled_is_ignored_with_a_warning():
    body = DEFAULT_BODY + "\n  storageHelper: {disabled: true}"
    (result,), _ = build(MODEL + "    storageUri: s3://b/m\n", [runtime(body)])
    assert codes(result) == [(Severity.WARNING, storage.STORAGE_HELPER_IGNORED), (Severity.NOTICE, "KSC430")]
    assert [c["name"] for c in result.spec["initContainers"]] == ["storage-initializer"]


def test_readonly_annotation_and_storage_container_name():
    csc = {"metadata": {"name": "mine"}, "spec": {"container": {"name": "storage-initializer", "image": "dl:2"},
                                                  "supportedUriFormats": [{"prefix": "s3://"}]}}
    ctx = dataclasses.replace(CTX, storage_containers=(CSC, csc))
    (result,), _ = build(MODEL + "    storageUri: s3://b/m\n  storageContainerName: mine\n",
                         annotations="{storage.kserve.io/readonly: 'false'}", ctx=ctx)
    assert result.annotations == {storage_uri.SOURCE_URI: "s3://b/m", storage_uri.STORAGE_CONTAINER_NAME: "mine"}
    assert result.spec["initContainers"][0]["image"] == "dl:2"
    assert result.spec["containers"][0]["volumeMounts"] == [
        {"name": "kserve-provision-location", "mountPath": "/mnt/models"}]
    assert "storageContainerName" not in result.spec


def test_webhook_mode():
    ctx = dataclasses.replace(CTX, storage_injection="webhook")
    (result,), _ = build(MODEL + "    storageUri: s3://b/m\n", ctx=ctx)
    assert result.annotations == {storage_uri.SOURCE_URI: "s3://b/m"} and result.diagnostics == []
    assert "initContainers" not in result.spec and "volumeMounts" not in result.spec["containers"][0]


def test_renamed_model_container_cannot_take_storage():
    (result,), _ = build(MODEL + "    name: mine\n    storageUri: s3://b/m\n")
    assert codes(result) == [(Severity.WARNING, pod.RENAMED_CONTAINER), (Severity.ERROR, oci.NO_TARGET_CONTAINER)]
    assert result.spec["containers"][0]["name"] == "mine"


@pytest.mark.parametrize("spec, code", [
    (MODEL + "  volumes: [{name: devshm, configMap: {name: cm}}]\n", pod.VOLUME_CONFLICT),
    (MODEL + "    storageUri: s3://b/m\n    storage: {path: /x}\n", storage_uri.STORAGE_CONFLICT),
])
def test_errors(spec, code):
    body = DEFAULT_BODY + "\n  volumes: [{name: devshm, emptyDir: {medium: Memory}}]"
    (result,), _ = build(spec, [runtime(body)])
    assert (Severity.ERROR, code) in codes(result)
