"""Object-level differences of two builds: what `kubectl apply` (or Argo CD's sync) would add, prune and
change, each change as a short list of field paths. A Deployment whose pod template changes rolls out new
pods; a change to metadata only (labels, annotations) does not, so the two are counted apart.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

MAX_FIELDS = 12      # field changes kept per object; the rest are counted
MAX_VALUE = 80       # characters of a value shown before it is cut

ADDED, REMOVED, ROLLOUT, SPEC, METADATA = "added", "removed", "rollout", "spec", "metadata"


@dataclass(frozen=True)
class FieldChange:
    path: str            # spec.template.spec.containers[kserve-container].image
    before: object       # a missing value is None (shown as "(none)")
    after: object


@dataclass
class ObjectChange:
    key: tuple                       # (group, kind, namespace, name)
    change: str                      # added | removed | rollout | spec | metadata
    fields: list[FieldChange] = field(default_factory=list)
    more: int = 0                    # field changes not kept (over MAX_FIELDS)
    owner: tuple | None = None       # (namespace, isvc, component) from the side that has the object

    @property
    def kind(self) -> str:
        return self.key[1]

    @property
    def name(self) -> str:
        return self.key[3]

    @property
    def namespace(self) -> str:
        return self.key[2]


def compare_objects(base: dict, head: dict, base_owners: dict, head_owners: dict) -> list[ObjectChange]:
    """Every object that differs between the two builds ({key: object} each), sorted by key."""
    changes = []
    for key in sorted(base.keys() | head.keys(), key=_sort_key):
        before, after = base.get(key), head.get(key)
        owner = head_owners.get(key) or base_owners.get(key)
        if before is None:
            changes.append(ObjectChange(key, ADDED, owner=owner))
        elif after is None:
            changes.append(ObjectChange(key, REMOVED, owner=owner))
        elif before != after:
            found = field_changes(before, after)
            changes.append(ObjectChange(key, _classify(key, before, after), found[:MAX_FIELDS],
                                        max(0, len(found) - MAX_FIELDS), owner))
    return changes


def _sort_key(key: tuple) -> tuple:
    """By namespace and name, then kind: one InferenceService's objects stay together."""
    group, kind, namespace, name = ("" if part is None else str(part) for part in key)
    return (namespace, name, kind, group)


def _classify(key: tuple, before: dict, after: dict) -> str:
    if key[1] == "Deployment" and _template(before) != _template(after):
        return ROLLOUT
    if {k: v for k, v in before.items() if k != "metadata"} == {k: v for k, v in after.items() if k != "metadata"}:
        return METADATA
    return SPEC


def _template(obj: dict):
    spec = obj.get("spec")
    return spec.get("template") if isinstance(spec, dict) else None


def field_changes(before, after, path: str = "") -> list[FieldChange]:
    """The leaves (or whole subtrees added or removed) that differ. Lists of named items (containers, env,
    ports, volumes) are matched by name, so one new env variable is one change, not a shifted list."""
    if before == after:
        return []
    if isinstance(before, dict) and isinstance(after, dict):
        out = []
        for key in sorted(before.keys() | after.keys(), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in before or key not in after:
                out.append(FieldChange(sub, before.get(key), after.get(key)))
            else:
                out += field_changes(before[key], after[key], sub)
        return out
    if isinstance(before, list) and isinstance(after, list):
        if _named(before) and _named(after):
            return _by_name(before, after, path)
        if len(before) == len(after):
            out = []
            for i, (a, b) in enumerate(zip(before, after)):
                out += field_changes(a, b, f"{path}[{i}]")
            return out
    return [FieldChange(path, before, after)]


def _by_name(before: list, after: list, path: str) -> list[FieldChange]:
    old, new = {i["name"]: i for i in before}, {i["name"]: i for i in after}
    out = []
    for name in [*old, *(n for n in new if n not in old)]:
        sub = f"{path}[{name}]"
        if name not in old or name not in new:
            out.append(FieldChange(sub, old.get(name), new.get(name)))
        else:
            out += field_changes(old[name], new[name], sub)
    if not out:  # same items, another order (container order matters to Kubernetes)
        out.append(FieldChange(f"{path} (order)", list(old), list(new)))
    return out


def _named(items: list) -> bool:
    names = [i.get("name") for i in items if isinstance(i, dict)]
    return len(names) == len(items) and all(isinstance(n, str) for n in names) and len(set(names)) == len(names)


def shown(value) -> str:
    """A value as one short line: JSON for structures, cut at MAX_VALUE characters."""
    if value is None:
        return "(none)"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(",", ":"))
    return text if len(text) <= MAX_VALUE else text[:MAX_VALUE - 1] + "…"
