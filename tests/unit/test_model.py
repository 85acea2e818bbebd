"""Model building (compiler/model.py): KServe's InferenceService defaulting webhook, docs/kserve-behaviour.md §3.

Where the spec is silent the expectation is KServe v0.20.0's source (kserve/kserve at tag v0.20.0):
  pkg/apis/serving/v1beta1/inference_service_defaults.go  DefaultInferenceService, setPredictorModelDefaults,
                                                          assign*Runtime
  pkg/apis/serving/v1beta1/predictor.go                   GetImplementations
  pkg/apis/serving/v1beta1/predictor_custom.go, transformer_custom.go, explainer_custom.go  Default
  pkg/apis/serving/v1beta1/inference_service_validation.go validateExactlyOneImplementation
"""

from __future__ import annotations

import copy
import textwrap

import pytest
import yaml

from compiler import model
from compiler.diagnostics import Severity
from compiler.sources.parse import load_text
from compiler.model import FRAMEWORKS, ModelFormat

NS = "default"


def isvc_text(spec: str, *, name: str = "my-model", namespace: str | None = None,
              annotations: str | None = None) -> str:
    lines = ["apiVersion: serving.kserve.io/v1beta1", "kind: InferenceService", "metadata:", f"  name: {name}"]
    if namespace:
        lines.append(f"  namespace: {namespace}")
    if annotations:
        lines.append(f"  annotations: {annotations}")
    lines.append("spec:")
    lines += ["  " + line for line in textwrap.dedent(spec).strip().splitlines()]
    return "\n".join(lines) + "\n"


def build(spec: str, **kw):
    loaded = load_text(isvc_text(spec, **kw))
    assert not loaded.diagnostics, loaded.diagnostics
    doc = loaded.documents[0]
    before = copy.deepcopy(doc.data)
    isvc, diags = model.inference_service_from(doc, default_namespace=NS)
    assert doc.data == before, "building must not change the document"
    return isvc, diags


def codes(diags) -> list[str]:
    return sorted(d.code for d in diags)


# ---------------------------------------------------------------------------------------------------
# Legacy framework blocks


LEGACY_BLOCK = """
predictor:
  minReplicas: 2
  serviceAccountName: sa
  {key}:
    storageUri: gs://bucket/{key}
    runtimeVersion: "9.9"
    args: [--flag]
    env: [{{name: A, value: b}}]
    resources: {{limits: {{cpu: "2"}}}}
"""


@pytest.mark.parametrize("key", FRAMEWORKS)
def test_legacy_block_maps_to_model_format(key: str) -> None:
    isvc, diags = build(LEGACY_BLOCK.format(key=key))
    pred = isvc.predictor
    assert pred.kind == "predictor" and not pred.custom
    assert pred.legacy == key
    assert pred.format == ModelFormat(key, None)
    assert pred.runtime is None, "v0.20 names no runtime: it is auto-selected"
    assert pred.model_path == ("spec", "predictor", key)
    assert pred.model["modelFormat"] == {"name": key}
    # the block's fields are carried over
    for field_, value in {"storageUri": f"gs://bucket/{key}", "runtimeVersion": "9.9", "args": ["--flag"],
                          "env": [{"name": "A", "value": "b"}], "resources": {"limits": {"cpu": "2"}}}.items():
        assert pred.model[field_] == value
    assert pred.storage_uri == f"gs://bucket/{key}"
    # the block is replaced by predictor.model; the predictor's own fields stay
    assert key not in pred.spec and pred.spec["model"] is pred.model
    assert pred.spec["minReplicas"] == 2 and pred.spec["serviceAccountName"] == "sa"
    # KSC230: a notice, at the block
    assert codes(diags) == ["KSC230"]
    (notice,) = diags
    assert notice.severity == Severity.NOTICE
    assert f"predictor.{key}" in notice.message
    assert notice.field == f"spec.predictor.{key}"
    assert notice.line == 9  # the key line of the block
    # the hint is the current form as a block-style YAML fragment, ready to paste (issue 15), not JSON
    assert notice.hint.startswith(f"the current form is:\npredictor:\n  model:\n    modelFormat:\n      name: {key}\n")
    assert "  env:\n      - name: A\n        value: b\n" in notice.hint and "{" not in notice.hint
    # the modelFormat annotation names the framework
    assert isvc.annotations["modelFormat"] == key


