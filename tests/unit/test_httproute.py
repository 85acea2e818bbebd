"""HTTPRoutes (compiler/expand/httproute.py) against KServe v0.20.0's reconcilers/ingress/httproute_reconciler.go,
path.go and configmap.go; the cases cite KServe's test functions."""

from __future__ import annotations

import dataclasses

import pytest

from compiler.config import BUILTIN
from compiler.expand import httproute

GATEWAY = dataclasses.replace(BUILTIN, ingress=dataclasses.replace(BUILTIN.ingress, enable_gateway_api=True))
META = {"name": "iris", "namespace": "ml", "labels": {}, "annotations": {}}


def _config(**ingress):
    return dataclasses.replace(GATEWAY, ingress=dataclasses.replace(GATEWAY.ingress, **ingress))


def test_dual_protocol_service_gets_a_grpc_rule_first():
    # KServe: detectServiceProtocolPorts + createGRPCRouteMatches (h2c appProtocol or a "grpc" port name).
    service = {"spec": {"ports": [{"name": "http", "port": 80}, {"name": "grpc-port", "port": 8081,
                                                                  "appProtocol": "kubernetes.io/h2c"}]}}
    routes = httproute.build(META, {"predictor": "iris-predictor"}, {"predictor": {}},
                             {"iris-predictor": service}, GATEWAY)
    rules = routes[0]["spec"]["rules"]
    assert [r["backendRefs"][0]["port"] for r in rules] == [8081, 80]
    assert rules[0]["matches"][0]["headers"][0]["value"] == "^application/grpc.*"


def test_disable_http_route_timeout_omits_timeouts():
    # KServe: TestCreateRawPredictorHTTPRouteDisableTimeout
    routes = httproute.build(META, {"predictor": "iris-predictor"}, {"predictor": {"timeout": 30}}, {},
                             _config(disable_http_route_timeout=True))
    assert all("timeouts" not in rule for route in routes for rule in route["spec"]["rules"])


@pytest.mark.parametrize("template, path", [
    ("/serving/{{ .Namespace }}/{{ .Name }}", "/serving/ml/iris"),
    ("/a%20b/{{.Name}}?x=1", "/a b/iris"),
])
def test_url_path(template, path):
    assert httproute.url_path("iris", "ml", template) == path


@pytest.mark.parametrize("template, text", [
    ("http://host/{{ .Name }}", "contains either a scheme or a host"),
    ("serving/{{ .Name }}", "invalid URI for request"),
    ("/{{ .IngressDomain }}", "renders only"),
])
def test_url_path_errors(template, text):
    with pytest.raises(httproute.RouteError, match=text):
        httproute.url_path("iris", "ml", template)


def test_labels_filtered_by_the_label_disallow_list():
    meta = {**META, "labels": {"networking.knative.dev/visibility": "x", "team": "a"}}
    routes = httproute.build(meta, {"predictor": "iris-predictor"}, {"predictor": {}}, {}, GATEWAY)
    assert routes[0]["metadata"]["labels"] == {"team": "a"}
