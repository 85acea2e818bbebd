"""KRM function mode (`kserve-compiler krm`) and kustomize's legacy exec-plugin contract
(`kserve-compiler kustomize-plugin CONFIG_FILE`): host-tool items in, `pipeline.compile()`, items out.

KRM (KRM Functions Specification v1; integrations.md §1, §7; design.md Decisions 1 and 10)::

    stdin   ResourceList {items, functionConfig}: YAML or JSON
    stdout  ResourceList {items, results}: nothing else, ever
    stderr  the diagnostics as text (kustomize shows only stderr), and a summary line

Every input item is echoed except our previous output (items with our managed-by label, regenerated
here, so a second `kpt fn render` changes nothing); consumed inputs gain `config.kubernetes.io/local-config:
"true"` (kpt keeps their files, kustomize drops them from its build); config-only items are untouched;
then the generated objects follow, each with `internal.config.kubernetes.io/path` set to the output
folder's layout (`models/iris-predictor.deployment.yaml`), which kpt uses as the file to write. kpt
deletes the file of any item a function leaves out, which is why nothing else is dropped. On an error:
exit 1, `results`, and the input items exactly as they came.

Exec plugin (integrations.md §2.3): argv[1] is a file holding the KServeCompile object; stdin is the
resource stream of a transformer (empty for a generator, which reads `spec.paths` from disk); stdout is
a plain multi-doc YAML stream of pass-through and generated objects, consumed inputs dropped.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import yaml

from compiler import config as config_mod
from compiler import kinds, pipeline
from compiler.emit import layout
from compiler.emit.dump import dump, dump_item, dump_many
from compiler.constants import KSERVE_GROUP
from compiler.diagnostics import (Diagnostic, ObjectRef, Severity, Summary, UsageError, error, has_errors,
                                  sorted_diagnostics)
from compiler.document import Document, Positions
from compiler.settings import Limits, Settings
from compiler.sources.parse import load, parse
from compiler.sources.walk import SourceFile, collect

# Codes (KSC7xx: KRM and hosts)
BAD_INPUT = "KSC701"            # stdin is not a ResourceList (or not YAML at all)
BAD_FUNCTION_CONFIG = "KSC702"  # functionConfig / plugin config: wrong kind, unknown key, bad value
BAD_ITEM = "KSC703"             # an item that is not a KRM object
INTERNAL = pipeline.INTERNAL

RESOURCE_LIST_VERSIONS = ("config.kubernetes.io/v1", "config.kubernetes.io/v1beta1")
PATH = "internal.config.kubernetes.io/path"
INDEX = "internal.config.kubernetes.io/index"
LEGACY_PATH = "config.kubernetes.io/path"
LEGACY_INDEX = "config.kubernetes.io/index"
ORIGIN = "config.kubernetes.io/origin"  # kustomize, with buildMetadata: [originAnnotations]
# What orchestrators add to items (integrations.md §1 table): taken off before an item is compared
# with its file on disk.
_ORCHESTRATOR_PREFIXES = ("internal.config.kubernetes.io/", "config.k8s.io/id", "kustomize.config.k8s.io/id",
                          LEGACY_PATH, LEGACY_INDEX, ORIGIN)

STDIN = "-"


# ---------------------------------------------------------------------------------------------------
# functionConfig


@dataclass(frozen=True)
class Options:
    """The function's parameters: a ConfigMap's `data` (strings) or a KServeCompile's `spec`."""
    default_namespace: str = "default"
    paths: tuple[str, ...] = ()       # generator mode: sources read from disk, relative to cwd
    catalog: str = "builtin"
    config: str | None = None         # an inferenceservice-config file, relative to cwd
    kubernetes_version: str | None = None
    strict: bool = False
    allow_empty: bool | None = None   # None: the mode's default (KRM allows empty, the exec plugin not)
    storage_injection: str = "pod"


_KEYS = {"defaultNamespace": "default_namespace", "paths": "paths", "catalog": "catalog", "config": "config",
         "kubernetesVersion": "kubernetes_version", "strict": "strict", "allowEmpty": "allow_empty",
         "storageInjection": "storage_injection"}
_BOOLEANS = {"strict", "allow_empty"}
_CHOICES = {"storage_injection": ("pod", "webhook")}


