"""expand(): the Deployment, Service, HPA and Ingress KServe v0.20 creates in Standard mode (docs/kserve-behaviour.md §4.5, §6).

One test per row of the spec's object tables, each asserting exact dicts. The pod step (expand/pod.py) is
replaced by a stand-in that returns a fixed PodSpec, so these tests pin this stage alone. Facts settled
from KServe's source are marked "KServe:" with the file they come from.
"""

from __future__ import annotations

import copy
import dataclasses
import sys
import textwrap
import types

import pytest

import compiler.expand
from compiler.config import BUILTIN, Config, DeployConfig, IngressConfig
from compiler.expand import expand, ingress
from compiler.expand.context import ExpandContext, PodResult
from compiler.sources.parse import load_text
from compiler.model import inference_service_from, runtime_from
from compiler.resolve import Runtimes, resolve

RUNTIME = """\
apiVersion: serving.kserve.io/v1alpha1
kind: ClusterServingRuntime
metadata: {name: rt}
spec:
  supportedModelFormats: [{name: sklearn, version: "1", autoSelect: true, priority: 1}]
  protocolVersions: [v1, v2]
  containers: [{name: kserve-container, image: "rt:1"}]
"""
SOURCE_URI = "internal.serving.kserve.io/storage-initializer-sourceuri"
MODE = {"serving.kserve.io/deploymentMode": "Standard"}
PROBE_8080 = {"tcpSocket": {"port": 8080}, "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1,
              "failureThreshold": 3}
CONTAINER_DEFAULTS = {"terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
                      "imagePullPolicy": "IfNotPresent"}
POD_DEFAULTS = {"restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
                "securityContext": {}, "schedulerName": "default-scheduler"}


class FakePod:
    """Stands in for expand/pod.py: a PodSpec and annotations per component kind."""

    def __init__(self):
        self.specs: dict[str, dict] = {}
        self.annotations: dict[str, dict] = {}
        self.labels: dict = {}
        self.seen_meta: list[dict] = []

    def build_pod(self, res, isvc_meta, ctx):
        kind = res.component.kind
        self.seen_meta.append(copy.deepcopy(isvc_meta))
        spec = self.specs.get(kind, {"containers": [{"name": "kserve-container", "image": f"{kind}:1"}]})
        return PodResult(copy.deepcopy(spec), dict(self.annotations.get(kind, {})))

    def server_type_labels(self, res):
        return dict(self.labels)


@pytest.fixture
def pod(monkeypatch):
    fake = FakePod()
    module = types.ModuleType("compiler.expand.pod")
    module.build_pod, module.server_type_labels = fake.build_pod, fake.server_type_labels
    monkeypatch.setitem(sys.modules, "compiler.expand.pod", module)
    monkeypatch.setattr(compiler.expand, "pod", module, raising=False)
    return fake


def isvc_yaml(spec: str = "", *, name: str = "iris", meta: str = "") -> str:
    spec = spec or """\
        predictor:
          model:
            modelFormat: {name: sklearn}
            storageUri: gs://bucket/iris
        """
    return (f"apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\n"
            f"metadata:\n  name: {name}\n  namespace: ml\n{textwrap.indent(textwrap.dedent(meta), '  ')}"
            f"spec:\n{textwrap.indent(textwrap.dedent(spec), '  ')}")


def run(text: str, *, config: Config = BUILTIN, runtime: str = RUNTIME):
    rt = runtime_from(load_text(runtime, "rt.yaml").documents[0], default_namespace="ml")
    loaded = load_text(text, "isvc.yaml")
    assert not loaded.diagnostics, loaded.diagnostics
    isvc, diags = inference_service_from(loaded.documents[0], default_namespace="ml")
    assert isvc is not None and not diags, diags
    runtimes = Runtimes([rt])
    resolutions = [resolve(isvc, comp, runtimes) for comp in isvc.components]
    assert all(r.how != "unresolved" for r in resolutions), [r.diagnostics for r in resolutions]
    return expand(isvc, resolutions, ExpandContext(config))


def objects_of(objects: list[dict]) -> dict[tuple[str, str], dict]:
    return {(o["kind"], o["metadata"]["name"]): o for o in objects}


def codes(diags) -> list[tuple[str, str]]:
    return [(d.severity.value, d.code) for d in diags]


def with_source(pod: FakePod, uri: str = "gs://bucket/iris") -> None:
    pod.annotations["predictor"] = {SOURCE_URI: uri}


def meta(name: str, component: str = "predictor", *, labels=None, annotations=None, isvc: str = "iris") -> dict:
    out = {"name": name, "namespace": "ml", "labels": dict(sorted({
        "app": f"isvc.{name}", "component": component, "serving.kserve.io/inferenceservice": isvc,
        **(labels or {})}.items()))}
    out["annotations"] = dict(sorted({**MODE, **(annotations if annotations is not None else {})}.items()))
    return out


# ---------------------------------------------------------------------------------------------------
# 6.1 Deployment


