"""A component's model storage, in KServe's order: the controller's storageUris first (storage_uris.py,
written before the Deployment exists), then the pod webhook's single storage URI (storage.py), which
stands aside when the controller already added a `storage-initializer`.
"""

from __future__ import annotations

from compiler.diagnostics import Diagnostic, warning
from compiler.expand import metadata, storage, storage_uris
from compiler.expand import uri as storage_uri
from compiler.expand.context import ExpandContext
from compiler.resolve import Resolution


def inject(res: Resolution, meta: dict, ctx: ExpandContext, pod: dict, uri: str | None, added: dict
            ) -> list[Diagnostic]:
    """Both storage steps for one component's pod (modified in place); `added` takes the annotations
    the controller adds to the component's objects."""
    comp = res.component
    annotations = {**_filtered(res.runtime.spec.get("annotations") if res.runtime else None, ctx),
                   **_filtered(meta.get("annotations"), ctx), **added,
                   **_filtered(comp.spec.get("annotations"), ctx)}
    if comp.kind == "predictor" and metadata._multi_model(comp):
        annotations[storage_uri.AGENT] = "true"  # metadata.py adds the agent annotations; the webhook then skips
    diags: list[Diagnostic] = []
    entries = comp.spec.get("storageUris")
    if isinstance(entries, list) and entries:
        name = comp.spec.get("storageContainerName") if comp.kind == "predictor" else None
        diags += storage_uris.inject_storage_uris(
            pod, entries, annotations=annotations, ctx=ctx, namespace=res.isvc.namespace,
            storage_container_name=name if isinstance(name, str) and name else None,
            storage_spec=(res.isvc.predictor.model or {}).get("storage"),
            where=res.isvc.doc.where((*comp.path, "storageUris")))
        if any(d.severity.value == "error" for d in diags):
            return diags
    if uri is None:
        return diags
    where = res.isvc.doc.where(comp.model_path or (*comp.path, "containers"))
    helper = (res.runtime.spec.get("storageHelper") or {}) if res.runtime else {}
    if isinstance(helper, dict) and helper.get("disabled") is True:
        diags.append(warning(storage.STORAGE_HELPER_IGNORED, f"{res.runtime.label} sets storageHelper.disabled, "
                             "which KServe's InferenceService controller ignores (only ModelMesh reads it): the "
                             f"model at {uri} is still downloaded", **where,
                             hint="to skip the download, leave storageUri out and bake the model into the image, "
                                  "or serve it from a PersistentVolumeClaim with pvc://"))
    more, found = storage.inject_storage(pod, uri, component_kind=comp.kind, annotations=annotations, ctx=ctx,
                                         namespace=res.isvc.namespace, where=where)
    added.update(more)
    return diags + found


def _filtered(annotations, ctx: ExpandContext) -> dict:
    drop = metadata.disallowed(ctx.config)
    return {k: v for k, v in annotations.items() if k not in drop} if isinstance(annotations, dict) else {}