def options(function_config: object, *, where: dict | None = None, positions: Positions | None = None
            ) -> tuple[Options, list[Diagnostic]]:
    """Options from a functionConfig (None, a ConfigMap or a KServeCompile); unknown keys are errors.
    `where` places the diagnostics (file, object); `positions`, when the file is the user's, the lines."""
    if function_config is None:
        return Options(), []
    where = where or {}
    if not isinstance(function_config, dict):
        return Options(), [error(BAD_FUNCTION_CONFIG, "functionConfig is not an object", **where)]
    kind = function_config.get("kind")
    if kind == "ConfigMap":
        section = "data"
    elif kind == "KServeCompile":
        section = "spec"
    else:
        return Options(), [error(BAD_FUNCTION_CONFIG, f"functionConfig is a {kind or 'object without kind'}; "
                                 "kserve-compiler takes a ConfigMap (data) or a KServeCompile (spec)", **where)]
    values = function_config.get(section) or {}
    if not isinstance(values, dict):
        return Options(), [error(BAD_FUNCTION_CONFIG, f"functionConfig {section} must be a mapping",
                                 **where, field=section)]
    fields: dict = {}
    diags: list[Diagnostic] = []
    for key, value in values.items():
        at = {**where, "field": f"{section}.{key}"}
        if positions is not None:
            at["line"], at["column"] = positions.of_key((section, key))
        if key not in _KEYS:
            close = difflib.get_close_matches(str(key), list(_KEYS), n=1)
            diags.append(error(BAD_FUNCTION_CONFIG, f'unknown functionConfig key "{key}"', **at,
                               hint=f'did you mean "{close[0]}"?' if close else
                               "the keys are " + ", ".join(_KEYS)))
            continue
        name = _KEYS[key]
        converted, problem = _convert(name, value)
        if problem:
            diags.append(error(BAD_FUNCTION_CONFIG, f"functionConfig {key}: {problem}", **at))
        else:
            fields[name] = converted
    return Options(**fields), diags


def _convert(name: str, value: object) -> tuple[object, str | None]:
    if name in _BOOLEANS:
        if isinstance(value, bool):
            return value, None
        text = str(value).strip().lower()
        if text in ("true", "false"):
            return text == "true", None
        return None, f"must be true or false, not {value!r}"
    if name == "paths":
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(p, str) for p in items):
            return None, "must be a list of paths (or, in a ConfigMap, a comma-separated string)"
        paths = tuple(p.strip() for p in items if p.strip())
        if STDIN in paths:
            return None, "stdin (-) is the ResourceList itself; name files or folders"
        return paths, None
    if not isinstance(value, str) or not value:
        return None, f"must be a non-empty string, not {value!r} (quote a version: \"1.32\")"
    if name in _CHOICES and value not in _CHOICES[name]:
        return None, f"must be one of {', '.join(_CHOICES[name])}, not {value!r}"
    return value, None


# ---------------------------------------------------------------------------------------------------
# Items -> Documents


def _read_resource_list(raw: bytes) -> tuple[Document | None, list[Diagnostic]]:
    """The ResourceList as one Document. Node and depth limits scale with the input, so aliases can at
    most double its size, while a 10,000-item list still loads."""
    defaults = Limits()
    limits = Limits(file_bytes=defaults.file_bytes, depth=defaults.depth + 2,
                    nodes=max(defaults.nodes, len(raw)), documents=defaults.documents)
    loaded = parse(raw, SourceFile(None, STDIN, STDIN, True), limits=limits)
    diags = [d for d in loaded.diagnostics if d.severity is Severity.ERROR]
    if diags:
        return None, diags
    docs = loaded.documents
    if len(docs) != 1 or docs[0].kind != "ResourceList" or docs[0].api_version not in RESOURCE_LIST_VERSIONS:
        found = "it is empty" if not docs else f"it holds {len(docs)} documents" if len(docs) > 1 else \
            f"it holds a {docs[0].api_version} {docs[0].kind}"
        return None, [error(BAD_INPUT, f"stdin must hold one config.kubernetes.io/v1 ResourceList; {found}",
                            file=STDIN, hint="kserve-compiler krm is run by kpt or kustomize; to compile files, "
                                             "use kserve-compiler build")]
    items = docs[0].data.get("items")
    if items is not None and not isinstance(items, list):
        return None, [error(BAD_INPUT, "ResourceList items must be a list", **docs[0].where(("items",)))]
    return docs[0], []


