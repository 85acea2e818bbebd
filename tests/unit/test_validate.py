"""validate: KServe documents against our v0.20 schemas and KServe's admission rules, as a user sees them:
the code, and the line and column of the key or value at fault."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from compiler.diagnostics import Severity
from compiler.sources.parse import load_text
from compiler.validate.documents import validate
from compiler.validate.runtime import same_priority_conflicts

REPO = Path(__file__).resolve().parents[2]

ISVC_HEAD = """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: iris
spec:
  predictor:
"""


def docs_of(text: str, file: str = "isvc.yaml"):
    loaded = load_text(textwrap.dedent(text), file)
    assert loaded.diagnostics == []
    return loaded.documents


def run(text: str, **kwargs):
    return validate(docs_of(text), **kwargs)


def where(diags):
    return [(d.code, d.line, d.column) for d in diags]


def isvc(predictor: str) -> str:
    """An InferenceService around a predictor body written at column 5."""
    return ISVC_HEAD + textwrap.indent(textwrap.dedent(predictor), "    ")


SKLEARN = """\
model:
  modelFormat:
    name: sklearn
  storageUri: gs://kfserving-examples/models/sklearn/1.0/model
"""


# ---------------------------------------------------------------------------------------------------
# Accepted


def test_minimal_inference_service_is_valid():
    assert run(isvc(SKLEARN)) == []


FULL = """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: flowers
  namespace: models
  labels: {team: vision}
  annotations:
    serving.kserve.io/autoscalerClass: hpa
    serving.kserve.io/deploymentMode: Standard
spec:
  predictor:
    name: blue
    minReplicas: 1
    maxReplicas: 4
    scaleMetric: cpu
    scaleMetricType: Utilization
    scaleTarget: 70
    containerConcurrency: 8
    timeout: 60
    canaryTrafficPercent: 10
    labels: {tier: gold}
    annotations: {note: "x"}
    serviceAccountName: models-sa
    nodeSelector: {pool: gpu}
    tolerations:
      - {key: gpu, operator: Exists, effect: NoSchedule}
    imagePullSecrets:
      - name: regcred
    deploymentStrategy:
      type: RollingUpdate
      rollingUpdate: {maxSurge: 1, maxUnavailable: "25%"}
    logger: {mode: all, url: "http://logger.default"}
    batcher: {maxBatchSize: 32, maxLatency: 500}
    autoScaling:
      metrics:
        - type: Resource
          resource:
            name: cpu
            target: {type: Utilization, averageUtilization: 60}
      behavior:
        scaleDown:
          stabilizationWindowSeconds: 300
          policies:
            - {type: Pods, value: 1, periodSeconds: 60}
    model:
      modelFormat: {name: tensorflow, version: "2"}
      runtime: kserve-tensorflow-serving
      protocolVersion: v1
      runtimeVersion: "2.6.2"
      storageUri: gs://kfserving-examples/models/tensorflow/flowers
      args: ["--rest_api_timeout_in_ms=1000"]
      env:
        - {name: TF_CPP_MIN_LOG_LEVEL, value: "2"}
        - name: POD_NAME
          valueFrom:
            fieldRef: {fieldPath: metadata.name}
      ports:
        - {containerPort: 8080, protocol: TCP}
      resources:
        requests: {cpu: "100m", memory: 1Gi}
        limits: {cpu: 1, memory: 2Gi, nvidia.com/gpu: 1}
      readinessProbe:
        httpGet: {path: /v1/models/flowers}
      volumeMounts:
        - {name: cache, mountPath: /cache}
    volumes:
      - name: cache
        emptyDir: {sizeLimit: 1Gi}
  transformer:
    containers:
      - name: kserve-container
        image: kserve/image-transformer:v0.20.0
        env:
          - {name: STORAGE_URI, value: "gs://bucket/transformer"}
  explainer:
    containers:
      - name: explainer
        image: example/explainer:1
        livenessProbe:
          httpGet: {path: /healthz}
