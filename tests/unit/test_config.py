"""A user's inferenceservice-config is read exactly as KServe reads it (docs/kserve-behaviour.md §0.2): absent keys are Go's
zero values, legacy mode names are rewritten, and a value of the wrong JSON type is refused."""

from __future__ import annotations

import json

import pytest

from compiler import config
from compiler.sources.parse import load_text


def read(data: dict) -> tuple:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: inferenceservice-config, namespace: kserve}\ndata:\n"
    text += "".join(f"  {k}: {json.dumps(json.dumps(v))}\n" for k, v in data.items())
    return config.from_configmap(load_text(text, "cm.yaml").documents[0])


def test_absent_keys_are_zero_values_not_the_shipped_ones():
    cfg, diags = read({"ingress": {"ingressGateway": "g"}})
    assert diags == []
    assert cfg.auto_mount_service_account_token is False
    assert cfg.deploy.default_deployment_mode is None
    assert cfg.annotation_disallow is None           # no inferenceService key: nothing filtered
    assert cfg.storage_initializer.image == ""
    assert cfg.ingress.domain_template == config.DEFAULT_DOMAIN_TEMPLATE  # these three keep the shipped values
    assert cfg.ingress.ingress_domain == "example.com" and cfg.ingress.url_scheme == "http"


@pytest.mark.parametrize("written, read_as", [("RawDeployment", "Standard"), ("Serverless", "Knative"),
                                              ("Standard", "Standard"), ("ModelMesh", "ModelMesh")])
def test_legacy_deployment_modes_are_rewritten(written, read_as):
    cfg, _ = read({"deploy": {"defaultDeploymentMode": written}})
    assert cfg.deploy.default_deployment_mode == read_as


@pytest.mark.parametrize("data, message", [
    ({"deploy": {}}, "invalid deploy config, defaultDeploymentMode is required"),
    ({"deploy": {"defaultDeploymentMode": "Raw"}}, "invalid deployment mode. Supported modes are Knative, Standard"),
    ({"ingress": {"ingressDomain": "x"}}, "invalid ingress config - ingressGateway is required"),
    ({"security": {"autoMountServiceAccountToken": "false"}}, "autoMountServiceAccountToken must be a JSON bool"),
    ({"service": {"serviceClusterIPNone": "true"}}, "serviceClusterIPNone must be a JSON bool"),
    ({"storageInitializer": {"enableModelcar": "false"}}, "enableModelcar must be a JSON bool"),
    ({"deploy": {"defaultDeploymentMode": "Standard",
                 "deploymentRolloutStrategy": {"defaultRollout": {"maxSurge": 1}}}}, "maxSurge must be a JSON string"),
])
def test_what_kserve_refuses_is_an_error_naming_the_key(data, message):
    cfg, diags = read(data)
    assert cfg is None
    assert [d.code for d in diags] == [config.BAD_CONFIG]
    assert message in diags[0].message
    assert diags[0].field == f"data.{next(iter(data))}"


def test_invalid_json_names_the_key():
    text = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: inferenceservice-config}\n"
            "data:\n  deploy: '{\"defaultDeploymentMode\": }'\n")
    cfg, diags = config.from_configmap(load_text(text, "cm.yaml").documents[0])
    assert cfg is None and diags[0].code == config.BAD_JSON and 'key "deploy"' in diags[0].message
    assert (diags[0].line, diags[0].column) == (5, 3)


@pytest.mark.parametrize("storage, mode", [
    ({"enableModelcar": True}, "modelcar"),
    ({"enableModelcar": False, "ociModelMode": "modelcar"}, "modelcar"),
    ({"enableOciModelSupport": True}, "modelcar"),
    ({"ociModelMode": "native"}, "native"),
    ({}, ""),
])
def test_oci_model_mode_is_resolved_as_kserve_resolves_it(storage, mode):
    cfg, _ = read({"storageInitializer": storage})
    assert cfg.storage_initializer.oci_model_mode == mode


def test_rollout_keys_are_read():
    cfg, _ = read({"deploy": {"defaultDeploymentMode": "Standard", "deploymentRolloutStrategy": {
        "defaultRollout": {"maxSurge": "50%", "maxUnavailable": "0%"}}}})
    assert (cfg.deploy.max_surge, cfg.deploy.max_unavailable, cfg.deploy.has_default_rollout) == ("50%", "0%", True)


def test_a_rollout_value_the_api_server_rejects_is_warned():
    cfg, diags = read({"deploy": {"defaultDeploymentMode": "Standard", "deploymentRolloutStrategy": {
        "defaultRollout": {"maxSurge": "1", "maxUnavailable": "0%"}}}})
    assert cfg.deploy.max_surge == "1"  # written as KServe writes it; the warning says what happens next
    assert [(d.code, d.severity.value) for d in diags] == [(config.ROLLOUT_NOT_PERCENT, "warning")]
    assert 'maxSurge "1" is not a percentage' in diags[0].message


def test_autoscaler_and_opentelemetry_keys_are_read():
    # configmap.go NewAutoscalerConfig / NewOtelCollectorConfig: strings, as json.Unmarshal wants them
    cfg, diags = read({"autoscaler": {"scaleUpStabilizationWindowSeconds": "15"},
                       "opentelemetryCollector": {"scrapeInterval": "10s", "metricScalerEndpoint": "s:4318",
                                                  "resource": {"cpuLimit": "2", "memoryRequest": "1Gi"}}})
    assert diags == [] and (cfg.scale_up_window, cfg.scale_down_window) == ("15", "")
    assert (cfg.otel.scrape_interval, cfg.otel.metric_scaler_endpoint, cfg.otel.metric_receiver_endpoint) == (
        "10s", "s:4318", "")
    assert cfg.otel.resources == {"limits": {"cpu": "2"}, "requests": {"memory": "1Gi"}}
    cfg, diags = read({"autoscaler": {"scaleUpStabilizationWindowSeconds": 15}})
    assert cfg is None and [d.code for d in diags] == ["KSC011"]
