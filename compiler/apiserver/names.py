"""Kubernetes' own rules for names, labels and annotations (k8s.io/apimachinery/pkg/util/validation),
as predicates and as Problems: the one place these rules are written. validate/metadata.py places them at
a source's position; objects.py applies them to every object we emit or pass through.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable


# Codes
INVALID_NAME = "KSC205"  # names, labels, annotations of a source (validate/metadata.py, objects.py)

# apimachinery pkg/util/validation formats
DNS1123_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS1123_SUBDOMAIN = rf"{DNS1123_LABEL}(\.{DNS1123_LABEL})*"
DNS1035_LABEL = r"[a-z]([-a-z0-9]*[a-z0-9])?"
QUALIFIED_NAME = r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
ENV_VAR_NAME = r"[-._a-zA-Z][-._a-zA-Z0-9]*"
ANNOTATIONS_LIMIT = 256 * 1024  # TotalAnnotationSizeLimitB
PORT_MAX = 65535

_LABEL_RE = re.compile(DNS1123_LABEL)
_SUBDOMAIN_RE = re.compile(DNS1123_SUBDOMAIN)
_DNS1035_RE = re.compile(DNS1035_LABEL)
_QUALIFIED_RE = re.compile(QUALIFIED_NAME)
_ENV_RE = re.compile(ENV_VAR_NAME)
_IANA_RE = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")
_LETTER_RE = re.compile(r"[a-z]")
_RELAXED_ENV_RE = re.compile(r"[ -<>-~]+")  # printable ASCII but '='

LABEL_RULE = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
              "start and end with an alphanumeric character, at most 63 characters")
SUBDOMAIN_RULE = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                  "and must start and end with an alphanumeric character, at most 253 characters")
DNS1035_RULE = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with a letter "
                "and end with an alphanumeric character, at most 63 characters")
LABEL_VALUE_RULE = ("it must be 63 characters or less, begin and end with an alphanumeric character, and hold only "
                    "alphanumerics, '-', '_' or '.'")
IANA_RULE = ("an IANA service name holds at most 15 characters: lower case alphanumerics and '-', at least one "
             "letter, no '-' at either end and no '--'")
ENV_RULE = ("an environment variable name must consist of letters, digits, '_', '-' or '.', and must not start "
            "with a digit")
RELAXED_ENV_RULE = "an environment variable name must consist of printable ASCII characters other than '='"

# metadata.name rule per kind; kinds not named here take a DNS-1123 subdomain (custom resources do too).
NAME_RULES = {"Service": "dns1035", "Namespace": "label"}
PATH_SEGMENT_NAMED = frozenset({  # names the API server checks only as path segments (pipeline._unnamed)
    "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "CertificateSigningRequest", "FlowSchema",
    "PriorityLevelConfiguration", "Event", "IPAddress", "ComponentStatus", "TokenReview", "SelfSubjectReview",
    "SelfSubjectAccessReview", "SelfSubjectRulesReview", "SubjectAccessReview", "LocalSubjectAccessReview"})


@dataclass(frozen=True, slots=True)
class Problem:
    path: tuple            # where in the object: ("spec", "template", "spec", "containers", 0, "name")
    message: str           # starts with the field it is about
    hint: str | None = None
    at_key: bool = False   # the key itself is wrong (a label key), rather than its value

    @property
    def field(self) -> str:
        return dotted(self.path)


def dotted(path: Iterable) -> str:
    """("spec", "ports", 0, "name") -> "spec.ports[0].name"."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# ---------------------------------------------------------------------------------------------------
# Predicates


def is_dns1123_label(value: str) -> bool:
    return len(value) <= 63 and _LABEL_RE.fullmatch(value) is not None


def is_dns1123_subdomain(value: str) -> bool:
    return len(value) <= 253 and _SUBDOMAIN_RE.fullmatch(value) is not None


def is_dns1035_label(value: str) -> bool:
    return len(value) <= 63 and _DNS1035_RE.fullmatch(value) is not None


def is_label_value(value: str) -> bool:
    return not value or (len(value) <= 63 and _QUALIFIED_RE.fullmatch(value) is not None)


def is_iana_svc_name(value: str) -> bool:
    return (len(value) <= 15 and _IANA_RE.fullmatch(value) is not None and "--" not in value
            and _LETTER_RE.search(value) is not None)


def is_env_var_name(value: str, *, relaxed: bool = True) -> bool:
    """Kubernetes 1.32+ (RelaxedEnvironmentVariableValidation, on by default) takes any printable ASCII
    but '='; before, a C-identifier-like name."""
    return (_RELAXED_ENV_RE if relaxed else _ENV_RE).fullmatch(value) is not None