status:
  url: http://flowers.models.example.com
  anything: KServe keeps unknown status fields
"""


def test_a_full_inference_service_is_valid():
    # Valid, but it sets fields KServe's Standard mode ignores: those get compiler.validate.fields warnings only.
    from compiler.validate import fields
    field_codes = {fields.CANARY_TRAFFIC_PERCENT, fields.KNATIVE_ONLY, fields.NOT_USED_BY_KSERVE}
    assert [d for d in run(FULL) if d.code not in field_codes] == []
    assert all(d.severity.value == "warning" for d in run(FULL))


def test_legacy_framework_block_is_valid():
    assert run(isvc("""\
        sklearn:
          storageUri: s3://bucket/model
          protocolVersion: v2
          resources:
            limits: {cpu: "1", memory: 2Gi}
        """)) == []


def test_probe_port_is_optional_on_the_model_as_in_kserves_crd():
    """KServe's Makefile drops `required: [port]` from httpGet/tcpSocket probes of the model (Knative)."""
    assert run(isvc(SKLEARN + "  readinessProbe:\n    tcpSocket: {}\n")) == []


def test_every_builtin_runtime_of_the_catalog_is_valid():
    files = sorted((REPO / "catalog").glob("*.yaml"))
    assert files
    for path in files:
        diags = validate(docs_of(path.read_text(), path.name))
        assert diags == [], (path.name, [d.message for d in diags])


EXAMPLE_RUNTIME = """\
apiVersion: serving.kserve.io/v1alpha1
kind: ServingRuntime
metadata:
  name: example-runtime
spec:
  supportedModelFormats:
    - name: example-format
      version: "1"
      autoSelect: true
      priority: 1
  protocolVersions: [v1]
  containers:
    - name: kserve-container
      image: examplemodelserver:latest
      args: ["--model_dir=/mnt/models", "--http_port=8080"]
"""


def test_the_seeds_example_runtime_is_valid():
    assert run(EXAMPLE_RUNTIME) == []


def test_a_cluster_runtime_needs_no_namespace():
    assert run(EXAMPLE_RUNTIME.replace("kind: ServingRuntime", "kind: ClusterServingRuntime")) == []


def test_cluster_storage_container_is_valid():
    assert run("""\
        apiVersion: serving.kserve.io/v1alpha1
        kind: ClusterStorageContainer
        metadata:
          name: s3-only
        spec:
          container:
            name: storage-initializer
            image: kserve/storage-initializer:v0.20.0
          supportedUriFormats:
            - prefix: s3://
            - regex: "https?://(.+)/(.+)"
          workloadType: initContainer
        """) == []


def test_other_documents_are_not_looked_at():
    assert run("""\
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: anything}
        data: {key: value}
        bogus: field
        """) == []


# ---------------------------------------------------------------------------------------------------
# Unknown fields: KSC201 at the key, with a hint


def test_misspelt_storage_uri_points_at_the_key_and_names_the_field():
    diags = run(isvc("""\
        model:
          modelFormat: {name: sklearn}
          storageURI: s3://bucket/model
        """))
    assert where(diags) == [("KSC201", 9, 7)]
    assert diags[0].field == "spec.predictor.model.storageURI"
    assert diags[0].message == 'spec.predictor.model: unknown field "storageURI"'
    assert '"storageUri"' in diags[0].hint


def test_misspelt_field_inside_a_container():
    diags = run(isvc("""\
        containers:
          - name: kserve-container
            imagee: example/model:1
        """))
    assert where(diags) == [("KSC201", 9, 9)]
    assert 'did you mean "image"?' == diags[0].hint


def test_each_unknown_field_is_its_own_diagnostic():
    diags = run(isvc("""\
        model:
          modelFormat: {name: sklearn}
          runtme: kserve-sklearnserver
          storageURI: s3://x
        """))
    assert where(diags) == [("KSC201", 9, 7), ("KSC201", 10, 7)]


