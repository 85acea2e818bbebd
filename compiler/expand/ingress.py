"""Host names and the InferenceService's Ingress (docs/kserve-behaviour.md §6.4; reconcilers/ingress/domain.go
GenerateDomainName, kube_ingress_reconciler.go createRawIngress, raw/raw_kube_reconciler.go createRawURL).

KServe renders `ingress.domainTemplate` with Go's text/template over {Name, Namespace, IngressDomain,
Annotations, Labels} and checks the result with apimachinery's IsFullyQualifiedDomainName. We render the
subset `{{ .Name }}`, `{{ .Namespace }}`, `{{ .IngressDomain }}`, `{{ .Annotations.KEY }}`,
`{{ .Labels.KEY }}` with our own strict renderer; anything else is an error, never evaluated. As in
text/template, a missing map key renders as "<no value>" (which then fails the DNS check).
"""

from __future__ import annotations

import functools
import re

from compiler.config import Config

# Codes (KSC460-469: hosts, ingress and HTTPRoutes; KSC462, "HTTPRoutes not emitted", is retired)
HOST_NAME = "KSC460"
DOMAIN_TEMPLATE = "KSC461"
INGRESS_HOST = "KSC463"

VISIBILITY_LABEL = "networking.kserve.io/visibility"   # constants.NetworkVisibility
CLUSTER_LOCAL = "cluster-local"
CLUSTER_LOCAL_DOMAIN = "svc.cluster.local"
NO_VALUE = "<no value>"                                  # text/template's rendering of a missing map key

_ACTION = re.compile(r"\{\{(.*?)\}\}", re.S)
_FIELD = re.compile(r"\s*\.(Name|Namespace|IngressDomain)\s*")
_MAP_KEY = re.compile(r"\s*\.(Annotations|Labels)\.([A-Za-z_][A-Za-z0-9_]*)\s*")
_ANY_FIELD = re.compile(r"\s*\.([A-Za-z_][A-Za-z0-9_]*)\s*")

# apimachinery pkg/util/validation (v0.34): IsDNS1123Subdomain, IsDNS1123Label and their messages.
_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_SUBDOMAIN_FMT = _LABEL_FMT + "(\\." + _LABEL_FMT + ")*"
_LABEL_RE, _SUBDOMAIN_RE = re.compile(_LABEL_FMT), re.compile(_SUBDOMAIN_FMT)
_SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                  "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
                  f"validation is '{_SUBDOMAIN_FMT}')")
_LABEL_MSG = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
              "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
              f"validation is '{_LABEL_FMT}')")


class TemplateError(ValueError):
    """The domain template is outside what we render (or what KServe can render)."""


def render(template: str, values: dict) -> str:
    """`values`: Name, Namespace, IngressDomain (strings), Annotations, Labels (dicts)."""
    pieces, rest = _parsed(template)
    out = []
    for text, action in pieces:
        out.append(text)
        out.append(_action(action, values))
    if "{{" in rest:
        raise TemplateError('unclosed action: a "{{" has no matching "}}"')
    out.append(rest)
    return "".join(out)


@functools.lru_cache(maxsize=64)
def _parsed(template: str) -> tuple[tuple[tuple[str, tuple], ...], str]:
    """The template's (text before, action) pairs and the text after the last action: one template per
    build, rendered for every component, so its regular expressions run once. Errors stay where they
    were: an action's is raised when render reaches it, the unclosed one after every action."""
    pieces, pos = [], 0
    for match in _ACTION.finditer(template):
        pieces.append((template[pos:match.start()], _classified(match.group(1))))
        pos = match.end()
    return tuple(pieces), template[pos:]


def _classified(body: str) -> tuple:
    if m := _FIELD.fullmatch(body):
        return ("field", m.group(1))
    if m := _MAP_KEY.fullmatch(body):
        return ("map", m.group(1), m.group(2))
    if m := _ANY_FIELD.fullmatch(body):
        return ("error", f"can't evaluate field {m.group(1)} (the domain template has .Name, .Namespace, "
                ".IngressDomain, .Annotations and .Labels)")
    return ("error", f"{{{{{body}}}}} is not supported: kserve-compiler renders only {{{{ .Name }}}}, "
            "{{ .Namespace }}, {{ .IngressDomain }}, {{ .Annotations.KEY }} and {{ .Labels.KEY }}")


def _action(action: tuple, values: dict) -> str:
    if action[0] == "field":
        return str(values.get(action[1], ""))
    if action[0] == "map":
        value = (values.get(action[1]) or {}).get(action[2])
        return NO_VALUE if value is None else str(value)
    raise TemplateError(action[1])


def template_error(config: Config) -> str | None:
    """Checked once per InferenceService: a template we cannot render fails every component alike."""
    try:
        render(config.ingress.domain_template, {"Annotations": {}, "Labels": {}})
    except TemplateError as exc:
        return f"error rendering the domain template {config.ingress.domain_template!r}: {exc}"
    return None


