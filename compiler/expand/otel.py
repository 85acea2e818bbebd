"""The component's OpenTelemetryCollector (docs/kserve-behaviour.md §6.3; KServe v0.20.0
reconcilers/otel/otel_reconciler.go createOtelCollector, made in raw/raw_kube_reconciler.go
NewRawKubeReconciler).

KServe makes one when the component's autoScaling.metrics has PodMetric entries with the opentelemetry
backend that name metricNames, whatever the autoscaler class. It is a sidecar-mode collector (the
OpenTelemetry Operator injects it into pods that ask for it) that scrapes the model server's Prometheus
port, labels each data point with its namespace, Deployment and pod, keeps only the named metrics and
pushes them to the configuration's metricReceiverEndpoint (KEDA's OpenTelemetry scaler).
"""

from __future__ import annotations

from compiler.config import Config
from compiler.diagnostics import Diagnostic, notice
from compiler.expand.keda import OTEL_BACKEND
from compiler.expand.metadata import ComponentMeta

# Codes (KSC440-449: autoscaling)
OTEL_NEEDED = "KSC445"

API_VERSION = "opentelemetry.io/v1beta1"
KIND = "OpenTelemetryCollector"
PORT_ANNOTATION = "prometheus.kserve.io/port"
DEFAULT_PORT = "8080"
_STATEMENTS = ['set(attributes["namespace"], resource.attributes["k8s.namespace.name"])',
               'set(attributes["deployment"], resource.attributes["k8s.deployment.name"])',
               'set(attributes["pod"], resource.attributes["k8s.pod.name"])']


def metric_names(spec: dict) -> list[str]:
    """The metricNames of the component's opentelemetry PodMetric entries, in order."""
    autoscaling = spec.get("autoScaling")
    entries = autoscaling.get("metrics") if isinstance(autoscaling, dict) else None
    names: list[str] = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or entry.get("type") != "PodMetric":
            continue
        metric = (entry.get("podmetric") or {}).get("metric") if isinstance(entry.get("podmetric"), dict) else None
        if isinstance(metric, dict) and metric.get("backend") == OTEL_BACKEND:
            names += [n for n in metric.get("metricNames") or () if isinstance(n, str)]
    return names


def build(meta: ComponentMeta, spec: dict, config: Config) -> dict | None:
    names = metric_names(spec)
    if not names:
        return None
    otel = config.otel
    port = meta.annotations.get(PORT_ANNOTATION, DEFAULT_PORT)
    scrape = {"job_name": "otel-collector", "scrape_interval": otel.scrape_interval,
              "static_configs": [{"targets": [f"localhost:{port}"]}]}
    processors = {
        "resourcedetection/env": {"detectors": ["env"], "timeout": "2s", "override": False},
        "transform": {"metric_statements": [{"context": "datapoint", "statements": list(_STATEMENTS)}]},
        "filter/metrics": {"metrics": {"include": {"match_type": "strict", "metric_names": names}}},
    }
    collector_spec: dict = {
        "mode": "sidecar",
        "config": {
            "receivers": {"prometheus": {"config": {"scrape_configs": [scrape]}}},
            "exporters": {"otlp": {"endpoint": otel.metric_receiver_endpoint, "compression": "none",
                                   "tls": {"insecure": True}}},
            "processors": processors,
            "service": {"pipelines": {"metrics": {"receivers": ["prometheus"],
                                                  "processors": list(processors), "exporters": ["otlp"]}}},
        },
    }
    if otel.resources:
        collector_spec["resources"] = {k: dict(v) for k, v in otel.resources.items()}
    # Name, namespace and annotations only: KServe gives the collector no labels.
    metadata: dict = {"name": meta.name, "namespace": meta.namespace}
    if meta.annotations:
        metadata["annotations"] = dict(meta.annotations)
    return {"apiVersion": API_VERSION, "kind": KIND, "metadata": metadata, "spec": collector_spec}


def otel_notice() -> Diagnostic:
    """Identical notices are reported once, so this one appears once per build."""
    return notice(OTEL_NEEDED, "the output holds OpenTelemetryCollectors (opentelemetry.io/v1beta1, sidecar mode), "
                  "custom resources that need the OpenTelemetry Operator installed in the cluster; the operator "
                  "injects the collector only into pods (or namespaces) annotated sidecar.opentelemetry.io/inject, "
                  "which KServe does not add",
                  hint="install the OpenTelemetry Operator, and annotate the component "
                       '(sidecar.opentelemetry.io/inject: "true") so that its pods get the collector')
