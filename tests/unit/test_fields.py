"""Nothing dropped without a word (compiler/validate/fields.py, docs/fields.md): each accepted field our output does not
reflect gets its warning, with the code, the line and column of its key, and a message saying what KServe
does; and every leaf of our InferenceService and ServingRuntime schemas is in the audit table."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from compiler.validate import fields
from compiler.diagnostics import Severity
from compiler.sources.parse import load_text
from compiler.pipeline import compile
from compiler.settings import Settings
from compiler.validate.documents import validate

REPO = Path(__file__).resolve().parents[2]
CODES = {fields.CANARY_TRAFFIC_PERCENT, fields.KNATIVE_ANNOTATION,
         fields.NO_SCALE_TO_ZERO, fields.LEGACY_API_GROUP, fields.KNATIVE_ONLY, fields.NOT_USED_BY_KSERVE,
         fields.NOT_REPRODUCED, fields.MODELMESH_ONLY}

SKLEARN = """\
model:
  modelFormat:
    name: sklearn
  storageUri: gs://kfserving-examples/models/sklearn/1.0/model
"""


def isvc(predictor: str, annotations: str = "", extra: str = "") -> str:
    """An InferenceService whose predictor body starts at line 7 (9 with one annotation), column 5."""
    head = "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: iris\n"
    if annotations:
        head += "  annotations:\n" + textwrap.indent(textwrap.dedent(annotations), "    ")
    return (head + "spec:\n  predictor:\n" + textwrap.indent(textwrap.dedent(predictor), "    ")
            + extra)


def runtime(extra: str) -> str:
    return ("apiVersion: serving.kserve.io/v1alpha1\nkind: ServingRuntime\nmetadata:\n  name: rt\nspec:\n"
            "  supportedModelFormats:\n    - {name: sklearn, autoSelect: true}\n"
            "  containers:\n    - {name: kserve-container, image: x}\n" + extra)


def run(text: str):
    loaded = load_text(text, "f.yaml")
    assert loaded.diagnostics == []
    return validate(loaded.documents)


def ours(diags):
    return [(d.code, d.line, d.column) for d in diags if d.code in CODES]


def only(diags, code):
    found = [d for d in diags if d.code == code]
    assert len(found) == 1, [(d.code, d.message) for d in diags]
    assert found[0].severity is (Severity.ERROR if code == fields.LEGACY_API_GROUP else Severity.WARNING)
    return found[0]


# ---------------------------------------------------------------------------------------------------
# The classes of field, one test each


def test_storage_uris_get_no_field_warning():
    """storageUris are reproduced (expand/storage_uris.py): KSC236 is retired, on every component."""
    text = isvc("containers:\n  - name: kserve-container\n    image: x\nstorageUris:\n"
                "  - {uri: s3://a/m1, mountPath: /mnt/models/m1}\n")
    assert ours(run(text)) == []
    extra = ("  transformer:\n    containers:\n      - {name: t, image: x}\n    storageUris:\n"
             "      - {uri: s3://a/t}\n")
    assert ours(run(isvc(SKLEARN, extra=extra))) == []


def test_canary_traffic_percent_is_knative_only():
    diags = run(isvc("canaryTrafficPercent: 10\n" + SKLEARN))
    assert ours(diags) == [("KSC237", 7, 5)]
    d = only(diags, "KSC237")
    assert "canaryTrafficPercent is Knative-only" in d.message and "ignores it" in d.message


def test_knative_autoscaling_annotations_say_what_kserve_does_with_them():
    text = isvc("annotations:\n  autoscaling.knative.dev/target: '5'\n" + SKLEARN,
                annotations="autoscaling.knative.dev/min-scale: '0'\n")
    diags = run(text)
    assert ours(diags) == [("KSC238", 6, 5), ("KSC238", 10, 7)]
    top, component = [d for d in diags if d.code == "KSC238"]
    assert top.field == "metadata.annotations.autoscaling.knative.dev/min-scale"
    assert "read only by Knative's autoscaler" in top.message
    assert "drops it from the Deployment" in top.message and "disallow list" in top.message
    assert "Ingress copies it" in top.message and "minReplicas" in top.hint
    assert component.field == "spec.predictor.annotations.autoscaling.knative.dev/target"
    assert "copies it onto the Deployment" in component.message and "nothing reads it" in component.message


def test_min_replicas_zero_under_an_hpa_does_not_scale_to_zero():
    diags = run(isvc("minReplicas: 0\n" + SKLEARN))
    assert ours(diags) == [("KSC239", 7, 5)]
    d = only(diags, "KSC239")
    assert "no scale-to-zero in Standard mode" in d.message and "max(minReplicas, 1)" in d.message
    assert "autoscalerClass: none" in d.hint
    # explicit hpa: the same; autoscalerClass none: replicas 0 is what KServe makes, no warning
    assert ours(run(isvc("minReplicas: 0\n" + SKLEARN, "serving.kserve.io/autoscalerClass: hpa\n"))) == [
        ("KSC239", 9, 5)]
    assert ours(run(isvc("minReplicas: 0\n" + SKLEARN, "serving.kserve.io/autoscalerClass: none\n"))) == []


def test_the_pre_kserve_api_group_is_an_error_with_the_apiversion_hint():
    text = isvc(SKLEARN).replace("serving.kserve.io/v1beta1", "serving.kubeflow.org/v1beta1")
    loaded = load_text(text, "f.yaml")
    result = compile(Settings(expand=False), documents=loaded.documents)
    d = only(result.diagnostics, "KSC240")
    assert (d.line, d.column, d.field) == (1, 13, "apiVersion")
    assert "KServe v0.20 does not serve" in d.message
    assert "no matches for kind InferenceService in version serving.kubeflow.org/v1beta1" in d.message
    assert d.hint == "change apiVersion to serving.kserve.io/v1beta1"
    assert result.failed()


def test_knative_only_fields_container_concurrency_and_timeout():
    diags = run(isvc("containerConcurrency: 4\ntimeout: 30\n" + SKLEARN))
    assert ours(diags) == [("KSC241", 7, 5), ("KSC241", 8, 5)]
    concurrency, timeout = [d for d in diags if d.code == "KSC241"]
    assert "containerConcurrency is Knative-only for a predictor" in concurrency.message
    assert "timeout" in timeout.message and "HTTPRoutes" in timeout.message
    # a transformer's containerConcurrency becomes --workers: reproduced, no warning
    extra = "  transformer:\n    containerConcurrency: 2\n    containers:\n      - {name: t, image: x}\n"
    assert ours(run(isvc(SKLEARN, extra=extra))) == []


def test_timeout_is_no_warning_under_gateway_api():
    """With ingress.enableGatewayApi the timeout is the HTTPRoute's request timeout: reproduced."""
    loaded = load_text(isvc("timeout: 30\n" + SKLEARN), "f.yaml")
    assert ours(validate(loaded.documents, gateway_api=True)) == []
    assert ours(validate(loaded.documents)) == [("KSC241", 7, 5)]


