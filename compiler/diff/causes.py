"""Why each InferenceService's objects change between two builds: the report `diff` renders.

Pure: two Snapshots -> Report. The runtime rule comes from resolve's own record of why every runtime was
passed over (Snapshot Choice.passed_over, on each side); nothing here re-runs selection.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from compiler.diff.compare import (ADDED, METADATA, REMOVED, ROLLOUT, SPEC, ObjectChange, compare_objects,
                                   field_changes)
from compiler.diff.snapshot import Choice, Place, Snapshot
from compiler.resolve import DISABLED, FORMAT, NOT_AUTO, PROTOCOL, RANKED_BELOW, VERSION

# Cause kinds, as json and the templates name them
RESELECTED, RUNTIME, CATALOG, CONFIG, SERVICE, SERVICE_ADDED, SERVICE_REMOVED, OTHER = (
    "runtime-reselected", "runtime-changed", "catalog-changed", "config-changed", "inferenceservice-changed",
    "inferenceservice-added", "inferenceservice-removed", "other")
UNDECIDABLE = ("KServe breaks a tie between equal runtimes by creationTimestamp (the newest wins), which git "
               "does not hold: not decidable from git")
# How a runtime's passed-over reason in HEAD reads as the rule that moved a model off it.
_LOST = {DISABLED: "{x} was disabled", PROTOCOL: "a protocol change", VERSION: "a version change",
         FORMAT: "{x} no longer lists the model's format", NOT_AUTO: "{x} lost autoSelect"}
# How the new runtime's passed-over reason in BASE reads, once it wins.
_GAINED = {DISABLED: "{y} was enabled", PROTOCOL: "a protocol change", VERSION: "a version change",
           FORMAT: "{y} now lists the model's format", NOT_AUTO: "{y} gained autoSelect",
           RANKED_BELOW: "a priority change"}


@dataclass(frozen=True)
class Cause:
    kind: str
    text: str
    place: Place | None = None         # the changed source line (HEAD's, or BASE's for a removal)
    before: str | None = None          # runtime re-selected: from which runtime
    after: str | None = None           # ... to which
    rule: str | None = None            # ... and the rule that decided
    undecidable: bool = False

    @property
    def short(self) -> str:
        """A few words for a headline or a collapsed section's title."""
        if self.kind == RESELECTED:
            return f"{self.before} → {self.after}" + (" (not decidable from git)" if self.undecidable else "")
        return _SHORT.get(self.kind, self.kind)


_SHORT = {RUNTIME: "runtime edited", CATALOG: "catalog changed", CONFIG: "config changed",
          SERVICE: "InferenceService edited", SERVICE_ADDED: "new", SERVICE_REMOVED: "removed", OTHER: "other"}


@dataclass
class ComponentDiff:
    component: str                     # predictor, transformer, explainer, "predictor (canary x)", or "routes"
    causes: list[Cause] = field(default_factory=list)
    objects: list[ObjectChange] = field(default_factory=list)


@dataclass
class ServiceDiff:
    namespace: str
    name: str
    status: str                        # changed | added | removed
    place: Place | None
    causes: list[Cause] = field(default_factory=list)        # about the InferenceService as a whole
    components: list[ComponentDiff] = field(default_factory=list)


@dataclass
class Report:
    base: str
    head: str
    services: list[ServiceDiff] = field(default_factory=list)
    other: list[ObjectChange] = field(default_factory=list)  # objects no InferenceService owns (pass-through)
    counts: Counter = field(default_factory=Counter)          # rollout, spec, metadata, added, removed
    reroutes: Counter = field(default_factory=Counter)        # (from, to) -> InferenceServices

    @property
    def empty(self) -> bool:
        return not self.services and not self.other

    def headline(self) -> str:
        if self.empty:
            return "no changes"
        if self.reroutes:
            (before, after), n = sorted(self.reroutes.items(), key=lambda kv: (-kv[1], kv[0]))[0]
            return f"re-routes {_n(n, 'InferenceService')} from {before} to {after}"
        if self.services:
            rollouts = f", rolling out {_n(self.counts[ROLLOUT], 'Deployment')}" if self.counts[ROLLOUT] else ""
            return f"changes {_n(len(self.services), 'InferenceService')}{rollouts}"
        return f"changes {_n(len(self.other), 'other object')}"

    def counts_text(self) -> str:
        c = self.counts
        return (f"{_n(c[ROLLOUT], 'Deployment rollout')}, {_n(c[SPEC], 'spec change')}, "
                f"{_n(c[METADATA], 'metadata-only change')}, {c[ADDED]} added, {c[REMOVED]} removed (pruned)")


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def report(base: Snapshot, head: Snapshot, *, base_label: str, head_label: str) -> Report:
    out = Report(base_label, head_label)
    changes = compare_objects(base.objects, head.objects, base.owners, head.owners)
    out.counts = Counter(c.change for c in changes)
    by_service: dict[tuple, list[ObjectChange]] = {}
    for change in changes:
        if change.owner is None:
            out.other.append(change)
        else:
            by_service.setdefault(change.owner[:2], []).append(change)
    context = _Context(base, head)
    for key in sorted(base.services.keys() | head.services.keys() | by_service.keys()):
        service = _service(key, by_service.get(key, []), context)
        if service is not None:
            out.services.append(service)
            pairs = {(c.before, c.after) for comp in service.components for c in comp.causes if c.kind == RESELECTED}
            out.reroutes.update(pairs)
    return out


