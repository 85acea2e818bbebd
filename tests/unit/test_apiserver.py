"""compiler/compiler/apiserver/: the API server's own validation. Table-driven: for each rule a valid object
that passes and an invalid one that fails at the named field."""

from __future__ import annotations

import copy

import pytest

from compiler.apiserver import names as apiserver
from compiler.apiserver.names import Problem
from compiler.apiserver.objects import problems


def deployment() -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "iris-predictor", "namespace": "models",
                     "labels": {"app": "isvc.iris-predictor", "app.kubernetes.io/managed-by": "kserve-compiler"},
                     "annotations": {"kserve-compiler/source": "isvc.yaml#0"}},
        "spec": {
            "selector": {"matchLabels": {"app": "isvc.iris-predictor"}},
            "template": {
                "metadata": {"labels": {"app": "isvc.iris-predictor", "component": "predictor"},
                             "annotations": {"prometheus.kserve.io/port": "8080"}},
                "spec": {
                    "initContainers": [{"name": "storage-initializer", "image": "kserve/storage-initializer"}],
                    "containers": [{"name": "kserve-container", "image": "kserve/sklearnserver",
                                    "ports": [{"name": "h2c", "containerPort": 8080, "protocol": "TCP"}],
                                    "env": [{"name": "STORAGE_URI", "value": "gs://x"}]}]}}}}


def service() -> dict:
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "iris-predictor", "namespace": "models"},
            "spec": {"selector": {"app": "isvc.iris-predictor"},
                     "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]}}


def hpa() -> dict:
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "iris-predictor", "namespace": "models"},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "iris-predictor"},
                     "minReplicas": 1, "maxReplicas": 3,
                     "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                         "type": "Utilization", "averageUtilization": 80}}}]}}


def ingress() -> dict:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": "iris", "namespace": "models"},
            "spec": {"rules": [{"host": "iris-models.example.com", "http": {"paths": [
                {"path": "/", "pathType": "Prefix",
                 "backend": {"service": {"name": "iris-predictor", "port": {"number": 80}}}}]}}],
                "tls": [{"hosts": ["*.example.com"]}]}}


def configmap() -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings.v1", "namespace": "models",
                                                                  "labels": {"team": "fraud"}}, "data": {"a": "b"}}


BASES = {"Deployment": deployment, "Service": service, "HorizontalPodAutoscaler": hpa, "Ingress": ingress,
         "ConfigMap": configmap}


def at(obj: dict, path: tuple, value) -> dict:
    """A copy of obj with `value` at path (a missing key is created; value DELETE removes it)."""
    obj = copy.deepcopy(obj)
    node = obj
    for step in path[:-1]:
        node = node[step]
    if value is DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return obj


DELETE = object()
POD = ("spec", "template", "spec")
C0 = (*POD, "containers", 0)

