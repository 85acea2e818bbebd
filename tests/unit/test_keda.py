"""KEDA ScaledObjects and OpenTelemetryCollectors (compiler/expand/keda.py, otel.py) against KServe v0.20.0's
reconcilers/keda/keda_reconciler.go and reconcilers/otel/otel_reconciler.go; the cases cite KServe's tests."""

from __future__ import annotations

import dataclasses

import pytest

from compiler.config import BUILTIN, Config
from compiler.expand import keda, otel
from compiler.expand.metadata import ComponentMeta

META = ComponentMeta(name="test-component", namespace="test-namespace", kind="predictor", labels={"foo": "bar"},
                     annotations={"anno": "val"}, template_labels={})
EMPTY = Config(source="test")          # an empty ConfigMap: no autoscaler or opentelemetryCollector key


class _Doc:
    def where(self, path):
        return {}


class _Isvc:
    doc = _Doc()


@dataclasses.dataclass
class _Comp:
    spec: dict
    kind: str = "predictor"
    path: tuple = ("spec", "predictor")


def scaled(spec: dict, config: Config = EMPTY):
    return keda.build(META, _Comp(spec), _Isvc(), config)


def metric(kind: str, body: dict) -> dict:
    return {"autoScaling": {"metrics": [{"type": kind, {"Resource": "resource", "External": "external",
                                                        "PodMetric": "podmetric"}[kind]: body}]}}


