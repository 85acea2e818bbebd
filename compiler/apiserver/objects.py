"""The API server's validation of whole objects, beyond the types its OpenAPI schemas check (issue 13
item 2): what `kubectl apply` would refuse although kubernetes-validate passes it. Pure: plain dicts in,
Problems out; the two *_diagnostics functions place them (documents are read by duck typing: .data,
.where()).

Rules, in our words, after k8s.io/apimachinery/pkg/util/validation (names, label and annotation syntax)
and k8s.io/kubernetes/pkg/apis/{core,apps,autoscaling,networking}/validation (per kind):

- every object: metadata.name by its kind's rule (DNS-1035 label for Services, DNS-1123 label for
  Namespaces, DNS-1123 subdomain for the rest, except kinds whose names are only path segments),
  metadata.namespace a DNS-1123 label, label keys and values, annotation keys and their 256 KiB total;
- Deployment: a non-empty selector that matches the pod template's labels; the template's labels and
  annotations; containers (at least one): names DNS-1123 labels unique across containers and
  initContainers, a non-empty image, containerPort/hostPort 1-65535, port names IANA service names
  unique in their container, env var names;
- Service: port 1-65535, port names DNS-1123 labels (required and unique when there are several),
  targetPort 1-65535 or an IANA service name, selector labels;
- HorizontalPodAutoscaler: minReplicas >= 1, maxReplicas >= 1 and >= minReplicas, scaleTargetRef kind
  and name, Resource/ContainerResource averageUtilization > 0;
- Ingress: hosts (TLS hosts too) DNS-1123 subdomains with an optional leading "*.", never IP addresses;
  paths of pathType Exact or Prefix absolute and clean; backends' Service names and ports.

Imports only names.py and compiler.diagnostics: documents are read by duck typing (.data, .where()), so
this module can sit beside any stage. The name, label and annotation rules are names.py's, which
validate/metadata.py also calls, so each rule is written once.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Iterable

from compiler.apiserver.names import (DNS1035_RULE, ENV_RULE, IANA_RULE, INVALID_NAME, LABEL_RULE,
                                      RELAXED_ENV_RULE, SUBDOMAIN_RULE, Problem, check_annotations,
                                      check_labels, check_metadata, dotted, is_dns1035_label, is_dns1123_label,
                                      is_dns1123_subdomain, is_env_var_name, is_iana_svc_name, is_port)
from compiler.diagnostics import Diagnostic, error

# Codes (INVALID_NAME, KSC205, is the names' code, shared with validate/metadata.py)
REFUSED = "KSC245"            # any other API-server rule a source object breaks (pass-through objects)
GENERATED_REFUSED = "KSC470"  # an object expanded from an InferenceService breaks one (seen only after expansion)


# ---------------------------------------------------------------------------------------------------
# Objects


def problems(obj: Any, *, relaxed_env_names: bool = True) -> list[Problem]:
    """Every rule the API server would refuse `obj` for, beyond its schema. Fields of the wrong type are
    skipped (that is the schema's finding)."""
    out: list[Problem] = []
    if type(obj) is not dict:
        return out
    kind = obj.get("kind")
    kind = kind if type(kind) is str else ""
    meta = obj.get("metadata")
    if type(meta) is dict:
        check_metadata(out, meta, kind)
    spec = obj.get("spec")
    if type(spec) is dict:
        rule = _KIND_RULES.get(kind)
        if rule is not None:
            rule(out, spec, relaxed_env_names)
    return out


def _deployment(out: list, spec: dict, relaxed: bool) -> None:
    template = spec.get("template")
    template = template if type(template) is dict else {}
    tmeta = template.get("metadata")
    tlabels = {}
    if type(tmeta) is dict:
        where = "spec.template.metadata"
        if type(tmeta.get("labels")) is dict:
            tlabels = tmeta["labels"]
            check_labels(out, tlabels, ("spec", "template", "metadata"), where)
        if type(tmeta.get("annotations")) is dict:
            check_annotations(out, tmeta["annotations"], ("spec", "template", "metadata"), where)
    selector = spec.get("selector")
    if type(selector) is dict:
        _selector(out, selector, tlabels)
    pod = template.get("spec")
    if type(pod) is dict:
        _pod(out, pod, ("spec", "template", "spec"), relaxed)


def _selector(out: list, selector: dict, labels: dict) -> None:
    match = selector.get("matchLabels")
    match = match if type(match) is dict else {}
    expressions = selector.get("matchExpressions")
    expressions = expressions if type(expressions) is list else []
    if not match and not expressions:
        out.append(Problem(("spec", "selector"), "spec.selector: an empty selector is invalid for a Deployment",
                           hint="select the pod template's labels"))
        return
    check_labels(out, match, ("spec", "selector"), "spec.selector", "matchLabels")
    matches = all(labels.get(k) == v for k, v in match.items()) and \
        all(_requirement_holds(expr, labels) for expr in expressions if type(expr) is dict)
    if not matches:
        out.append(Problem(("spec", "selector"), "spec.template.metadata.labels: the Deployment's selector does not "
                           "match the pod template's labels",
                           hint="every label of spec.selector.matchLabels must be on spec.template.metadata.labels, "
                                "with the same value"))


def _requirement_holds(expr: dict, labels: dict) -> bool:
    """One matchExpressions entry against the template's labels (an unknown operator is left alone)."""
    key, op, values = expr.get("key"), expr.get("operator"), expr.get("values")
    has = type(key) is str and key in labels
    listed = has and type(values) is list and labels[key] in values
    return {"In": listed, "NotIn": not listed, "Exists": has, "DoesNotExist": not has}.get(op, True)


def _pod(out: list, pod: dict, base: tuple, relaxed: bool) -> None:
    containers = pod.get("containers")
    if not containers:
        out.append(Problem((*base, "containers"), f"{dotted(base)}.containers: a pod needs at least one container"))
    names: set = set()
    for field in ("initContainers", "containers"):
        items = pod.get(field)
        if type(items) is not list:
            continue
        for i, container in enumerate(items):
            if type(container) is dict:
                _container(out, container, base, field, i, names, relaxed)


def _container(out: list, c: dict, base: tuple, field: str, i: int, names: set, relaxed: bool) -> None:
    name = c.get("name")
    if type(name) is str:
        if not name:
            out.append(Problem((*base, field, i, "name"), f"{dotted((*base, field, i))}.name: required"))
        elif not is_dns1123_label(name):
            out.append(Problem((*base, field, i, "name"), f'{dotted((*base, field, i))}.name: "{name}" is not a valid '
                               f"container name: {LABEL_RULE}"))
        elif name in names:
            out.append(Problem((*base, field, i, "name"), f'{dotted((*base, field, i))}.name: "{name}" is a duplicate: '
                               "container names are unique in a pod, initContainers included"))
        names.add(name)
    image = c.get("image")
    if image is None or image == "":
        out.append(Problem((*base, field, i, "image"), f"{dotted((*base, field, i))}.image: required: the API "
                           "server needs an image for every container of a pod template",
                           hint="set the container's image (or the runtime's)"))
    ports = c.get("ports")
    if type(ports) is list:
        port_names: set = set()
        for j, port in enumerate(ports):
            if type(port) is dict:
                _container_port(out, port, (*base, field, i, "ports", j), port_names)
    env = c.get("env")
    if type(env) is list:
        for j, var in enumerate(env):
            if type(var) is dict:
                var_name = var.get("name")
                if type(var_name) is str and not is_env_var_name(var_name, relaxed=relaxed):
                    path = (*base, field, i, "env", j, "name")
                    out.append(Problem(path, f'{dotted(path)}: "{var_name}" is not a valid environment variable '
                                       f"name: {RELAXED_ENV_RULE if relaxed else ENV_RULE}"))


def _container_port(out: list, port: dict, path: tuple, names: set) -> None:
    number = port.get("containerPort")
    if is_port(number):
        out.append(Problem((*path, "containerPort"), f"{dotted(path)}.containerPort: {number} is not a port number "
                           "(1-65535)"))
    host = port.get("hostPort")
    if is_port(host) and host != 0:
        out.append(Problem((*path, "hostPort"), f"{dotted(path)}.hostPort: {host} is not a port number (1-65535)"))
    name = port.get("name")
    if type(name) is str:
        if not is_iana_svc_name(name):
            out.append(Problem((*path, "name"), f'{dotted(path)}.name: "{name}" is not a valid port name: {IANA_RULE}',
                               hint="Service targetPorts refer to container ports by this name; keep it short"))
        elif name in names:
            out.append(Problem((*path, "name"), f'{dotted(path)}.name: "{name}" is a duplicate port name in this '
                               "container"))
        names.add(name)


def _service(out: list, spec: dict, relaxed: bool) -> None:
    ports = spec.get("ports")
    if type(ports) is list:
        names: set = set()
        for i, port in enumerate(ports):
            if type(port) is not dict:
                continue
            path = ("spec", "ports", i)
            if is_port(port.get("port")):
                out.append(Problem((*path, "port"), f"{dotted(path)}.port: {port['port']} is not a port number "
                                   "(1-65535)"))
            name = port.get("name")
            if type(name) is str and name:
                if not is_dns1123_label(name):
                    out.append(Problem((*path, "name"), f'{dotted(path)}.name: "{name}" is not a valid Service port '
                                       f"name: {LABEL_RULE}"))
                elif name in names:
                    out.append(Problem((*path, "name"), f'{dotted(path)}.name: "{name}" is a duplicate port name'))
                names.add(name)
            elif len(ports) > 1:
                out.append(Problem((*path, "name"), f"{dotted(path)}.name: required when a Service has more than "
                                   "one port"))
            target = port.get("targetPort")
            if type(target) is int and target != 0 and is_port(target):  # 0 is defaulted to port
                out.append(Problem((*path, "targetPort"), f"{dotted(path)}.targetPort: {target} is not a port "
                                   "number (1-65535)"))
            elif type(target) is str and not is_iana_svc_name(target):
                out.append(Problem((*path, "targetPort"), f'{dotted(path)}.targetPort: "{target}" is not a valid port '
                                   f"name: {IANA_RULE}"))
    selector = spec.get("selector")
    if type(selector) is dict:
        check_labels(out, selector, ("spec",), "spec", "selector")


def _hpa(out: list, spec: dict, relaxed: bool) -> None:
    low, high = spec.get("minReplicas"), spec.get("maxReplicas")
    if type(low) is int and low < 1:
        out.append(Problem(("spec", "minReplicas"), f"spec.minReplicas: {low} must be at least 1",
                           hint="an HPA cannot scale to zero (HPAScaleToZero is an alpha feature)"))
    if type(high) is int:
        if high < 1:
            out.append(Problem(("spec", "maxReplicas"), f"spec.maxReplicas: {high} must be at least 1"))
        elif type(low) is int and high < low:
            out.append(Problem(("spec", "maxReplicas"), f"spec.maxReplicas: {high} must be at least minReplicas "
                               f"({low})"))
    ref = spec.get("scaleTargetRef")
    if type(ref) is dict:
        for key in ("kind", "name"):
            value = ref.get(key)
            if value is None or value == "":
                out.append(Problem(("spec", "scaleTargetRef", key), f"spec.scaleTargetRef.{key}: required"))
            elif type(value) is str and (value in (".", "..") or "/" in value or "%" in value):
                out.append(Problem(("spec", "scaleTargetRef", key), f'spec.scaleTargetRef.{key}: "{value}" may not '
                                   "be '.' or '..' nor hold '/' or '%'"))
    metrics = spec.get("metrics")
    if type(metrics) is list:
        for i, metric in enumerate(metrics):
            if type(metric) is not dict:
                continue
            for source in ("resource", "containerResource"):
                block = metric.get(source)
                target = block.get("target") if type(block) is dict else None
                value = target.get("averageUtilization") if type(target) is dict else None
                if type(value) is int and value <= 0:
                    path = ("spec", "metrics", i, source, "target", "averageUtilization")
                    out.append(Problem(path, f"{dotted(path)}: {value} must be greater than 0"))


_BAD_PATH_PARTS = ("//", "/./", "/../", "%2f", "%2F")


def _ingress(out: list, spec: dict, relaxed: bool) -> None:
    default = spec.get("defaultBackend")
    if type(default) is dict:
        _backend(out, default, ("spec", "defaultBackend"))
    rules = spec.get("rules")
    for i, rule in enumerate(rules if type(rules) is list else ()):
        if type(rule) is not dict:
            continue
        host = rule.get("host")
        if type(host) is str and host:
            _host(out, host, ("spec", "rules", i, "host"))
        http = rule.get("http")
        paths = http.get("paths") if type(http) is dict else None
        for j, entry in enumerate(paths if type(paths) is list else ()):
            if type(entry) is dict:
                _ingress_path(out, entry, ("spec", "rules", i, "http", "paths", j))
    tls = spec.get("tls")
    for i, entry in enumerate(tls if type(tls) is list else ()):
        hosts = entry.get("hosts") if type(entry) is dict else None
        for j, host in enumerate(hosts if type(hosts) is list else ()):
            if type(host) is str:
                _host(out, host, ("spec", "tls", i, "hosts", j))


def _host(out: list, host: str, path: tuple) -> None:
    name = host[2:] if host.startswith("*.") else host
    if _is_ip(host):
        out.append(Problem(path, f'{dotted(path)}: "{host}" must be a DNS name, not an IP address'))
    elif not is_dns1123_subdomain(name):
        out.append(Problem(path, f'{dotted(path)}: "{host}" is not a valid host: {SUBDOMAIN_RULE}, optionally '
                           "after a leading '*.'"))


def _is_ip(host: str) -> bool:
    if not (host[:1].isdigit() or ":" in host):  # no IP address starts otherwise (cheap, and most hosts)
        return False
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _ingress_path(out: list, entry: dict, path: tuple) -> None:
    kind, value = entry.get("pathType"), entry.get("path")
    if kind is None:
        out.append(Problem((*path, "pathType"), f"{dotted(path)}.pathType: required"))
    elif type(value) is str:
        where = (*path, "path")
        if kind in ("Exact", "Prefix"):
            if not value.startswith("/"):
                out.append(Problem(where, f'{dotted(where)}: "{value}" must be an absolute path (start with "/")'))
            elif any(part in value for part in _BAD_PATH_PARTS) or value.endswith(("/..", "/.")):
                out.append(Problem(where, f'{dotted(where)}: "{value}" must not hold "//", "/./", "/../" or "%2f", '
                                   'nor end with "/." or "/.."'))
        elif value and not value.startswith("/"):
            out.append(Problem(where, f'{dotted(where)}: "{value}" must be an absolute path (start with "/")'))
    backend = entry.get("backend")
    if type(backend) is dict:
        _backend(out, backend, (*path, "backend"))


def _backend(out: list, backend: dict, path: tuple) -> None:
    service = backend.get("service")
    if type(service) is not dict:
        return
    name = service.get("name")
    if type(name) is str and not is_dns1035_label(name):
        where = (*path, "service", "name")
        out.append(Problem(where, f'{dotted(where)}: "{name}" is not a valid Service name: {DNS1035_RULE}'))
    port = service.get("port")
    if type(port) is dict:
        number, port_name = port.get("number"), port.get("name")
        if is_port(number):
            where = (*path, "service", "port", "number")
            out.append(Problem(where, f"{dotted(where)}: {number} is not a port number (1-65535)"))
        if type(port_name) is str and port_name and not is_iana_svc_name(port_name):
            where = (*path, "service", "port", "name")
            out.append(Problem(where, f'{dotted(where)}: "{port_name}" is not a valid port name: {IANA_RULE}'))
        if number not in (None, 0) and port_name not in (None, ""):
            where = (*path, "service", "port")
            out.append(Problem(where, f"{dotted(where)}: give a port number or a port name, not both"))


_KIND_RULES = {"Deployment": _deployment, "Service": _service, "HorizontalPodAutoscaler": _hpa,
               "Ingress": _ingress}


# ---------------------------------------------------------------------------------------------------
# Diagnostics (the pipeline's two call sites)


def source_diagnostics(docs: Iterable, *, relaxed_env_names: bool = True) -> list[Diagnostic]:
    """Objects read from the sources (pass-through objects): each Problem placed at its field, as
    INVALID_NAME for metadata and REFUSED for the rest. `docs`: Documents (.data, .where())."""
    diags = []
    for doc in docs:
        for p in problems(doc.data, relaxed_env_names=relaxed_env_names):
            code = INVALID_NAME if p.path[0] == "metadata" else REFUSED
            diags.append(error(code, p.message, **doc.where(p.path, key=p.at_key), hint=p.hint))
    return diags


def generated_diagnostics(generated: Iterable[tuple[dict, Any]], *,
                          relaxed_env_names: bool = True) -> list[Diagnostic]:
    """Objects expanded from an InferenceService: (object, its InferenceService's Document) pairs. Each
    Problem is the input's (every name, label, port and image of them comes from the sources, the
    runtimes or the config), placed at the InferenceService."""
    diags = []
    for obj, doc in generated:
        found = problems(obj, relaxed_env_names=relaxed_env_names)
        if not found:
            continue
        meta = obj.get("metadata") or {}
        what = f"{obj.get('kind')} {meta.get('namespace') + '/' if meta.get('namespace') else ''}{meta.get('name')}"
        for p in found:
            hint = "the API server would refuse it at apply time; " + (p.hint or "it is made from this "
                                                                        "InferenceService, its runtime and the config")
            diags.append(error(GENERATED_REFUSED, f"generated {what} would be refused by the API server: {p.message}",
                               **doc.where(), hint=hint))
    return diags