def _item_positions(positions: Positions) -> dict[int, Positions]:
    """Positions of ("items", i, ...) re-rooted per item, in one pass."""
    out: dict[int, Positions] = {}
    for attr in ("values", "keys"):
        for path, mark in getattr(positions, attr).items():
            if len(path) >= 2 and path[0] == "items" and isinstance(path[1], int):
                getattr(out.setdefault(path[1], Positions()), attr)[path[2:]] = mark
    return out


def _annotation(data: dict, *keys: str) -> str | None:
    meta = data.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    if isinstance(annotations, dict):
        for key in keys:
            if annotations.get(key) not in (None, ""):
                return str(annotations[key])
    return None


class _Disk:
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
        bare = _without_orchestrator_annotations(item)
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
                readable = full.is_file() and _under(str(self.root), path) is not None  # no symlink out
            except OSError:  # a name too long, or otherwise not a path on this machine
                readable = False
            self.files[path] = load([SourceFile(full, path, path, True)]).documents if readable else []
        return self.files[path]


def _name(item: dict) -> str | None:
    meta = item.get("metadata")
    return meta.get("name") if isinstance(meta, dict) else None


def _origin_path(item: dict) -> str | None:
    """The local file kustomize's origin annotation names (not one fetched from a remote repo)."""
    text = _annotation(item, ORIGIN)
    try:
        origin = yaml.load(text, Loader=yaml.CSafeLoader) if text else None
    except yaml.YAMLError:
        return None
    if isinstance(origin, dict) and isinstance(origin.get("path"), str) and not origin.get("repo"):
        return origin["path"]
    return None


def _without_orchestrator_annotations(item: dict, also: tuple[str, ...] = ()) -> dict:
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