@pytest.mark.parametrize("key, protocol", [
    *[pytest.param(k, "v2", id=f"{k}-defaults-v2") for k in ("triton", "onnx", "huggingface")],
    *[pytest.param(k, None, id=f"{k}-no-default") for k in FRAMEWORKS
      if k not in ("triton", "onnx", "huggingface")],
])
def test_legacy_protocol_default(key: str, protocol: str | None) -> None:
    isvc, _ = build(f"predictor:\n  {key}: {{storageUri: gs://b/m}}")
    assert isvc.predictor.protocol == protocol
    assert isvc.predictor.model.get("protocolVersion") == protocol


@pytest.mark.parametrize("key", ["triton", "onnx", "huggingface", "sklearn"])
@pytest.mark.parametrize("protocol", ["v1", "grpc-v2"])
def test_legacy_protocol_set_is_kept(key: str, protocol: str) -> None:
    isvc, _ = build(f"predictor:\n  {key}: {{storageUri: gs://b/m, protocolVersion: {protocol}}}")
    assert isvc.predictor.protocol == protocol
    assert isvc.predictor.model["protocolVersion"] == protocol


def test_legacy_hint_is_the_equivalent_model_form() -> None:
    _, diags = build("predictor:\n  sklearn: {storageUri: gs://b/m, runtimeVersion: '1.2'}")
    hint = diags[0].hint
    shown = yaml.safe_load(hint.split("the current form is:\n", 1)[1])  # pasted, it reads back the same
    assert shown == {"predictor": {"model": {"modelFormat": {"name": "sklearn"}, "storageUri": "gs://b/m",
                                             "runtimeVersion": "1.2"}}}


@pytest.mark.parametrize("block, protocol", [
    pytest.param("onnx: {storageUri: gs://b/m}", "v2", id="onnx-default-v2"),
    pytest.param("huggingface: {storageUri: gs://b/m}", "v2", id="huggingface-default-v2"),
    pytest.param("onnx: {storageUri: gs://b/m, protocolVersion: grpc-v2}", "grpc-v2", id="onnx-user-set"),
])
def test_legacy_hint_keeps_the_protocol_the_model_form_needs(block: str, protocol: str) -> None:
    _, diags = build("predictor:\n  " + block)
    shown = yaml.safe_load(diags[0].hint.split("the current form is:\n", 1)[1])["predictor"]["model"]
    assert shown.get("protocolVersion") == protocol


def test_legacy_empty_protocol_is_not_defaulted() -> None:
    isvc, _ = build('predictor:\n  onnx: {storageUri: gs://b/m, protocolVersion: ""}')
    assert isvc.predictor.protocol == ""


# ---------------------------------------------------------------------------------------------------
# predictor.model defaults


@pytest.mark.parametrize("fmt, given, expected", [
    pytest.param("{name: triton}", None, "v2", id="triton-defaults-v2"),
    pytest.param("{name: vLLM}", None, "v2", id="vLLM-defaults-v2"),
    pytest.param("{name: vLLM, version: '1'}", None, "v2", id="vLLM-with-version-defaults-v2"),
    pytest.param("{name: vllm}", None, None, id="lowercase-vllm-no-default"),
    pytest.param("{name: Triton}", None, None, id="Triton-case-sensitive-no-default"),
    pytest.param("{name: onnx}", None, None, id="onnx-model-form-no-default"),
    pytest.param("{name: huggingface}", None, None, id="huggingface-model-form-no-default"),
    pytest.param("{name: sklearn}", None, None, id="sklearn-no-default"),
    pytest.param("{name: triton}", "v1", "v1", id="triton-set-v1-kept"),
    pytest.param("{name: vLLM}", "grpc-v2", "grpc-v2", id="vLLM-set-kept"),
    pytest.param("{name: sklearn}", "v2", "v2", id="sklearn-set-kept"),
])
def test_model_protocol_default(fmt: str, given: str | None, expected: str | None) -> None:
    extra = f"\n    protocolVersion: {given}" if given else ""
    isvc, diags = build(f"predictor:\n  model:\n    modelFormat: {fmt}{extra}")
    assert diags == []
    assert isvc.predictor.protocol == expected
    assert isvc.predictor.model.get("protocolVersion") == expected
    assert isvc.predictor.legacy is None
    assert isvc.predictor.model_path == ("spec", "predictor", "model")


