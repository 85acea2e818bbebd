"""The Gateway API HTTPRoutes of an InferenceService (docs/kserve-behaviour.md §6.4; KServe v0.20.0
reconcilers/ingress/httproute_reconciler.go: Reconcile, createRawPredictorHTTPRoute,
createRawTransformerHTTPRoute, createRawExplainerHTTPRoute, createRawTopLevelHTTPRoute, resolveTimeout,
detectServiceProtocolPorts; domain.go GetAdditionalHosts; path.go GenerateUrlPath).

With `ingress.enableGatewayApi` KServe makes, instead of the Ingress, one HTTPRoute per component (named like
the component, host = the domain template over the component's name) and a top-level one named like the
InferenceService (its host, the hosts of `additionalIngressDomains`, and with `pathTemplate` the bare
ingress domain plus path rules). Every rule matches a path regex, sets the headers KServe-Isvc-Name and
KServe-Isvc-Namespace, sends to a component Service and carries a request timeout (the component's
`timeout`, else 60s; none with `disableHTTPRouteTimeout`). Every route's parent is the Gateway
`kserveIngressGateway`. The conditions under which none are made (cluster-local, disabled, stopped) are
the Ingress's (ingress.skipped).

KServe reads the component's Service from the cluster to tell a gRPC port from a REST one; that Service is
the one this same build emits, so we read ours. The Gateway itself we cannot see: a notice says so.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from compiler.config import Config
from compiler.diagnostics import Diagnostic, ObjectRef, notice
from compiler.expand import ingress
from compiler.expand.metadata import disallowed

# Codes (KSC460-469: hosts and ingress)
PATH_TEMPLATE = "KSC464"
GATEWAY_UNSEEN = "KSC465"

GROUP = "gateway.networking.k8s.io"              # gwapiv1.GroupVersion.Group
API_VERSION = f"{GROUP}/v1"
KIND = "HTTPRoute"
NAME_HEADER = "KServe-Isvc-Name"                 # constants.IsvcNameHeader
NAMESPACE_HEADER = "KServe-Isvc-Namespace"       # constants.IsvcNamespaceHeader
ANY_PATH = r"^/.*$"                              # constants.FallbackPrefix
EXPLAIN_PATH = r"^/v1/models/[\w-]+:explain$"    # constants.ExplainPrefix
PATH_EXPLAIN_SUFFIX = r"(/v1/models/[\w-]+:explain)$"   # constants.PathBasedExplainPrefix
GRPC_PATH = r"^/inference\.GRPCInferenceService/.*$"
GRPC_CONTENT_TYPE = r"^application/grpc.*"
SERVICE_PORT = 80                                # constants.CommonDefaultHttpPort
DEFAULT_TIMEOUT_SECONDS = 60                     # DefaultTimeout
# constants.RevisionTemplateLabelDisallowedList, which KServe puts before the config's serviceLabelDisallowedList
FIXED_LABEL_DISALLOW = ("networking.knative.dev/visibility",)

_PATH_ACTION = re.compile(r"\{\{\s*\.(Name|Namespace)\s*\}\}")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")   # IsDNS1123Subdomain


class RouteError(Exception):
    """What makes KServe's HTTPRoute reconcile fail (the message is KServe's)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def build(meta: dict, names: dict, specs: dict, services: dict, config: Config) -> list[dict]:
    """The HTTPRoutes in the order KServe creates them: predictor, [transformer], [explainer], top level.
    `meta`: the InferenceService's ObjectMeta; `names` and `specs`: component kind -> name, spec;
    `services`: the Services this build emits, by name. Raises RouteError."""
    routes = [_component_route(kind, names[kind], meta, specs[kind], services, config)
              for kind in ("predictor", "transformer", "explainer") if kind in names]
    routes.append(_top_level_route(meta, names, specs, services, config))
    return routes


def gateway_notice(config: Config) -> Diagnostic:
    """One per build and Gateway (identical notices are reported once)."""
    namespace, name = config.ingress.kserve_ingress_gateway.split("/")
    return notice(GATEWAY_UNSEEN, f"the HTTPRoutes have as parent the Gateway {namespace}/{name} "
                  "(ingress.kserveIngressGateway), a cluster object kserve-compiler cannot see: KServe creates the "
                  "routes without checking it, and the InferenceService becomes Ready only once that Gateway "
                  "accepts them", object=ObjectRef(f"{GROUP}/v1", "Gateway", name, namespace),
                  hint=f"make sure the Gateway exists and allows routes from these namespaces (configuration from "
                       f"{config.source}); KServe's controller also needs the Gateway API CRDs installed")


