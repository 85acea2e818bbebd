"""Fields that KServe v0.20 does not define but an older release did: the unknown-field error (KSC201)
says so, and what replaced them, instead of a generic did-you-mean (issue 15). A file written for an
older KServe is the usual reason a field is unknown, and "did you mean" cannot guess a replacement.

Each entry was established by comparing KServe's generated CRDs (config/crd/) of every release from
v0.7.0 to v0.20.0: the release named is the first one without the field.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RemovedField:
    parent: str      # the mapping the field sat in, by its own key ("explainer", "workerSpec", ...)
    key: str
    release: str     # the first KServe release without it
    instead: str     # what to write now


REMOVED = (
    # kserve#3443 (Seldon's Alibi dropped after its licence change); explainer_alibi.go deleted
    RemovedField("explainer", "alibi", "v0.13.0",
                 "run the explainer as a custom container: its image and args under explainer.containers"),
    # kserve#2826 (AIX360 unmaintained, kserve#2823); explainer_aix360.go deleted
    RemovedField("explainer", "aix", "v0.11.0",
                 "run the explainer as a custom container: its image and args under explainer.containers"),
    # TorchServeSpec.ModelClassName chose the old KFServer implementation; v0.8.0 serves pytorch with TorchServe only
    RemovedField("pytorch", "modelClassName", "v0.8.0",
                 "remove it: TorchServe takes the model class from the model archive"),
    # WorkerSpec.Size gave way to PipelineParallelSize and TensorParallelSize
    RemovedField("workerSpec", "size", "v0.15.0",
                 "use pipelineParallelSize (the number of nodes: head and workers) and tensorParallelSize "
                 "(GPUs per node)"),
)

_BY_PLACE = {(field.parent, field.key): field for field in REMOVED}


def removed_hint(path: tuple, key: str) -> str | None:
    """The hint for unknown field `key` in the mapping at `path`, when an older KServe had it there."""
    parents = [part for part in path if isinstance(part, str)]
    found = _BY_PLACE.get((parents[-1], key)) if parents else None
    if found is None:
        return None
    return (f"{found.parent}.{found.key} was removed in KServe {found.release} and does not exist in v0.20; "
            f"{found.instead}")
