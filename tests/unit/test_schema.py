"""schema: our KServe v0.20 schemas, --crds conversion, and Kubernetes' schemas for emitted objects."""

from __future__ import annotations

import copy
import json
import os
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from compiler.schema import bundle as schema_bundle
from compiler.schema import crd
from compiler.schema import kserve as kserve_schema
from compiler.schema import kubernetes as k8s_schema
from compiler.diagnostics import UsageError
from compiler.sources.parse import load_text
from compiler.validate.documents import validate
from conftest import tree_paths

REPO = Path(__file__).resolve().parents[2]
ISVC = ("serving.kserve.io/v1beta1", "InferenceService")
SR = ("serving.kserve.io/v1alpha1", "ServingRuntime")

VALID_ISVC = {
    "apiVersion": ISVC[0], "kind": ISVC[1], "metadata": {"name": "iris"},
    "spec": {"predictor": {
        "minReplicas": 1,
        "model": {"modelFormat": {"name": "sklearn", "version": "1"}, "storageUri": "s3://b/m",
                  "resources": {"limits": {"cpu": "1", "memory": "2Gi"}},
                  "env": [{"name": "A", "value": "1"}]},
    }},
}


def errors(key, data):
    return list(kserve_schema.validator_for(*key).iter_errors(data))


# ---------------------------------------------------------------------------------------------------
# Our schema files


def test_schema_files_are_valid_draft_2020_12():
    files = sorted((REPO / "schemas").glob("*.json"))
    assert {f.name for f in files} >= {"inferenceservice.json", "servingruntime.json",
                                        "clusterstoragecontainer.json", "common.json"}
    for path in files:
        Draft202012Validator.check_schema(json.loads(path.read_text()))


def test_every_ref_in_our_schemas_resolves():
    registry = kserve_schema._kserve_registry()
    for uri, document in kserve_schema.own_schemas().items():
        resolver = registry.resolver(base_uri=uri)
        refs = [node["$ref"] for node in kserve_schema._walk(document) if isinstance(node.get("$ref"), str)]
        assert refs
        for ref in refs:
            assert resolver.lookup(ref).contents is not None, (uri, ref)


def test_kubernetes_types_point_into_the_1_34_strict_definitions():
    text = (REPO / "schemas" / "inferenceservice.json").read_text()
    assert '"https://kubernetes.io/api/_definitions.json#/$defs/io.k8s.api.core.v1.PodSpec/properties/volumes"' in text


@pytest.mark.parametrize("key", sorted(kserve_schema.SCHEMA_FILES))
def test_a_validator_per_kserve_kind(key):
    assert kserve_schema.validator_for(*key) is kserve_schema.validator_for(*key)  # built once


@pytest.mark.parametrize("key", [("serving.kserve.io/v1alpha2", "InferenceService"), ("v1", "ConfigMap"),
                                 ("serving.kserve.io/v1beta1", "ServingRuntime")])
def test_no_validator_for_what_we_do_not_model(key):
    assert kserve_schema.validator_for(*key) is None


def test_a_valid_inference_service_passes():
    assert errors(ISVC, VALID_ISVC) == []


@pytest.mark.parametrize("value, ok", [("100m", True), ("0.1", True), (1, True), ("2Gi", True), ("1e3", True),
                                       (0.1, False), ("lots", False), (None, False), (True, False)])
def test_quantity_is_ours_an_integer_or_a_quantity_string(value, ok):
    data = copy.deepcopy(VALID_ISVC)
    data["spec"]["predictor"]["model"]["resources"]["limits"]["cpu"] = value
    assert (errors(ISVC, data) == []) is ok


@pytest.mark.parametrize("value, ok", [(1, True), ("25%", True), (0.5, False), (None, False)])
def test_int_or_string_is_ours(value, ok):
    data = copy.deepcopy(VALID_ISVC)
    data["spec"]["predictor"]["deploymentStrategy"] = {"rollingUpdate": {"maxSurge": value}}
    assert (errors(ISVC, data) == []) is ok


