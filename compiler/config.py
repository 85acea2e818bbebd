"""KServe's configuration (the `inferenceservice-config` ConfigMap): our built-in copy of the v0.20.0
release's values, and a user's ConfigMap read exactly as KServe reads it.

KServe reads its ConfigMap as a whole: each `data` key is JSON, and a key that is absent takes the
controller's in-code default, usually Go's zero value, not the shipped file's value
(pkg/apis/serving/v1beta1/configmap.go, New*Config; spec §0.2). So a user's ConfigMap replaces the
built-in one entirely. The one deliberate difference of the built-in copy: `defaultDeploymentMode` is
`Standard`, because our output is always raw mode (spec §0.1).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from compiler import KSERVE_VERSION
from compiler.diagnostics import Diagnostic, error
from compiler.document import Document

CONFIG_NAME = "inferenceservice-config"

# Codes (KSC0xx: configuration)
BAD_JSON = "KSC010"
BAD_CONFIG = "KSC011"
TWO_CONFIGS = "KSC012"

# The ingress fields KServe fills whether or not the key is present (configmap.go NewIngressConfig).
DEFAULT_DOMAIN_TEMPLATE = "{{ .Name }}-{{ .Namespace }}.{{ .IngressDomain }}"
DEFAULT_INGRESS_DOMAIN = "example.com"
DEFAULT_URL_SCHEME = "http"


@dataclass(frozen=True, slots=True)
class StorageInitializerConfig:
    image: str = ""
    cpu_request: str = ""
    cpu_limit: str = ""
    memory_request: str = ""
    memory_limit: str = ""
    ca_bundle_config_map_name: str = ""
    ca_bundle_volume_mount_path: str = ""
    enable_modelcar: bool = False
    cpu_modelcar: str = ""
    memory_modelcar: str = ""
    uid_modelcar: int | None = None


@dataclass(frozen=True, slots=True)
class IngressConfig:
    enable_gateway_api: bool = False
    kserve_ingress_gateway: str = ""
    ingress_gateway: str = ""
    ingress_domain: str = DEFAULT_INGRESS_DOMAIN
    ingress_class_name: str | None = None
    domain_template: str = DEFAULT_DOMAIN_TEMPLATE
    url_scheme: str = DEFAULT_URL_SCHEME
    disable_ingress_creation: bool = False
    disable_http_route_timeout: bool = False
    path_template: str = ""
    additional_ingress_domains: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DeployConfig:
    default_deployment_mode: str | None = None  # None: no `deploy` key
    max_surge: str = ""                           # deploymentRolloutStrategy.defaultRollout
    max_unavailable: str = ""
    has_default_rollout: bool = False


@dataclass(frozen=True, slots=True)
class Config:
    source: str                                   # "built-in (KServe v0.20.0)" or "FILE (ConfigMap NS/NAME)"
    storage_initializer: StorageInitializerConfig = StorageInitializerConfig()
    ingress: IngressConfig = IngressConfig()
    deploy: DeployConfig = DeployConfig()
    # inferenceService.resource: defaults for custom components' first container (spec §3)
    resource_defaults: dict = field(default_factory=dict)
    # inferenceService.serviceAnnotationDisallowedList; None when the inferenceService key is absent,
    # in which case nothing at all is filtered (spec §4.5)
    annotation_disallow: tuple[str, ...] | None = None
    auto_mount_service_account_token: bool = False
    service_cluster_ip_none: bool = False
    storage_secret_name_annotation: str = ""
    storage_spec_secret_name: str = ""
    builtin: bool = False


BUILTIN = Config(
    source=f"built-in (KServe {KSERVE_VERSION} release values, defaultDeploymentMode Standard)",
    storage_initializer=StorageInitializerConfig(
        image=f"kserve/storage-initializer:{KSERVE_VERSION}", cpu_request="100m", cpu_limit="1",
        memory_request="100Mi", memory_limit="1Gi", ca_bundle_config_map_name="",
        ca_bundle_volume_mount_path="/etc/ssl/custom-certs", enable_modelcar=True, cpu_modelcar="10m",
        memory_modelcar="15Mi", uid_modelcar=1010),
    ingress=IngressConfig(
        enable_gateway_api=False, kserve_ingress_gateway="kserve/kserve-ingress-gateway",
        ingress_gateway="knative-serving/knative-ingress-gateway", ingress_domain="example.com",
        ingress_class_name="istio", domain_template=DEFAULT_DOMAIN_TEMPLATE, url_scheme="http"),
    deploy=DeployConfig(default_deployment_mode="Standard"),
    resource_defaults={"limits": {"cpu": "1", "memory": "2Gi"}, "requests": {"cpu": "1", "memory": "2Gi"}},
    annotation_disallow=(),
    auto_mount_service_account_token=True,
    service_cluster_ip_none=False,
    storage_secret_name_annotation="serving.kserve.io/storageSecretName",
    storage_spec_secret_name="storage-config",
    builtin=True,
)


def is_config(doc: Document) -> bool:
    return doc.api_version == "v1" and doc.kind == "ConfigMap" and doc.name == CONFIG_NAME


def from_configmap(doc: Document) -> tuple[Config | None, list[Diagnostic]]:
    """Read a user's inferenceservice-config as KServe would; None with errors when KServe would refuse."""
    data = doc.data.get("data") or {}
    if not isinstance(data, dict):
        return None, [error(BAD_CONFIG, "ConfigMap data must be a mapping of strings", **doc.where(("data",)))]
    sections: dict = {}
    diags: list[Diagnostic] = []
    for key, text in data.items():
        try:
            sections[key] = json.loads(text) if isinstance(text, str) else None
        except json.JSONDecodeError as exc:
            diags.append(error(BAD_JSON, f'key "{key}" of {CONFIG_NAME} is not valid JSON: {exc.msg} '
                               f"(line {exc.lineno}, column {exc.colno} of the value)",
                               **doc.where(("data", key))))
            continue
        if not isinstance(sections[key], dict):
            diags.append(error(BAD_JSON, f'key "{key}" of {CONFIG_NAME} must hold a JSON object',
                               **doc.where(("data", key))))
    if diags:
        return None, diags
    deploy, deploy_diags = _deploy(sections, doc)
    ingress, ingress_diags = _ingress(sections, doc)
    if deploy_diags or ingress_diags:
        return None, deploy_diags + ingress_diags
    isvc = sections.get("inferenceService")
    credentials = sections.get("credentials") or {}
    return Config(
        source=f"{doc.file} (ConfigMap {doc.namespace + '/' if doc.namespace else ''}{doc.name})",
        storage_initializer=_storage(sections.get("storageInitializer") or {}),
        ingress=ingress,
        deploy=deploy,
        resource_defaults=_resources((isvc or {}).get("resource") or {}),
        annotation_disallow=None if isvc is None else tuple(isvc.get("serviceAnnotationDisallowedList") or ()),
        auto_mount_service_account_token=bool((sections.get("security") or {}).get(
            "autoMountServiceAccountToken", False)),
        service_cluster_ip_none=bool((sections.get("service") or {}).get("serviceClusterIPNone", False)),
        storage_secret_name_annotation=str(credentials.get("storageSecretNameAnnotation") or ""),
        storage_spec_secret_name=str(credentials.get("storageSpecSecretName") or ""),
    ), []