# ---------------------------------------------------------------------------------------------------
# The routes


def _component_route(kind: str, name: str, meta: dict, spec: dict, services: dict, config: Config) -> dict:
    host = _host(name, meta, config, f"failed to generate {kind} ingress host")
    rules = _service_rules(name, meta, _timeout(spec, config), services)
    return _route(name, meta, [host], rules, config)


def _top_level_route(meta: dict, names: dict, specs: dict, services: dict, config: Config) -> dict:
    top = _host(meta["name"], meta, config, "failed to generate top level ingress host")
    hosts = [top]
    for extra in _additional_hosts(top, config):
        if extra != top:
            hosts.append(extra)
    front = "transformer" if "transformer" in names else "predictor"
    rules: list[dict] = []
    if "explainer" in names:
        # :explain on the top host goes to the explainer, whatever else there is
        rules.append(_rule([_path_match(EXPLAIN_PATH)], meta, names["explainer"], SERVICE_PORT,
                           _timeout(specs["explainer"], config)))
    rules += _service_rules(names[front], meta, _timeout(specs[front], config), services)
    if config.ingress.path_template:
        path = url_path(meta["name"], meta["namespace"], config.ingress.path_template)
        path = path[:-1] if path.endswith("/") else path
        hosts.append(config.ingress.ingress_domain)
        if "explainer" in names:
            rules.append(_rule([_path_match(path + PATH_EXPLAIN_SUFFIX)], meta, names["explainer"], SERVICE_PORT,
                               _timeout(specs["explainer"], config)))
        rules.append(_rule([_path_match(path + "/")], meta, names[front], SERVICE_PORT,
                           _timeout(specs[front], config)))
    return _route(meta["name"], meta, hosts, rules, config)


def _route(name: str, meta: dict, hosts: list[str], rules: list[dict], config: Config) -> dict:
    """ObjectMeta: the InferenceService's annotations and labels, each through its disallow list."""
    metadata: dict = {"name": name, "namespace": meta["namespace"]}
    labels = _filtered(meta["labels"], _label_disallow(config))
    annotations = _filtered(meta["annotations"], disallowed(config))
    if labels:
        metadata["labels"] = labels
    if annotations:
        metadata["annotations"] = annotations
    namespace, gateway = config.ingress.kserve_ingress_gateway.split("/")
    spec = {"parentRefs": [{"group": GROUP, "kind": "Gateway", "namespace": namespace, "name": gateway}],
            "hostnames": hosts, "rules": rules}
    return {"apiVersion": API_VERSION, "kind": KIND, "metadata": metadata, "spec": spec}


def _service_rules(service: str, meta: dict, timeout: str | None, services: dict) -> list[dict]:
    """All paths to one component; a Service with both a gRPC and a REST port gets a gRPC rule first."""
    rest, grpc = _protocol_ports(services.get(service))
    if rest and grpc:
        grpc_match = {**_path_match(GRPC_PATH), "headers": [
            {"type": "RegularExpression", "name": "content-type", "value": GRPC_CONTENT_TYPE}]}
        return [_rule([grpc_match], meta, service, grpc, timeout),
                _rule([_path_match(ANY_PATH)], meta, service, rest, timeout)]
    return [_rule([_path_match(ANY_PATH)], meta, service, SERVICE_PORT, timeout)]


def _protocol_ports(service: dict | None) -> tuple[int, int]:
    """The first REST and the first gRPC port of a Service (gRPC: appProtocol kubernetes.io/h2c, or a name
    holding "grpc" or "h2c" in any case); 0 where there is none, or no Service."""
    rest = grpc = 0
    for port in ((service or {}).get("spec") or {}).get("ports") or []:
        number = port.get("port") or 0
        name = str(port.get("name") or "").lower()
        if port.get("appProtocol") == "kubernetes.io/h2c" or "grpc" in name or "h2c" in name:
            grpc = grpc or number
        else:
            rest = rest or number
    return rest, grpc