def _documents(items: list, positions: dict[int, Positions], disk: _Disk
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
        path = _annotation(item, PATH, LEGACY_PATH)
        index: int | None = None
        if path:
            index_text = _annotation(item, INDEX, LEGACY_INDEX) or "0"
            index = int(index_text) if index_text.isdigit() else 0
        else:
            path = _origin_path(item)
        if path:
            index, found = disk.locate(path, index, item)
        if path and index is not None:
            doc = Document(path, path, index, item, found or Positions(), named=True)
        else:
            doc = Document(STDIN, STDIN, i, item, positions.get(i, Positions()), named=True)
        doc.data = _for_compiler(item, consumed=_role(doc) == "consumed")
        docs.append(doc)
    return docs, diags


def _for_compiler(item: dict, *, consumed: bool) -> dict:
    """The item as its author wrote it: KServe copies an InferenceService's annotations onto what it
    creates, and kpt's ids and paths, or the local-config mark of an earlier render, must not ride along
    (a Deployment marked local-config would be skipped by `kpt live apply` and dropped by kustomize)."""
    return _without_orchestrator_annotations(item, (kinds.LOCAL_CONFIG,) if consumed else ())


def _role(doc: Document | None) -> str:
    """consumed | previous | keep. Kind comes before our label and the local-config annotation
    (Decision 1): an InferenceService an earlier render marked is still compiled."""
    if doc is None:
        return "keep"
    if (doc.kind in kinds.CONSUMED_KINDS and kinds.group_of(doc.api_version) == KSERVE_GROUP) \
            or config_mod.is_config(doc):
        return "consumed"
    return "previous" if kinds.is_ours(doc) else "keep"


# ---------------------------------------------------------------------------------------------------
# Compiling


@dataclass
class _Run:
    diagnostics: list[Diagnostic]
    new: list[str] = field(default_factory=list)  # generated objects (and those read from `paths`), dumped
    strict: bool = False

    @property
    def failed(self) -> bool:
        return has_errors(self.diagnostics, strict=self.strict)

    @property
    def internal_error(self) -> bool:
        return any(d.severity is Severity.ERROR and d.code.startswith("KSC5") for d in self.diagnostics)


# A configuration error raised inside compile() names a command-line flag; in KRM it is a functionConfig key.
_FLAG_KEYS = {"--catalog": "catalog", "--config": "config", "--kubernetes-version": "kubernetesVersion"}


def _config_error(exc: UsageError, where: dict | None, section: str) -> Diagnostic:
    message = exc.message
    key = None
    for flag, name in _FLAG_KEYS.items():
        if flag in message:
            message, key = message.replace(flag, name), name
    if key is None and exc.code == "KSC031":  # the Kubernetes version, named without its flag
        key = "kubernetesVersion"
    place = dict(where or {"file": STDIN})
    if key:
        place["field"] = f"{section}.{key}"
    return error(exc.code, message, hint=exc.hint, **place)


def _compile(opts: Options, docs: list[Document | None], *, root: str | None, allow_empty: bool,
             annotate: bool, diags: list[Diagnostic], config_where: dict | None = None,
             config_section: str = "spec") -> _Run:
    run = _Run(list(diags), strict=opts.strict)
    refused = _outside_root(opts, root, config_where, config_section)
    if refused:
        run.diagnostics += refused
        return run
    settings = Settings(
        sources=tuple(_under(root, p) for p in opts.paths) or (".",), default_namespace=opts.default_namespace,
        catalog=opts.catalog, config_file=_under(root, opts.config) if opts.config else None,
        kubernetes_version=opts.kubernetes_version, storage_injection=opts.storage_injection,
        allow_empty=allow_empty if opts.allow_empty is None else opts.allow_empty, drop_previous_output=True)
    items = [d for d in docs if d is not None]
    try:
        from_disk = _load_paths(settings, run.diagnostics) if opts.paths else []
        result = pipeline.compile(settings, documents=from_disk + items)
    except UsageError as exc:
        run.diagnostics.append(_config_error(exc, config_where, config_section))
        return run
    except Exception as exc:  # noqa: BLE001 - stdout must still be a ResourceList; exit 3 says "our bug"
        run.diagnostics.append(error(INTERNAL, f"internal error: {type(exc).__name__}: {exc}",
                                     hint="this is a bug in kserve-compiler, not in your input; please report it"))
        return run
    run.diagnostics += result.diagnostics
    if run.failed:
        return run
    echoed = {id(d.data) for d in items}  # pass-through items are echoed as items, not added again
    new = [o for o in result.outputs if id(o.obj) not in echoed]
    run.new, layout_diags = _place(result.outputs, new, settings.default_namespace, annotate=annotate)
    run.diagnostics += layout_diags
    return run


def _place(outputs: list, new: list, default_namespace: str, *, annotate: bool) -> tuple[list[str], list]:
    """The new objects dumped in emit's order, with (annotate) their place in the output folder's plan as
    kpt's path annotations. The plan covers every object, so a generated object that collides with an
    echoed one is an error, as in `build -o`."""
    placed, diags = layout.plan(outputs, default_namespace)
    if diags:
        return [], diags
    path_of = {id(out): path for path, out in placed.items()}
    ordered = layout.sort_outputs(new)
    return dump_many([_with_path(out, path_of[id(out)]) if annotate else out for out in ordered]), []


def _with_path(out: layout.Output, path: str) -> layout.Output:
    """A copy telling kpt which file to write (kpt strips the annotations from the file itself)."""
    meta = dict(out.obj.get("metadata") or {})
    meta["annotations"] = {**(meta.get("annotations") or {}), PATH: path, LEGACY_PATH: path}
    return layout.Output({**out.obj, "metadata": meta}, out.cluster_scoped, out.generated)


def _under(root: str | None, path: str) -> str | None:
    """A functionConfig path, relative to the kustomization root when kustomize names one, else to the
    working directory; None when it is absolute or leaves that root. A package must not make us read
    (and kpt then write into it) files from elsewhere: kustomize's LoadRestrictionsRootOnly, for us."""
    base = os.path.realpath(root or os.getcwd())
    if os.path.isabs(path):
        return None
    target = os.path.realpath(os.path.join(base, path))
    if target != base and not target.startswith(base + os.sep):
        return None
    return os.path.relpath(target)


def _outside_root(opts: Options, root: str | None, where: dict | None, section: str) -> list[Diagnostic]:
    refused = [(key, value) for key, values in (("paths", opts.paths), ("config", [opts.config] if opts.config
                                                                           else [])) for value in values
               if _under(root, value) is None]
    return [error(BAD_FUNCTION_CONFIG, f"{key} {value!r} is outside the {'kustomization' if root else 'package'} "
                  "root; kserve-compiler reads only what is inside it", **{**(where or {"file": STDIN}),
                                                                          "field": f"{section}.{key}"},
                  hint="copy or link the sources into the root, or run `kserve-compiler build` on them instead")
            for key, value in refused]


def _load_paths(settings: Settings, diags: list[Diagnostic]) -> list[Document]:
    files, walk_diags = collect(list(settings.sources), excludes=settings.excludes)
    loaded = load(files, limits=settings.limits)
    diags += walk_diags + loaded.diagnostics
    return loaded.documents


def _report(run: _Run, stderr: IO[str]) -> None:
    from compiler.reporters import REPORTERS
    diags = sorted_diagnostics(run.diagnostics)
    summary = Summary.of(diags)
    stderr.write(REPORTERS["text"](diags, summary))
    if run.internal_error:
        stderr.write("kserve-compiler: this is a bug in kserve-compiler, not in your input; please report it "
                     "at https://github.com/kserve-compiler/kserve-compiler/issues\n")
    stderr.write(f"kserve-compiler: {summary.line()}\n")


def _exit_code(run: _Run) -> int:
    return 3 if run.internal_error else 1 if run.failed else 0


# ---------------------------------------------------------------------------------------------------
# KRM


def run(stdin: bytes, stdout: IO[str], stderr: IO[str]) -> int:
    """`kserve-compiler krm`: a ResourceList on stdin, a ResourceList on stdout; the exit code."""
    rl, diags = _read_resource_list(stdin)
    if rl is None:
        return _finish(_Run(diags), [], stdout, stderr)
    items = rl.data.get("items") or []
    function_config = rl.data.get("functionConfig")
    opts, opt_diags = options(function_config, where=_config_where(function_config))
    if has_errors(opt_diags):
        return _finish(_Run(opt_diags), items, stdout, stderr)
    docs, item_diags = _documents(items, _item_positions(rl.positions), _Disk())
    section = "data" if isinstance(function_config, dict) and function_config.get("kind") == "ConfigMap" else "spec"
    krm_run = _compile(opts, docs, root=None, allow_empty=True, annotate=True, diags=opt_diags + item_diags,
                       config_where=_config_where(function_config), config_section=section)
    if krm_run.failed or krm_run.internal_error:
        return _finish(krm_run, items, stdout, stderr)
    return _finish(krm_run, _echo(items, docs), stdout, stderr, generated=krm_run.new)


def _config_where(function_config: object) -> dict:
    if not isinstance(function_config, dict):
        return {"file": STDIN}
    path = _annotation(function_config, PATH, LEGACY_PATH)
    where = {"file": path or STDIN}
    meta = function_config.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    if function_config.get("kind") and function_config.get("apiVersion"):
        where["object"] = ObjectRef(str(function_config["apiVersion"]), str(function_config["kind"]),
                                    name if isinstance(name, str) else None)
    return where


def _echo(items: list, docs: list[Document | None]) -> list:
    """Every input item but our previous output; consumed inputs marked local-config."""
    out = []
    for item, doc in zip(items, docs):
        role = _role(doc)
        if role == "previous":
            continue
        if role == "consumed":
            meta = dict(item["metadata"]) if isinstance(item.get("metadata"), dict) else {}
            meta["annotations"] = {**(meta.get("annotations") or {}), kinds.LOCAL_CONFIG: "true"}
            item = {**item, "metadata": meta}
        out.append(item)
    return out


def _finish(run: _Run, items: list, stdout: IO[str], stderr: IO[str], generated: list[str] = ()) -> int:
    """The ResourceList, assembled from dumped items: the echoed ones in double-quote style (they are
    the user's files), the generated ones as emit dumped them (as `build -o` writes them)."""
    texts = [dump_item(item) for item in items] + list(generated)
    parts = [f"apiVersion: {RESOURCE_LIST_VERSIONS[0]}\nkind: ResourceList\n",
             "items:\n" if texts else "items: []\n", *(_list_item(text) for text in texts)]
    results = [_result(d) for d in sorted_diagnostics(run.diagnostics)]
    if results:
        parts.append(dump_item({"results": results}))
    _report(run, stderr)
    stdout.write("".join(parts))
    stdout.flush()
    return _exit_code(run)


def _list_item(text: str) -> str:
    """A dumped mapping as an entry of a block sequence: `- ` and every further line indented by two
    (an empty line inside a literal block needs no indentation)."""
    first, *rest = text.splitlines(keepends=True)
    return "- " + first + "".join("  " + line if line.strip("\n") else line for line in rest)


_SEVERITY = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTICE: "info"}