def test_deployment_defaults(pod):
    with_source(pod)
    objects, diags = run(isvc_yaml())
    assert diags == []
    assert [(o["kind"], o["metadata"]["name"]) for o in objects] == [
        ("Deployment", "iris-predictor"), ("Service", "iris-predictor"),
        ("HorizontalPodAutoscaler", "iris-predictor"), ("Ingress", "iris")]
    m = meta("iris-predictor", annotations={SOURCE_URI: "gs://bucket/iris"})
    assert objects[0] == {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": m,
        "spec": {
            "selector": {"matchLabels": {"app": "isvc.iris-predictor"}},
            "template": {"metadata": m, "spec": {
                "containers": [{"name": "kserve-container", "image": "predictor:1", "readinessProbe": PROBE_8080,
                                **CONTAINER_DEFAULTS}],
                **POD_DEFAULTS}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600,
        }}
    # Kubernetes' conventional key order, not just equal dicts.
    assert list(objects[0]) == ["apiVersion", "kind", "metadata", "spec"]
    assert list(objects[0]["metadata"]) == ["name", "namespace", "labels", "annotations"]
    assert list(objects[0]["spec"]["template"]["spec"]) == [
        "containers", "restartPolicy", "terminationGracePeriodSeconds", "dnsPolicy", "securityContext",
        "schedulerName"]


def test_pod_defaults_only_where_unset_and_probe_port(pod):
    pod.specs["predictor"] = {
        "schedulerName": "custom", "terminationGracePeriodSeconds": 5, "securityContext": {"runAsUser": 1},
        "initContainers": [{"image": "init:1", "name": "storage-initializer"}],
        "containers": [
            {"name": "kserve-container", "image": "a", "imagePullPolicy": "Always",
             "ports": [{"containerPort": 9000, "name": "h"}, {"containerPort": 9001}]},
            {"name": "transformer-container", "image": "t", "readinessProbe": {"exec": {"command": ["true"]}}},
            {"name": "sidecar", "image": "s"},
        ]}
    objects, _ = run(isvc_yaml())
    spec = objects[0]["spec"]["template"]["spec"]
    assert spec == {
        # KServe (setDefaultPodSpec) touches containers only; init containers are left to the API server.
        "initContainers": [{"name": "storage-initializer", "image": "init:1"}],
        "containers": [
            {"name": "kserve-container", "image": "a",
             "ports": [{"name": "h", "containerPort": 9000, "protocol": "TCP"},
                       {"containerPort": 9001, "protocol": "TCP"}],
             "readinessProbe": {**PROBE_8080, "tcpSocket": {"port": 9000}},
             "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
             "imagePullPolicy": "Always"},
            {"name": "transformer-container", "image": "t", "readinessProbe": {"exec": {"command": ["true"]}},
             **CONTAINER_DEFAULTS},
            {"name": "sidecar", "image": "s", **CONTAINER_DEFAULTS},
        ],
        "restartPolicy": "Always", "terminationGracePeriodSeconds": 5, "dnsPolicy": "ClusterFirst",
        "securityContext": {"runAsUser": 1}, "schedulerName": "custom"}
    assert list(spec)[:2] == ["initContainers", "containers"]


def test_deployment_strategy_given(pod):
    objects, _ = run(isvc_yaml("""\
        predictor:
          deploymentStrategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 0}, type: RollingUpdate}
          model: {modelFormat: {name: sklearn}, storageUri: gs://b/m}
        """))
    spec = objects[0]["spec"]
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}
    assert list(spec["strategy"]) == ["type", "rollingUpdate"]
    assert "revisionHistoryLimit" not in spec and "progressDeadlineSeconds" not in spec
    recreate, _ = run(isvc_yaml("""\
        predictor:
          deploymentStrategy: {type: Recreate}
          model: {modelFormat: {name: sklearn}, storageUri: gs://b/m}
        """))
    assert recreate[0]["spec"]["strategy"] == {"type": "Recreate"}


@pytest.mark.parametrize("deploy, expected", [
    (DeployConfig("Standard", max_surge="1", has_default_rollout=True), {"maxUnavailable": "25%", "maxSurge": "1"}),
    (DeployConfig("Standard", max_surge="50%", max_unavailable="0", has_default_rollout=True),
     {"maxUnavailable": "0", "maxSurge": "50%"}),
    # KServe (applyRolloutStrategyFromConfigmap): only when defaultDeploymentMode is exactly Standard.
    (DeployConfig("Knative", max_surge="1", has_default_rollout=True), {"maxUnavailable": "25%", "maxSurge": "25%"}),
    (DeployConfig("Standard"), {"maxUnavailable": "25%", "maxSurge": "25%"}),
])
def test_rollout_keys_from_config(pod, deploy, expected):
    objects, _ = run(isvc_yaml(), config=dataclasses.replace(BUILTIN, deploy=deploy))
    assert objects[0]["spec"]["strategy"] == {"type": "RollingUpdate", "rollingUpdate": expected}
    assert objects[0]["spec"]["revisionHistoryLimit"] == 10


