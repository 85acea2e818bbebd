"""The ART explainer (`explainer.art`), as KServe v0.20 builds its container (docs/kserve-behaviour.md §4.4):
pkg/apis/serving/v1beta1/explainer_art.go, ARTExplainerSpec.Default and GetContainer; the explainer
reconciler (components/explainer.go) puts that container first in the explainer's pod and annotates the
art block's storageUri for the pod webhook.

The container is the art block's own Container fields, named kserve-container, with the image
`<explainers.art.image>:<runtimeVersion or explainers.art.defaultImageVersion>` when none is given, and
the args, in order: --model_name NAME, --http_port 8080, --predictor_host HOST.NS (unless the user's
args already carry it), --workers N (containerConcurrency, unless given), --storage_uri /mnt/models (with
a storageUri), --adversary_type TYPE, then --KEY VALUE per `config` entry by key, then the user's args,
and the user's args once more: GetContainer appends them twice.
"""

from __future__ import annotations

from compiler.constants import KSERVE_CONTAINER
from compiler.expand.context import ExpandContext
from compiler.expand.mounts import MODEL_DIR

# ExplainerExtensionSpec fields that are not Container fields.
NOT_CONTAINER_FIELDS = ("type", "storageUri", "runtimeVersion", "config", "storage")


def containers(spec: dict, *, name: str, namespace: str, predictor_host: str, ctx: ExpandContext) -> list[dict]:
    """The explainer pod's containers: the ART container first (replacing the first one written)."""
    art = spec["art"]
    own = [a for a in art.get("args") or [] if isinstance(a, str)] if isinstance(art.get("args"), list) else []
    container = {k: v for k, v in art.items() if k not in NOT_CONTAINER_FIELDS and v is not None}
    container["name"] = KSERVE_CONTAINER
    args = ["--model_name", name, "--http_port", "8080"]
    if not _has_arg(own, "--predictor_host"):
        args += ["--predictor_host", f"{predictor_host}.{namespace}"]
    concurrency = spec.get("containerConcurrency")
    if not _has_arg(own, "--workers") and isinstance(concurrency, int) and not isinstance(concurrency, bool):
        args += ["--workers", str(concurrency)]
    if storage_uri(spec) is not None:
        args += ["--storage_uri", MODEL_DIR]
    args += ["--adversary_type", str(art.get("type", ""))]
    config = art.get("config") if isinstance(art.get("config"), dict) else {}
    for key in sorted(config):
        args += [f"--{key}", str(config[key])]
    container["args"] = args + own + own
    if not container.get("image"):
        version = art.get("runtimeVersion") if isinstance(art.get("runtimeVersion"), str) else ctx.config.art_version
        container["image"] = f"{ctx.config.art_image}:{version}"
    written = [dict(c) for c in spec.get("containers") or [] if isinstance(c, dict)]
    return [container, *written[1:]]


def storage_uri(spec: dict) -> str | None:
    """ExplainerExtensionSpec.GetStorageUri: the art block's storageUri when not empty."""
    value = spec["art"].get("storageUri")
    return value if isinstance(value, str) and value else None


def _has_arg(args: list, flag: str) -> bool:
    """utils.IncludesArg: an arg equal to the flag or starting with it."""
    return any(a.startswith(flag) for a in args)