def test_autoselect_is_case_sensitive():
    diags = run(EXAMPLE_RUNTIME.replace("autoSelect", "autoselect"))
    assert where(diags) == [("KSC201", 9, 7)]
    assert '"autoSelect"' in diags[0].hint


def test_the_top_level_is_closed():
    diags = run(isvc(SKLEARN).replace("spec:", "Spec:"))
    assert ("KSC201", 5, 1) in where(diags)
    assert ("KSC203", 1, 1) in where(diags)  # and spec is then missing


def test_storage_uri_on_the_predictor_is_pointed_to_the_model():
    diags = run(isvc(SKLEARN + "storageUri: s3://elsewhere\n"))
    assert where(diags) == [("KSC201", 11, 5)]
    assert "spec.predictor.model" in diags[0].hint


def test_runtime_status_accepts_nothing():
    diags = run(EXAMPLE_RUNTIME + "status:\n  ready: true\n")
    assert where(diags) == [("KSC201", 17, 3)]


def test_inference_service_status_is_open():
    assert run(isvc(SKLEARN) + "status:\n  whatever: 1\n") == []


# ---------------------------------------------------------------------------------------------------
# Types: KSC202 at the value


def test_wrong_type_points_at_the_value():
    diags = run(isvc("minReplicas: two\n" + SKLEARN))
    assert where(diags) == [("KSC202", 7, 18)]
    assert diags[0].message == 'spec.predictor.minReplicas: expected integer, got string "two"'


def test_unquoted_version_is_rejected_with_a_quoting_hint():
    diags = run(isvc("""\
        model:
          modelFormat:
            name: sklearn
            version: 1
        """))
    assert where(diags) == [("KSC202", 10, 18)]
    assert 'quote it: "1"' in diags[0].hint


def test_unquoted_runtime_format_version_is_rejected():
    diags = run(EXAMPLE_RUNTIME.replace('version: "1"', "version: 1"))
    assert where(diags) == [("KSC202", 8, 16)]


def test_label_values_must_be_strings():
    diags = run(isvc(SKLEARN).replace("  name: iris\n", "  name: iris\n  labels:\n    replicas: 3\n"))
    assert where(diags) == [("KSC202", 6, 15)]


def test_cpu_as_a_float_is_rejected_with_the_quantity_hint():
    diags = run(isvc(SKLEARN + "  resources:\n    limits:\n      cpu: 0.1\n"))
    assert where(diags) == [("KSC202", 13, 16)]
    assert diags[0].hint == 'quote it: "0.1", or write "100m"'  # the user's own value, both ways


def test_cpu_as_a_string_or_an_integer_is_accepted():
    body = SKLEARN + '  resources:\n    limits:\n      cpu: "100m"\n      memory: 2Gi\n    requests:\n      cpu: 1\n'
    assert run(isvc(body)) == []


def test_a_quantity_string_must_be_a_quantity():
    diags = run(isvc(SKLEARN + "  resources:\n    limits:\n      memory: lots\n"))
    assert where(diags) == [("KSC204", 13, 19)]


def test_int_or_string_rejects_a_float():
    diags = run(isvc("deploymentStrategy:\n  rollingUpdate: {maxSurge: 0.5}\n" + SKLEARN))
    assert where(diags) == [("KSC202", 8, 33)]


def test_null_fields_are_dropped_as_the_api_server_does():
    docs = docs_of(isvc(SKLEARN + "  runtime: null\n  protocolVersion: ~\n"))
    assert validate(docs) == []
    assert "runtime" not in docs[0].data["spec"]["predictor"]["model"]


# ---------------------------------------------------------------------------------------------------
# Required fields, values, duplicates


def test_missing_required_field_points_at_the_parent():
    diags = run(isvc("model:\n  modelFormat:\n    version: \"1\"\n"))
    assert where(diags) == [("KSC203", 8, 7)]
    assert diags[0].field == "spec.predictor.model.modelFormat.name"


