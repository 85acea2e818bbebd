"""Kubernetes' strategic merge patch, as KServe applies it to containers and pod fields.

KServe merges the InferenceService's model container onto the runtime's `kserve-container`
(pkg/controller/v1beta1/inferenceservice/utils/utils.go MergeRuntimeContainers, built on
pkg/utils/container_merge.go MergeContainerWithPatch), a ClusterStorageContainer's container onto the
storage-initializer (same helper), and the predictor's pod fields onto the runtime's (MergePodSpec).
Each marshals Go structs to JSON and calls apimachinery's strategicpatch.StrategicMergePatch; this
module reproduces what that produces (docs/kserve-behaviour.md §4.1):

- maps (and structs) merge key by key, recursively; scalars and lists without a merge key are replaced;
- lists with a patch merge key (env by name, ports by containerPort, volumeMounts by mountPath, volumes
  and imagePullSecrets by name, ...) merge element by element, and come out in apimachinery's order:
  the patch's entries in patch order, with entries only the original has slotted in before the first
  patch entry that the original lists after them (normalizeElementOrder / mergeSortedSlice): runtime
  [A, B] + isvc [C] -> [C, A, B]; + [B'] -> [A, B'];
- Go's encoding/json drops the zero values of `omitempty` fields before the patch is computed, so an
  InferenceService writing `value: ""`, `readOnly: false` or `args: []` changes nothing (`_go_clean`).
Pure: dicts in, new dicts out; inputs are never modified.
"""

from __future__ import annotations

from compiler.plain import clone


# Fields whose zero value Go's encoding/json keeps: fields without `omitempty`, and pointer fields
# (k8s.io/api/core/v1 types.go). Every other "", 0, false or [] in a container is dropped.
_KEEP_ZERO = {
    "name", "containerPort", "mountPath", "devicePath", "port", "key", "fieldPath", "resource", "seconds",
    "resourceName", "restartPolicy", "type", "optional", "terminationGracePeriodSeconds", "service",
    "privileged", "runAsUser", "runAsGroup", "runAsNonRoot", "readOnlyRootFilesystem",
    "allowPrivilegeEscalation", "hostProcess", "recursiveReadOnly", "mountPropagation", "procMount",
    "localhostProfile", "gmsaCredentialSpecName", "gmsaCredentialSpec", "runAsUserName",
}
_MAP_FIELDS = {"limits", "requests"}  # map-typed (omitempty drops {}); other {} are structs and stay

# Patch merge keys (the `patchStrategy:"merge"` tags of k8s.io/api/core/v1).
CONTAINER_LISTS = {"env": "name", "ports": "containerPort", "volumeMounts": "mountPath",
                   "volumeDevices": "devicePath"}
POD_LISTS = {"volumes": "name", "imagePullSecrets": "name", "initContainers": "name", "containers": "name",
             "ephemeralContainers": "name", "hostAliases": "ip", "topologySpreadConstraints": "topologyKey",
             "resourceClaims": "name", "schedulingGates": "name"}
_ITEM_SCHEMA = {"initContainers": CONTAINER_LISTS, "containers": CONTAINER_LISTS,
                "ephemeralContainers": CONTAINER_LISTS}
# The runtime pod fields KServe passes to MergePodSpec (ServingRuntimePodSpec; hostIPC is dropped).
RUNTIME_POD_FIELDS = ("nodeSelector", "affinity", "tolerations", "volumes", "imagePullSecrets", "schedulerName",
                      "resourceClaims")


class MergeError(ValueError):
    """What apimachinery refuses: a merge-list element without its merge key."""


def strategic_merge_container(base: dict, patch: dict, *, concat_args: bool = True) -> dict:
    """`patch` merged onto `base` as KServe merges containers.

    concat_args=True is MergeRuntimeContainers (runtime container + InferenceService container: args
    are the runtime's, then the InferenceService's); False is MergeContainerWithPatch alone (the
    ClusterStorageContainer merge, where a patch's args replace the base's)."""
    base_c, patch_c = _go_clean(base), _go_clean(patch)
    base_name, base_args = base_c.get("name"), base_c.get("args")  # read before base_c becomes the result
    merged = _merge_into(base_c, patch_c, CONTAINER_LISTS)  # base_c is new (_go_clean built it): no copy
    _reconcile_env(merged.get("env"), patch_c.get("env"))
    if not merged.get("name") and base_name:
        merged["name"] = base_name  # MergeContainerWithPatch restores an empty name from the base
    if concat_args:
        args = list(base_args or []) + list(patch_c.get("args") or [])
        if args:
            merged["args"] = args
        else:
            merged.pop("args", None)
    return merged


def merge_pod_fields(runtime_fields: dict, component_fields: dict) -> dict:
    """MergePodSpec: the runtime's pod fields (only RUNTIME_POD_FIELDS are read) with the component's
    pod fields strategic-merged on top (maps by key, volumes and imagePullSecrets by name, tolerations
    replaced)."""
    original = {k: clone(runtime_fields[k]) for k in RUNTIME_POD_FIELDS
                if k in runtime_fields and not _go_empty(runtime_fields[k], k)}
    patch = {k: v for k, v in component_fields.items()
             if not (k in RUNTIME_POD_FIELDS and _go_empty(v, k))}
    return _merge_into(original, patch, POD_LISTS)  # original is our copy; patch values are copied as stored