def domain_name(name: str, namespace: str, annotations: dict, labels: dict, config: Config) -> tuple[str, str | None]:
    """GenerateDomainName: (host, None), or (host, KServe's error text) when it is not a valid FQDN."""
    host = render(config.ingress.domain_template, {
        "Name": name, "Namespace": namespace, "IngressDomain": config.ingress.ingress_domain,
        "Annotations": annotations, "Labels": labels})
    problem = fqdn_error(host)
    return host, None if problem is None else f"invalid domain name {go_quote(host)}: {problem}"


def fqdn_error(name: str) -> str | None:
    """validation.IsFullyQualifiedDomainName(field.NewPath("url"), name), as its aggregate error reads."""
    if not name:
        return "url: Required value"
    if name.endswith("."):
        name = name[:-1]
    errs = []
    if len(name) > 253:
        errs.append("must be no more than 253 characters")
    if not _SUBDOMAIN_RE.fullmatch(name):
        errs.append(_SUBDOMAIN_MSG)
    if errs:
        return f"url: Invalid value: {go_quote(name)}: {','.join(errs)}"
    labels = name.split(".")
    if len(labels) < 2:
        return f"url: Invalid value: {go_quote(name)}: should be a domain with at least two segments separated by dots"
    for label in labels:
        errs = ["must be no more than 63 characters"] if len(label) > 63 else []
        if not _LABEL_RE.fullmatch(label):
            errs.append(_LABEL_MSG)
        if errs:
            return f"url: Invalid value: {go_quote(label)}: {','.join(errs)}"
    return None


def go_quote(text: str) -> str:
    """Go's %q (strconv.Quote) for the strings that reach these messages."""
    escapes = {'"': '\\"', "\\": "\\\\", "\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
               "\t": "\\t", "\v": "\\v"}
    out = []
    for ch in text:
        if ch in escapes:
            out.append(escapes[ch])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


# ---------------------------------------------------------------------------------------------------
# The Ingress


def skipped(meta: dict, config: Config) -> bool:
    """KServe makes no Ingress (nor HTTPRoutes) for a cluster-local InferenceService or domain, or when
    creation is disabled."""
    return (meta["labels"].get(VISIBILITY_LABEL) == CLUSTER_LOCAL
            or config.ingress.ingress_domain == CLUSTER_LOCAL_DOMAIN
            or config.ingress.disable_ingress_creation)


class _HostError(Exception):
    pass


def build(meta: dict, names: dict, config: Config) -> tuple[dict | None, str | None]:
    """createRawIngress: (Ingress, None), or (None, KServe's error) when a host is not a valid FQDN.
    `meta` is the InferenceService's ObjectMeta; `names` maps component kind to component name."""
    try:
        rules = _rules(meta, names, config)
    except _HostError as exc:
        return None, str(exc)
    spec: dict = {}
    if config.ingress.ingress_class_name:
        spec["ingressClassName"] = config.ingress.ingress_class_name
    spec["rules"] = rules
    metadata: dict = {"name": meta["name"], "namespace": meta["namespace"]}
    if meta["annotations"]:
        metadata["annotations"] = dict(sorted(meta["annotations"].items()))   # unfiltered, no labels
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": metadata, "spec": spec}, None


def _rules(meta: dict, names: dict, config: Config) -> list[dict]:
    """Hosts are rendered over the InferenceService's own metadata (generateIngressHost), in KServe's order."""
    predictor = names["predictor"]

    def host(name: str, prefix: str) -> str:
        value, problem = domain_name(name, meta["namespace"], meta["annotations"], meta["labels"], config)
        if problem:
            raise _HostError(f"{prefix}: {problem}")
        return value

    rules: list[dict] = []
    if "transformer" in names:
        transformer = names["transformer"]
        top = host(meta["name"], "failed creating top level transformer ingress host")
        transformer_host = host(transformer, "failed creating transformer ingress host")
        if "explainer" in names:
            # KServe builds the explainer's host from the transformer's name.
            rules.append(_rule(host(transformer, "failed creating explainer ingress host"), names["explainer"]))
        rules += [_rule(top, transformer), _rule(transformer_host, predictor)]
    elif "explainer" in names:
        top = host(meta["name"], "failed creating top level explainer ingress host")
        explainer_host = host(names["explainer"], "failed creating explainer ingress host")
        rules += [_rule(top, predictor), _rule(explainer_host, names["explainer"])]
    else:
        rules.append(_rule(host(meta["name"], "failed creating top level predictor ingress host"), predictor))
    rules.append(_rule(host(predictor, "failed creating predictor ingress host"), predictor))
    return rules


def _rule(host: str, service: str) -> dict:
    return {"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {
        "service": {"name": service, "port": {"number": 80}}}}]}}
