"""Exit 0 only for objects the API server accepts (issue 13 item 2): the CLI fails, at the source's file
and line, on what kubernetes-validate's schemas let through but the API server's own validation refuses."""

from __future__ import annotations

import json

from conftest import ISVC, REPO

# A platform config whose hosts do not hold the component's name ("{{ .Namespace }}.{{ .IngressDomain }}"):
# with KServe's default template a component name over 63 characters already fails as a host (KSC460);
# with this one only the API server's rules see it.
_CONFIG = (REPO / "tests" / "golden" / "config-override" / "input" / "inferenceservice-config.yaml").read_text()
NAMELESS_HOSTS = _CONFIG.replace('"{{ .Name }}.{{ .Namespace }}.{{ .IngressDomain }}"',
                                 '"{{ .Namespace }}.{{ .IngressDomain }}"')
assert NAMELESS_HOSTS != _CONFIG

PORT_RUNTIME = """\
apiVersion: serving.kserve.io/v1alpha1
kind: ServingRuntime
metadata:
  name: ported
spec:
  supportedModelFormats:
    - {name: sklearn, autoSelect: true, priority: 9}
  protocolVersions: [v1]
  containers:
    - name: kserve-container
      image: example.org/sklearn:1
      ports:
        - name: PORT_NAME
          containerPort: 8080
          protocol: TCP
"""


def report(result) -> list[dict]:
    assert "Traceback" not in result.stdout + result.stderr
    return json.loads(result.stdout)["diagnostics"]


def errors(diags: list[dict]) -> list[tuple]:
    return [(d["code"], d.get("file"), d.get("line")) for d in diags if d["severity"] == "error"]


def test_long_isvc_name_makes_a_service_name_over_63(workspace, run_cli):
    name = "m" * 55  # valid for KServe; "{name}-predictor" is 65 characters
    workspace({"config.yaml": NAMELESS_HOSTS, "isvc.yaml": ISVC.replace("name: iris", f"name: {name}")})
    result = run_cli("build", ".", "-o", "out", "--format", "json")
    assert result.exit_code == 1, result.stdout
    diags = report(result)
    assert ("KSC470", "isvc.yaml", 1) in errors(diags)
    messages = [d["message"] for d in diags if d["code"] == "KSC470"]
    assert any(f"Service default/{name}-predictor" in m and "DNS-1035" in m for m in messages), messages
    assert all(code == "KSC470" for code, _, _ in errors(diags))
    # the same name, shorter by the few characters that matter, builds
    workspace({"isvc.yaml": ISVC.replace("name: iris", f"name: {'m' * 40}")})
    assert run_cli("build", ".", "-o", "out2").exit_code == 0


def test_isvc_in_a_later_document_is_placed_at_its_line(workspace, run_cli):
    name = "m" * 55
    workspace({"config.yaml": NAMELESS_HOSTS,
               "isvc.yaml": ISVC + "---\n" + ISVC.replace("name: iris", f"name: {name}")})
    diags = report(run_cli("build", ".", "-o", "out", "--format", "json"))
    assert {(f, line) for code, f, line in errors(diags) if code == "KSC470"} == {("isvc.yaml", 11)}
    assert all(d["index"] == 1 for d in diags if d["code"] == "KSC470")


def test_passthrough_configmap_with_a_bad_label_value(workspace, run_cli):
    cm = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: thresholds\n  labels:\n"
          "    team: fraud detection\ndata: {a: b}\n")
    workspace({"isvc.yaml": ISVC, "cm.yaml": cm})
    result = run_cli("validate", ".", "--format", "json")
    assert result.exit_code == 1, result.stdout
    bad = [d for d in report(result) if d["severity"] == "error"]
    assert [(d["code"], d["file"], d["line"], d["column"]) for d in bad] == [("KSC205", "cm.yaml", 6, 11)]
    assert "label value" in bad[0]["message"]
    assert run_cli("build", ".").exit_code == 1
    workspace({"cm.yaml": cm.replace("fraud detection", "fraud-detection")})
    assert run_cli("validate", ".").exit_code == 0
    assert run_cli("build", ".").exit_code == 0


