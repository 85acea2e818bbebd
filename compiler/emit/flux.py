"""`build -o OUT --flux DIR`: one Flux `Kustomization` per folder of OUT, written into DIR, outside OUT (OUT
keeps only our objects and kustomization files; integrations §4, docs/hosts.md "Flux").

Flux's kustomize-controller runs no plugins, so CI renders OUT and commits it; Flux then needs one
Kustomization per namespace folder (kustomize's cost grows with the square of the objects it holds, Decision 3).
Writing them by hand means a forgotten one whenever the sources gain a namespace; this module keeps them in
step. DIR is shared with the user's own files, so we touch only our files there: each one is replaced
atomically (a temp file beside it, then a rename), a file of the same name that is not ours is refused, and a
file of ours whose folder disappeared is removed. "Ours" means a Flux Kustomization carrying our managed-by label.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import yaml

from compiler.diagnostics import Diagnostic, UsageError, error, notice
from compiler.emit.drift import DRIFT, unified
from compiler.emit.dump import dump
from compiler.emit.layout import CLUSTER_FOLDER
from compiler.kinds import MANAGED_BY, MANAGED_BY_LABEL

# Codes (KSC6xx: emit)
BAD_FLUX = "KSC610"       # UsageError (exit 2): --flux without -o, DIR inside OUT or a source, OUT outside the repo
FLUX_FOREIGN = "KSC611"   # UsageError (exit 2): a file we would write in DIR exists and is not ours
FLUX_REMOVED = "KSC612"   # notice: a Kustomization of ours was removed, its folder of OUT is gone

API_VERSION = "kustomize.toolkit.fluxcd.io/v1"
GROUP = API_VERSION.split("/")[0]
INTERVAL = "10m"  # how often Flux re-applies (drift correction); the source's own interval governs new commits
NAME_PREFIX = "kserve-"
TMP_TAG = ".kserve-compiler-tmp-"
FLUX_SYSTEM = "flux-system"  # what `flux bootstrap` names its namespace and GitRepository


@dataclass(frozen=True, slots=True)
class Source:
    """The Flux GitRepository that holds the committed OUT."""
    name: str = FLUX_SYSTEM
    namespace: str = FLUX_SYSTEM

    @classmethod
    def parse(cls, text: str | None) -> "Source":
        if not text:
            return cls()
        namespace, _, name = text.rpartition("/")
        if not name or "/" in namespace:
            raise UsageError(f"--flux-source {text!r} is not [NAMESPACE/]NAME", code=BAD_FLUX)
        return cls(name, namespace or FLUX_SYSTEM)


# ---------------------------------------------------------------------------------------------------
# Where (edges: paths only, nothing written)


def repository_root(out: Path) -> Path:
    """The git top level holding OUT (a `.git` folder or file, found walking up), else the working folder:
    Flux resolves spec.path against the root of the source's artifact."""
    here = Path(os.path.abspath(out)).parent
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return Path.cwd()


def refuse_placement(flux_dir: Path, out: Path, sources: tuple[str, ...]) -> None:
    """DIR inside OUT would be swapped away by the next build; DIR inside a source would be read back as
    pass-through objects; OUT inside DIR would be applied twice (Flux adds a sub-folder holding a
    kustomization.yaml to the folder's generated kustomization)."""
    target, where = out.resolve(), flux_dir.resolve()
    if where.is_relative_to(target):
        raise UsageError(f"--flux {flux_dir} is inside the output folder {out}; the next build would delete it",
                         hint="write the Flux Kustomizations beside OUT, e.g. --flux clusters/production",
                         code=BAD_FLUX)
    if target.is_relative_to(where):
        raise UsageError(f"the output folder {out} is inside --flux {flux_dir}; Flux would apply it twice",
                         hint="keep OUT and the Flux folder apart, e.g. -o rendered --flux clusters/production",
                         code=BAD_FLUX)
    for src in sources:
        if src != "-" and where.is_relative_to(Path(src).resolve()):
            raise UsageError(f"--flux {flux_dir} is inside the source {src!r}; its files would be read back as "
                             "objects to apply", hint="write the Flux Kustomizations outside the sources",
                             code=BAD_FLUX)


def path_in_repository(out: Path, root: Path) -> str:
    rel = os.path.relpath(os.path.abspath(out), root)
    if rel == ".." or rel.startswith(".." + os.sep):
        raise UsageError(f"the output folder {out} is outside the repository {root}; Flux can only apply paths "
                         "inside its source", hint="write -o OUT inside the repository Flux pulls", code=BAD_FLUX)
    return "./" + Path(rel).as_posix() if rel != "." else "."


# ---------------------------------------------------------------------------------------------------
# What (pure)


def folders(files: dict[str, str]) -> list[str]:
    """The folders of an output plan ({relative path: text}), `_cluster` first."""
    found = {path.split("/", 1)[0] for path in files if "/" in path}
    return sorted(found, key=lambda f: (f != CLUSTER_FOLDER, f))