def test_replicas_only_for_class_none_with_min_replicas(pod):
    spec = """\
        predictor:
          minReplicas: 0
          model: {modelFormat: {name: sklearn}, storageUri: gs://b/m}
        """
    none, diags = run(isvc_yaml(spec, meta="annotations: {serving.kserve.io/autoscalerClass: none}\n"))
    assert diags == []
    deployment = objects_of(none)[("Deployment", "iris-predictor")]
    assert list(deployment["spec"])[:2] == ["replicas", "selector"] and deployment["spec"]["replicas"] == 0
    assert [o["kind"] for o in none] == ["Deployment", "Service", "Ingress"]
    hpa, _ = run(isvc_yaml(spec))
    assert "replicas" not in hpa[0]["spec"]
    # KServe (deployment_reconciler.go): the class is read from the Deployment's own merged annotations,
    # so a component annotation counts too.
    component, _ = run(isvc_yaml("""\
        predictor:
          minReplicas: 2
          annotations: {serving.kserve.io/autoscalerClass: none}
          model: {modelFormat: {name: sklearn}, storageUri: gs://b/m}
        """))
    assert component[0]["spec"]["replicas"] == 2
    unset, _ = run(isvc_yaml(meta="annotations: {serving.kserve.io/autoscalerClass: none}\n"))
    assert "replicas" not in unset[0]["spec"]


# ---------------------------------------------------------------------------------------------------
# 6.2 Service


def service_of(objects, name="iris-predictor"):
    return objects_of(objects)[("Service", name)]


def test_service_no_ports_declared(pod):
    with_source(pod)
    objects, _ = run(isvc_yaml())
    assert service_of(objects) == {
        "apiVersion": "v1", "kind": "Service",
        "metadata": meta("iris-predictor", annotations={SOURCE_URI: "gs://bucket/iris"}),
        "spec": {"ports": [{"name": "iris-predictor", "protocol": "TCP", "port": 80, "targetPort": 8080}],
                 "selector": {"app": "isvc.iris-predictor"}}}


def test_service_one_port(pod):
    pod.specs["predictor"] = {"containers": [{"name": "kserve-container", "ports": [
        {"containerPort": 8085, "name": "http1", "protocol": "TCP"}]}]}
    objects, _ = run(isvc_yaml())
    assert service_of(objects)["spec"]["ports"] == [
        {"name": "http1", "protocol": "TCP", "port": 80, "targetPort": 8085}]


def test_service_several_ports_with_grpc_name(pod):
    pod.specs["predictor"] = {"containers": [{"name": "kserve-container", "ports": [
        {"containerPort": 8080, "name": "http"},
        {"containerPort": 9000, "name": "grpc-port"},
        {"containerPort": 9001, "name": "h2c", "protocol": "UDP"},
        {"containerPort": 9002, "name": "metrics"}]}]}
    objects, _ = run(isvc_yaml())
    assert service_of(objects)["spec"]["ports"] == [
        {"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080},
        {"name": "grpc-port", "protocol": "TCP", "appProtocol": "kubernetes.io/h2c", "port": 9000,
         "targetPort": 9000},
        {"name": "h2c", "protocol": "UDP", "appProtocol": "kubernetes.io/h2c", "port": 9001, "targetPort": 9001},
        {"name": "metrics", "protocol": "TCP", "port": 9002, "targetPort": 9002}]


def test_service_first_port_grpc_keeps_port_80(pod):
    pod.specs["predictor"] = {"containers": [{"name": "kserve-container", "ports": [
        {"containerPort": 9000, "name": "grpc"}]}]}
    objects, _ = run(isvc_yaml())
    assert service_of(objects)["spec"]["ports"] == [
        {"name": "grpc", "protocol": "TCP", "appProtocol": "kubernetes.io/h2c", "port": 80, "targetPort": 9000}]


def test_service_ports_from_transformer_container(pod):
    pod.specs["predictor"] = {"containers": [
        {"name": "kserve-container", "ports": [{"containerPort": 8085, "name": "model"}]},
        {"name": "transformer-container", "ports": [{"containerPort": 8080, "name": "http"}]}]}
    objects, _ = run(isvc_yaml())
    assert service_of(objects)["spec"]["ports"] == [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080}]


def test_service_logger_targets_agent_port_and_cluster_ip_none(pod):
    objects, diags = run(isvc_yaml("""\
        predictor:
          logger: {mode: all, url: "http://sink"}
          model: {modelFormat: {name: sklearn}, storageUri: gs://b/m}
        """), config=dataclasses.replace(BUILTIN, service_cluster_ip_none=True))
    svc = service_of(objects)
    assert svc["spec"] == {"ports": [{"name": "iris-predictor", "protocol": "TCP", "port": 80, "targetPort": 9081}],
                           "selector": {"app": "isvc.iris-predictor"}, "clusterIP": "None"}
    # KServe (components/component.go addLoggerAnnotations)
    assert {k: v for k, v in svc["metadata"]["annotations"].items() if "logger" in k} == {
        "internal.serving.kserve.io/logger": "true", "internal.serving.kserve.io/logger-mode": "all",
        "internal.serving.kserve.io/logger-sink-url": "http://sink"}
    assert codes(diags) == [("warning", "KSC436")]