class _Context:
    """What every InferenceService's causes share: the runtimes and the configuration that changed."""

    def config_place(self) -> Place | None:
        """The line of the first changed key in HEAD's inferenceservice-config (BASE's if HEAD has none)."""
        snap = self.head if self.head.config_place is not None else self.base
        if snap.config_place is None:
            return None
        key = self.config_keys[0].split("_")
        data_key = key[0] + "".join(w.capitalize() for w in key[1:])  # storage_initializer -> storageInitializer
        line = snap.config_positions.of_key(("data", data_key))[0] if snap.config_positions else None
        return Place(snap.config_place.file, line or snap.config_place.line)

    def __init__(self, base: Snapshot, head: Snapshot):
        self.base, self.head = base, head
        self.config_keys = sorted(k for k in base.config.keys() | head.config.keys()
                                  if base.config.get(k) != head.config.get(k))
        self.runtime_fields = {name: field_changes(base.runtimes[name].spec, head.runtimes[name].spec)
                               for name in base.runtimes.keys() & head.runtimes.keys()
                               if base.runtimes[name].spec != head.runtimes[name].spec}


def _service(key: tuple, changes: list[ObjectChange], ctx: _Context) -> ServiceDiff | None:
    b, h = ctx.base.services.get(key), ctx.head.services.get(key)
    status = "added" if b is None else "removed" if h is None else "changed"
    out = ServiceDiff(key[0], key[1], status, (h or b).place if (h or b) else None)
    if b is None and h is not None:
        out.causes.append(Cause(SERVICE_ADDED, "the InferenceService is new", h.place))
    elif h is None and b is not None:
        out.causes.append(Cause(SERVICE_REMOVED, f"the InferenceService was removed: Argo CD (with prune) or Flux "
                                f"deletes its {_n(len(changes), 'object')}", b.place))
    elif b is not None and b.data != h.data:
        fields = field_changes(b.data, h.data)
        first = fields[0].path if fields else ""
        out.causes.append(Cause(SERVICE, "the InferenceService changed: " + ", ".join(f.path for f in fields[:6])
                                + (f" and {len(fields) - 6} more" if len(fields) > 6 else ""),
                                Place(h.place.file, h.line_of(_path(first, h.data)))))
    groups: dict[str, list[ObjectChange]] = {}
    for change in changes:
        groups.setdefault(change.owner[2] or "routes", []).append(change)
    labels = set(groups)
    if b is not None and h is not None:
        labels |= {label for label in b.choices.keys() & h.choices.keys()
                   if b.choices[label].runtime != h.choices[label].runtime}
    for label in sorted(labels, key=_component_order):
        comp = ComponentDiff(label, objects=groups.get(label, []))
        if b is not None and h is not None:
            comp.causes = _component_causes(label, b.choices.get(label), h.choices.get(label), ctx, bool(comp.objects))
            if comp.objects and not comp.causes and not out.causes:
                comp.causes.append(Cause(OTHER, "changed by something else the build reads (a storage container, "
                                                "a pass-through object, the compiler's version)"))
        out.components.append(comp)
    if not out.components and not out.causes:
        return None
    if status == "changed" and not changes and not any(c.causes for c in out.components):
        return None
    return out


def _component_order(label: str) -> tuple:
    order = {"predictor": 0, "transformer": 1, "explainer": 2, "routes": 4}
    return (order.get(label.split(" ")[0], 3), label)