# (rule, base kind, path, valid value, invalid value, field of the problem, words in its message)
RULES = [
    ("subdomain name", "Deployment", ("metadata", "name"), "a.b-c", "A_b", "metadata.name", "subdomain"),
    ("subdomain name length", "ConfigMap", ("metadata", "name"), "a" * 253, "a" * 254, "metadata.name", "253"),
    ("service name is DNS-1035", "Service", ("metadata", "name"), "a" * 63, "a" * 64, "metadata.name", "DNS-1035"),
    ("service name starts with a letter", "Service", ("metadata", "name"), "a1", "1a", "metadata.name", "DNS-1035"),
    ("service name has no dot", "Service", ("metadata", "name"), "ab", "a.b", "metadata.name", "DNS-1035"),
    ("namespace object name is a label", "ConfigMap", ("kind",), "ConfigMap", "Namespace", "metadata.name",
     "RFC 1123 label"),
    ("metadata.namespace is a label", "ConfigMap", ("metadata", "namespace"), "a" * 63, "a.b", "metadata.namespace",
     "not a valid namespace"),
    ("label key", "ConfigMap", ("metadata", "labels"), {"example.com/a_b": "x"}, {"bad key": "x"},
     "metadata.labels.bad key", "label key"),
    ("label key prefix", "ConfigMap", ("metadata", "labels"), {"a.b/c": "x"}, {"A_B/c": "x"},
     "metadata.labels.A_B/c", "prefix"),
    ("label key empty prefix", "ConfigMap", ("metadata", "labels"), {"c": "x"}, {"/c": "x"},
     "metadata.labels./c", "prefix"),
    ("label value syntax", "ConfigMap", ("metadata", "labels"), {"a": ""}, {"a": "has space"},
     "metadata.labels.a", "label value"),
    ("label value length", "ConfigMap", ("metadata", "labels"), {"a": "v" * 63}, {"a": "v" * 64},
     "metadata.labels.a", "63 characters"),
    ("annotation key", "ConfigMap", ("metadata", "annotations"), {"a/b": "free text!"}, {"a b": "x"},
     "metadata.annotations.a b", "annotation key"),
    ("annotations total size", "ConfigMap", ("metadata", "annotations"), {"a": "x" * (256 * 1024 - 1)},
     {"a": "x" * (256 * 1024)}, "metadata.annotations", "limit"),
    ("annotations size counts bytes", "ConfigMap", ("metadata", "annotations"), {"a": "é" * (128 * 1024 - 1)},
     {"a": "é" * (128 * 1024)}, "metadata.annotations", "bytes"),
    ("template label value", "Deployment", ("spec", "template", "metadata", "labels", "component"), "predictor",
     "-predictor", "spec.template.metadata.labels.component", "label value"),
    ("template annotation key", "Deployment", ("spec", "template", "metadata", "annotations"), {"ok": "x"},
     {"not ok": "x"}, "spec.template.metadata.annotations.not ok", "annotation key"),
    ("selector matches template", "Deployment", ("spec", "selector", "matchLabels", "app"), "isvc.iris-predictor",
     "other", "spec.selector", "does not match"),
    ("selector not empty", "Deployment", ("spec", "selector"), {"matchLabels": {"component": "predictor"}},
     {"matchLabels": {}}, "spec.selector", "empty selector"),
    ("selector expressions", "Deployment", ("spec", "selector"),
     {"matchExpressions": [{"key": "component", "operator": "In", "values": ["predictor"]}]},
     {"matchExpressions": [{"key": "component", "operator": "NotIn", "values": ["predictor"]}]},
     "spec.selector", "does not match"),
    ("a container at least", "Deployment", (*POD, "containers"), [{"name": "a", "image": "b"}], [],
     "spec.template.spec.containers", "at least one container"),
    ("container name", "Deployment", (*C0, "name"), "kserve-container", "kserve_container",
     "spec.template.spec.containers[0].name", "container name"),
    ("container name length", "Deployment", (*C0, "name"), "c" * 63, "c" * 64,
     "spec.template.spec.containers[0].name", "container name"),
    ("container name required", "Deployment", (*C0, "name"), "c", "", "spec.template.spec.containers[0].name",
     "required"),
    ("container names unique with initContainers", "Deployment", (*C0, "name"), "other", "storage-initializer",
     "spec.template.spec.containers[0].name", "duplicate"),
    ("image required", "Deployment", (*C0, "image"), "x", "", "spec.template.spec.containers[0].image", "image"),
    ("image present", "Deployment", (*C0, "image"), "x", DELETE, "spec.template.spec.containers[0].image", "image"),
    ("init image required", "Deployment", (*POD, "initContainers", 0, "image"), "x", DELETE,
     "spec.template.spec.initContainers[0].image", "image"),
    ("containerPort low", "Deployment", (*C0, "ports", 0, "containerPort"), 1, 0,
     "spec.template.spec.containers[0].ports[0].containerPort", "1-65535"),
    ("containerPort high", "Deployment", (*C0, "ports", 0, "containerPort"), 65535, 65536,
     "spec.template.spec.containers[0].ports[0].containerPort", "1-65535"),
    ("hostPort", "Deployment", (*C0, "ports", 0, "hostPort"), 0, 70000,
     "spec.template.spec.containers[0].ports[0].hostPort", "1-65535"),
    ("port name length", "Deployment", (*C0, "ports", 0, "name"), "a" * 15, "a" * 16,
     "spec.template.spec.containers[0].ports[0].name", "IANA"),
    ("port name has a letter", "Deployment", (*C0, "ports", 0, "name"), "8a", "8080",
     "spec.template.spec.containers[0].ports[0].name", "IANA"),
    ("port name no double dash", "Deployment", (*C0, "ports", 0, "name"), "a-b", "a--b",
     "spec.template.spec.containers[0].ports[0].name", "IANA"),
    ("port name no edge dash", "Deployment", (*C0, "ports", 0, "name"), "ab", "ab-",
     "spec.template.spec.containers[0].ports[0].name", "IANA"),
    ("port name lower case", "Deployment", (*C0, "ports", 0, "name"), "grpc", "GRPC",
     "spec.template.spec.containers[0].ports[0].name", "IANA"),
    ("port names unique", "Deployment", (*C0, "ports"),
     [{"name": "a", "containerPort": 1}, {"name": "b", "containerPort": 2}],
     [{"name": "a", "containerPort": 1}, {"name": "a", "containerPort": 2}],
     "spec.template.spec.containers[0].ports[1].name", "duplicate"),
    ("env name not empty", "Deployment", (*C0, "env", 0, "name"), "Logging:Level", "",
     "spec.template.spec.containers[0].env[0].name", "environment variable"),
    ("env name without '='", "Deployment", (*C0, "env", 0, "name"), "A.B-c_1", "A=B",
     "spec.template.spec.containers[0].env[0].name", "environment variable"),
    ("env name printable", "Deployment", (*C0, "env", 0, "name"), "A B", "A\tB",
     "spec.template.spec.containers[0].env[0].name", "environment variable"),
    ("service port", "Service", ("spec", "ports", 0, "port"), 65535, 0, "spec.ports[0].port", "1-65535"),
    ("service port name", "Service", ("spec", "ports", 0, "name"), "http-1", "HTTP",
     "spec.ports[0].name", "Service port name"),
    ("service port names required when several", "Service", ("spec", "ports"),
     [{"name": "a", "port": 1}, {"name": "b", "port": 2}], [{"name": "a", "port": 1}, {"port": 2}],
     "spec.ports[1].name", "more than one port"),
    ("service port names unique", "Service", ("spec", "ports"),
     [{"name": "a", "port": 1}, {"name": "b", "port": 2}], [{"name": "a", "port": 1}, {"name": "a", "port": 2}],
     "spec.ports[1].name", "duplicate"),
    ("targetPort number", "Service", ("spec", "ports", 0, "targetPort"), 0, 65536, "spec.ports[0].targetPort",
     "1-65535"),
    ("targetPort name", "Service", ("spec", "ports", 0, "targetPort"), "h2c", "too-long-port-name",
     "spec.ports[0].targetPort", "IANA"),
    ("service selector", "Service", ("spec", "selector"), {"app": "x"}, {"app": "x y"}, "spec.selector.app",
     "label value"),
    ("hpa minReplicas", "HorizontalPodAutoscaler", ("spec", "minReplicas"), 1, 0, "spec.minReplicas", "at least 1"),
    ("hpa maxReplicas", "HorizontalPodAutoscaler", ("spec", "maxReplicas"), 1, 0, "spec.maxReplicas", "at least 1"),
    ("hpa max >= min", "HorizontalPodAutoscaler", ("spec", "minReplicas"), 3, 4, "spec.maxReplicas",
     "at least minReplicas"),
    ("hpa averageUtilization", "HorizontalPodAutoscaler",
     ("spec", "metrics", 0, "resource", "target", "averageUtilization"), 1, 0,
     "spec.metrics[0].resource.target.averageUtilization", "greater than 0"),
    ("hpa target name", "HorizontalPodAutoscaler", ("spec", "scaleTargetRef", "name"), "x", "",
     "spec.scaleTargetRef.name", "required"),
    ("hpa target name segment", "HorizontalPodAutoscaler", ("spec", "scaleTargetRef", "name"), "x", "a/b",
     "spec.scaleTargetRef.name", "'/'"),
    ("ingress host", "Ingress", ("spec", "rules", 0, "host"), "a.example.com", "A.example.com",
     "spec.rules[0].host", "not a valid host"),
    ("ingress wildcard host", "Ingress", ("spec", "rules", 0, "host"), "*.example.com", "a.*.example.com",
     "spec.rules[0].host", "not a valid host"),
    ("ingress host not an IP", "Ingress", ("spec", "rules", 0, "host"), "example.com", "10.0.0.1",
     "spec.rules[0].host", "IP address"),
    ("ingress TLS host", "Ingress", ("spec", "tls", 0, "hosts", 0), "a.b", "a..b", "spec.tls[0].hosts[0]",
     "not a valid host"),
    ("ingress Prefix path absolute", "Ingress", ("spec", "rules", 0, "http", "paths", 0, "path"), "/v1", "v1",
     "spec.rules[0].http.paths[0].path", "absolute"),
    ("ingress Prefix path clean", "Ingress", ("spec", "rules", 0, "http", "paths", 0, "path"), "/a/b", "/a//b",
     "spec.rules[0].http.paths[0].path", "must not hold"),
    ("ingress pathType required", "Ingress", ("spec", "rules", 0, "http", "paths", 0, "pathType"), "Exact", DELETE,
     "spec.rules[0].http.paths[0].pathType", "required"),
    ("ingress backend service name", "Ingress",
     ("spec", "rules", 0, "http", "paths", 0, "backend", "service", "name"), "a" * 63, "a" * 64,
     "spec.rules[0].http.paths[0].backend.service.name", "DNS-1035"),
    ("ingress backend port", "Ingress",
     ("spec", "rules", 0, "http", "paths", 0, "backend", "service", "port"), {"name": "http"}, {"number": 0},
     "spec.rules[0].http.paths[0].backend.service.port.number", "1-65535"),
]