@pytest.mark.parametrize("resource, trigger", [
    # TestGetKedaMetrics_ResourceMetricSourceType_Utilization
    ({"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 75}},
     {"type": "cpu", "metadata": {"value": "75"}, "metricType": "Utilization"}),
    # TestGetKedaMetrics_ResourceMetricSourceType_Utilization_DefaultCPU
    ({"name": "cpu", "target": {"type": "Utilization"}},
     {"type": "cpu", "metadata": {"value": "80"}, "metricType": "Utilization"}),
    # TestGetKedaMetrics_ResourceMetricSourceType_AverageValue
    ({"name": "memory", "target": {"type": "AverageValue", "averageValue": "256Mi"}},
     {"type": "memory", "metadata": {"value": "256Mi"}, "metricType": "AverageValue"}),
    # TestGetKedaMetrics_ResourceMetricSourceType_Value
    ({"name": "memory", "target": {"type": "Value", "value": "512Mi"}},
     {"type": "memory", "metadata": {"value": "512Mi"}, "metricType": "Value"}),
    # memory Utilization without a value: "0" (only cpu has a default)
    ({"name": "memory", "target": {"type": "Utilization"}},
     {"type": "memory", "metadata": {"value": "0"}, "metricType": "Utilization"}),
])
def test_resource_triggers(resource, trigger):
    obj, diags = scaled(metric("Resource", resource))
    assert diags == [] and obj["spec"]["triggers"] == [trigger]


def test_external_trigger_with_namespace_and_auth():
    # TestGetKedaMetrics_ExternalMetricSourceType_WithNamespaceAndAuth
    obj, _ = scaled(metric("External", {
        "metric": {"backend": "prometheus", "serverAddress": "http://prometheus-server",
                   "query": "http_requests_total", "namespace": "test-ns"},
        "target": {"value": "123"},
        "authenticationRef": {"authModes": "bearer", "authenticationRef": {"name": "auth-secret"}}}))
    assert obj["spec"]["triggers"] == [{
        "type": "prometheus", "authenticationRef": {"name": "auth-secret"},
        "metadata": {"serverAddress": "http://prometheus-server", "query": "http_requests_total", "threshold": "123",
                     "namespace": "test-ns", "authModes": "bearer"}}]


def test_external_trigger_without_namespace_or_auth_and_integer_value():
    # TestGetKedaMetrics_ExternalMetricSourceType_WithoutNamespaceOrAuth; an integer keeps its decimal text
    # (MetricQuantity.UnmarshalJSON); graphite never gets the namespace
    obj, _ = scaled(metric("External", {"metric": {"backend": "graphite", "serverAddress": "http://g",
                                                   "query": "q", "namespace": "ns"}, "target": {"value": 99}}))
    assert obj["spec"]["triggers"] == [{"type": "graphite", "metadata": {"serverAddress": "http://g", "query": "q",
                                                                         "threshold": "99"}}]


def test_pod_metric_opentelemetry_trigger():
    # TestGetKedaMetrics_PodMetricSourceType_Success
    obj, _ = scaled(metric("PodMetric", {
        "metric": {"backend": "opentelemetry", "query": "otel_query", "serverAddress": "http://otel-server",
                   "operationOverTime": "sum"}, "target": {"value": "200"}}))
    assert obj["spec"]["triggers"] == [{"type": "external", "metadata": {
        "metricQuery": 'sum(otel_query{namespace="test-namespace", deployment="test-component"})',
        "targetValue": "200", "scalerAddress": "http://otel-server", "operationOverTime": "sum"}}]


def test_pod_metric_scaler_address_from_config():
    obj, _ = scaled(metric("PodMetric", {"metric": {"backend": "opentelemetry", "query": "q"},
                                         "target": {"value": "1"}}), BUILTIN)
    assert obj["spec"]["triggers"][0]["metadata"]["scalerAddress"] == "keda-otel-scaler.keda.svc:4318"


def test_basic_fields():
    # TestCreateKedaScaledObject_SetsBasicFields (with a trigger, which the API server requires)
    obj, _ = scaled({"minReplicas": 2, "maxReplicas": 5, **metric("Resource", {"name": "cpu", "target": {
        "type": "Utilization", "averageUtilization": 50}})})
    assert obj["metadata"] == {"name": "test-component", "namespace": "test-namespace", "labels": {"foo": "bar"},
                               "annotations": {"anno": "val"}}
    assert obj["spec"]["scaleTargetRef"] == {"name": "test-component"}
    assert (obj["spec"]["minReplicaCount"], obj["spec"]["maxReplicaCount"]) == (2, 5)
    assert "advanced" not in obj["spec"]          # an empty ConfigMap and no behavior: no windows


@pytest.mark.parametrize("extra, low, high", [
    ({"maxReplicas": 4}, 1, 4),                   # TestCreateKedaScaledObject_UsesDefaultMinReplicas
    ({"minReplicas": 3, "maxReplicas": 1}, 3, 3),  # TestCreateKedaScaledObject_MaxReplicasLessThanMinReplicas
    ({"minReplicas": 0}, 0, 0),                   # KEDA may scale to zero: 0 is kept
])
def test_min_max(extra, low, high):
    obj, _ = scaled({**extra, **metric("Resource", {"name": "cpu", "target": {"type": "Utilization"}})})
    assert (obj["spec"]["minReplicaCount"], obj["spec"]["maxReplicaCount"]) == (low, high)


def test_windows_from_component_win_over_config():
    # TestCreateKedaScaledObject_AdvancedConfigFromComponentExt
    spec = metric("Resource", {"name": "cpu", "target": {"type": "Utilization"}})
    spec["autoScaling"]["behavior"] = {"scaleDown": {"stabilizationWindowSeconds": 60},
                                       "scaleUp": {"stabilizationWindowSeconds": 30, "selectPolicy": "Max"}}
    obj, _ = scaled(spec, BUILTIN)
    assert obj["spec"]["advanced"] == {"horizontalPodAutoscalerConfig": {"behavior": {
        "scaleDown": {"stabilizationWindowSeconds": 60}, "scaleUp": {"stabilizationWindowSeconds": 30}}},
        "scalingModifiers": {}}


def test_windows_from_config_and_bad_ones_ignored():
    # TestCreateKedaScaledObject_AdvancedConfigFromConfigMap; a value strconv.ParseInt refuses is skipped
    spec = metric("Resource", {"name": "cpu", "target": {"type": "Utilization"}})
    obj, _ = scaled(spec, dataclasses.replace(EMPTY, scale_up_window="15", scale_down_window="45"))
    assert obj["spec"]["advanced"]["horizontalPodAutoscalerConfig"]["behavior"] == {
        "scaleDown": {"stabilizationWindowSeconds": 45}, "scaleUp": {"stabilizationWindowSeconds": 15}}
    obj, _ = scaled(spec, dataclasses.replace(EMPTY, scale_up_window="15s", scale_down_window="45"))
    assert obj["spec"]["advanced"]["horizontalPodAutoscalerConfig"]["behavior"] == {
        "scaleDown": {"stabilizationWindowSeconds": 45}}


def test_no_metrics_is_an_error():
    # TestGetKedaMetrics_NilAutoScaling: no triggers; the API server then refuses the ScaledObject
    obj, diags = scaled({"minReplicas": 1})
    assert obj is None and [d.code for d in diags] == ["KSC443"]


@pytest.mark.parametrize("value, text", [("100.9", "100.9"), ("1500m", "1500m"), (7, "7"), (None, "0"), ("", "0")])
def test_original_string_is_preserved(value, text):
    # TestGetKedaMetrics_StringPreservation, TestGetOriginalStringMQ
    assert keda.original(value) == text


def test_otel_collector_only_for_opentelemetry_metric_names():
    spec = metric("PodMetric", {"metric": {"backend": "opentelemetry", "query": "q", "metricNames": ["a", "b"]},
                                "target": {"value": "1"}})
    assert otel.metric_names(spec) == ["a", "b"]
    assert otel.build(META, metric("PodMetric", {"metric": {"backend": "opentelemetry", "query": "q"}}), BUILTIN) is None
    collector = otel.build(META, spec, BUILTIN)
    assert collector["metadata"] == {"name": "test-component", "namespace": "test-namespace",
                                     "annotations": {"anno": "val"}}          # no labels
    config = collector["spec"]["config"]
    assert config["receivers"]["prometheus"]["config"]["scrape_configs"][0]["static_configs"] == [
        {"targets": ["localhost:8080"]}]
    assert config["service"]["pipelines"]["metrics"]["processors"] == ["resourcedetection/env", "transform",
                                                                      "filter/metrics"]
    assert collector["spec"]["resources"] == {"limits": {"cpu": "1", "memory": "2Gi"},
                                              "requests": {"cpu": "200m", "memory": "512Mi"}}
    port = dataclasses.replace(META, annotations={"prometheus.kserve.io/port": "9090"})
    assert otel.build(port, spec, EMPTY)["spec"]["config"]["receivers"]["prometheus"]["config"][
        "scrape_configs"][0]["static_configs"] == [{"targets": ["localhost:9090"]}]
    assert "resources" not in otel.build(port, spec, EMPTY)["spec"]
