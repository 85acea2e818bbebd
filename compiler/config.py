"""KServe's configuration (the `inferenceservice-config` ConfigMap): our built-in copy of the v0.20.0
release's values, and a user's ConfigMap read exactly as KServe reads it.

KServe reads its ConfigMap as a whole: each `data` key is JSON, and a key that is absent takes the
controller's in-code default, usually Go's zero value, not the shipped file's value
(pkg/apis/serving/v1beta1/configmap.go, New*Config; docs/kserve-behaviour.md §0.2). So a user's ConfigMap replaces the
built-in one entirely. The one deliberate difference of the built-in copy: `defaultDeploymentMode` is
`Standard`, because our output is always raw mode (docs/kserve-behaviour.md §0.1).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from compiler import KSERVE_VERSION
from compiler.diagnostics import Diagnostic, error, warning
from compiler.document import Document

CONFIG_NAME = "inferenceservice-config"

# Codes (KSC0xx: configuration)
BAD_JSON = "KSC010"
BAD_CONFIG = "KSC011"
TWO_CONFIGS = "KSC012"
ROLLOUT_NOT_PERCENT = "KSC014"

# The ingress fields KServe fills whether or not the key is present (configmap.go NewIngressConfig).
DEFAULT_DOMAIN_TEMPLATE = "{{ .Name }}-{{ .Namespace }}.{{ .IngressDomain }}"
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")   # apimachinery IsDNS1123Label
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
    oci_model_mode: str = ""  # "modelcar", "native", ... or "" (OCI URIs take the storage initializer)


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
class OtelConfig:
    """opentelemetryCollector (configmap.go OtelCollectorConfig): read by the KEDA ScaledObject's
    opentelemetry triggers and the OpenTelemetryCollector (docs/kserve-behaviour.md §6.3)."""
    scrape_interval: str = ""
    metric_receiver_endpoint: str = ""
    metric_scaler_endpoint: str = ""
    resources: dict = field(default_factory=dict)   # its `resource` as requests / limits


@dataclass(frozen=True, slots=True)
class Config:
    source: str                                   # "built-in (KServe v0.20.0)" or "FILE (ConfigMap NS/NAME)"
    storage_initializer: StorageInitializerConfig = StorageInitializerConfig()
    ingress: IngressConfig = IngressConfig()
    deploy: DeployConfig = DeployConfig()
    # inferenceService.resource: defaults for custom components' first container (docs/kserve-behaviour.md §3)
    resource_defaults: dict = field(default_factory=dict)
    # inferenceService.serviceAnnotationDisallowedList; None when the inferenceService key is absent,
    # in which case nothing at all is filtered (docs/kserve-behaviour.md §4.5)
    annotation_disallow: tuple[str, ...] | None = None
    # inferenceService.serviceLabelDisallowedList, likewise (KServe prepends networking.knative.dev/visibility);
    # it filters only the labels of HTTPRoutes here (docs/kserve-behaviour.md §6.4)
    label_disallow: tuple[str, ...] | None = None
    auto_mount_service_account_token: bool = False
    service_cluster_ip_none: bool = False
    storage_secret_name_annotation: str = ""
    storage_spec_secret_name: str = ""
    credentials: dict | None = None  # the `credentials` key as given; None: the shipped one (built-in)
    # explainers.art: the ART explainer's image and default version (ExplainersConfig; docs/kserve-behaviour.md §4.4)
    art_image: str = ""
    art_version: str = ""
    # autoscaler (AutoscalerConfig): the KEDA ScaledObject's stabilization windows when the component has none
    scale_up_window: str = ""
    scale_down_window: str = ""
    otel: OtelConfig = OtelConfig()
    builtin: bool = False


BUILTIN = Config(
    source=f"built-in (KServe {KSERVE_VERSION} release values, defaultDeploymentMode Standard)",
    storage_initializer=StorageInitializerConfig(
        image=f"kserve/storage-initializer:{KSERVE_VERSION}", cpu_request="100m", cpu_limit="1",
        memory_request="100Mi", memory_limit="1Gi", ca_bundle_config_map_name="",
        ca_bundle_volume_mount_path="/etc/ssl/custom-certs", enable_modelcar=True, cpu_modelcar="10m",
        memory_modelcar="15Mi", uid_modelcar=1010, oci_model_mode="modelcar"),
    ingress=IngressConfig(
        enable_gateway_api=False, kserve_ingress_gateway="kserve/kserve-ingress-gateway",
        ingress_gateway="knative-serving/knative-ingress-gateway", ingress_domain="example.com",
        ingress_class_name="istio", domain_template=DEFAULT_DOMAIN_TEMPLATE, url_scheme="http"),
    deploy=DeployConfig(default_deployment_mode="Standard"),
    resource_defaults={"limits": {"cpu": "1", "memory": "2Gi"}, "requests": {"cpu": "1", "memory": "2Gi"}},
    annotation_disallow=(),
    label_disallow=(),
    auto_mount_service_account_token=True,
    service_cluster_ip_none=False,
    storage_secret_name_annotation="serving.kserve.io/storageSecretName",
    storage_spec_secret_name="storage-config",
    art_image="kserve/art-explainer",
    art_version="latest",
    scale_up_window="0",
    scale_down_window="300",
    otel=OtelConfig(scrape_interval="5s", metric_receiver_endpoint="keda-otel-scaler.keda.svc:4317",
                    metric_scaler_endpoint="keda-otel-scaler.keda.svc:4318",
                    resources={"limits": {"cpu": "1", "memory": "2Gi"}, "requests": {"cpu": "200m", "memory": "512Mi"}}),
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
    try:
        cfg = _read(sections, doc)
    except _ConfigError as exc:
        return None, [error(BAD_CONFIG, exc.message, **doc.where(("data", exc.key)))]
    return cfg, _rollout_warnings(cfg, doc)


def _rollout_warnings(cfg: Config, doc: Document) -> list[Diagnostic]:
    """KServe copies defaultRollout values into the Deployment as strings, and the API server accepts a
    string maxSurge/maxUnavailable only as a percentage: "1" makes every Deployment fail to apply."""
    out = []
    for key, value in (("maxSurge", cfg.deploy.max_surge), ("maxUnavailable", cfg.deploy.max_unavailable)):
        if value and not re.fullmatch(r"\d+%", value):
            out.append(warning(ROLLOUT_NOT_PERCENT, f'deploymentRolloutStrategy.defaultRollout.{key} "{value}" is '
                               "not a percentage: KServe writes it into each Deployment as a string, which the API "
                               "server rejects", **doc.where(("data", "deploy")),
                               hint=f'use a percentage such as "{value}%" or "25%"'))
    return out


class _ConfigError(Exception):
    def __init__(self, key: str, message: str):
        self.key, self.message = key, message


class _Section:
    """One JSON key of the ConfigMap, read with Go's json.Unmarshal strictness: a value of the wrong type
    is an error (KServe refuses the configuration), never coerced."""

    def __init__(self, sections: dict, key: str):
        self.key = key
        self.present = key in sections
        self.values = sections.get(key) or {}

    def _get(self, field: str, kinds: tuple, go_type: str, default):
        value = self.values.get(field)
        if value is None:
            return default
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise _ConfigError(self.key, f"invalid {self.key} config: {field} must be a JSON {go_type}, "
                               f"got {json.dumps(value)} (json: cannot unmarshal into Go value of type {go_type})")
        return value

    def str(self, field: str, default: str = "") -> str:
        return self._get(field, (str,), "string", default)

    def bool(self, field: str, default: bool = False) -> bool:
        return self._get(field, (bool,), "bool", default)

    def int(self, field: str) -> int | None:
        return self._get(field, (int,), "int", None)

    def obj(self, field: str) -> dict | None:
        return self._get(field, (dict,), "object", None)

    def list(self, field: str) -> tuple:
        return tuple(self._get(field, (list,), "array", ()))


# configmap.go NewDeployConfig: legacy names are rewritten; anything else is refused.
DEPLOYMENT_MODES = {"Standard": "Standard", "RawDeployment": "Standard", "Knative": "Knative",
                    "Serverless": "Knative", "ModelMesh": "ModelMesh"}


def _read(sections: dict, doc: Document) -> Config:
    isvc = _Section(sections, "inferenceService")
    credentials = sections.get("credentials")
    explainers = sections.get("explainers") or {}
    art = {"explainers": explainers.get("art") if isinstance(explainers.get("art"), dict) else {}}
    return Config(
        source=f"{doc.file} (ConfigMap {doc.namespace + '/' if doc.namespace else ''}{doc.name})",
        storage_initializer=_storage(_Section(sections, "storageInitializer")),
        ingress=_ingress(_Section(sections, "ingress")),
        deploy=_deploy(_Section(sections, "deploy")),
        resource_defaults=_resources(isvc.obj("resource") or {}),
        annotation_disallow=isvc.list("serviceAnnotationDisallowedList") if isvc.present else None,
        label_disallow=isvc.list("serviceLabelDisallowedList") if isvc.present else None,
        auto_mount_service_account_token=_Section(sections, "security").bool("autoMountServiceAccountToken"),
        service_cluster_ip_none=_Section(sections, "service").bool("serviceClusterIPNone"),
        storage_secret_name_annotation=_Section(sections, "credentials").str("storageSecretNameAnnotation"),
        storage_spec_secret_name=_Section(sections, "credentials").str("storageSpecSecretName"),
        credentials=credentials if isinstance(credentials, dict) else {},
        art_image=_Section(art, "explainers").str("image"),
        art_version=_Section(art, "explainers").str("defaultImageVersion"),
        scale_up_window=_Section(sections, "autoscaler").str("scaleUpStabilizationWindowSeconds"),
        scale_down_window=_Section(sections, "autoscaler").str("scaleDownStabilizationWindowSeconds"),
        otel=_otel(_Section(sections, "opentelemetryCollector")),
    )


def _otel(o: _Section) -> OtelConfig:
    r = _Section({o.key: o.obj("resource") or {}}, o.key)
    fields = ("cpuLimit", "memoryLimit", "cpuRequest", "memoryRequest")
    return OtelConfig(scrape_interval=o.str("scrapeInterval"), metric_receiver_endpoint=o.str("metricReceiverEndpoint"),
                      metric_scaler_endpoint=o.str("metricScalerEndpoint"),
                      resources=_resources({name: r.str(name) for name in fields}))


def _storage(s: _Section) -> StorageInitializerConfig:
    enable_modelcar = s.bool("enableModelcar")
    # types.ResolveOciModelMode: ociModelMode, else "modelcar" when enableModelcar or enableOciModelSupport.
    oci_mode = s.str("ociModelMode") or ("modelcar" if enable_modelcar or s.bool("enableOciModelSupport") else "")
    return StorageInitializerConfig(
        image=s.str("image"), cpu_request=s.str("cpuRequest"), cpu_limit=s.str("cpuLimit"),
        memory_request=s.str("memoryRequest"), memory_limit=s.str("memoryLimit"),
        ca_bundle_config_map_name=s.str("caBundleConfigMapName"),
        ca_bundle_volume_mount_path=s.str("caBundleVolumeMountPath"),
        enable_modelcar=enable_modelcar, cpu_modelcar=s.str("cpuModelcar"), memory_modelcar=s.str("memoryModelcar"),
        uid_modelcar=s.int("uidModelcar"), oci_model_mode=oci_mode)


def _resources(r: dict) -> dict:
    out: dict = {}
    for bucket, cpu_key, mem_key in (("limits", "cpuLimit", "memoryLimit"),
                                     ("requests", "cpuRequest", "memoryRequest")):
        values = {k: str(r[src]) for k, src in (("cpu", cpu_key), ("memory", mem_key)) if r.get(src)}
        if values:
            out[bucket] = values
    return out


def _deploy(d: _Section) -> DeployConfig:
    if not d.present:
        return DeployConfig()
    mode = d.str("defaultDeploymentMode")
    if not mode:
        raise _ConfigError("deploy", "invalid deploy config, defaultDeploymentMode is required")
    if mode not in DEPLOYMENT_MODES:
        raise _ConfigError("deploy", "invalid deployment mode. Supported modes are Knative, Standard and ModelMesh")
    strategy = d.obj("deploymentRolloutStrategy") or {}
    rollout = strategy.get("defaultRollout")
    if rollout is not None and not isinstance(rollout, dict):
        raise _ConfigError("deploy", "invalid deploy config: deploymentRolloutStrategy.defaultRollout must be an object")
    roll = _Section({"deploy": rollout or {}}, "deploy")
    return DeployConfig(default_deployment_mode=DEPLOYMENT_MODES[mode], max_surge=roll.str("maxSurge"),
                        max_unavailable=roll.str("maxUnavailable"), has_default_rollout=rollout is not None)


def _ingress(i: _Section) -> IngressConfig:
    if not i.present:
        return IngressConfig()
    if i.bool("enableGatewayApi"):
        _check_gateway(i.str("kserveIngressGateway"))
    if not i.str("ingressGateway"):
        raise _ConfigError("ingress", "invalid ingress config - ingressGateway is required")
    return IngressConfig(
        enable_gateway_api=i.bool("enableGatewayApi"), kserve_ingress_gateway=i.str("kserveIngressGateway"),
        ingress_gateway=i.str("ingressGateway"),
        ingress_domain=i.str("ingressDomain") or DEFAULT_INGRESS_DOMAIN,
        ingress_class_name=i.str("ingressClassName") or None,
        domain_template=i.str("domainTemplate") or DEFAULT_DOMAIN_TEMPLATE,
        url_scheme=i.str("urlScheme") or DEFAULT_URL_SCHEME,
        disable_ingress_creation=i.bool("disableIngressCreation"),
        disable_http_route_timeout=i.bool("disableHTTPRouteTimeout"),
        path_template=i.str("pathTemplate"),
        additional_ingress_domains=i.list("additionalIngressDomains"),
    )


def _check_gateway(value: str) -> None:
    """configmap.go validateIngressGateway: with Gateway API on, kserveIngressGateway is "<namespace>/<name>",
    both DNS-1123 labels."""
    if not value:
        raise _ConfigError("ingress", "invalid ingress config - kserveIngressGateway is required")
    parts = value.split("/")
    if len(parts) != 2:
        raise _ConfigError("ingress", "invalid ingress config - kserveIngressGateway should be in the format "
                           "<namespace>/<name>")
    for part, what in ((parts[0], "namespace"), (parts[1], "name")):
        if len(part) > 63 or not _DNS_LABEL.fullmatch(part):
            raise _ConfigError("ingress", f"invalid ingress config - kserveIngressGateway gateway {what} is invalid")
