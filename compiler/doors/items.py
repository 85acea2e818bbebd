"""KRM items <-> Documents: where each item sits on disk (kpt's path and index annotations, kustomize's
origin annotation), the item as its author wrote it (orchestrator annotations taken off), its role
(consumed, our previous output, or kept; Decision 1), and the items the KRM door echoes back.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from compiler import config as config_mod
from compiler import kinds
from compiler.constants import KSERVE_GROUP
from compiler.diagnostics import Diagnostic, error
from compiler.document import Document, Positions
from compiler.doors.function_config import STDIN, under
from compiler.sources.parse import load
from compiler.sources.walk import SourceFile

BAD_ITEM = "KSC703"             # an item that is not a KRM object

PATH = "internal.config.kubernetes.io/path"
INDEX = "internal.config.kubernetes.io/index"
LEGACY_PATH = "config.kubernetes.io/path"
LEGACY_INDEX = "config.kubernetes.io/index"
ORIGIN = "config.kubernetes.io/origin"  # kustomize, with buildMetadata: [originAnnotations]
# What orchestrators add to items (docs/design.md, integrations §1 table): taken off before an item is compared
# with its file on disk.
_ORCHESTRATOR_PREFIXES = ("internal.config.kubernetes.io/", "config.k8s.io/id", "kustomize.config.k8s.io/id",
                          LEGACY_PATH, LEGACY_INDEX, ORIGIN)



def item_positions(positions: Positions) -> dict[int, Positions]:
    """Positions of ("items", i, ...) re-rooted per item, in one pass."""
    out: dict[int, Positions] = {}
    for attr in ("values", "keys"):
        for path, mark in getattr(positions, attr).items():
            if len(path) >= 2 and path[0] == "items" and isinstance(path[1], int):
                getattr(out.setdefault(path[1], Positions()), attr)[path[2:]] = mark
    return out


def annotation(data: dict, *keys: str) -> str | None:
    meta = data.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    if isinstance(annotations, dict):
        for key in keys:
            if annotations.get(key) not in (None, ""):
                return str(annotations[key])
    return None


class Disk:
    """Where an item sits in its file on disk. kpt names the file and index; kustomize names at most
    the file, in `config.kubernetes.io/origin` (with `buildMetadata: [originAnnotations]`), and the
    document is then found by kind and name. Positions are given only when the document on disk is
    the item itself: lines of the ResourceList would point into text the user never sees."""

    def __init__(self, root: str | None = None):
        self.root = Path(root) if root else Path(".")
        self.files: dict[str, list[Document]] = {}

    def locate(self, path: str, index: int | None, item: dict) -> tuple[int | None, Positions | None]:
        docs = self._documents(path)
        if index is not None:
            candidates = [d for d in docs if d.index == index]
        else:
            candidates = [d for d in docs if d.kind == item.get("kind") and d.name == _name(item)]
        bare = without_orchestrator_annotations(item)
        for doc in candidates:
            if doc.data == bare:
                return doc.index, doc.positions
        return (candidates[0].index if candidates else index), None

    def _documents(self, path: str) -> list[Document]:
        rel = Path(path)
        if rel.is_absolute() or ".." in rel.parts:
            return []
        if path not in self.files:
            full = self.root / rel
            try:
                readable = full.is_file() and under(str(self.root), path) is not None  # no symlink out
            except OSError:  # a name too long, or otherwise not a path on this machine
                readable = False
            self.files[path] = load([SourceFile(full, path, path, True)]).documents if readable else []
        return self.files[path]


def _name(item: dict) -> str | None:
    meta = item.get("metadata")
    return meta.get("name") if isinstance(meta, dict) else None


def _origin_path(item: dict) -> str | None:
    """The local file kustomize's origin annotation names (not one fetched from a remote repo)."""
    text = annotation(item, ORIGIN)
    try:
        origin = yaml.load(text, Loader=yaml.CSafeLoader) if text else None
    except yaml.YAMLError:
        return None
    if isinstance(origin, dict) and isinstance(origin.get("path"), str) and not origin.get("repo"):
        return origin["path"]
    return None


def without_orchestrator_annotations(item: dict, also: tuple[str, ...] = ()) -> dict:
    meta = item.get("metadata")
    if not isinstance(meta, dict) or not isinstance(meta.get("annotations"), dict):
        return item
    kept = {k: v for k, v in meta["annotations"].items()
            if not k.startswith(_ORCHESTRATOR_PREFIXES) and k not in also}
    if len(kept) == len(meta["annotations"]):
        return item
    meta = {k: v for k, v in meta.items() if k != "annotations"}
    if kept:
        meta["annotations"] = kept
    return {**item, "metadata": meta}


def documents(items: list, positions: dict[int, Positions], disk: Disk
               ) -> tuple[list[Document | None], list[Diagnostic]]:
    """One Document per item (None for an item that is not a KRM object). file = the orchestrator's path
    annotation (or kustomize's origin), index = its index annotation; an item whose file is unknown is
    `-`, indexed by its place in the list, with positions in the input we were given."""
    docs: list[Document | None] = []
    diags: list[Diagnostic] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) and item.get(k)
                                                 for k in ("apiVersion", "kind")):
            line, column = positions.get(i, Positions()).of_value(())
            diags.append(error(BAD_ITEM, f"item {i} is not a Kubernetes object (it needs apiVersion and kind)",
                               file=STDIN, line=line, column=column, index=i))
            docs.append(None)
            continue
        path = annotation(item, PATH, LEGACY_PATH)
        index: int | None = None
        if path:
            index_text = annotation(item, INDEX, LEGACY_INDEX) or "0"
            index = int(index_text) if index_text.isdigit() else 0
        else:
            path = _origin_path(item)
        if path:
            index, found = disk.locate(path, index, item)
        if path and index is not None:
            doc = Document(path, path, index, item, found or Positions(), named=True)
        else:
            doc = Document(STDIN, STDIN, i, item, positions.get(i, Positions()), named=True)
        doc.data = _for_compiler(item, consumed=role(doc) == "consumed")
        docs.append(doc)
    return docs, diags


def _for_compiler(item: dict, *, consumed: bool) -> dict:
    """The item as its author wrote it: KServe copies an InferenceService's annotations onto what it
    creates, and kpt's ids and paths, or the local-config mark of an earlier render, must not ride along
    (a Deployment marked local-config would be skipped by `kpt live apply` and dropped by kustomize)."""
    return without_orchestrator_annotations(item, (kinds.LOCAL_CONFIG,) if consumed else ())


def role(doc: Document | None) -> str:
    """consumed | previous | keep. Kind comes before our label and the local-config annotation
    (Decision 1): an InferenceService an earlier render marked is still compiled."""
    if doc is None:
        return "keep"
    if (doc.kind in kinds.CONSUMED_KINDS and kinds.group_of(doc.api_version) == KSERVE_GROUP) \
            or config_mod.is_config(doc):
        return "consumed"
    return "previous" if kinds.is_ours(doc) else "keep"


def echo(items: list, docs: list[Document | None]) -> list:
    """Every input item but our previous output; consumed inputs marked local-config."""
    out = []
    for item, doc in zip(items, docs):
        kind = role(doc)
        if kind == "previous":
            continue
        if kind == "consumed":
            meta = dict(item["metadata"]) if isinstance(item.get("metadata"), dict) else {}
            meta["annotations"] = {**(meta.get("annotations") or {}), kinds.LOCAL_CONFIG: "true"}
            item = {**item, "metadata": meta}
        out.append(item)
    return out
