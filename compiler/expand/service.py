"""The component's Service (docs/kserve-behaviour.md §6.2; reconcilers/service/service_reconciler.go createDefaultSvc)."""

from __future__ import annotations

from compiler.constants import TRANSFORMER_CONTAINER
from compiler.config import Config
from compiler.expand.metadata import ComponentMeta

SERVICE_PORT = 80                 # constants.CommonDefaultHttpPort
DEFAULT_TARGET = 8080             # constants.InferenceServiceDefaultHttpPort
AGENT_PORT = 9081                 # constants.InferenceServiceDefaultAgentPort (logger / batcher sidecar)
H2C = "kubernetes.io/h2c"


def build(meta: ComponentMeta, pod_spec: dict, component_spec: dict, config: Config) -> dict:
    ports = _ports(meta, pod_spec)
    if ports and (isinstance(component_spec.get("batcher"), dict) or isinstance(component_spec.get("logger"), dict)):
        ports[0]["targetPort"] = AGENT_PORT
    spec: dict = {"ports": ports, "selector": {"app": meta.app}}
    if config.service_cluster_ip_none:
        spec["clusterIP"] = "None"
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta.object_meta(), "spec": spec}


def _ports(meta: ComponentMeta, pod_spec: dict) -> list[dict]:
    """From the transformer-container if the pod has one, else from its first container."""
    containers = [c for c in pod_spec.get("containers") or [] if isinstance(c, dict)]
    if not containers:
        return []
    source = next((c for c in containers if c.get("name") == TRANSFORMER_CONTAINER), containers[0])
    declared = [p for p in source.get("ports") or [] if isinstance(p, dict)]
    if not declared:
        return [{"name": meta.name, "protocol": "TCP", "port": SERVICE_PORT, "targetPort": DEFAULT_TARGET}]
    first = declared[0]
    out = [_port(first, SERVICE_PORT)]
    out += [_port(p, p.get("containerPort")) for p in declared[1:]]
    return out


def _port(container_port: dict, port) -> dict:
    """ServicePort in Kubernetes' field order; an empty name is omitted, as Go's omitempty does."""
    name = container_port.get("name") or ""
    out: dict = {}
    if name:
        out["name"] = name
    out["protocol"] = container_port.get("protocol") or "TCP"   # the CRDs default it; KServe copies it
    if "grpc" in name or "h2c" in name:
        out["appProtocol"] = H2C
    out["port"] = port
    out["targetPort"] = container_port.get("containerPort")
    return out
