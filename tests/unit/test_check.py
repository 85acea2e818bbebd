"""check: emitted objects against Kubernetes' strict schemas; a failure is our bug (KSC501)."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler import check as check_mod
from compiler.schema import bundle as schema_bundle
from compiler.schema import crd
from compiler.schema import kubernetes as k8s_schema
from compiler.check import check
from compiler.diagnostics import Severity, UsageError


def deployment(name: str = "iris-predictor", namespace: str = "default") -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": f"isvc.{name}"}},
        "spec": {
            "selector": {"matchLabels": {"app": f"isvc.{name}"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
            "template": {
                "metadata": {"labels": {"app": f"isvc.{name}"}},
                "spec": {
                    "containers": [{
                        "name": "kserve-container", "image": "kserve/sklearnserver:v0.20.0",
                        "args": ["--model_name=iris"], "env": [{"name": "INFERENCE_SERVICE_NAME", "value": "iris"}],
                        "resources": {"limits": {"cpu": "1", "memory": "2Gi"}, "requests": {"cpu": "1"}},
                        "readinessProbe": {"tcpSocket": {"port": 8080}, "timeoutSeconds": 1},
                    }],
                    "volumes": [{"name": "kserve-provision-location", "emptyDir": {}}],
                },
            },
        },
    }


SERVICE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "iris-predictor", "namespace": "default"},
           "spec": {"selector": {"app": "isvc.iris-predictor"},
                    "ports": [{"name": "iris-predictor", "port": 80, "targetPort": 8080, "protocol": "TCP"}]}}
HPA = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
       "metadata": {"name": "iris-predictor", "namespace": "default"},
       "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "iris-predictor"},
                "minReplicas": 1, "maxReplicas": 1, "behavior": {},
                "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                    "type": "Utilization", "averageUtilization": 80}}}]}}
INGRESS = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
           "metadata": {"name": "iris", "namespace": "default"},
           "spec": {"ingressClassName": "istio", "rules": [{"host": "iris-default.example.com", "http": {"paths": [
               {"path": "/", "pathType": "Prefix", "backend": {"service": {
                   "name": "iris-predictor", "port": {"number": 80}}}}]}}]}}


def test_what_expand_emits_passes():
    assert check([deployment(), SERVICE, HPA, INGRESS], kubernetes_version="1.34") == []


def test_an_unknown_field_is_our_bug_naming_object_and_field():
    bad = deployment()
    bad["spec"]["template"]["spec"]["containers"][0]["imagee"] = "x"
    diags = check([bad])
    assert [(d.code, d.severity, d.field) for d in diags] == [
        ("KSC501", Severity.ERROR, "spec.template.spec.containers[0]")]
    assert "Deployment default/iris-predictor" in diags[0].message and "'imagee'" in diags[0].message
    assert "bug in kserve-compiler" in diags[0].hint


def test_a_wrong_type_deep_inside():
    bad = copy.deepcopy(SERVICE)
    bad["spec"]["ports"][0]["port"] = "80"
    diags = check([bad])
    assert [d.field for d in diags] == ["spec.ports[0].port"]


def test_custom_resources_without_a_schema_are_skipped():
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"any": 1}}
    assert check([widget]) == []


def test_custom_resources_are_checked_against_a_given_crd():
    crd_schema = {"type": "object", "properties": {"spec": {"type": "object", "properties": {
        "size": {"type": "integer"}}}}}
    crds = {("example.com/v1", "Widget"): crd.crd_to_json_schema(crd_schema) | {"$id": "https://kserve-compiler/crds/w"}}
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"size": "big"}}
    assert [d.field for d in check([widget], crds=crds)] == ["spec.size"]


def test_a_version_outside_the_bundle_is_refused():
    with pytest.raises(UsageError):
        check([SERVICE], kubernetes_version="1.99")


def test_the_default_is_the_newest_bundled_version():
    assert check([SERVICE]) == check([SERVICE], kubernetes_version=schema_bundle.kubernetes_versions()[-1])


# ---------------------------------------------------------------------------------------------------
# Sharing checks by shape


def test_kubernetes_validates_schemas_are_shape_safe():
    """The proof obligation of the shape cache: no value constraints in the bundled schemas."""
    for version in schema_bundle.kubernetes_versions():
        assert check_mod._definitions_safe(version), version
    validator = k8s_schema.kubernetes_validator(None, "apps/v1", "Deployment")
    assert check_mod._shape_safe(schema_bundle.kubernetes_version(None), validator.schema)


def test_objects_of_one_shape_are_checked_once(monkeypatch):
    calls = []
    real = k8s_schema.kubernetes_validator

    def counting(*args):
        validator = real(*args)

        class Counting:
            schema = validator.schema

            def iter_errors(self, obj):
                calls.append(obj["metadata"]["name"])
                return validator.iter_errors(obj)
        return Counting()

    quick_calls, uncached = [], check_mod._quick.__wrapped__

    def counting_quick(*args):
        real_quick = uncached(*args)
        return lambda obj: quick_calls.append(obj["metadata"]["name"]) or real_quick(obj)

    monkeypatch.setattr(k8s_schema, "kubernetes_validator", counting)
    monkeypatch.setattr(check_mod, "_quick", counting_quick)
    objects = [deployment(f"m{i}-predictor", f"ns{i % 3}") for i in range(50)]
    assert check(objects) == []
    assert calls == ["m0-predictor"] and quick_calls == []  # one shape, one check
    calls.clear()
    many = [deployment(f"s{i}") for i in range(20)]
    for i, obj in enumerate(many):
        obj["metadata"]["labels"][f"k{i}"] = "v"  # another key: another shape
    assert check(many) == []
    # jsonschema checks the first QUICK_AFTER shapes; from then on the quick check vouches for the rest
    assert calls == [f"s{i}" for i in range(check_mod.QUICK_AFTER)]
    assert quick_calls == [f"s{i}" for i in range(check_mod.QUICK_AFTER, 20)]


def test_an_invalid_object_is_never_hidden_by_a_valid_one_of_another_shape():
    good, bad = deployment("a"), deployment("b")
    bad["spec"]["replicas"] = "3"
    assert [d.object.name for d in check([good, bad, good])] == ["b"]


def test_a_kind_or_api_version_never_shares_a_shape_with_a_type():
    """`kind: i` (a string) and `kind: 5` (an integer, whose type token is "i") are different shapes."""
    a, b = deployment("a"), deployment("b")
    a["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "X", "valueFrom": {"fieldRef": {"apiVersion": "i", "fieldPath": "p"}}}]
    b["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "X", "valueFrom": {"fieldRef": {"apiVersion": 5, "fieldPath": "p"}}}]
    assert check_mod._shape(a) != check_mod._shape(b)
    assert [d.object.name for d in check([a, b])] == ["b"]


def test_shapes_differ_by_type_and_keys_not_by_value():
    a, b = deployment("a"), deployment("b")
    assert check_mod._shape(a) == check_mod._shape(b)
    b["spec"]["replicas"] = 1
    assert check_mod._shape(a) != check_mod._shape(b)
    c = deployment("c")
    c["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"] = 1
    assert check_mod._shape(a) != check_mod._shape(c)


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2, 2), st.floats(0, 1), st.text(max_size=3))


@settings(max_examples=200, deadline=None)
@given(value=SCALARS, where=st.sampled_from([
    ("spec", "replicas"), ("spec", "template", "spec", "containers", 0, "image"),
    ("spec", "template", "spec", "containers", 0, "resources", "limits", "cpu"),
    ("spec", "template", "spec", "containers", 0, "readinessProbe", "tcpSocket", "port"),
    ("spec", "strategy", "rollingUpdate", "maxSurge"), ("spec", "template", "spec", "hostNetwork"),
    ("metadata", "labels", "team")]))
def test_sharing_by_shape_gives_the_verdict_of_checking_alone(value, where):
    obj = deployment("x")
    node = obj
    for part in where[:-1]:
        node = node[part]
    node[where[-1]] = value
    alone = [d.message for d in check([obj])]
    after_many = [d.message for d in check([deployment("y"), deployment("z"), obj])]
    assert after_many == alone