@pytest.mark.parametrize("rule, kind, path, good, bad, field, words", RULES, ids=[r[0] for r in RULES])
def test_rule(rule, kind, path, good, bad, field, words):
    base = BASES[kind]()
    assert problems(base) == [], "the base object must be valid"
    assert problems(at(base, path, good)) == [], rule
    found = problems(at(base, path, bad))
    assert [p.field for p in found] == [field], found
    assert words in found[0].message, found[0].message


def test_strict_env_names_before_kubernetes_1_32():
    obj = at(deployment(), (*C0, "env", 0, "name"), "1A")
    assert problems(obj) == []
    found = problems(obj, relaxed_env_names=False)
    assert [p.field for p in found] == ["spec.template.spec.containers[0].env[0].name"]
    assert problems(at(deployment(), (*C0, "env", 0, "name"), "_a.B-1"), relaxed_env_names=False) == []


@pytest.mark.parametrize("kind", ["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"])
def test_rbac_names_are_path_segments(kind):
    assert problems({"kind": kind, "metadata": {"name": "system:aggregate-to-view"}}) == []


def test_custom_resources_take_a_subdomain():
    assert [p.field for p in problems({"kind": "Widget", "metadata": {"name": "Big_One"}})] == ["metadata.name"]


def test_other_kinds_get_only_metadata_rules():
    pod_like = {"kind": "StatefulSet", "metadata": {"name": "s"}, "spec": {"template": {"spec": {"containers": []}}}}
    assert problems(pod_like) == []


