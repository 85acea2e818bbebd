"""kubernetes-validate's bundled strict schemas, as files: which Kubernetes versions they cover, a kind's
schema file and a version's shared definitions. No jsonschema here, so the command line can name the
versions (--version, Argo CD's KUBE_VERSION) without importing a validator.
"""

from __future__ import annotations

import functools
import json
import re
from importlib import resources
from importlib.resources.abc import Traversable

from compiler.diagnostics import UsageError

# Codes (KSC0xx: command line and configuration; raised as UsageError, exit 2)
UNSUPPORTED_KUBERNETES_VERSION = "KSC031"

KSERVE_KUBERNETES_VERSION = "1.34"  # the k8s.io/api KServe v0.20 builds its CRDs from (Decision 9)


class UnsupportedKubernetesVersion(UsageError):
    def __init__(self, version: str):
        known = kubernetes_versions()
        super().__init__(f"Kubernetes version {version!r} is not one kserve-compiler has schemas for "
                         f"({known[0]} to {known[-1]})", hint="pass --kubernetes-version X.Y within that range",
                         code=UNSUPPORTED_KUBERNETES_VERSION, setting="kubernetes_version")
        self.version = version


def _bundle() -> Traversable:
    return resources.files("kubernetes_validate") / "kubernetes-json-schema"


@functools.cache
def kubernetes_versions() -> list[str]:
    """The Kubernetes minor versions kubernetes-validate bundles strict schemas for, oldest first."""
    found = []
    for entry in _bundle().iterdir():
        match = re.fullmatch(r"v(\d+)\.(\d+)\.\d+-local-strict", entry.name)
        if match:
            found.append((int(match[1]), int(match[2])))
    return [f"{major}.{minor}" for major, minor in sorted(found)]


def kubernetes_version(version: str | None) -> str:
    """'1.34', 'v1.34.2' -> '1.34'; None -> the newest bundled; outside the bundled range: an exception
    the CLI turns into exit 2 (the CLI clamps Argo's KUBE_VERSION before it gets here)."""
    if not version:
        return kubernetes_versions()[-1]
    match = re.fullmatch(r"v?(\d+)\.(\d+)(\.\d+)?([-+].*)?", version.strip())
    wanted = f"{match[1]}.{int(match[2])}" if match else version
    if wanted not in kubernetes_versions():
        raise UnsupportedKubernetesVersion(version)
    return wanted


@functools.cache
def definitions(version: str) -> dict:
    """kubernetes-validate's _definitions.json for one version, read once (shared; never mutate)."""
    path = _bundle() / f"v{version}.0-local-strict" / "_definitions.json"
    return json.loads(path.read_text(encoding="utf-8"))



def kubernetes_schema_file(version: str, api_version: str, kind: str) -> Traversable:
    """The file kubernetes-validate names for it: rbac.authorization.k8s.io/v1 Role -> role-rbac-v1.json
    (kubernetes_validate.utils.validate)."""
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    return _bundle() / f"v{version}.0-local-strict" / f"{kind.lower()}-{group_version}.json"