def _result(d: Diagnostic) -> dict:
    """A Diagnostic as a KRM v1 result: field needs resourceRef, resourceRef needs a name (the spec)."""
    out: dict = {"message": d.message + (f" (hint: {d.hint})" if d.hint else ""), "severity": _SEVERITY[d.severity]}
    if d.object is not None and d.object.name:
        out["resourceRef"] = d.object.to_dict()
        if d.field:
            out["field"] = {"path": d.field}
    if d.file and d.file != STDIN:
        out["file"] = {"path": d.file.replace(os.sep, "/"), "index": d.index or 0}
    tags = {"code": d.code}
    if d.line:
        tags["line"] = str(d.line)
        if d.column:
            tags["column"] = str(d.column)
    out["tags"] = tags
    return out


# ---------------------------------------------------------------------------------------------------
# kustomize's legacy exec plugin


def run_exec_plugin(config_file: str, stdin: IO, stdout: IO[str], stderr: IO[str]) -> int:
    """`kserve-compiler kustomize-plugin CONFIG_FILE`: the resource stream (or nothing) on stdin, a plain
    YAML stream on stdout. Zero generated objects is an error unless `allowEmpty` (Decision 4)."""
    opts, diags = _plugin_options(config_file)
    if has_errors(diags):
        _report(_Run(diags), stderr)
        return 1
    raw = _read_stream(stdin)
    loaded = parse(raw, SourceFile(None, STDIN, STDIN, True), limits=Limits(nodes=max(Limits().nodes, len(raw))))
    diags += loaded.diagnostics
    items = [d.data for d in loaded.documents]
    root = os.environ.get("KUSTOMIZE_PLUGIN_CONFIG_ROOT")
    docs, item_diags = _documents(items, {i: d.positions for i, d in enumerate(loaded.documents)}, _Disk(root))
    plugin_run = _compile(opts, docs, root=root, allow_empty=False, annotate=False, diags=diags + item_diags)
    _report(plugin_run, stderr)
    if plugin_run.failed or plugin_run.internal_error:
        return _exit_code(plugin_run)
    # echoed as they came, kustomize's id annotation included: kustomize maps them back to its resources
    kept = [dump(item) for item, doc in zip(items, docs) if _role(doc) == "keep"]
    stdout.write("---\n".join(kept + plugin_run.new))
    stdout.flush()
    return 0


def _plugin_options(config_file: str) -> tuple[Options, list[Diagnostic]]:
    path = Path(config_file)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return Options(), [error(BAD_FUNCTION_CONFIG, f"cannot read the plugin config: {exc.strerror}",
                                 file=config_file)]
    loaded = parse(raw, SourceFile(path, config_file, config_file, True))
    # kustomize hands over a temp file (its name means nothing to the user): then name the object only.
    where = {} if os.environ.get("KUSTOMIZE_PLUGIN_CONFIG_STRING") else {"file": config_file}
    if loaded.diagnostics or len(loaded.documents) != 1:
        return Options(), loaded.diagnostics or [error(BAD_FUNCTION_CONFIG, "the plugin config must hold one "
                                                       "KServeCompile object", **where)]
    doc = loaded.documents[0]
    return options(doc.data, where={**where, "object": doc.ref}, positions=doc.positions if where else None)


def _read_stream(stdin: IO) -> bytes:
    if stdin is None or (hasattr(stdin, "isatty") and stdin.isatty()):
        return b""  # a generator run by hand: there is no resource stream
    data = stdin.buffer.read() if hasattr(stdin, "buffer") else stdin.read()
    return data.encode("utf-8") if isinstance(data, str) else data


