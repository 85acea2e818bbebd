"""Argo CD's environment as command-line options (docs/design.md Decision 11), only when ARGOCD_APP_NAME is set:
flag > ARGOCD_ENV_KSC_<OPT> > PARAM_<OPT> > KUBE_VERSION (Kubernetes version) / ARGOCD_APP_NAMESPACE (default
namespace) > built-in default, each setting taken from the environment echoed on stderr.

Not click's `envvar`/`default_map`: those apply whether or not ARGOCD_APP_NAME is set, do not say which
variable a value came from (the echo names it), read an unknown boolean word as an error where Argo CD's
parameters have always meant false, and cannot clamp KUBE_VERSION into the range we bundle.
"""

from __future__ import annotations

import os

import click

from compiler.schema.bundle import kubernetes_versions


def environment_options(opts: dict) -> dict:
    """Decision 11: under Argo CD (ARGOCD_APP_NAME set), options may come from the environment:
    flag > ARGOCD_ENV_KSC_<OPT> > PARAM_<OPT> > KUBE_VERSION / ARGOCD_APP_NAMESPACE > default."""
    keys = ("kubernetes_version", "default_namespace", "strict", "catalog", "config_file", "allow_empty",
            "storage_injection")
    out = {k: opts.get(k) for k in keys}
    if not os.environ.get("ARGOCD_APP_NAME"):
        return out
    fallbacks = {"kubernetes_version": "KUBE_VERSION", "default_namespace": "ARGOCD_APP_NAMESPACE"}
    for key in keys:
        if out[key] not in (None, False):
            continue
        opt = ("config" if key == "config_file" else key).upper()
        for var in (f"ARGOCD_ENV_KSC_{opt}", f"PARAM_{opt}", fallbacks.get(key)):
            value = os.environ.get(var) if var else None
            if value:
                out[key] = _env_value(key, value)
                click.echo(f"kserve-compiler: {key.replace('_', '-')}={value} (from {var})", err=True)
                break
    if out["kubernetes_version"]:
        out["kubernetes_version"] = _clamp_version(out["kubernetes_version"])
    return out


def _env_value(key: str, value: str):
    if key in ("strict", "allow_empty"):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return value


def _clamp_version(version: str) -> str:
    """Argo passes the cluster's KUBE_VERSION (e.g. 1.38.2); outside the range we bundle, use the nearest."""
    known = kubernetes_versions()
    wanted = _minor(version)
    if wanted is None or known is None:
        return version
    lowest, highest = _minor(known[0]), _minor(known[-1])
    clamped = min(max(wanted, lowest), highest)
    if clamped != wanted:
        click.echo(f"kserve-compiler: warning: Kubernetes {version} is outside the schemas we bundle "
                   f"({known[0]}..{known[-1]}); checking against {clamped[0]}.{clamped[1]}", err=True)
    return f"{clamped[0]}.{clamped[1]}"


def _minor(version: str) -> tuple[int, int] | None:
    parts = version.lstrip("v").split(".")
    try:
        return int(parts[0]), int(parts[1])
    except (ValueError, IndexError):
        return None