def volume_source_conflicts(volumes: list) -> list[str]:
    """Names of volumes that a merge left with more than one source (the API server rejects them)."""
    out = []
    for volume in volumes or []:
        if isinstance(volume, dict) and len([k for k in volume if k != "name"]) > 1:
            out.append(str(volume.get("name")))
    return out


# ---------------------------------------------------------------------------------------------------
# The patch algorithm (k8s.io/apimachinery/pkg/util/strategicpatch/patch.go)


def _merge_map(original: dict, patch: dict, lists: dict) -> dict:
    return _merge_into(clone(original), patch, lists)


def _merge_into(out: dict, patch: dict, lists: dict) -> dict:
    """`patch` merged into `out`, which the caller owns (a copy no one else holds): out is changed in
    place and returned. What is taken from `patch` is copied, so the result never shares with it."""
    for key, value in patch.items():
        if key not in out:
            out[key] = clone(value)  # absent from the original: the patch value as it is
        elif key in lists and isinstance(out[key], list) and isinstance(value, list):
            out[key] = _merge_list(out[key], value, lists[key], _ITEM_SCHEMA.get(key, {}))
        elif isinstance(out[key], dict) and isinstance(value, dict):
            out[key] = _merge_into(out[key], value, {})  # out[key] is ours too
        else:
            out[key] = clone(value)
    return out


def _merge_list(original: list, patch: list, key: str, item_lists: dict) -> list:
    if not original and not patch:
        return []
    for item in (*original, *patch):
        if not isinstance(item, dict) or key not in item:
            raise MergeError(f"a list element has no merge key {key!r}: {item!r}")
    merged = [clone(item) for item in original]
    for item in patch:  # mergeSliceWithoutSpecialElements
        i = _index(merged, item, key)
        if i >= 0:
            merged[i] = _merge_into(merged[i], item, item_lists)  # merged[i] is a copy made above
        else:
            merged.append(clone(item))
    in_patch = [m for m in merged if _index(patch, m, key) >= 0]
    server_only = [m for m in merged if _index(patch, m, key) < 0]
    in_patch.sort(key=lambda m: _index(patch, m, key))
    server_only.sort(key=lambda m: _index(original, m, key))
    return _interleave(server_only, in_patch, original, key)


def _interleave(left: list, right: list, order: list, key: str) -> list:
    """mergeSortedSlice: a server-only item goes first only when the original lists it before the
    next patch item; a patch item the original lacks always goes first."""
    out, i, j = [], 0, 0
    while i < len(left) or j < len(right):
        if i >= len(left):
            out.append(right[j])
            j += 1
        elif j >= len(right):
            out.append(left[i])
            i += 1
        else:
            li, ri = _index(order, left[i], key), _index(order, right[j], key)
            if li >= 0 and ri >= 0 and li < ri:
                out.append(left[i])
                i += 1
            else:
                out.append(right[j])
                j += 1
    return out


def _index(items: list, item: dict, key: str) -> int:
    value = item.get(key)
    for i, candidate in enumerate(items):
        if isinstance(candidate, dict) and candidate.get(key) == value and type(candidate.get(key)) is type(value):
            return i
    return -1


def _reconcile_env(merged: list | None, patch_env: list | None) -> None:
    """reconcileEnvValueConflicts: an entry left with both value and valueFrom keeps what the patch set."""
    by_name = {e.get("name"): e for e in patch_env or [] if isinstance(e, dict)}
    for entry in merged or []:
        if not (isinstance(entry, dict) and entry.get("value") and entry.get("valueFrom")):
            continue
        given = by_name.get(entry.get("name"))
        if given is None:
            continue
        if given.get("valueFrom"):
            del entry["value"]
        elif given.get("value"):
            del entry["valueFrom"]


# ---------------------------------------------------------------------------------------------------
# Go's JSON round trip


_EMPTY_MAPS = frozenset((*_MAP_FIELDS, "nodeSelector"))  # the {} that _go_empty drops


def _go_empty(value, key: str) -> bool:
    if key in _KEEP_ZERO:
        return False
    if value is None or value == "" or value is False or value == []:
        return True
    if type(value) in (int, float) and value == 0:
        return True
    return value == {} and key in (*_MAP_FIELDS, "nodeSelector")


def _go_clean(value, key: str = ""):
    """A container as Go's encoding/json would write it: omitempty zero values dropped.

    The loop is _go_empty inlined by value type (a call per scalar was most of the cost): a string is
    empty when "", a list when [], a dict only when {} under a map-typed key, None, False and a numeric
    0 always; a key in _KEEP_ZERO, or an httpHeaders entry's value, keeps even those."""
    if type(value) is dict:
        header = key == "httpHeaders"  # HTTPHeader.value has no omitempty
        out = {}
        for k, v in value.items():
            kind = type(v)
            if kind is str:
                if v or k in _KEEP_ZERO or (header and k == "value"):
                    out[k] = v
            elif kind is dict:
                if v or k not in _EMPTY_MAPS or k in _KEEP_ZERO or (header and k == "value"):
                    out[k] = _go_clean(v, k)
            elif kind is list:
                if v or k in _KEEP_ZERO or (header and k == "value"):
                    out[k] = [_go_clean(item, k) for item in v]
            elif v is None or v is False or ((kind is int or kind is float) and v == 0):
                if k in _KEEP_ZERO or (header and k == "value"):
                    out[k] = v
            else:
                out[k] = v
        return out
    if type(value) is list:
        return [_go_clean(v, key) for v in value]
    return value