def test_kubernetes_validate_is_left_alone_for_emitted_objects():
    """Our Quantity replaces kubernetes-validate's only inside KServe objects: Kubernetes itself accepts
    `cpu: 0.5` in a Deployment, and check() must not call a user's pass-through object our bug."""
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
                  "spec": {"selector": {}, "template": {"spec": {"containers": [
                      {"name": "c", "image": "x", "resources": {"limits": {"cpu": 0.5}}}]}}}}
    assert list(k8s_schema.kubernetes_validator("1.34", "apps/v1", "Deployment").iter_errors(deployment)) == []


def test_cluster_runtime_metadata_needs_no_namespace_and_status_accepts_nothing():
    runtime = {"apiVersion": SR[0], "kind": "ClusterServingRuntime", "metadata": {"name": "rt"},
               "spec": {"containers": [{"name": "kserve-container", "image": "x"}]}}
    assert errors(("serving.kserve.io/v1alpha1", "ClusterServingRuntime"), runtime) == []
    runtime["status"] = {"ready": True}
    assert [e.validator for e in errors(("serving.kserve.io/v1alpha1", "ClusterServingRuntime"), runtime)] == [
        "additionalProperties"]


def test_flattening_keeps_wrong_values_from_looking_unknown():
    """Draft 2020-12 drops the annotations of a failing allOf branch, so with unevaluatedProperties a
    field of the wrong type would also be 'unevaluated'. The flat form reports only the type."""
    data = copy.deepcopy(VALID_ISVC)
    data["spec"]["predictor"]["minReplicas"] = "two"
    assert [e.validator for e in errors(ISVC, data)] == ["type"]


# The transformations schema/kserve.py applies (flatten, inline_refs) must not change a verdict: compare with the
# files exactly as written, through jsonschema's own unevaluatedProperties and $ref resolution.
_PLAIN = kserve_schema.KServeValidator(
    kserve_schema.own_schemas()[kserve_schema.SCHEMA_BASE + "inferenceservice.json"],
    registry=kserve_schema._kserve_registry().with_resources(
        [(uri, kserve_schema.Resource.from_contents(s)) for uri, s in kserve_schema.own_schemas().items()]))

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(0, 2, allow_nan=False),
                    st.sampled_from(["", "x", "100m", "v2", "TCP", "sklearn", "25%"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=2), st.dictionaries(st.sampled_from(["name", "value", "cpu", "x", "port"]), inner,
                                                 max_size=2)), max_leaves=4)
KEYS = st.sampled_from(["minReplicas", "storageUri", "storageURI", "model", "modelFormat", "name", "version",
                        "resources", "limits", "cpu", "env", "value", "ports", "containerPort", "readinessProbe",
                        "httpGet", "port", "logger", "mode", "containers", "image", "zz"])


# Edits that keep the document valid where they land (so both verdicts get exercised).
FITTING = {
    ("spec", "predictor"): [("maxReplicas", 3), ("logger", {"mode": "all"}), ("containerConcurrency", 2),
                            ("annotations", {"a": "b"}), ("storageUris", [{"uri": "s3://x"}])],
    ("spec", "predictor", "model"): [("runtime", "kserve-sklearnserver"), ("protocolVersion", "v2"),
                                     ("ports", [{"containerPort": 8080}]), ("readinessProbe", {"httpGet": {}}),
                                     ("env", [{"name": "A"}, {"name": "B"}]), ("storage", {"key": "k"})],
}


def _mutate(doc, data):
    op = data.draw(st.sampled_from(["insert", "fit", "delete"]))
    fits = [where for where in sorted(FITTING) if isinstance(_at(doc, where), dict)]
    if op == "fit" and fits:
        where = data.draw(st.sampled_from(fits))
        key, value = data.draw(st.sampled_from(FITTING[where]))
        _at(doc, where)[key] = copy.deepcopy(value)
        return
    paths = [p for p in tree_paths(doc) if len(p) > 1 and p[0] == "spec"]
    if not paths:
        return
    path = data.draw(st.sampled_from(paths))
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    if op == "delete" and isinstance(parent, dict):
        del parent[path[-1]]
    elif isinstance(parent[path[-1]], dict):
        parent[path[-1]][data.draw(KEYS)] = data.draw(VALUES)
    else:
        parent[path[-1]] = data.draw(VALUES)