def _path(dotted: str, data=None) -> tuple:
    """A field path as Positions keys it: "spec.formats[0].priority" -> ("spec", "formats", 0, "priority").
    A named list item ("containers[x]") becomes its index in `data` (the document), or ends the path there."""
    out: list = []
    node = data
    for part in dotted.split("."):
        name, bracket, rest = part.partition("[")
        if name:
            out.append(name)
            node = node.get(name) if isinstance(node, dict) else None
        if bracket:
            key = rest.rstrip("]")
            index = int(key) if key.isdigit() else next(
                (i for i, item in enumerate(node if isinstance(node, list) else [])
                 if isinstance(item, dict) and item.get("name") == key), None)
            if index is None:
                break
            out.append(index)
            node = node[index] if isinstance(node, list) and index < len(node) else None
    return tuple(out)


def _component_causes(label: str, cb: Choice | None, ch: Choice | None, ctx: _Context, objects: bool) -> list[Cause]:
    causes = []
    if cb is not None and ch is not None and cb.runtime != ch.runtime and ch.runtime and cb.runtime:
        causes.append(_reselected(cb, ch, ctx))
    elif ch is not None and ch.runtime and ch.runtime in ctx.runtime_fields:
        rt = ctx.head.runtimes[ch.runtime]
        fields = ctx.runtime_fields[ch.runtime]
        what = ", ".join(f.path for f in fields[:4]) + (f" and {len(fields) - 4} more" if len(fields) > 4 else "")
        if rt.catalog:
            causes.append(Cause(CATALOG, f"the catalog's {rt.kind} {ch.runtime} changed: {what}", rt.place))
        else:
            line = rt.line_of(_path("spec." + fields[0].path, {"spec": rt.spec}) if fields else ())
            causes.append(Cause(RUNTIME, f"its runtime {ch.runtime} changed: {what}", Place(rt.place.file, line)))
    if cb is not None and ch is not None and cb.protocol != ch.protocol and cb.runtime == ch.runtime:
        causes.append(Cause(RUNTIME, f"protocol {cb.protocol} -> {ch.protocol}"))
    if ctx.config_keys and objects:
        place = ctx.config_place()
        causes.append(Cause(CONFIG, "the inferenceservice-config changed: " + ", ".join(ctx.config_keys), place))
    return causes


def _reselected(cb: Choice, ch: Choice, ctx: _Context) -> Cause:
    x, y = cb.runtime, ch.runtime
    rule, why = _rule(x, y, cb, ch, ctx)
    undecidable = cb.tie or ch.tie
    text = f"runtime re-selected from {x} to {y}: {rule}" + (f" ({why})" if why else "")
    if undecidable:
        text += f"; {UNDECIDABLE}"
    return Cause(RESELECTED, text, _rule_place(x, y, ctx), x, y, rule, undecidable)


def _rule(x: str, y: str, cb: Choice, ch: Choice, ctx: _Context) -> tuple[str, str]:
    """The rule that moved the component from x to y, and resolve's own words for it: why BASE passed over y,
    and why HEAD passes over x."""
    lost = ch.passed_over.get(x)        # why HEAD passed over the old runtime
    gained = cb.passed_over.get(y)      # why BASE passed over the new one
    words = "; ".join(w for w in (f"before, {y}: {gained[0]}: {gained[1]}" if gained else "",
                                  f"now, {x}: {lost[0]}: {lost[1]}" if lost else "") if w)
    if cb.how == "explicit" or ch.how == "explicit":
        return "the InferenceService names its runtime", ""
    if x not in ctx.head.runtimes:
        return f"{x} was removed", words
    if ch.tie:
        return f"{y} ties with {x}" + (" (a new runtime)" if y not in ctx.base.runtimes else ""), words
    if y not in ctx.base.runtimes:
        return f"a new runtime {y} ranks above {x}", words
    if lost and lost[0] in _LOST:
        return _LOST[lost[0]].format(x=x, y=y), words
    if gained and gained[0] in _GAINED:
        return _GAINED[gained[0]].format(x=x, y=y), words
    return "the resolution changed", words


def _rule_place(x: str, y: str, ctx: _Context) -> Place | None:
    """The source line that made the move: the new or edited runtime's (HEAD), else the old one's."""
    for name in (y, x):
        rt = ctx.head.runtimes.get(name)
        if rt is None or rt.catalog:
            continue
        if name not in ctx.base.runtimes:
            return rt.place
        fields = ctx.runtime_fields.get(name)
        if fields:
            return Place(rt.place.file, rt.line_of(_path("spec." + fields[0].path, {"spec": rt.spec})))
    return None