def plan(folder_names: list[str], out_path: str, source: Source) -> dict[str, str]:
    """{file name in DIR: text}: one Kustomization per folder of OUT, named kserve-<namespace> (kserve-cluster for
    the cluster-scoped folder, which the namespace folders depend on: it holds their Namespaces and CRDs)."""
    names = {f: NAME_PREFIX + ("cluster" if f == CLUSTER_FOLDER else f) for f in folder_names}
    clash = [f for f in folder_names if f != CLUSTER_FOLDER and names[f] == NAME_PREFIX + "cluster"]
    if clash and CLUSTER_FOLDER in names:
        raise UsageError(f"the namespace {clash[0]} and the cluster-scoped folder would share the Flux "
                         f"Kustomization name {NAME_PREFIX}cluster", code=BAD_FLUX)
    header = ("# Generated by kserve-compiler (build -o OUT --flux DIR): the Flux Kustomization of {path}.\n"
              "# Do not edit: every build rewrites it, and removes it when that folder disappears.\n")
    files = {}
    for folder in folder_names:
        spec = {"dependsOn": [{"name": names[CLUSTER_FOLDER]}]} \
            if folder != CLUSTER_FOLDER and CLUSTER_FOLDER in names else {}
        spec.update({"interval": INTERVAL, "path": f"{out_path}/{folder}", "prune": True,  # as `flux export` orders
                     "sourceRef": {"kind": "GitRepository", "name": source.name, "namespace": source.namespace}})
        obj = {"apiVersion": API_VERSION, "kind": "Kustomization",
               "metadata": {"name": names[folder], "namespace": source.namespace,
                            "labels": {MANAGED_BY_LABEL: MANAGED_BY}},
               "spec": spec}
        files[f"{names[folder]}.yaml"] = header.format(path=spec["path"]) + dump(obj)
    return files


def is_ours(text: bytes) -> bool:
    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return False
    if not isinstance(data, dict) or data.get("kind") != "Kustomization":
        return False
    labels = (data.get("metadata") or {}).get("labels") if isinstance(data.get("metadata"), dict) else None
    return (str(data.get("apiVersion", "")).split("/")[0] == GROUP and isinstance(labels, dict)
            and labels.get(MANAGED_BY_LABEL) == MANAGED_BY)


# ---------------------------------------------------------------------------------------------------
# Writing and checking (edges)


def _current(flux_dir: Path) -> dict[str, bytes]:
    """The YAML files directly in DIR (never below: those are the user's)."""
    if not flux_dir.is_dir():
        return {}
    found = {}
    for entry in sorted(os.scandir(flux_dir), key=lambda e: e.name):
        if entry.is_file(follow_symlinks=False) and entry.name.endswith((".yaml", ".yml")):
            with open(entry.path, "rb") as handle:
                found[entry.name] = handle.read()
    return found


def _changes(flux_dir: Path, wanted: dict[str, str]) -> tuple[dict[str, bytes], list[str], dict[str, bytes]]:
    """(files to write, ours to remove, what DIR holds now); refuses a foreign file where ours would go."""
    current = _current(flux_dir)
    for name in sorted(wanted):
        have = current.get(name)
        if have is not None and have != wanted[name].encode() and not is_ours(have):
            raise UsageError(f"{flux_dir / name} exists and was not written by kserve-compiler (no Flux Kustomization "
                             f"with the label {MANAGED_BY_LABEL}: {MANAGED_BY}); refusing to replace it",
                             hint="move or rename that file, or choose another --flux folder", code=FLUX_FOREIGN)
    write = {n: t.encode() for n, t in sorted(wanted.items()) if current.get(n) != t.encode()}
    stale = [n for n, data in current.items() if n not in wanted and is_ours(data)]
    return write, stale, current


def refuse_foreign(flux_dir: Path, wanted: dict[str, str]) -> None:
    """Raise (exit 2) before anything is written, OUT included, when a file of DIR that is not ours stands
    where one of ours would go."""
    _changes(flux_dir, wanted)


def write(flux_dir: Path, wanted: dict[str, str]) -> list[Diagnostic]:
    """Make DIR hold `wanted` (ours only): each file replaced atomically, unchanged ones untouched, our
    files of vanished folders removed (a notice each)."""
    write_now, stale, _ = _changes(flux_dir, wanted)
    try:
        os.makedirs(flux_dir, exist_ok=True)
        for name, data in write_now.items():
            _replace(flux_dir / name, data)
        for name in stale:
            os.unlink(flux_dir / name)
    except OSError as exc:
        raise UsageError(f"cannot write the Flux folder {flux_dir}: {exc.strerror} ({exc.filename})",
                         code=BAD_FLUX) from None
    return [notice(FLUX_REMOVED, f"removed {flux_dir / name}: its folder of the output is gone",
                   file=str(flux_dir / name)) for name in stale]


def _replace(path: Path, data: bytes) -> None:
    tmp = path.parent / f".{path.name}{TMP_TAG}{secrets.token_hex(6)}"
    try:
        with open(tmp, "xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def check(flux_dir: Path, wanted: dict[str, str], rebuild: str) -> tuple[list[Diagnostic], str]:
    """`--check` with `--flux`: one KSC603 error and a diff per file of ours that a build would change."""
    write_now, stale, current = _changes(flux_dir, wanted)
    diags, diffs = [], []
    for name in sorted([*write_now, *stale]):
        why = ("is missing: a build would write it" if name not in current else
               "belongs to a folder that is gone: a build would remove it" if name in stale else
               "differs from what the sources compile to")
        diags.append(error(DRIFT, f"out of date: {flux_dir / name} {why}", file=str(flux_dir / name),
                           hint=f"run: {rebuild}; then commit the result"))
        diffs.append(unified(str(flux_dir / name), current.get(name), write_now.get(name)))
    return diags, "".join(diffs)