def _at(doc, path):
    for part in path:
        doc = doc.get(part) if isinstance(doc, dict) else None
    return doc


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_flattened_and_inlined_schema_gives_the_written_schemas_verdict(data):
    doc = copy.deepcopy(VALID_ISVC)
    for _ in range(data.draw(st.integers(1, 3))):
        _mutate(doc, data)
    ours = not any(True for _ in kserve_schema.validator_for(*ISVC).iter_errors(doc))
    written = not any(True for _ in _PLAIN.iter_errors(doc))
    assert ours == written


# ---------------------------------------------------------------------------------------------------
# --crds


CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            apiVersion: {type: string}
            kind: {type: string}
            metadata: {type: object}
            spec:
              type: object
              required: [size]
              properties:
                size:
                  x-kubernetes-int-or-string: true
                  anyOf: [{type: integer}, {type: string}]
                cpu:
                  x-kubernetes-int-or-string: true
                  anyOf: [{type: integer}, {type: string}]
                  pattern: '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$'
                free:
                  type: object
                  x-kubernetes-preserve-unknown-fields: true
                template:
                  type: object
                  x-kubernetes-embedded-resource: true
                  x-kubernetes-preserve-unknown-fields: true
                note: {type: string, nullable: true}
                tags:
                  type: array
                  x-kubernetes-list-type: set
                  items: {type: string}
                items:
                  type: array
                  x-kubernetes-list-type: map
                  x-kubernetes-list-map-keys: [name]
                  items:
                    type: object
                    required: [name]
                    properties: {name: {type: string}}
                empty: {type: object}
                count: {type: integer, minimum: 0, exclusiveMinimum: true}
    - name: v0
      served: false
      storage: false
      schema:
        openAPIV3Schema: {type: object}