def test_batcher_annotations_and_agent_port(pod):
    objects, _ = run(isvc_yaml("""\
        predictor:
          batcher: {maxBatchSize: 32, maxLatency: 500}
          model: {modelFormat: {name: sklearn}, storageUri: gs://b/m}
        """))
    svc = service_of(objects)
    assert svc["spec"]["ports"][0]["targetPort"] == 9081
    assert {k: v for k, v in svc["metadata"]["annotations"].items() if "batcher" in k} == {
        "internal.serving.kserve.io/batcher": "true", "internal.serving.kserve.io/batcher-max-batchsize": "32",
        "internal.serving.kserve.io/batcher-max-latency": "500"}


# ---------------------------------------------------------------------------------------------------
# 6.3 HorizontalPodAutoscaler


def hpa_of(text: str, pod_fixture, **kw):
    objects, diags = run(isvc_yaml(text, **kw))
    found = [o for o in objects if o["kind"] == "HorizontalPodAutoscaler"]
    return (found[0] if found else None), diags


def model_with(extra: str) -> str:
    return f"predictor:\n{textwrap.indent(textwrap.dedent(extra), '  ')}" \
           "  model: {modelFormat: {name: sklearn}, storageUri: gs://b/m}\n"


def cpu(target: int) -> dict:
    return {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization",
                                                                        "averageUtilization": target}}}


def test_hpa_default_cpu_80(pod):
    with_source(pod)
    hpa, _ = hpa_of("", pod)
    assert hpa == {
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": meta("iris-predictor", annotations={SOURCE_URI: "gs://bucket/iris"}),
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "iris-predictor"},
                 "minReplicas": 1, "maxReplicas": 1, "metrics": [cpu(80)], "behavior": {}}}


@pytest.mark.parametrize("extra, metrics", [
    ("scaleMetric: cpu\nscaleTarget: 60\n", [cpu(60)]),
    ("scaleMetric: memory\nscaleTarget: 70\n",
     [{"type": "Resource", "resource": {"name": "memory",
                                        "target": {"type": "Utilization", "averageUtilization": 70}}}]),
    ("scaleMetric: memory\n", None),
    ("scaleMetric: concurrency\nscaleTarget: 5\n", None),
    ("scaleMetric: rps\n", None),
    ("scaleMetricType: AverageValue\nscaleTarget: 50\n", [cpu(50)]),   # scaleMetricType is ignored
])
def test_hpa_scale_metric(pod, extra, metrics):
    hpa, _ = hpa_of(model_with(extra), pod)
    assert hpa["spec"].get("metrics") == metrics
    assert list(hpa["spec"])[-1] == "behavior"


def test_hpa_autoscaling_metrics(pod):
    hpa, diags = hpa_of(model_with("""\
        minReplicas: 2
        maxReplicas: 5
        autoScaling:
          behavior: {scaleDown: {stabilizationWindowSeconds: 10}}
          metrics:
          - {type: Resource, resource: {name: cpu, target: {type: AverageValue, averageValue: "1"}}}
          - {type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 55}}}
          - {type: Resource, resource: {name: memory, target: {type: AverageValue, averageValue: 1Gi}}}
          - {type: Resource, resource: {name: memory, target: {type: Utilization, averageUtilization: 75}}}
          - {type: External, external: {metric: {backend: prometheus, query: q}, target: {type: Value, value: "1"}}}
        """), pod)
    assert diags == []
    assert hpa["spec"] == {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "iris-predictor"},
        "minReplicas": 2, "maxReplicas": 5,
        "metrics": [
            cpu(80), cpu(55),
            {"type": "Resource", "resource": {"name": "memory", "target": {"type": "AverageValue",
                                                                           "averageValue": "1Gi"}}},
            {"type": "Resource", "resource": {"name": "memory", "target": {"type": "Utilization",
                                                                           "averageUtilization": 75}}}],
        "behavior": {}}


def test_hpa_autoscaling_without_metrics_has_none(pod):
    hpa, _ = hpa_of(model_with("autoScaling: {}\nscaleMetric: cpu\n"), pod)
    assert "metrics" not in hpa["spec"]


def test_hpa_memory_value_target_is_an_error(pod):
    # KServe (getHPAMetrics) leaves the target type empty for memory Value; the API server refuses the HPA.
    objects, diags = run(isvc_yaml(model_with("""\
        autoScaling:
          metrics:
          - {type: Resource, resource: {name: memory, target: {type: Value, value: "1"}}}
        """)))
    assert codes(diags) == [("error", "KSC442")]
    assert diags[0].field == "spec.predictor.autoScaling.metrics[0].resource.target"