def test_predictor_is_required():
    diags = run("""\
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata: {name: iris}
        spec:
          transformer:
            containers: [{name: t, image: x}]
        """)
    assert where(diags) == [("KSC203", 4, 1)]


def test_priority_zero_is_rejected():
    diags = run(EXAMPLE_RUNTIME.replace("priority: 1", "priority: 0"))
    assert where(diags) == [("KSC204", 10, 17)]
    assert "at least 1" in diags[0].message


def test_bad_enum_value_suggests_the_right_case():
    diags = run(isvc("scaleMetric: CPU\n" + SKLEARN))
    assert where(diags) == [("KSC204", 7, 18)]
    assert '"cpu"' in diags[0].hint


def test_duplicate_env_names_are_rejected_at_the_second():
    diags = run(isvc(SKLEARN + "  env:\n    - {name: A, value: '1'}\n    - {name: A, value: '2'}\n"))
    assert where(diags) == [("KSC206", 13, 12)]
    assert "(also at env[0])" in diags[0].message


def test_ports_are_keyed_by_port_and_protocol_with_tcp_as_default():
    body = SKLEARN + "  ports:\n    - containerPort: 8080\n    - containerPort: 8080\n      protocol: TCP\n"
    assert where(run(isvc(body))) == [("KSC206", 13, 11)]
    assert run(isvc(body.replace("protocol: TCP", "protocol: UDP"))) == []


def test_duplicate_volume_mount_paths_are_rejected():
    body = SKLEARN + "  volumeMounts:\n    - {name: a, mountPath: /x}\n    - {name: b, mountPath: /x}\n"
    assert [d.code for d in run(isvc(body))] == ["KSC206"]


def test_unknown_api_version_of_a_kserve_kind():
    diags = run(isvc(SKLEARN).replace("v1beta1", "v1alpha2"))
    assert where(diags) == [("KSC207", 1, 13)]
    assert diags[0].hint == "use apiVersion: serving.kserve.io/v1beta1"


# ---------------------------------------------------------------------------------------------------
# Names


def test_inference_service_name_follows_kserves_webhook():
    diags = run(isvc(SKLEARN).replace("name: iris", "name: 1iris"))
    assert where(diags) == [("KSC205", 4, 9)]
    assert diags[0].message.startswith('the InferenceService "1iris" is invalid: a InferenceService name must')
    assert "[a-z]([-a-z0-9]*[a-z0-9])?" in diags[0].message


def test_runtime_names_may_hold_dots():
    assert run(EXAMPLE_RUNTIME.replace("name: example-runtime", "name: example.runtime-1")) == []


def test_label_key_and_value_syntax():
    text = isvc(SKLEARN).replace("  name: iris\n", "  name: iris\n  labels:\n    bad key: x\n    ok: 'has space'\n")
    assert where(run(text)) == [("KSC205", 6, 5), ("KSC205", 7, 9)]


def test_metadata_name_is_required():
    diags = run(isvc(SKLEARN).replace("  name: iris\n", "  labels: {a: b}\n"))
    assert where(diags) == [("KSC203", 3, 1)]


# ---------------------------------------------------------------------------------------------------
# KServe's webhook rules (docs/kserve-behaviour.md §1, §3)


@pytest.mark.parametrize("replicas, message, at", [
    ("minReplicas: -1", "'MinReplicas' cannot be less than 0", (7, 18)),
    ("maxReplicas: -1", "'MaxReplicas' cannot be less than 0", (7, 18)),
    ("minReplicas: 3\nmaxReplicas: 2", "'MinReplicas' cannot be greater than MaxReplicas", (7, 18)),
])
def test_replica_rules(replicas, message, at):
    diags = run(isvc(replicas + "\n" + SKLEARN))
    assert [(d.code, d.message, (d.line, d.column)) for d in diags] == [("KSC210", message, at)]


def test_max_replicas_zero_means_no_limit():
    assert run(isvc("minReplicas: 3\nmaxReplicas: 0\n" + SKLEARN)) == []