def test_passthrough_deployment_rules(workspace, run_cli):
    deploy = """\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: other}}
            spec:
              containers:
                - name: web
                  image: nginx
                  ports: [{containerPort: 70000}]
        """
    workspace({"isvc.yaml": ISVC, "web.yaml": deploy})
    result = run_cli("validate", ".", "--format", "json")
    assert result.exit_code == 1
    found = sorted((d["code"], d["line"], d.get("field")) for d in report(result) if d["severity"] == "error")
    assert found == [("KSC245", 5, "spec.selector"),
                     ("KSC245", 12, "spec.template.spec.containers[0].ports[0].containerPort")]


def test_hpa_average_utilization_zero(workspace, run_cli):
    """KServe's webhook checks only the metric's type and resource; the API server wants utilization > 0."""
    isvc = ISVC.replace("metadata:\n  name: iris\n", "metadata:\n  name: iris\n  annotations:\n"
                        "    serving.kserve.io/autoscalerClass: hpa\n")
    isvc = isvc.replace("  predictor:\n", "  predictor:\n    autoScaling:\n      metrics:\n        - type: Resource\n"
                        "          resource:\n            name: cpu\n            target:\n"
                        "              type: Utilization\n              averageUtilization: UTIL\n")
    workspace({"isvc.yaml": isvc.replace("UTIL", "0")})
    assert run_cli("validate", ".").exit_code == 0  # the webhook has nothing against it
    result = run_cli("build", ".", "-o", "out", "--format", "json")
    assert result.exit_code == 1, result.stdout
    diags = report(result)
    assert errors(diags) == [("KSC470", "isvc.yaml", 1)]
    assert any("HorizontalPodAutoscaler default/iris-predictor" in d["message"]
               and "averageUtilization: 0 must be greater than 0" in d["message"] for d in diags)
    workspace({"isvc.yaml": isvc.replace("UTIL", "50")})
    assert run_cli("build", ".").exit_code == 0


def test_runtime_port_name_too_long(workspace, run_cli):
    workspace({"isvc.yaml": ISVC, "runtime.yaml": PORT_RUNTIME.replace("PORT_NAME", "this-name-is-way-too-long")})
    result = run_cli("build", ".", "-o", "out", "--format", "json")
    assert result.exit_code == 1, result.stdout
    diags = report(result)
    assert errors(diags) == [("KSC470", "isvc.yaml", 1)]
    message = next(d["message"] for d in diags if d["code"] == "KSC470")
    assert "Deployment default/iris-predictor" in message and "this-name-is-way-too-long" in message
    workspace({"runtime.yaml": PORT_RUNTIME.replace("PORT_NAME", "h2c")})
    assert run_cli("build", ".").exit_code == 0


def test_runtime_env_name_with_equals(workspace, run_cli):
    runtime = PORT_RUNTIME.replace("      ports:\n        - name: PORT_NAME\n          containerPort: 8080\n"
                                   "          protocol: TCP\n", "      env:\n        - {name: 'A=B', value: x}\n")
    workspace({"isvc.yaml": ISVC, "runtime.yaml": runtime})
    result = run_cli("build", ".", "-o", "out", "--format", "json")
    assert result.exit_code == 1, result.stdout
    assert errors(report(result)) == [("KSC470", "isvc.yaml", 1)]


def test_examples_still_build(run_cli):
    from conftest import EXAMPLES
    assert run_cli("validate", str(EXAMPLES / "repo")).exit_code == 0


def test_custom_container_without_image(workspace, run_cli):
    """KServe's CRD and webhook accept a custom predictor container without an image; a Deployment's pod
    template without one is refused."""
    isvc = ("apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: custom\nspec:\n"
            "  predictor:\n    containers:\n      - name: kserve-container\n        args: [serve]\n")
    workspace({"isvc.yaml": isvc})
    assert run_cli("validate", ".").exit_code == 0
    result = run_cli("build", ".", "-o", "out", "--format", "json")
    assert result.exit_code == 1, result.stdout
    diags = report(result)
    assert errors(diags) == [("KSC470", "isvc.yaml", 1)]
    assert "containers[0].image: required" in next(d["message"] for d in diags if d["code"] == "KSC470")
    workspace({"isvc.yaml": isvc + "        image: example.org/server:1\n"})
    assert run_cli("build", ".", "-o", "out").exit_code == 0