@pytest.mark.parametrize("extra, low, high", [
    ("minReplicas: 0\n", 1, 1),
    ("minReplicas: 0\nmaxReplicas: 4\n", 1, 4),
    ("minReplicas: 3\n", 3, 3),                # maxReplicas < minReplicas -> minReplicas
    ("maxReplicas: 0\n", 1, 1),
])
def test_hpa_min_max(pod, extra, low, high):
    hpa, _ = hpa_of(model_with(extra), pod)
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (low, high)


@pytest.mark.parametrize("cls, diag", [("external", []), ("none", []), ("keda", [("error", "KSC443")])])  # keda: keda.py (no metrics: no trigger)
def test_hpa_not_made_for_external_none_keda(pod, cls, diag):
    hpa, diags = hpa_of("", pod, meta=f"annotations: {{serving.kserve.io/autoscalerClass: {cls}}}\n")
    assert hpa is None and codes(diags) == diag


def test_hpa_explicit_class(pod):
    hpa, diags = hpa_of("", pod, meta="annotations: {serving.kserve.io/autoscalerClass: hpa}\n")
    assert diags == [] and hpa["metadata"]["annotations"]["serving.kserve.io/autoscalerClass"] == "hpa"


def test_unknown_class_from_component_annotations_fails_the_component(pod):
    # KServe (autoscaler_reconciler.go createAutoscaler) reads the merged annotations, which the webhook
    # does not check; an unknown class fails the component, and the InferenceService gets no Ingress.
    objects, diags = run(isvc_yaml(model_with("annotations: {serving.kserve.io/autoscalerClass: kpa}\n")))
    assert objects == []
    assert [(d.code, d.message) for d in diags] == [("KSC441", "unknown autoscaler class type: kpa")]


# ---------------------------------------------------------------------------------------------------
# 6.4 Ingress


def rule(host: str, service: str) -> dict:
    return {"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {
        "service": {"name": service, "port": {"number": 80}}}}]}}


TRANSFORMER = """\
transformer:
  containers: [{name: t, image: "t:1"}]
"""
EXPLAINER = """\
explainer:
  containers: [{name: e, image: "e:1"}]
"""
PREDICTOR = """\
predictor:
  model: {modelFormat: {name: sklearn}, storageUri: gs://b/m}
"""


def ingress_of(objects):
    found = [o for o in objects if o["kind"] == "Ingress"]
    return found[0] if found else None


def test_ingress_predictor_only(pod):
    objects, _ = run(isvc_yaml(
        meta="labels: {team: a}\nannotations: {kubectl.kubernetes.io/last-applied-configuration: x}\n"))
    assert ingress_of(objects) == {
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        # All InferenceService annotations, unfiltered (modelFormat included); no labels.
        "metadata": {"name": "iris", "namespace": "ml", "annotations": {
            "kubectl.kubernetes.io/last-applied-configuration": "x", "modelFormat": "sklearn", **MODE}},
        "spec": {"ingressClassName": "istio", "rules": [
            rule("iris-ml.example.com", "iris-predictor"),
            rule("iris-predictor-ml.example.com", "iris-predictor")]}}


def test_ingress_with_explainer(pod):
    objects, _ = run(isvc_yaml(PREDICTOR + EXPLAINER))
    assert ingress_of(objects)["spec"]["rules"] == [
        rule("iris-ml.example.com", "iris-predictor"),
        rule("iris-explainer-ml.example.com", "iris-explainer"),
        rule("iris-predictor-ml.example.com", "iris-predictor")]


def test_ingress_with_transformer(pod):
    objects, _ = run(isvc_yaml(PREDICTOR + TRANSFORMER))
    assert ingress_of(objects)["spec"]["rules"] == [
        rule("iris-ml.example.com", "iris-transformer"),
        rule("iris-transformer-ml.example.com", "iris-predictor"),   # KServe routes the transformer host here
        rule("iris-predictor-ml.example.com", "iris-predictor")]


def test_ingress_with_transformer_and_explainer(pod):
    objects, _ = run(isvc_yaml(PREDICTOR + TRANSFORMER + EXPLAINER))
    # KServe (kube_ingress_reconciler.go): the explainer rule comes first, its host built from the
    # transformer's name.
    assert ingress_of(objects)["spec"]["rules"] == [
        rule("iris-transformer-ml.example.com", "iris-explainer"),
        rule("iris-ml.example.com", "iris-transformer"),
        rule("iris-transformer-ml.example.com", "iris-predictor"),
        rule("iris-predictor-ml.example.com", "iris-predictor")]
    assert [(o["kind"], o["metadata"]["name"]) for o in objects][:3] == [
        ("Deployment", "iris-predictor"), ("Service", "iris-predictor"), ("HorizontalPodAutoscaler", "iris-predictor")]
    assert len(objects) == 10