@pytest.mark.parametrize("obj", [None, [], "x", {"kind": 1, "metadata": [], "spec": "x"},
                                 {"kind": "Deployment", "spec": {"template": {"spec": {"containers": [None, 1]}},
                                                                 "selector": {"matchLabels": None}}},
                                 {"kind": ["Deployment"], "metadata": {"name": 1}},
                                 {"kind": "Deployment", "spec": {"selector": {"matchExpressions": [
                                     {"key": ["a"], "operator": "In", "values": [1]}]}}},
                                 {"kind": "Service", "spec": {"ports": "x", "selector": []}},
                                 {"kind": "Ingress", "spec": {"rules": [{"http": {"paths": [{"pathType": "Prefix",
                                                                                             "path": 1}]}}]}},
                                 {"kind": "HorizontalPodAutoscaler", "spec": {"metrics": [{"resource": None}]}}])
def test_wrong_types_are_left_to_the_schema(obj):
    problems(obj)  # never raises


def test_problem_field_and_key_placement():
    found = problems(at(configmap(), ("metadata", "labels"), {"bad key": "x"}))
    assert found == [Problem(("metadata", "labels", "bad key"), found[0].message, None, True)]
    assert found[0].field == "metadata.labels.bad key"


def test_predicates():
    assert apiserver.is_iana_svc_name("h2c") and not apiserver.is_iana_svc_name("-a")
    assert apiserver.qualified_name_problem("serving.kserve.io/deploymentMode") is None
    assert apiserver.is_dns1123_subdomain("a.b") and not apiserver.is_dns1123_label("a.b")
    assert apiserver.is_dns1035_label("a1") and not apiserver.is_dns1035_label("1a")