def test_unsupported_autoscaler_class():
    text = isvc(SKLEARN).replace("  name: iris\n", "  name: iris\n  annotations:\n"
                                 "    serving.kserve.io/autoscalerClass: kpa\n")
    diags = run(text)
    assert where(diags) == [("KSC211", 6, 40)]
    assert diags[0].message == "[kpa] is not a supported autoscaler class type"


@pytest.mark.parametrize("cls", ["hpa", "external", "keda", "none"])
def test_supported_autoscaler_classes(cls):
    text = isvc(SKLEARN).replace("  name: iris\n", f"  name: iris\n  annotations:\n"
                                 f"    serving.kserve.io/autoscalerClass: {cls}\n")
    assert run(text) == []


def test_storage_uri_with_storage_path():
    diags = run(isvc(SKLEARN + "  storage:\n    path: models/iris\n"))
    assert where(diags) == [("KSC212", 12, 9)]
    assert diags[0].message == "must provide only one of storageUri and storage.path"


def test_name_is_not_allowed_in_the_model():
    diags = run(isvc(SKLEARN + "  name: my-container\n"))
    assert where(diags) == [("KSC215", 11, 7)]
    assert diags[0].message == "the 'name' field is not allowed in standard predictor"


def test_logger_needs_a_mode():
    diags = run(isvc("logger: {url: 'http://x'}\n" + SKLEARN))
    assert [(d.code, d.message) for d in diags] == [("KSC217", "invalid logger type")]


def test_pythonpath_env_is_blocked():
    diags = run(isvc(SKLEARN + "  env:\n    - {name: PYTHONPATH, value: /x}\n"))
    assert where(diags) == [("KSC218", 12, 18)]


def test_hpa_class_refuses_a_concurrency_metric():
    text = isvc("scaleMetric: concurrency\n" + SKLEARN).replace(
        "  name: iris\n", "  name: iris\n  annotations:\n    serving.kserve.io/autoscalerClass: hpa\n")
    assert [d.message for d in run(text)] == ["[concurrency] is not a supported metric"]


def test_unknown_protocol_version_is_a_warning():
    diags = run(isvc(SKLEARN + "  protocolVersion: V2\n"))
    assert [(d.code, d.severity) for d in diags] == [("KSC221", Severity.WARNING)]


def test_webhook_rules_wait_for_a_valid_schema():
    diags = run(isvc("minReplicas: 3\nmaxReplicas: two\n" + SKLEARN))
    assert [d.code for d in diags] == ["KSC202"]


# ---------------------------------------------------------------------------------------------------
# Runtimes of the same priority (servingruntime_webhook.go)


def runtime(name: str, *, kind: str = "ServingRuntime", fmt: str = "sklearn", version: str | None = "1",
            priority: int | None = 1, protocols: str = "[v1, v2]", extra: str = "") -> str:
    version_line = f'      version: "{version}"\n' if version is not None else ""
    priority_line = f"      priority: {priority}\n" if priority is not None else ""
    return (f"apiVersion: serving.kserve.io/v1alpha1\nkind: {kind}\nmetadata:\n  name: {name}\nspec:\n"
            f"  supportedModelFormats:\n    - name: {fmt}\n{version_line}      autoSelect: true\n{priority_line}"
            f"  protocolVersions: {protocols}\n{extra}  containers:\n    - name: kserve-container\n      image: x\n")


def conflicts(*texts: str, catalog: str | None = None):
    docs = []
    for i, text in enumerate(texts):
        docs += docs_of(text, f"rt{i}.yaml")
    if catalog:
        for doc in docs_of(catalog, "catalog.yaml"):
            doc.origin = "catalog"
            docs.insert(0, doc)
    return same_priority_conflicts(docs)


