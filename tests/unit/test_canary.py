"""compiler/expand/canary.py: KServe v0.20.0's canaryReplicaCount, the stable's reduced minReplicas, and
validateCanarySpecs (pkg/apis/serving/v1beta1/inference_service_validation.go)."""

from __future__ import annotations

import pytest

from compiler import model
from compiler.expand import canary
from test_model import build

MODEL = '{modelFormat: {name: sklearn}, storageUri: "gs://a/b"}'
CANARY_MODEL = '{name: kserve-container, modelFormat: {name: sklearn}, storageUri: "gs://a/c"}'


def isvc_with(stable: str, *canaries: str):
    text = f"predictor:\n  model: {MODEL}\n" + "".join(f"  {line}\n" for line in stable.splitlines() if line)
    text += "canary:\n" + "".join(f"  - {c}\n" for c in canaries)
    isvc, diags = build(text)
    assert isvc is not None, diags
    return isvc


def entry(name: str, traffic: int, extra: str = "") -> str:
    return f"{{trafficPercent: {traffic}, predictor: {{name: {name}, model: {CANARY_MODEL}{extra}}}}}"


@pytest.mark.parametrize("stable, traffic, own, want, stable_left", [
    ("minReplicas: 4", 25, "", 1, 3),          # canary_controller_test.go: 25% of 4
    ("minReplicas: 4", 50, "", 2, 2),          # "Should adjust replica counts": 50% of 4
    ("minReplicas: 3", 10, "", 1, 2),          # ceil(0.3) = 1
    ("minReplicas: 4", 0, "", 0, 4),           # dark launch
    ("minReplicas: 5", 10, ", minReplicas: 2", 2, 3),
    ("minReplicas: 1", 50, "", 1, 1),          # never below 1
])
def test_replica_counts(stable, traffic, own, want, stable_left):
    isvc = isvc_with(stable, entry("v2", traffic, own))
    assert canary.replica_count(isvc, 0) == want
    assert canary.stable_extension(isvc)["minReplicas"] == stable_left
    assert canary.check(isvc) == []


def test_stable_without_min_replicas_counts_as_one_and_stays_unset():
    isvc = isvc_with("", entry("v2", 30))
    assert canary.replica_count(isvc, 0) == 1
    assert "minReplicas" not in canary.stable_extension(isvc)


@pytest.mark.parametrize("canaries, message", [
    ((entry("v2", 60), entry("v3", 50)), "sum of canary trafficPercent values (110) must be <= 100"),
    ((entry("v2", 10), entry("v2", 10)), 'canary predictor.name "v2" is duplicated'),
    ((entry("v2", 10, ", maxReplicas: 3"),), 'canary "v2" must not set maxReplicas (canary uses fixed replicas)'),
    ((entry("v2", 10, ", scaleMetric: cpu"),), 'canary "v2" must not set scaleMetric (canary uses fixed replicas)'),
    ((entry("v2", 10, ", minReplicas: 9"),), 'canary "v2" minReplicas (9) must not exceed stable predictor minReplicas (4)'),
])
def test_the_webhook_rules(canaries, message):
    diags = canary.check(isvc_with("minReplicas: 4", *canaries))
    assert [(d.code, d.message) for d in diags] == [(model.CANARY, message)]