def test_ingress_predictor_name(pod):
    objects, _ = run(isvc_yaml("""\
        predictor:
          name: blue
          model: {modelFormat: {name: sklearn}, storageUri: gs://b/m}
        """))
    # KServe (constants.PredictorServiceName): <isvc>-<predictor.name>-predictor.
    assert {o["metadata"]["name"] for o in objects if o["kind"] != "Ingress"} == {"iris-blue-predictor"}
    assert ingress_of(objects)["spec"]["rules"] == [
        rule("iris-ml.example.com", "iris-blue-predictor"),
        rule("iris-blue-predictor-ml.example.com", "iris-blue-predictor")]


@pytest.mark.parametrize("meta_text, ingress", [
    ("labels: {networking.kserve.io/visibility: cluster-local}\n", IngressConfig(ingress_class_name="istio")),
    ("", IngressConfig(disable_ingress_creation=True)),
    ("", IngressConfig(ingress_domain="svc.cluster.local")),
])
def test_no_ingress(pod, meta_text, ingress):
    objects, diags = run(isvc_yaml(meta=meta_text), config=dataclasses.replace(BUILTIN, ingress=ingress))
    assert ingress_of(objects) is None and len(objects) == 3 and diags == []


def test_gateway_api_emits_httproutes_instead_of_an_ingress(pod):
    # Was: a KSC462 warning "HTTPRoutes not emitted". Now the routes are emitted (tests/unit/test_httproute.py).
    config = dataclasses.replace(BUILTIN, ingress=dataclasses.replace(BUILTIN.ingress, enable_gateway_api=True))
    objects, diags = run(isvc_yaml(PREDICTOR + TRANSFORMER), config=config)
    assert ingress_of(objects) is None and len(objects) == 9
    assert sorted(o["metadata"]["name"] for o in objects if o["kind"] == "HTTPRoute") == [
        "iris", "iris-predictor", "iris-transformer"]
    assert codes(diags) == [("notice", "KSC465")]


def test_ingress_without_class_name(pod):
    objects, _ = run(isvc_yaml(), config=dataclasses.replace(BUILTIN, ingress=IngressConfig()))
    assert list(ingress_of(objects)["spec"]) == ["rules"]


def test_domain_template_with_annotations_and_labels(pod):
    config = dataclasses.replace(BUILTIN, ingress=dataclasses.replace(
        BUILTIN.ingress, domain_template="{{.Name}}.{{ .Labels.team }}.{{ .Annotations.zone }}.{{ .IngressDomain }}",
        ingress_domain="models.internal"))
    objects, diags = run(isvc_yaml(meta="labels: {team: fraud}\nannotations: {zone: eu}\n"), config=config)
    assert diags == []
    assert [r["host"] for r in ingress_of(objects)["spec"]["rules"]] == [
        "iris.fraud.eu.models.internal", "iris-predictor.fraud.eu.models.internal"]


def test_host_label_too_long_fails_the_component(pod):
    name = "a" * 51                  # 51 + len("-predictor-ml") = 64 > 63
    objects, diags = run(isvc_yaml(name=name))
    host = f"{name}-predictor-ml.example.com"
    assert objects == []
    assert [(d.code, d.message) for d in diags] == [(
        "KSC460", f'failed creating host name: invalid domain name "{host}": url: Invalid value: '
                  f'"{name}-predictor-ml": must be no more than 63 characters')]
    assert diags[0].field == "metadata.name"


def test_missing_template_key_renders_no_value(pod):
    # KServe renders with text/template: a missing map key prints "<no value>", which is no DNS name.
    config = dataclasses.replace(BUILTIN, ingress=dataclasses.replace(
        BUILTIN.ingress, domain_template="{{ .Name }}.{{ .Annotations.zone }}.{{ .IngressDomain }}"))
    objects, diags = run(isvc_yaml(), config=config)
    assert objects == [] and [d.code for d in diags] == ["KSC460"]
    assert diags[0].message.startswith('failed creating host name: invalid domain name '
                                       '"iris-predictor.<no value>.example.com": url: Invalid value: '
                                       '"iris-predictor.<no value>.example.com": a lowercase RFC 1123 subdomain')


def test_ingress_host_invalid_when_isvc_labels_differ(pod):
    # The component's host sees the component's merged labels; the Ingress hosts see the InferenceService's
    # own (kube_ingress_reconciler.go generateIngressHost), so only the Ingress fails here.
    config = dataclasses.replace(BUILTIN, ingress=dataclasses.replace(
        BUILTIN.ingress, domain_template="{{ .Name }}.{{ .Labels.zone }}.{{ .IngressDomain }}"))
    objects, diags = run(isvc_yaml(model_with("labels: {zone: eu}\n")), config=config)
    assert [o["kind"] for o in objects] == ["Deployment", "Service", "HorizontalPodAutoscaler"]
    assert [(d.code, d.message.split(": url:")[0]) for d in diags] == [(
        "KSC463", 'failed creating top level predictor ingress host: invalid domain name '
                  '"iris.<no value>.example.com"')]


