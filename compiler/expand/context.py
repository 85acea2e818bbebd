"""What every expand step receives, and what the pod step hands to the object steps.

Expand is pure: (InferenceService, Resolutions, Config, cluster facts) -> objects and Diagnostics.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from compiler.config import Config
from compiler.diagnostics import Diagnostic


@dataclass(frozen=True)
class ExpandContext:
    config: Config
    # ClusterStorageContainers visible to the build: the catalog's `default` plus the sources' own,
    # each the object's data (dict with metadata and spec), sorted by name.
    storage_containers: tuple[dict, ...] = ()
    # Objects from the sources that the storage step may read for credentials, keyed by
    # (namespace, name): ServiceAccounts and Secrets (docs/kserve-behaviour.md §5 "Credentials").
    service_accounts: dict = field(default_factory=dict)
    secrets: dict = field(default_factory=dict)
    # "pod": write the storage initializer into the pod template (our default, docs/kserve-behaviour.md §5);
    # "webhook": emit exactly KServe's controller output (the source-uri annotation, no init container).
    storage_injection: str = "pod"
    # The most bytes one placeholder-bearing value may expand to (--max-placeholder-bytes): a 16 KiB
    # annotation read a thousand times must not become a 16 MB Deployment.
    max_placeholder_bytes: int = 256 * 1024


@dataclass
class PodResult:
    """The pod a component runs, as KServe's controller plus its pod webhook would have it."""
    spec: dict                                                 # PodSpec, before setDefaultPodSpec
    annotations: dict = field(default_factory=dict)            # annotations KServe adds to the component's
    #                                                            objects (storage-initializer-sourceuri,
    #                                                            storage-spec ones, agent ones, ...)
    diagnostics: list[Diagnostic] = field(default_factory=list)