def qualified_name_problem(key: str) -> str | None:
    """Label and annotation keys: [prefix/]name (apimachinery IsQualifiedName)."""
    if "/" not in key:
        if key and len(key) <= 63 and _QUALIFIED_RE.fullmatch(key):
            return None
        prefix, name = "", key
    else:
        prefix, _, name = key.rpartition("/")
        if not prefix:
            return "the prefix before '/' must not be empty"
    if prefix and not is_dns1123_subdomain(prefix):
        return f"the prefix must be a lowercase RFC 1123 subdomain ({prefix!r} is not)"
    if not name or len(name) > 63 or not _QUALIFIED_RE.fullmatch(name):
        return ("the name part must be 63 characters or less, begin and end with an alphanumeric character, "
                "and hold only alphanumerics, '-', '_' or '.'")
    return None


def is_port(value: Any) -> bool:
    """An int outside 1-65535 (other types are the schema's business)."""
    return type(value) is int and not 1 <= value <= PORT_MAX


# ---------------------------------------------------------------------------------------------------
# Metadata


def metadata_problems(meta: dict, kind: str, *, check_name: bool = True) -> list[Problem]:
    out: list[Problem] = []
    check_metadata(out, meta, kind, check_name=check_name)
    return out


def check_metadata(out: list, meta: dict, kind: str, *, check_name: bool = True) -> None:
    name = meta.get("name")
    if check_name and type(name) is str:
        rule = NAME_RULES.get(kind, "subdomain") if kind not in PATH_SEGMENT_NAMED else None
        if rule == "subdomain" and not is_dns1123_subdomain(name):
            out.append(Problem(("metadata", "name"), f'metadata.name: "{name}" is not a valid name: {SUBDOMAIN_RULE}'))
        elif rule == "label" and not is_dns1123_label(name):
            out.append(Problem(("metadata", "name"), f'metadata.name: "{name}" is not a valid name: {LABEL_RULE}'))
        elif rule == "dns1035" and not is_dns1035_label(name):
            out.append(Problem(("metadata", "name"), f'metadata.name: "{name}" is not a valid {kind} name: '
                               f"{DNS1035_RULE}", hint=f"a {kind} name is at most 63 characters and starts with "
                               "a letter"))
    namespace = meta.get("namespace")
    if type(namespace) is str and not is_dns1123_label(namespace):
        out.append(Problem(("metadata", "namespace"), f'metadata.namespace: "{namespace}" is not a valid namespace: '
                           f"{LABEL_RULE}"))
    labels = meta.get("labels")
    if type(labels) is dict:
        check_labels(out, labels, ("metadata",), "metadata")
    annotations = meta.get("annotations")
    if type(annotations) is dict:
        check_annotations(out, annotations, ("metadata",), "metadata")


# Label and annotation keys known to be valid: a build repeats a handful of keys on every object.
_GOOD_KEYS: set = set()
_GOOD_KEYS_MAX = 10_000


def _key_problem(key: str) -> str | None:
    if key in _GOOD_KEYS:
        return None
    problem = qualified_name_problem(key)
    if problem is None:
        if len(_GOOD_KEYS) >= _GOOD_KEYS_MAX:
            _GOOD_KEYS.clear()
        _GOOD_KEYS.add(key)
    return problem


def check_labels(out: list, labels: dict, base: tuple, where: str, field: str = "labels") -> None:
    for key, value in labels.items():
        if type(key) is not str:
            continue
        problem = _key_problem(key)
        if problem:
            out.append(Problem((*base, field, key), f'{where}.{field}: "{key}" is not a valid label key: {problem}',
                               at_key=True))
        if type(value) is str and not is_label_value(value):
            out.append(Problem((*base, field, key), f'{where}.{field}.{key}: "{value}" is not a valid label value: '
                               f"{LABEL_VALUE_RULE}", hint="put free text in an annotation instead"))


def check_annotations(out: list, annotations: dict, base: tuple, where: str) -> None:
    size = 0
    for key, value in annotations.items():
        if type(key) is not str:
            continue
        problem = _key_problem(key)
        if problem:
            out.append(Problem((*base, "annotations", key),
                               f'{where}.annotations: "{key}" is not a valid annotation key: {problem}', at_key=True))
        if type(value) is str:
            size += len(key) + len(value)
    if size * 4 > ANNOTATIONS_LIMIT:  # characters are at most 4 bytes: count bytes only when it may matter
        size = sum(len(k.encode()) + len(v.encode()) for k, v in annotations.items()
                   if type(k) is str and type(v) is str)
        if size > ANNOTATIONS_LIMIT:
            out.append(Problem((*base, "annotations"), f"{where}.annotations: {size} bytes, more than Kubernetes' "
                               f"limit of {ANNOTATIONS_LIMIT}", at_key=True))