def test_same_priority_is_a_conflict_on_the_later_runtime():
    diags = conflicts(runtime("a"), runtime("b"))
    assert [(d.code, d.file, d.line, d.column) for d in diags] == [("KSC213", "rt1.yaml", 10, 17)]
    assert diags[0].message == ("same priority assigned for the model format sklearn in the servingruntimes a "
                                "and b in namespace default")


def test_different_priorities_do_not_conflict():
    assert conflicts(runtime("a"), runtime("b", priority=2)) == []


def test_format_names_compare_case_insensitively():
    assert [d.code for d in conflicts(runtime("a"), runtime("b", fmt="SKLearn"))] == ["KSC213"]


@pytest.mark.parametrize("change", [
    {"version": "2"},                       # another version
    {"version": None},                      # absent on one side only
    {"protocols": "[grpc-v2]"},             # no shared protocol
    {"protocols": "[]"},                    # none listed: never shares one
    {"priority": None},                     # priority unset
    {"extra": "  multiModel: true\n"},      # other multiModel
    {"kind": "ClusterServingRuntime"},      # other scope
])
def test_no_conflict_when(change):
    assert conflicts(runtime("a"), runtime("b", **change)) == []


def test_other_namespaces_do_not_conflict():
    other = runtime("b").replace("  name: b\n", "  name: b\n  namespace: team\n")
    assert conflicts(runtime("a"), other) == []


def test_a_disabled_runtime_neither_conflicts_nor_is_checked():
    assert conflicts(runtime("a", extra="  disabled: true\n"), runtime("b")) == []
    assert conflicts(runtime("a"), runtime("b", extra="  disabled: true\n")) == []


def test_cluster_runtimes_conflict_with_cluster_runtimes():
    diags = conflicts(runtime("a", kind="ClusterServingRuntime"), runtime("b", kind="ClusterServingRuntime"))
    assert [d.message for d in diags] == [
        "same priority assigned for the model format sklearn in the clusterservingruntimes a and b"]


def test_a_source_runtime_conflicts_with_a_builtin_one():
    builtin = (REPO / "catalog" / "kserve-sklearnserver.yaml").read_text()
    mine = runtime("my-sklearn", kind="ClusterServingRuntime")
    diags = conflicts(mine, catalog=builtin)
    assert [d.code for d in diags] == ["KSC213"]
    assert "built in" in diags[0].hint


def test_a_source_runtime_replacing_a_builtin_one_is_compared_as_itself():
    builtin = (REPO / "catalog" / "kserve-sklearnserver.yaml").read_text()
    mine = runtime("kserve-sklearnserver", kind="ClusterServingRuntime")
    assert conflicts(mine, catalog=builtin) == []


def test_one_runtimes_entries_of_one_format_with_different_priorities():
    text = runtime("a").replace("  protocolVersions:", "    - name: sklearn\n      version: \"2\"\n"
                                "      autoSelect: true\n      priority: 2\n  protocolVersions:")
    diags = conflicts(text)
    assert [(d.code, d.line) for d in diags] == [("KSC214", 14)]
    assert diags[0].message == "different priorities assigned for the model format sklearn under the servingruntime a"


def test_hpa_memory_target_over_100_is_refused_like_kserve():
    """KServe's check reads `metric == cpu && target < 1 || target > 100`: memory targets over 100 fail too."""
    text = isvc("scaleMetric: memory\nscaleTarget: 200\n" + SKLEARN).replace(
        "  name: iris\n", "  name: iris\n  annotations:\n    serving.kserve.io/autoscalerClass: hpa\n")
    assert [d.message for d in run(text)] == ["the target utilization percentage should be a [1-100] integer"]


def test_storage_uris_with_a_storage_uri_and_paths_without_common_parent():
    both = isvc(SKLEARN + "storageUris:\n  - uri: s3://a/b\n")
    assert [d.message for d in run(both)] == ["Setting both StorageURI and StorageURIs is not supported."]
    apart = isvc("containers:\n  - name: kserve-container\n    image: x\nstorageUris:\n"
                 "  - {uri: s3://a, mountPath: /mnt/a}\n  - {uri: s3://b, mountPath: /opt/b}\n")
    assert [d.code for d in run(apart)] == ["KSC219"]
    assert [d.code for d in run(apart.replace("/opt/b", "/mnt/b"))] == []  # valid