def test_model_fields() -> None:
    isvc, diags = build("""
        predictor:
          model:
            modelFormat: {name: sklearn, version: "1"}
            runtime: my-runtime
            storageUri: s3://b/m
        """)
    pred = isvc.predictor
    assert diags == []
    assert (pred.format, pred.runtime, pred.storage_uri) == (ModelFormat("sklearn", "1"), "my-runtime", "s3://b/m")
    assert str(pred.format) == "sklearn:1" and pred.format.kserve_repr() == "{sklearn 1}"
    assert ModelFormat("sklearn").kserve_repr() == "{sklearn <nil>}"


def test_model_without_format_has_no_format_and_no_annotation() -> None:
    isvc, diags = build("predictor:\n  model: {storageUri: gs://b/m}")
    assert diags == [] and isvc.predictor.format is None
    assert "modelFormat" not in isvc.annotations


# ---------------------------------------------------------------------------------------------------
# Annotations


@pytest.mark.parametrize("spec, annotations, expected", [
    pytest.param("predictor: {model: {modelFormat: {name: xgboost}}}", None, "xgboost", id="model-adds"),
    pytest.param("predictor: {pmml: {storageUri: gs://b/m}}", None, "pmml", id="legacy-adds"),
    pytest.param("predictor: {model: {modelFormat: {name: xgboost}}}", "{modelFormat: mine}", "mine",
                 id="present-is-kept"),
    pytest.param("predictor: {model: {modelFormat: {name: xgboost}}}", '{modelFormat: ""}', "",
                 id="present-empty-is-kept"),
    pytest.param("predictor: {containers: [{name: c, image: i}]}", None, None, id="custom-gets-none"),
])
def test_model_format_annotation(spec: str, annotations: str | None, expected: str | None) -> None:
    isvc, _ = build(spec, annotations=annotations)
    assert isvc.annotations.get("modelFormat") == expected


MODE = "serving.kserve.io/deploymentMode"


@pytest.mark.parametrize("given, diag", [
    pytest.param(None, None, id="absent-added-as-Standard"),
    pytest.param("Standard", None, id="Standard-kept"),
    pytest.param("RawDeployment", "KSC248", id="RawDeployment-rewritten-with-a-notice"),
    pytest.param('""', None, id="empty-is-Standard"),
    pytest.param("Knative", "KSC233", id="Knative-warned"),
    pytest.param("Serverless", ["KSC233", "KSC248"], id="Serverless-warned-and-its-old-name-noticed"),
    pytest.param("ModelMesh", "KSC233", id="ModelMesh-warned"),
])
def test_deployment_mode_annotation(given: str | None, diag: str | None) -> None:
    annotations = f"{{{MODE}: {given}, team: ml}}" if given else "{team: ml}"
    isvc, diags = build("predictor: {model: {modelFormat: {name: sklearn}}}", annotations=annotations)
    assert isvc.annotations[MODE] == "Standard"
    assert isvc.annotations["team"] == "ml"
    assert codes(diags) == ([] if diag is None else [diag] if isinstance(diag, str) else diag)
    if diag == "KSC248":
        (d,) = diags
        assert d.severity == Severity.NOTICE and "old name" in d.message and "Standard" in d.message
    elif diag:
        d = next(x for x in diags if x.code == "KSC233")
        assert d.severity == Severity.WARNING
        assert given in d.message and "Standard" in d.message
        assert d.field == f"metadata.annotations.{MODE}"


def test_annotations_do_not_leak_into_the_document() -> None:
    isvc, _ = build("predictor: {model: {modelFormat: {name: sklearn}}}")
    assert "annotations" not in isvc.doc.metadata
    assert isvc.annotations == {"modelFormat": "sklearn", MODE: "Standard"}


def test_names_and_namespace() -> None:
    isvc, _ = build("predictor: {model: {modelFormat: {name: sklearn}}}", name="a", namespace="team")
    assert (isvc.name, isvc.namespace) == ("a", "team")
    isvc, _ = build("predictor: {model: {modelFormat: {name: sklearn}}}")
    assert isvc.namespace == NS


# ---------------------------------------------------------------------------------------------------
# Exactly one implementation; multi-node


@pytest.mark.parametrize("predictor", [
    pytest.param("{sklearn: {storageUri: gs://b/m}, xgboost: {storageUri: gs://b/m}}", id="two-legacy-blocks"),
    pytest.param("{model: {modelFormat: {name: a}}, onnx: {storageUri: gs://b/m}, "
                 "pmml: {storageUri: gs://b/m}}", id="model-and-two-legacy-blocks"),
    pytest.param("{minReplicas: 1}", id="none"),
    pytest.param("{containers: []}", id="empty-containers-is-none"),
])
def test_not_exactly_one_implementation_KSC231(predictor: str) -> None:
    isvc, diags = build(f"predictor: {predictor}")
    assert isvc is None
    assert codes(diags) == ["KSC231"]
    assert diags[0].severity == Severity.ERROR
    assert diags[0].field == "spec.predictor"