@pytest.mark.parametrize("body, path, words", [
    ("scaleMetricType: Utilization\n" + SKLEARN, (7, 5), "scaleMetricType is ignored by KServe's HPA"),
    ("autoScaling:\n  behavior: {}\n" + SKLEARN, (8, 7), "autoScaling.behavior is ignored"),
    ("scaleTarget: 50\nautoScaling: {}\n" + SKLEARN, (7, 5), "scaleTarget is ignored because autoScaling is set"),
    ("batcher:\n  timeout: 5\n" + SKLEARN, (8, 7), "batcher.timeout is read by nothing"),
    ("model:\n  modelFormat: {name: sklearn}\n  storage: {key: k, path: p, schemaPath: s}\n", (9, 34),
     "storage.schemaPath is read by nothing"),
    ("autoScaling:\n  metrics:\n    - type: External\n      external:\n        metric: {backend: prometheus, "
     "query: q}\n        target: {type: Value, value: '1'}\n" + SKLEARN, (9, 11), "External and PodMetric are for KEDA"),
])
def test_fields_kserve_does_not_use_in_standard_mode(body, path, words):
    diags = run(isvc(body))
    assert ours(diags) == [("KSC242", *path)]
    assert words in only(diags, "KSC242").message


def test_scale_fields_without_an_hpa():
    diags = run(isvc("maxReplicas: 3\n" + SKLEARN, "serving.kserve.io/autoscalerClass: none\n"))
    assert ours(diags) == [("KSC242", 9, 5)]
    assert "no effect with autoscalerClass none" in only(diags, "KSC242").message


def test_confidential_is_used_by_kserve_and_not_reproduced():
    diags = run(isvc(SKLEARN + "  confidential: {enabled: true}\n"))
    assert ours(diags) == [("KSC243", 11, 7)]
    d = only(diags, "KSC243")
    assert "confidential is not reproduced" in d.message and "confidential-enabled" in d.message


def test_modelmesh_only_runtime_fields():
    diags = run(runtime("  grpcDataEndpoint: port:8085\n"))
    assert ours(diags) == [("KSC244", 10, 3)]
    assert "read only by ModelMesh" in only(diags, "KSC244").message


def test_a_runtimes_host_ipc_is_dropped_by_kserve():
    diags = run(runtime("  hostIPC: true\n"))
    assert ours(diags) == [("KSC242", 10, 3)]
    assert "hostIPC is dropped" in only(diags, "KSC242").message
    assert ours(run(runtime("  hostIPC: false\n"))) == []   # the built-in huggingface runtimes say so