def test_a_collocated_transformer_container_must_not_carry_storage_uri():
    text = isvc(SKLEARN + "containers:\n  - name: transformer-container\n    image: x\n    env:\n"
                "      - {name: STORAGE_URI, value: 's3://x'}\n")
    assert [d.message for d in run(text)] == ["storage uri should not be specified in transformer container"]


def test_runtime_worker_spec_rules():
    text = runtime("mn", extra="  workerSpec:\n    tensorParallelSize: 0\n    containers:\n"
                               "      - {name: worker-container, image: x}\n")
    assert [d.message for d in run(text)] == [
        "the ServingRuntime mn is invalid: the WorkerSpec.TensorParallelSize cannot be less than 1(0)"]


def test_runtime_checks_are_skipped_for_a_disabled_runtime():
    text = runtime("disabled-rt", extra="  disabled: true\n").replace("      image: x\n", "      image: x\n      env:\n"
                                                             "        - {name: PYTHONPATH, value: /x}\n")
    assert run(text) == []
    assert [d.code for d in run(text.replace("  disabled: true\n", ""))] == ["KSC218"]


def test_crds_may_be_given_as_a_folder_path(tmp_path):
    (tmp_path / "none.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    assert run(isvc(SKLEARN), crds=str(tmp_path)) == []  # no CRD for the kind: our schema applies
    assert where(run(isvc(SKLEARN + "  storageURI: x\n"), crds=tmp_path)) == [("KSC201", 11, 7)]


# ---------------------------------------------------------------------------------------------------
# Never a traceback: whatever the document holds, Diagnostics come out


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

JUNK = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False, allow_infinity=False),
              st.text(max_size=4)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.sampled_from(["name", "env", "spec", "priority", "autoSelect",
                                                             "containers", "model", "minReplicas", "x"]),
                                            inner, max_size=3)),
    max_leaves=6)
RUNTIME_PATHS = [("spec",), ("spec", "supportedModelFormats"), ("spec", "supportedModelFormats", 0),
                 ("spec", "supportedModelFormats", 0, "priority"), ("spec", "protocolVersions"),
                 ("spec", "containers"), ("spec", "workerSpec"), ("metadata",), ("metadata", "name"),
                 ("metadata", "labels"), ("spec", "disabled"), ("spec", "multiModel")]
ISVC_PATHS = [("spec",), ("spec", "predictor"), ("spec", "predictor", "model"), ("spec", "predictor", "minReplicas"),
              ("spec", "predictor", "model", "env"), ("spec", "predictor", "logger"), ("spec", "transformer"),
              ("spec", "predictor", "storageUris"), ("metadata", "annotations"), ("metadata", "namespace"),
              ("status",)]


def _replace(doc, path, value):
    node = doc.data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


@settings(max_examples=150, deadline=None)
@given(runtime_junk=st.lists(st.tuples(st.sampled_from(RUNTIME_PATHS), JUNK), max_size=2),
       isvc_junk=st.lists(st.tuples(st.sampled_from(ISVC_PATHS), JUNK), max_size=2))
def test_junk_anywhere_gives_diagnostics_never_an_exception(runtime_junk, isvc_junk):
    docs = docs_of(runtime("a") + "---\n" + runtime("b") + "---\n" + isvc(SKLEARN))
    for path, value in runtime_junk:
        try:
            _replace(docs[1], path, value)
        except (KeyError, IndexError, TypeError):
            pass
    for path, value in isvc_junk:
        try:
            _replace(docs[2], path, value)
        except (KeyError, IndexError, TypeError):
            pass
    diags = validate(docs) + same_priority_conflicts(docs[:2])
    assert all(d.code.startswith("KSC2") and d.file == "isvc.yaml" for d in diags)