@pytest.mark.parametrize("host, problem", [
    ("a.example.com", None),
    ("a.example.com.", None),
    ("localhost", 'url: Invalid value: "localhost": should be a domain with at least two segments separated by dots'),
    ("", "url: Required value"),
    ("A.example.com", 'url: Invalid value: "A.example.com": a lowercase RFC 1123 subdomain must consist of lower '
                      "case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric "
                      "character (e.g. 'example.com', regex used for validation is "
                      "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"),
    ("x" * 254 + ".com", 'url: Invalid value: "' + "x" * 254 + '.com": must be no more than 253 characters'),
    ("a.example.com\n", 'url: Invalid value: "a.example.com\\n": a lowercase RFC 1123 subdomain must consist'),
])
def test_fqdn_check(host, problem):
    # apimachinery v0.34 IsFullyQualifiedDomainName, as KServe's domain.go reports it.
    found = ingress.fqdn_error(host)
    if problem is not None and problem.endswith("consist"):
        assert found.startswith(problem)
    else:
        assert found == problem


@pytest.mark.parametrize("template", [
    "{{ .ModelName }}.{{ .IngressDomain }}",
    "{{ .Name | upper }}.{{ .IngressDomain }}",
    "{{ index .Annotations \"a/b\" }}.example.com",
    "{{ .Name }}.{{ .IngressDomain }",
    "{{- .Name }}.example.com",
])
def test_domain_template_outside_the_subset_is_an_error(pod, template):
    config = dataclasses.replace(BUILTIN, ingress=dataclasses.replace(BUILTIN.ingress, domain_template=template))
    objects, diags = run(isvc_yaml(PREDICTOR + TRANSFORMER), config=config)
    assert objects == [] and [d.code for d in diags] == ["KSC461"]   # once per InferenceService
    assert diags[0].message.startswith("failed creating host name: error rendering the domain template")


# ---------------------------------------------------------------------------------------------------
# 4.5 Metadata

RICH_RUNTIME = RUNTIME.replace("spec:\n", """\
spec:
  labels: {rt-only: r, shared: runtime, team: runtime}
  annotations: {prometheus.kserve.io/port: "8082", shared: runtime, modelFormat: leak}
""")


def test_labels_order_and_override(pod):
    pod.labels = {"modelClass": "mlserver_sklearn.SKLearnModel"}
    objects, _ = run(isvc_yaml("""\
        predictor:
          labels: {team: component, component: mine, app: mine}
          model: {modelFormat: {name: sklearn}, storageUri: gs://b/m}
        transformer:
          labels: {t-only: x}
          containers: [{name: t, image: "t:1"}]
        """, meta="labels: {team: isvc, shared: isvc, modelClass: user}\n"), runtime=RICH_RUNTIME)
    found = objects_of(objects)
    predictor = found[("Deployment", "iris-predictor")]["metadata"]["labels"]
    assert predictor == {
        "app": "isvc.iris-predictor", "component": "predictor", "modelClass": "mlserver_sklearn.SKLearnModel",
        "rt-only": "r", "serving.kserve.io/inferenceservice": "iris", "shared": "isvc", "team": "component"}
    assert list(predictor) == sorted(predictor)
    # The transformer takes no runtime labels, but the labels the runtime's server type added to the isvc.
    assert found[("Deployment", "iris-transformer")]["metadata"]["labels"] == {
        "app": "isvc.iris-transformer", "component": "transformer", "modelClass": "mlserver_sklearn.SKLearnModel",
        "serving.kserve.io/inferenceservice": "iris", "shared": "isvc", "t-only": "x", "team": "isvc"}
    # The pod step sees the InferenceService's metadata with those labels too.
    assert pod.seen_meta[0]["labels"]["modelClass"] == "mlserver_sklearn.SKLearnModel"
    # Identical on every object of the component, and each object has its own copy.
    d, s, h = (found[(k, "iris-predictor")] for k in ("Deployment", "Service", "HorizontalPodAutoscaler"))
    assert d["metadata"] == d["spec"]["template"]["metadata"] == s["metadata"] == h["metadata"]
    d["metadata"]["labels"]["x"] = "y"
    assert "x" not in d["spec"]["template"]["metadata"]["labels"] and "x" not in s["metadata"]["labels"]


def test_annotations_disallow_list_including_model_format(pod):
    with_source(pod)
    objects, _ = run(isvc_yaml("""\
        predictor:
          annotations:
            shared: component
            internal.serving.kserve.io/storage-initializer-sourceuri: s3://sneaky
            autoscaling.knative.dev/max-scale: "3"
          model: {modelFormat: {name: sklearn}, storageUri: gs://bucket/iris}
        """, meta="""\
        annotations:
          shared: isvc
          isvc-only: "1"
          modelFormat: custom
          kubectl.kubernetes.io/last-applied-configuration: "{}"
          autoscaling.knative.dev/min-scale: "1"
        """), runtime=RICH_RUNTIME)
    deployment = objects_of(objects)[("Deployment", "iris-predictor")]
    assert deployment["metadata"]["annotations"] == {
        SOURCE_URI: "gs://bucket/iris", "isvc-only": "1", "prometheus.kserve.io/port": "8082",
        "serving.kserve.io/deploymentMode": "Standard", "shared": "component"}
    # The Ingress copies the InferenceService's annotations unfiltered.
    assert ingress_of(objects)["metadata"]["annotations"]["modelFormat"] == "custom"


