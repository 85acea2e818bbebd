"""`explain` names the objects each InferenceService produced and why those kinds (issue 14): the
autoscaler class of each component and the route objects the config asks for."""

from __future__ import annotations

import json

from conftest import ISVC


def test_explain_lists_the_objects_and_why(workspace, run_cli):
    workspace({"isvc.yaml": ISVC})
    result = run_cli("explain", ".")
    assert result.exit_code == 0, result.output
    block = result.output.split("  objects (4):\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert block == ["    Deployment iris-predictor  [predictor]",
                     "    Service iris-predictor  [predictor]",
                     "    HorizontalPodAutoscaler iris-predictor  [predictor]",
                     "    Ingress iris",
                     "    why: iris-predictor: autoscalerClass hpa -> HorizontalPodAutoscaler",
                     "    why: routes: an Ingress (the config's ingress; Gateway API is off)"]


def test_explain_names_the_autoscaler_class_that_removed_the_hpa(workspace, run_cli):
    none = ISVC.replace("  name: iris\n", "  name: iris\n  annotations: {serving.kserve.io/autoscalerClass: none}\n")
    workspace({"isvc.yaml": none})
    result = run_cli("explain", ".")
    assert "HorizontalPodAutoscaler" not in result.output.split("True of every build")[0]
    assert "why: iris-predictor: autoscalerClass none -> no autoscaler (replicas as written)" in result.output


def test_explain_json_lists_the_objects(workspace, run_cli):
    workspace({"isvc.yaml": ISVC})
    result = run_cli("explain", ".", "--format", "json")
    report = json.loads(result.stdout)
    assert report["objects"] == [{"inferenceService": {"namespace": "default", "name": "iris"}, "objects": [
        {"kind": "Deployment", "name": "iris-predictor", "component": "predictor"},
        {"kind": "Service", "name": "iris-predictor", "component": "predictor"},
        {"kind": "HorizontalPodAutoscaler", "name": "iris-predictor", "component": "predictor"},
        {"kind": "Ingress", "name": "iris", "component": None}]}]


def test_explain_says_when_a_failing_build_made_nothing(workspace, run_cli):
    # sklearn version "0": no runtime serves it over protocol v1 (KSC311), so the build emits nothing
    workspace({"isvc.yaml": ISVC.replace("{name: sklearn}", "{name: sklearn, version: '0'}")})
    result = run_cli("explain", ".")
    assert result.exit_code == 1
    assert "  objects: none (the build fails: see the errors)" in result.output