"""


@pytest.fixture
def crd_dir(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "widget.yaml").write_text(textwrap.dedent(CRD))
    (tmp_path / "notes.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    return tmp_path


def widget(**spec):
    return {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": spec}


def crd_errors(crds, data):
    return [e.validator for e in kserve_schema.crd_validator(crds[("example.com/v1", "Widget")]).iter_errors(data)]


def test_load_crds_reads_served_versions_only(crd_dir):
    assert sorted(crd.load_crds(crd_dir)) == [("example.com/v1", "Widget")]


@pytest.mark.parametrize("spec, expected", [
    ({"size": 1}, []),
    ({"size": "large"}, []),
    ({"size": 1.5}, ["anyOf"]),
    ({"size": 1, "cpu": "100m"}, []),
    ({"size": 1, "cpu": "lots"}, ["pattern"]),
    ({"size": 1, "free": {"anything": {"goes": 1}}}, []),
    ({"size": 1, "template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {}}}, []),
    ({"size": 1, "note": None}, []),
    ({"size": 1, "tags": ["a", "a"]}, ["uniqueItems"]),
    ({"size": 1, "items": [{"name": "a"}, {"name": "a"}]}, ["x-kubernetes-list-map-keys"]),
    ({"size": 1, "empty": {"x": 1}}, ["additionalProperties"]),
    ({"size": 1, "count": 0}, ["exclusiveMinimum"]),
    ({"size": 1, "extra": 1}, ["additionalProperties"]),
    ({}, ["required"]),
])
def test_crd_schemas_read_as_the_api_server_reads_them(crd_dir, spec, expected):
    assert crd_errors(crd.load_crds(crd_dir), widget(**spec)) == expected


def test_crd_top_level_metadata_is_objectmeta_not_a_closed_object(crd_dir):
    data = widget(size=1)
    data["metadata"]["labels"] = {"a": "b"}
    data["metadata"]["uid"] = "123"
    assert crd_errors(crd.load_crds(crd_dir), data) == []


def test_crds_replace_our_kserve_schema_and_warn_on_what_we_ignore(tmp_path):
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": "inferenceservices.serving.kserve.io"},
           "spec": {"group": "serving.kserve.io", "names": {"kind": "InferenceService"}, "versions": [
               {"name": "v1beta1", "served": True, "schema": {"openAPIV3Schema": {
                   "type": "object", "properties": {"spec": {
                       "type": "object", "x-kubernetes-preserve-unknown-fields": True}}}}}]}}
    (tmp_path / "isvc-crd.yaml").write_text(json.dumps(crd))
    text = ("apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata: {name: iris}\nspec:\n"
            "  predictor:\n    model:\n      modelFormat: {name: sklearn}\n      futureField: 1\n")
    diags = validate(load_text(text, "isvc.yaml").documents, crds=str(tmp_path))
    assert [(d.code, d.severity.value, d.line, d.column) for d in diags] == [("KSC208", "warning", 8, 7)]
    assert "ignored by kserve-compiler" in diags[0].message


@pytest.mark.parametrize("content, words", [
    ("a: [unclosed", "cannot read"),
    ("apiVersion: apiextensions.k8s.io/v1beta1\nkind: CustomResourceDefinition\nmetadata: {name: x}\n",
     "not supported"),
    ("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: x}\nspec: {}\n",
     "malformed"),
])
def test_a_bad_crd_file_is_a_usage_error(tmp_path, content, words):
    (tmp_path / "bad.yaml").write_text(content)
    with pytest.raises(UsageError) as caught:
        crd.load_crds(tmp_path)
    assert words in caught.value.message and caught.value.code == crd.BAD_CRDS


def test_crds_must_be_a_folder(tmp_path):
    with pytest.raises(UsageError):
        crd.load_crds(tmp_path / "missing")


KSERVE_CRDS = os.environ.get("KSC_KSERVE_CRDS")


@pytest.mark.skipif(not KSERVE_CRDS, reason="set KSC_KSERVE_CRDS to a folder of KServe v0.20's CRD YAML "
                                            "(config/crd/full) to compare our schemas with them")
def test_our_schemas_agree_with_kserves_crds_on_the_catalog():
    crds = crd.load_crds(KSERVE_CRDS)
    for path in sorted((REPO / "catalog").glob("*.yaml")):
        for doc in load_text(path.read_text(), path.name).documents:
            key = (doc.api_version, doc.kind)
            assert list(kserve_schema.crd_validator(crds[key]).iter_errors(doc.data)) == []
            assert list(kserve_schema.validator_for(*key).iter_errors(doc.data)) == []


# ---------------------------------------------------------------------------------------------------
# Kubernetes' schemas for emitted objects


def test_kubernetes_versions_are_the_bundled_ones():
    versions = schema_bundle.kubernetes_versions()
    assert "1.34" in versions and versions == sorted(versions, key=lambda v: tuple(map(int, v.split("."))))


@pytest.mark.parametrize("given, expected", [(None, None), ("1.34", "1.34"), ("v1.34.2", "1.34"),
                                             ("1.30.0-gke.1", "1.30")])
def test_kubernetes_version_spellings(given, expected):
    assert schema_bundle.kubernetes_version(given) == (expected or schema_bundle.kubernetes_versions()[-1])


@pytest.mark.parametrize("version", ["1.99", "1.2", "latest"])
def test_a_version_outside_the_bundle_is_a_usage_error(version):
    with pytest.raises(UsageError) as caught:
        k8s_schema.kubernetes_validator(version, "apps/v1", "Deployment")
    assert caught.value.code == schema_bundle.UNSUPPORTED_KUBERNETES_VERSION
    assert "--kubernetes-version" in caught.value.hint


@pytest.mark.parametrize("api_version, kind, file", [
    ("apps/v1", "Deployment", "deployment-apps-v1.json"),
    ("v1", "Service", "service-v1.json"),
    ("autoscaling/v2", "HorizontalPodAutoscaler", "horizontalpodautoscaler-autoscaling-v2.json"),
    ("networking.k8s.io/v1", "Ingress", "ingress-networking-v1.json"),
    ("rbac.authorization.k8s.io/v1", "Role", "role-rbac-v1.json"),
])
def test_kubernetes_schema_files_are_named_as_kubernetes_validate_names_them(api_version, kind, file):
    path = schema_bundle.kubernetes_schema_file("1.34", api_version, kind)
    assert path.name == file and path.is_file()
    assert k8s_schema.kubernetes_validator("1.34", api_version, kind) is k8s_schema.kubernetes_validator(
        "v1.34.0", api_version, kind)


@pytest.mark.parametrize("api_version, kind", [("example.com/v1", "Widget"), ("apps.example.com/v1", "Deployment"),
                                               ("serving.kserve.io/v1beta1", "InferenceService")])
def test_no_kubernetes_schema_for_custom_resources(api_version, kind):
    assert k8s_schema.kubernetes_validator(None, api_version, kind) is None