def test_two_implementations_are_named() -> None:
    _, diags = build("predictor: {sklearn: {storageUri: gs://b/m}, xgboost: {storageUri: gs://b/m}}")
    assert "sklearn, xgboost" in diags[0].message


def test_model_with_sidecar_containers_is_one_implementation() -> None:
    isvc, diags = build("""
        predictor:
          model: {modelFormat: {name: sklearn}}
          containers: [{name: transformer-container, image: t}]
        """)
    assert diags == [] and not isvc.predictor.custom
    assert isvc.predictor.spec["containers"] == [{"name": "transformer-container", "image": "t"}]


def test_model_and_kserve_container_is_two_implementations() -> None:
    isvc, diags = build("""
        predictor:
          model: {modelFormat: {name: sklearn}}
          containers: [{name: kserve-container, image: mine}]
        """)
    assert isvc is None and codes(diags) == ["KSC231"]


def test_worker_spec_is_kept_for_expansion() -> None:
    """KSC232 is retired: a multi-node predictor is expanded as KServe does (expand/multinode.py)."""
    isvc, diags = build("predictor: {model: {modelFormat: {name: huggingface}}, workerSpec: {tensorParallelSize: 2}}")
    assert codes(diags) == []
    assert isvc is not None and isvc.predictor.spec["workerSpec"] == {"tensorParallelSize": 2}


# ---------------------------------------------------------------------------------------------------
# Custom components: container naming


@pytest.mark.parametrize("containers, names", [
    pytest.param("[{name: server, image: i}]", ["kserve-container"], id="only-one-renamed"),
    pytest.param("[{image: i}]", ["kserve-container"], id="only-one-unnamed"),
    pytest.param("[{image: i}, {name: side, image: s}]", ["kserve-container", "side"], id="first-unnamed-renamed"),
    pytest.param("[{name: '', image: i}, {name: side, image: s}]", ["kserve-container", "side"],
                 id="first-empty-name-renamed"),
    pytest.param("[{name: server, image: i}, {name: side, image: s}]", ["server", "side"],
                 id="first-named-of-two-kept"),
    pytest.param("[{name: side, image: s}, {name: kserve-container, image: i}]", ["side", "kserve-container"],
                 id="kserve-container-second-kept"),
])
def test_custom_predictor_container_names(containers: str, names: list[str]) -> None:
    isvc, diags = build(f"predictor:\n  serviceAccountName: sa\n  containers: {containers}")
    pred = isvc.predictor
    assert diags == []
    assert pred.custom and pred.model is None and pred.format is None and pred.runtime is None
    assert [c.get("name") for c in pred.spec["containers"]] == names
    assert pred.spec["serviceAccountName"] == "sa"


@pytest.mark.parametrize("kind", ["transformer", "explainer"])
@pytest.mark.parametrize("containers, names", [
    pytest.param("[{name: my-transformer, image: t}]", ["kserve-container"], id="named-renamed"),
    pytest.param("[{image: t}]", ["kserve-container"], id="unnamed-named"),
    pytest.param("[{name: first, image: t}, {name: second, image: s}]", ["kserve-container", "second"],
                 id="first-of-two-renamed"),
])
def test_transformer_and_explainer_first_container_renamed(kind: str, containers: str, names: list[str]) -> None:
    isvc, diags = build(f"""
        predictor: {{model: {{modelFormat: {{name: sklearn}}}}}}
        {kind}:
          containers: {containers}
        """)
    assert diags == []
    comp = isvc.component(kind)
    assert comp is not None and comp.custom and comp.path == ("spec", kind)
    assert [c.get("name") for c in comp.spec["containers"]] == names
    assert [c.kind for c in isvc.components] == ["predictor", kind]


def test_components_in_order() -> None:
    isvc, _ = build("""
        explainer: {containers: [{name: e, image: e}]}
        transformer: {containers: [{name: t, image: t}]}
        predictor: {sklearn: {storageUri: gs://b/m}}
        """)
    assert [c.kind for c in isvc.components] == ["predictor", "transformer", "explainer"]
    assert isvc.component("predictor") is isvc.predictor