def test_no_warning_on_an_invalid_document():
    """The webhook's error comes alone: fields' warnings wait for a valid document."""
    both = isvc(SKLEARN + "storageUris:\n  - uri: s3://a/b\n")
    assert [d.code for d in run(both)] == ["KSC219"]


def test_the_builtin_catalog_and_the_examples_give_no_field_warning():
    for path in sorted((REPO / "catalog").glob("*.yaml")) + sorted((REPO / "examples" / "repo").rglob("*.yaml")):
        loaded = load_text(path.read_text(), path.name)
        assert ours(validate(loaded.documents)) == [], path


# ---------------------------------------------------------------------------------------------------
# The audit covers every schema field


SCHEMAS = REPO / "schemas"
PLACEHOLDERS = {
    "<component>": ("predictor", "transformer", "explainer"),
    "<impl>": ("model", "sklearn", "xgboost", "tensorflow", "pytorch", "triton", "onnx", "huggingface", "pmml",
               "lightgbm", "paddle"),
    "<probe>": ("livenessProbe", "readinessProbe"),
    "<source>": ("resource", "external", "podmetric"),
}


def _resolve(node: dict, current: str, loaded: dict) -> tuple[dict | None, str]:
    while "$ref" in node:
        ref = node["$ref"]
        if ref.startswith("https://"):   # a Kubernetes type: a leaf of our audit
            return None, current
        file, _, pointer = ref.partition("#")
        current = file or current
        if current not in loaded:
            loaded[current] = json.loads((SCHEMAS / current).read_text())
        node = loaded[current]
        for part in pointer.strip("/").split("/"):
            node = node[part]
    return node, current


def _children(node: dict, current: str, loaded: dict) -> dict:
    node, current = _resolve(node, current, loaded)
    if node is None:
        return {}
    if node.get("type") == "array" and isinstance(node.get("items"), dict):
        return {"[]": (node["items"], current)}
    out = {}
    for sub in node.get("allOf", ()):
        out.update(_children(sub, current, loaded))
    out.update({k: (v, current) for k, v in node.get("properties", {}).items()})
    return out


def leaf_paths(schema_file: str) -> list[str]:
    loaded = {schema_file: json.loads((SCHEMAS / schema_file).read_text())}
    out: list[str] = []

    def walk(node, current, path):
        children = _children(node, current, loaded)
        if not children:
            out.append(path)
        for key, (child, where) in children.items():
            walk(child, where, path + key if key == "[]" else (f"{path}.{key}" if path else key))
    walk(loaded[schema_file], schema_file, "")
    return out


def audited(section: str) -> list[str]:
    """The backticked field paths in the first column of docs/fields.md's tables under `section`."""
    text = (REPO / "docs" / "fields.md").read_text()
    start = text.index(f"## {section}")
    end = text.find("\n## ", start + 1)
    rows = re.findall(r"^\| `([^`]+)` \|", text[start:end if end != -1 else None], re.M)
    assert rows, section
    return rows


def _expand(pattern: str) -> list[str]:
    for name, values in PLACEHOLDERS.items():
        if name in pattern:
            return [p for v in values for p in _expand(pattern.replace(name, v, 1))]
    return [pattern]


def _covered(path: str, patterns: list[str]) -> bool:
    for pattern in patterns:
        for concrete in _expand(pattern):
            if concrete == path or (concrete.endswith(".**") and path.startswith(concrete[:-2])):
                return True
    return False


@pytest.mark.parametrize("schema_file, section", [("inferenceservice.json", "InferenceService"),
                                                  ("servingruntime.json", "ServingRuntime")])
def test_every_schema_leaf_is_audited_in_docs_fields_md(schema_file, section):
    patterns = audited(section)
    leaves = leaf_paths(schema_file)
    assert len(leaves) > 40  # the walk reached the nested definitions
    missing = [p for p in leaves if not _covered(p, patterns)]
    assert missing == [], f"add these fields to docs/fields.md ({section}): {missing}"
    stale = [p for p in patterns if not any(_covered(leaf, [p]) for leaf in leaves)]
    assert stale == [], f"docs/fields.md names fields the schema does not have: {stale}"


def test_every_code_the_audit_names_exists():
    text = (REPO / "docs" / "fields.md").read_text()
    defined = set()
    for path in (REPO / "compiler").rglob("*.py"):
        defined.update(re.findall(r'^[A-Z][A-Z0-9_]*\s*=\s*"(KSC\d{3})"', path.read_text(), re.M))
    named = set(re.findall(r"KSC\d{3}", text))
    assert CODES <= named
    assert named - defined == set()