def test_config_disallow_list_is_added(pod):
    config = dataclasses.replace(BUILTIN, annotation_disallow=("isvc-only",))
    objects, _ = run(isvc_yaml(meta="annotations: {isvc-only: '1', kept: '2'}\n"), config=config)
    assert objects[0]["metadata"]["annotations"] == {"kept": "2", **MODE}


def test_config_without_inference_service_key_filters_nothing(pod):
    config = dataclasses.replace(BUILTIN, annotation_disallow=None)
    objects, _ = run(isvc_yaml(meta="annotations: {kubectl.kubernetes.io/last-applied-configuration: x}\n"),
                     config=config)
    assert objects[0]["metadata"]["annotations"] == {
        "kubectl.kubernetes.io/last-applied-configuration": "x", "modelFormat": "sklearn", **MODE}


def test_agent_annotations_for_a_model_without_storage(pod):
    objects, diags = run(isvc_yaml("""\
        predictor:
          model: {modelFormat: {name: sklearn}}
        """))
    assert objects[0]["metadata"]["annotations"] == {
        "internal.serving.kserve.io/agent": "true",
        "internal.serving.kserve.io/configMountPath": "/mnt/configs",
        "internal.serving.kserve.io/configVolumeName": "modelconfig-iris-0",
        "internal.serving.kserve.io/modelDir": "/mnt/models", **MODE}
    assert codes(diags) == [("warning", "KSC435")]
    assert diags[0].field == "spec.predictor.model"


@pytest.mark.parametrize("spec", [
    "predictor:\n  model: {modelFormat: {name: huggingface}}\n",
    "predictor:\n  model: {modelFormat: {name: sklearn}, storage: {key: k, path: p}}\n",
    "predictor:\n  storageUris: [{uri: gs://b/m}]\n  model: {modelFormat: {name: sklearn}}\n",
    # KServe (utils.IsMMSPredictor): with containers, only MULTI_MODEL_SERVER=true on the first one counts.
    "predictor:\n  containers: [{name: transformer-container, image: t}]\n  model: {modelFormat: {name: sklearn}}\n",
])
def test_no_agent_annotations(pod, spec):
    hf = RUNTIME.replace("name: sklearn", "name: huggingface")
    objects, diags = run(isvc_yaml(spec), runtime=hf if "huggingface" in spec else RUNTIME)
    assert not any("agent" in k for k in objects[0]["metadata"]["annotations"]) and diags == []


def test_agent_for_custom_multi_model_server(pod):
    objects, diags = run(isvc_yaml("""\
        predictor:
          containers:
          - name: kserve-container
            image: mms:1
            env: [{name: MULTI_MODEL_SERVER, value: "true"}]
        """))
    assert objects[0]["metadata"]["annotations"]["internal.serving.kserve.io/agent"] == "true"
    assert codes(diags) == [("warning", "KSC435")]


def test_stop_annotation_creates_nothing(pod):
    objects, diags = run(isvc_yaml(PREDICTOR + TRANSFORMER, meta="annotations: {serving.kserve.io/stop: 'True'}\n"))
    assert objects == []
    assert codes(diags) == [("notice", "KSC450"), ("notice", "KSC450")]


def test_stopped_component_only(pod):
    objects, _ = run(isvc_yaml(PREDICTOR + textwrap.dedent("""\
        transformer:
          annotations: {serving.kserve.io/stop: "true"}
          containers: [{name: t, image: "t:1"}]
        """)))
    # The Ingress follows the InferenceService's own annotation, so it is still made.
    assert [(o["kind"], o["metadata"]["name"]) for o in objects] == [
        ("Deployment", "iris-predictor"), ("Service", "iris-predictor"),
        ("HorizontalPodAutoscaler", "iris-predictor"), ("Ingress", "iris")]


def test_every_object_passes_kubernetes_schemas(pod):
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    pod.specs["predictor"] = {"containers": [{"name": "kserve-container", "image": "x", "ports": [
        {"containerPort": 8080, "name": "http"}, {"containerPort": 9000, "name": "grpc"}]}]}
    objects, _ = run(isvc_yaml(textwrap.dedent("""\
        predictor:
          minReplicas: 1
          maxReplicas: 3
          logger: {mode: all}
          autoScaling:
            metrics:
            - {type: Resource, resource: {name: memory, target: {type: AverageValue, averageValue: 1Gi}}}
          model: {modelFormat: {name: sklearn}, storageUri: gs://b/m}
        """) + TRANSFORMER + EXPLAINER))
    assert len(objects) == 10
    for obj in objects:
        kubernetes_validate.validate(obj, "1.34", strict=True)