def _rule(matches: list[dict], meta: dict, service: str, port: int, timeout: str | None) -> dict:
    rule: dict = {
        "matches": matches,
        "filters": [{"type": "RequestHeaderModifier", "requestHeaderModifier": {"set": [
            {"name": NAME_HEADER, "value": meta["name"]}, {"name": NAMESPACE_HEADER, "value": meta["namespace"]}]}}],
        "backendRefs": [{"kind": "Service", "name": service, "namespace": meta["namespace"], "port": port}],
    }
    if timeout is not None:
        rule["timeouts"] = {"request": timeout}
    return rule


def _path_match(regex: str) -> dict:
    return {"path": {"type": "RegularExpression", "value": regex}}


def _timeout(spec: dict, config: Config) -> str | None:
    """resolveTimeout: none when disabled, else the component's `timeout` (seconds), else 60s."""
    if config.ingress.disable_http_route_timeout:
        return None
    seconds = spec.get("timeout")
    if isinstance(seconds, int) and not isinstance(seconds, bool):
        return f"{seconds}s"
    return f"{DEFAULT_TIMEOUT_SECONDS}s"


def _label_disallow(config: Config) -> frozenset[str]:
    if config.label_disallow is None:
        return frozenset()   # no inferenceService key: KServe filters nothing
    return frozenset((*FIXED_LABEL_DISALLOW, *config.label_disallow))


def _filtered(values: dict, drop: frozenset) -> dict:
    return {k: v for k, v in sorted(values.items()) if k not in drop}


# ---------------------------------------------------------------------------------------------------
# Hosts and paths


def _host(name: str, meta: dict, config: Config, prefix: str) -> str:
    """GenerateDomainName over the InferenceService's own labels and annotations."""
    host, problem = ingress.domain_name(name, meta["namespace"], meta["annotations"], meta["labels"], config)
    if problem:
        raise RouteError(ingress.INGRESS_HOST, f"{prefix}: {problem}")
    return host


def _additional_hosts(top: str, config: Config) -> list[str]:
    """GetAdditionalHosts: the top host's part before the ingress domain, joined to each additional domain
    (first occurrence of a domain only); hosts that are not DNS-1123 subdomains are left out."""
    domain = config.ingress.ingress_domain
    subdomain = top[:-len(domain)] if domain and top.endswith(domain) else ""
    if not subdomain:
        return []
    out: list[str] = []
    seen: set[str] = set()
    for extra in config.ingress.additional_ingress_domains:
        extra = str(extra)
        if extra in seen:
            continue
        host = subdomain + extra
        if len(host) > 253 or not _SUBDOMAIN.fullmatch(host):
            continue   # KServe logs "the domain name ... is not valid" and skips it
        out.append(host)
        seen.add(extra)
    return out


def url_path(name: str, namespace: str, template: str) -> str:
    """GenerateUrlPath: `pathTemplate` over {Name, Namespace}, read as a request URI; its path. We render
    `{{ .Name }}` and `{{ .Namespace }}` only."""
    prefix = "failed to generate URL from pathTemplate"
    rendered = _PATH_ACTION.sub(lambda m: name if m.group(1) == "Name" else namespace, template)
    if "{{" in rendered:
        raise RouteError(PATH_TEMPLATE, f"{prefix}: kserve-compiler renders only {{{{ .Name }}}} and "
                         f"{{{{ .Namespace }}}} in ingress.pathTemplate {ingress.go_quote(template)}")
    quoted = ingress.go_quote(rendered)
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in rendered):
        raise RouteError(PATH_TEMPLATE, f"{prefix}: invalid url {quoted}: parse {quoted}: net/url: invalid "
                         "control character in URL")
    rest = rendered.split("?", 1)[0]
    if _SCHEME.match(rest):   # with a scheme, Go parses even "s:x" (as opaque); KServe then refuses it
        raise RouteError(PATH_TEMPLATE, f"{prefix}: invalid url path {quoted}: contains either a scheme or a host")
    if not rest.startswith("/"):
        raise RouteError(PATH_TEMPLATE, f"{prefix}: invalid url {quoted}: parse {quoted}: invalid URI for request")
    bad = re.search(r"%(?![0-9A-Fa-f]{2})", rest)
    if bad:
        escape = ingress.go_quote(rest[bad.start():bad.start() + 3])
        raise RouteError(PATH_TEMPLATE, f"{prefix}: invalid url {quoted}: parse {quoted}: invalid URL escape {escape}")
    return unquote(rest, errors="surrogateescape")