def test_art_explainer_is_a_component() -> None:
    """KSC234 is retired: the ART explainer is built as KServe builds it (expand/art.py)."""
    isvc, diags = build("""
        predictor: {model: {modelFormat: {name: sklearn}}}
        explainer: {art: {type: SquareAttack}}
        """)
    assert codes(diags) == []
    assert isvc is not None and isvc.component("explainer").spec["art"] == {"type": "SquareAttack"}
    isvc, diags = build("""
        predictor: {model: {modelFormat: {name: sklearn}}}
        explainer: {art: {type: SquareAttack}, containers: [{name: e, image: e}]}
        """)
    assert codes(diags) == ["KSC231"] and isvc is None


# ---------------------------------------------------------------------------------------------------
# Runtimes


def runtime(text: str, **kw) -> model.Runtime:
    loaded = load_text(textwrap.dedent(text))
    assert not loaded.diagnostics
    return model.runtime_from(loaded.documents[0], default_namespace=NS, **kw)


def test_runtime_from_reads_every_selection_field() -> None:
    rt = runtime("""
        apiVersion: serving.kserve.io/v1alpha1
        kind: ServingRuntime
        metadata: {name: r, annotations: {serving.kserve.io/server-type: mlserver}}
        spec:
          supportedModelFormats:
            - {name: sklearn, version: "1", autoSelect: true, priority: 2}
            - {name: xgboost, autoSelect: false}
            - {name: lightgbm}
          protocolVersions: [v2, grpc-v2]
          multiModel: true
          disabled: true
          workerSpec: {containers: [{name: w, image: w}]}
          containers: [{name: kserve-container, image: i}]
        """, builtin=True)
    assert (rt.name, rt.namespace, rt.cluster, rt.kind, rt.builtin) == ("r", NS, False, "ServingRuntime", True)
    assert [(f.name, f.version, f.auto_select, f.priority) for f in rt.formats] == [
        ("sklearn", "1", True, 2), ("xgboost", None, False, None), ("lightgbm", None, False, None)]
    assert rt.protocols == ("v2", "grpc-v2")
    assert (rt.multi_model, rt.disabled, rt.multi_node) == (True, True, True)
    assert rt.containers == [{"name": "kserve-container", "image": "i"}]
    assert rt.annotations == {"serving.kserve.io/server-type": "mlserver"}
    assert rt.label == "ServingRuntime r (built-in)"


def test_runtime_from_defaults() -> None:
    rt = runtime("""
        apiVersion: serving.kserve.io/v1alpha1
        kind: ClusterServingRuntime
        metadata: {name: c, namespace: ignored}
        spec: {}
        """)
    assert (rt.namespace, rt.cluster, rt.kind) == (None, True, "ClusterServingRuntime")
    assert (rt.formats, rt.protocols, rt.containers) == ((), (), [])
    assert (rt.multi_model, rt.disabled, rt.multi_node, rt.builtin) == (False, False, False, False)
    assert rt.label == "ClusterServingRuntime c"


def test_runtime_label_in_namespace() -> None:
    rt = runtime("""
        apiVersion: serving.kserve.io/v1alpha1
        kind: ServingRuntime
        metadata: {name: r, namespace: team}
        spec: {containers: []}
        """)
    assert rt.label == "ServingRuntime r in namespace team"


def test_a_canary_is_the_stable_predictor_with_the_canary_merged_over_it():
    # buildCanaryPredictor (KServe v0.20.0): mergo with override, the canary's non-empty fields win
    isvc, diags = build("""\
        predictor:
          minReplicas: 4
          labels: {team: a, track: stable}
          model: {modelFormat: {name: sklearn}, storageUri: "gs://a/b", runtime: kserve-sklearnserver}
        canary:
          - trafficPercent: 10
            predictor:
              name: v2
              labels: {track: canary}
              model: {name: kserve-container, modelFormat: {name: sklearn}, storageUri: "gs://a/c"}
        """)
    assert diags == [] and isvc is not None
    stable, canary = isvc.components
    assert stable.canary is None and canary.canary == 0 and canary.kind == "predictor"
    assert canary.spec["name"] == "v2" and canary.spec["labels"] == {"team": "a", "track": "canary"}
    assert canary.model["storageUri"] == "gs://a/c" and canary.runtime == "kserve-sklearnserver"
    assert canary.path == ("spec", "canary", 0, "predictor")
