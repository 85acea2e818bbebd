"""The component's Deployment (docs/kserve-behaviour.md §6.1; reconcilers/deployment/deployment_reconciler.go
createRawDefaultDeployment, setDefaultPodSpec, setDefaultDeploymentSpec, applyRolloutStrategyFromConfigmap).
"""

from __future__ import annotations

from compiler.config import Config
from compiler.constants import KSERVE_CONTAINER, TRANSFORMER_CONTAINER
from compiler.expand import hpa
from compiler.expand.metadata import ComponentMeta, ordered
from compiler.plain import clone

PROBED_CONTAINERS = (KSERVE_CONTAINER, TRANSFORMER_CONTAINER)
DEFAULT_PORT = 8080

# k8s.io/api core/v1 field order, as the API server writes these objects.
POD_SPEC_ORDER = (
    "volumes", "initContainers", "containers", "ephemeralContainers", "restartPolicy",
    "terminationGracePeriodSeconds", "activeDeadlineSeconds", "dnsPolicy", "nodeSelector", "serviceAccountName",
    "serviceAccount", "automountServiceAccountToken", "nodeName", "hostNetwork", "hostPID", "hostIPC",
    "shareProcessNamespace", "securityContext", "imagePullSecrets", "hostname", "subdomain", "affinity",
    "schedulerName", "tolerations", "hostAliases", "priorityClassName", "priority", "dnsConfig", "readinessGates",
    "runtimeClassName", "enableServiceLinks", "preemptionPolicy", "overhead", "topologySpreadConstraints",
    "setHostnameAsFQDN", "os", "hostUsers", "schedulingGates", "resourceClaims", "resources", "hostnameOverride",
)
CONTAINER_ORDER = (
    "name", "image", "command", "args", "workingDir", "ports", "envFrom", "env", "resources", "resizePolicy",
    "restartPolicy", "restartPolicyRules", "volumeMounts", "volumeDevices", "livenessProbe", "readinessProbe",
    "startupProbe", "lifecycle", "terminationMessagePath", "terminationMessagePolicy", "imagePullPolicy",
    "securityContext", "stdin", "stdinOnce", "tty",
)
PORT_ORDER = ("name", "hostPort", "containerPort", "hostIP", "protocol")


def build(meta: ComponentMeta, pod_spec: dict, component_spec: dict, config: Config) -> dict:
    spec: dict = {}
    replicas = _replicas(meta, component_spec)
    if replicas is not None:
        spec["replicas"] = replicas
    spec["selector"] = {"matchLabels": {"app": meta.app}}
    spec["template"] = {"metadata": meta.object_meta(), "spec": default_pod_spec(pod_spec)}
    strategy = component_spec.get("deploymentStrategy")
    if isinstance(strategy, dict):
        # The user's strategy replaces setDefaultDeploymentSpec entirely: no revisionHistoryLimit or
        # progressDeadlineSeconds from KServe (the API server fills them).
        spec["strategy"] = _strategy(clone(strategy))
    else:
        spec["strategy"] = _rollout(config)
        spec["revisionHistoryLimit"] = 10
        spec["progressDeadlineSeconds"] = 600
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta.object_meta(), "spec": spec}


def _replicas(meta: ComponentMeta, component_spec: dict) -> int | None:
    """Only autoscalerClass `none` (read from the Deployment's own merged annotations) pins replicas."""
    value = component_spec.get("minReplicas")
    if isinstance(value, int) and not isinstance(value, bool) and hpa.autoscaler_class(meta.annotations) == "none":
        return value
    return None


def _strategy(strategy: dict) -> dict:
    rolling = strategy.get("rollingUpdate")
    if isinstance(rolling, dict):
        strategy["rollingUpdate"] = ordered(rolling, ("maxUnavailable", "maxSurge"))
    return ordered(strategy, ("type", "rollingUpdate"))


def _rollout(config: Config) -> dict:
    rolling = {"maxUnavailable": "25%", "maxSurge": "25%"}
    deploy = config.deploy
    # applyRolloutStrategyFromConfigmap: only with defaultDeploymentMode exactly "Standard".
    if deploy.default_deployment_mode == "Standard" and deploy.has_default_rollout:
        if deploy.max_surge:
            rolling["maxSurge"] = deploy.max_surge
        if deploy.max_unavailable:
            rolling["maxUnavailable"] = deploy.max_unavailable
    return {"type": "RollingUpdate", "rollingUpdate": rolling}


def default_pod_spec(pod_spec: dict) -> dict:
    """setDefaultPodSpec, each default only where unset, on a copy; then Kubernetes' field order."""
    spec = clone(pod_spec)
    for key, value in (("dnsPolicy", "ClusterFirst"), ("restartPolicy", "Always"),
                       ("schedulerName", "default-scheduler")):
        if not spec.get(key):                      # Go tests == "": an empty string is unset too
            spec[key] = value
    if spec.get("terminationGracePeriodSeconds") is None:
        spec["terminationGracePeriodSeconds"] = 30
    if spec.get("securityContext") is None:
        spec["securityContext"] = {}
    if isinstance(spec.get("containers"), list):
        spec["containers"] = [_container_defaults(c) if isinstance(c, dict) else c for c in spec["containers"]]
    if isinstance(spec.get("initContainers"), list):
        spec["initContainers"] = [_container(c) if isinstance(c, dict) else c for c in spec["initContainers"]]
    return ordered(spec, POD_SPEC_ORDER)


def _container_defaults(container: dict) -> dict:
    for key, value in (("terminationMessagePath", "/dev/termination-log"), ("terminationMessagePolicy", "File"),
                       ("imagePullPolicy", "IfNotPresent")):
        if not container.get(key):
            container[key] = value
    if container.get("name") in PROBED_CONTAINERS and container.get("readinessProbe") is None:
        container["readinessProbe"] = {"tcpSocket": {"port": _first_port(container)}, "timeoutSeconds": 1,
                                       "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3}
    return _container(container)


def _first_port(container: dict) -> int:
    ports = container.get("ports")
    if isinstance(ports, list) and ports and isinstance(ports[0], dict) and "containerPort" in ports[0]:
        return ports[0]["containerPort"]
    return DEFAULT_PORT


def _container(container: dict) -> dict:
    """Field order, and the CRDs' `protocol: TCP` default on ports (KServe reads its objects defaulted)."""
    ports = container.get("ports")
    if isinstance(ports, list):
        container["ports"] = [ordered({**p, "protocol": p.get("protocol") or "TCP"}, PORT_ORDER)
                              if isinstance(p, dict) else p for p in ports]
    return ordered(container, CONTAINER_ORDER)