def _storage(s: dict) -> StorageInitializerConfig:
    uid = s.get("uidModelcar")
    return StorageInitializerConfig(
        image=str(s.get("image") or ""), cpu_request=str(s.get("cpuRequest") or ""),
        cpu_limit=str(s.get("cpuLimit") or ""), memory_request=str(s.get("memoryRequest") or ""),
        memory_limit=str(s.get("memoryLimit") or ""),
        ca_bundle_config_map_name=str(s.get("caBundleConfigMapName") or ""),
        ca_bundle_volume_mount_path=str(s.get("caBundleVolumeMountPath") or ""),
        enable_modelcar=bool(s.get("enableModelcar", False)), cpu_modelcar=str(s.get("cpuModelcar") or ""),
        memory_modelcar=str(s.get("memoryModelcar") or ""), uid_modelcar=uid if isinstance(uid, int) else None)


def _resources(r: dict) -> dict:
    out: dict = {}
    for bucket, cpu_key, mem_key in (("limits", "cpuLimit", "memoryLimit"),
                                     ("requests", "cpuRequest", "memoryRequest")):
        values = {k: str(r[src]) for k, src in (("cpu", cpu_key), ("memory", mem_key)) if r.get(src)}
        if values:
            out[bucket] = values
    return out


def _deploy(sections: dict, doc: Document) -> tuple[DeployConfig, list[Diagnostic]]:
    if "deploy" not in sections:
        return DeployConfig(), []
    deploy = sections["deploy"] or {}
    mode = deploy.get("defaultDeploymentMode")
    if not mode:
        return DeployConfig(), [error(BAD_CONFIG, "invalid deploy config, defaultDeploymentMode is required",
                                      **doc.where(("data", "deploy")))]
    rollout = ((deploy.get("deploymentRolloutStrategy") or {}).get("defaultRollout"))
    rollout = rollout if isinstance(rollout, dict) else None
    return DeployConfig(
        default_deployment_mode=str(mode),
        max_surge=str((rollout or {}).get("maxSurge") or ""),
        max_unavailable=str((rollout or {}).get("maxUnavailable") or ""),
        has_default_rollout=rollout is not None), []


def _ingress(sections: dict, doc: Document) -> tuple[IngressConfig, list[Diagnostic]]:
    if "ingress" not in sections:
        return IngressConfig(), []
    i = sections["ingress"] or {}
    if not i.get("ingressGateway"):
        return IngressConfig(), [error(BAD_CONFIG, "invalid ingress config - ingressGateway is required",
                                       **doc.where(("data", "ingress")))]
    return IngressConfig(
        enable_gateway_api=bool(i.get("enableGatewayApi", False)),
        kserve_ingress_gateway=str(i.get("kserveIngressGateway") or ""),
        ingress_gateway=str(i["ingressGateway"]),
        ingress_domain=str(i.get("ingressDomain") or DEFAULT_INGRESS_DOMAIN),
        ingress_class_name=i.get("ingressClassName") or None,
        domain_template=str(i.get("domainTemplate") or DEFAULT_DOMAIN_TEMPLATE),
        url_scheme=str(i.get("urlScheme") or DEFAULT_URL_SCHEME),
        disable_ingress_creation=bool(i.get("disableIngressCreation", False)),
        disable_http_route_timeout=bool(i.get("disableHTTPRouteTimeout", False)),
        path_template=str(i.get("pathTemplate") or ""),
        additional_ingress_domains=tuple(i.get("additionalIngressDomains") or ()),
    ), []
