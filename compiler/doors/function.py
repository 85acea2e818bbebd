"""What the KRM function and the kustomize exec plugin share: Options and items -> Settings ->
pipeline.compile() -> the new objects dumped where the output folder's plan puts them, and the
diagnostics reported on stderr. Errors the core raises about a setting are worded with the
functionConfig key that holds it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import IO

from compiler import pipeline
from compiler.diagnostics import (Diagnostic, Summary, UsageError, error, has_errors, has_internal_error,
                                  sorted_diagnostics)
from compiler.document import Document
from compiler.doors.function_config import STDIN, Options, outside_root, under
from compiler.doors.items import LEGACY_PATH, PATH
from compiler.emit import Output, layout
from compiler.emit.dump import dump_many
from compiler.reporters import REPORTERS, RunCounts, summary_line
from compiler.settings import Settings
from compiler.sources.parse import load
from compiler.sources.project import find as find_project
from compiler.sources.walk import collect

INTERNAL = pipeline.INTERNAL
# How a functionConfig names each setting in an error the core raises about it (UsageError.setting).
KEYS = {"config_file": "config", "catalog": "catalog", "kubernetes_version": "kubernetesVersion"}


@dataclass
class Run:
    diagnostics: list[Diagnostic]
    new: list[str] = field(default_factory=list)  # generated objects (and those read from `paths`), dumped
    strict: bool = False
    counts: RunCounts | None = None  # for the summary line

    @property
    def failed(self) -> bool:
        return has_errors(self.diagnostics, strict=self.strict)

    @property
    def internal_error(self) -> bool:
        return has_internal_error(self.diagnostics)


def config_error(exc: UsageError, where: dict | None, section: str) -> Diagnostic:
    place = dict(where or {"file": STDIN})
    key = KEYS.get(exc.setting)
    if key:
        place["field"] = f"{section}.{key}"
    return error(exc.code, exc.worded(KEYS), hint=exc.hint, **place)


def compile_items(opts: Options, docs: list[Document | None], *, root: str | None, allow_empty: bool,
             annotate: bool, diags: list[Diagnostic], config_where: dict | None = None,
             config_section: str = "spec") -> Run:
    run = Run(list(diags), strict=opts.strict)
    refused = outside_root(opts, root, config_where, config_section)
    if refused:
        run.diagnostics += refused
        return run
    sources = tuple(under(root, p) for p in opts.paths) or (".",)
    try:  # the project file's filters, read only inside the root (as paths and config are)
        project_filter = find_project(sources, root=root or ".").filter()
    except UsageError as exc:
        run.diagnostics.append(config_error(exc, config_where, config_section))
        return run
    settings = Settings(
        sources=sources, default_namespace=opts.default_namespace, filter=project_filter,
        catalog=opts.catalog, config_file=under(root, opts.config) if opts.config else None,
        kubernetes_version=opts.kubernetes_version, storage_injection=opts.storage_injection,
        allow_empty=allow_empty if opts.allow_empty is None else opts.allow_empty, strict=opts.strict,
        drop_previous_output=True)
    items = [d for d in docs if d is not None]
    try:
        from_disk = _load_paths(settings, run.diagnostics) if opts.paths else []
        result = pipeline.compile(settings, documents=from_disk + items)
    except UsageError as exc:
        run.diagnostics.append(config_error(exc, config_where, config_section))
        return run
    except Exception as exc:  # noqa: BLE001 - stdout must still be a ResourceList; exit 3 says "our bug"
        run.diagnostics.append(error(INTERNAL, f"internal error: {type(exc).__name__}: {exc}",
                                     hint="this is a bug in kserve-compiler, not in your input; please report it"))
        return run
    shown, hidden = result.shown()
    run.diagnostics += shown
    kinds = [d.kind for d in result.documents]
    run.counts = RunCounts(files=None, documents=len(from_disk + items),
                           inference_services=kinds.count("InferenceService"), runtimes=len(result.runtimes),
                           builtin_runtimes=sum(1 for r in result.runtimes if r.builtin), objects=0, hidden=hidden)
    if run.failed:
        return run
    echoed = {id(d.data) for d in items}  # pass-through items are echoed as items, not added again
    new = [o for o in result.outputs if id(o.obj) not in echoed]
    run.new, layout_diags = _place(result.outputs, new, settings.default_namespace, annotate=annotate)
    run.diagnostics += layout_diags
    run.counts = replace(run.counts, objects=len(run.new))
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


def _with_path(out: Output, path: str) -> Output:
    """A copy telling kpt which file to write (kpt strips the annotations from the file itself)."""
    meta = dict(out.obj.get("metadata") or {})
    meta["annotations"] = {**(meta.get("annotations") or {}), PATH: path, LEGACY_PATH: path}
    return Output({**out.obj, "metadata": meta}, out.cluster_scoped, out.generated)


def _load_paths(settings: Settings, diags: list[Diagnostic]) -> list[Document]:
    files, walk_diags = collect(list(settings.sources), excludes=settings.excludes)
    loaded = load(files, limits=settings.limits)
    diags += walk_diags + loaded.diagnostics
    return loaded.documents


def report(run: Run, stderr: IO[str]) -> None:
    diags = sorted_diagnostics(run.diagnostics)
    summary = Summary.of(diags)
    stderr.write(REPORTERS["text"](diags, summary))
    if run.internal_error:
        stderr.write("kserve-compiler: this is a bug in kserve-compiler, not in your input; please report it "
                     "at https://github.com/kserve-compiler/kserve-compiler/issues\n")
    stderr.write(f"kserve-compiler: {summary_line(summary, run.counts)}\n")


def exit_code(run: Run) -> int:
    return 3 if run.internal_error else 1 if run.failed else 0
