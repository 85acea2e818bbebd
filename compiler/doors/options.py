"""What the commands that compile share: their options, Settings from those options (and, under Argo CD,
the environment), the report and the exit code. Each command module (cli, and one module per larger
command) imports from here, so cli.py stays the group and the small commands.
"""

from __future__ import annotations

import os
import sys

import click

from compiler.diagnostics import Diagnostic, Severity, Summary, UsageError, sorted_diagnostics
from compiler.doors import argocd
from compiler.filtering import SEVERITIES, Filter, parse_codes
from compiler.reporters import REPORTERS, InputObject, ReportContext, RunCounts, summary_line
from compiler.settings import BUILTIN_CATALOG, Limits, Settings
from compiler.sources.project import Project
from compiler.sources.project import find as find_project

# Codes (KSC0xx: command line)
SIDE_FILE_UNWRITABLE = "KSC004"  # --report / --summary FILE cannot be written
ISSUES_URL = "https://github.com/kserve-compiler/kserve-compiler/issues"
FORMATS = tuple(REPORTERS)  # text, json, github, junit, sarif: the reporters' registry


class ExitWith(Exception):
    def __init__(self, code: int):
        self.code = code


# ---------------------------------------------------------------------------------------------------
# Options shared by the commands that compile


def source_options(f=None, *, positional: bool = True, formats: tuple[str, ...] = FORMATS):
    """The shared options, as a decorator (`@source_options`) or a decorator factory for a command that takes
    other arguments (diff: its sources are --path, its formats its own)."""
    if f is None:
        return lambda g: _source_options(g, positional, formats)
    return _source_options(f, positional, formats)


def _source_options(f, positional: bool, formats: tuple[str, ...]):
    options = [
        *([click.argument("sources", nargs=-1, metavar="[SRC]...")] if positional else []),
        click.option("--config", "config_file", metavar="FILE",
                     help="An inferenceservice-config ConfigMap (YAML) to use instead of the built-in one "
                          "or one found in the sources."),
        click.option("--catalog", default=None, metavar="builtin|none|DIR",
                     help="Cluster objects every build sees: KServe v0.20.0's built-in runtimes and storage "
                          "container (builtin, the default), none, or a folder of your own."),
        click.option("--crds", metavar="DIR", help="Validate KServe objects against your own CRD YAML files "
                                                   "instead of our KServe v0.20 schemas."),
        click.option("--kubernetes-version", metavar="X.Y",
                     help="Kubernetes version whose schemas check the emitted objects (default: newest known)."),
        click.option("--default-namespace", metavar="NS",
                     help="Namespace of sources that name none (default: default)."),
        click.option("--exclude", "excludes", multiple=True, metavar="GLOB",
                     help="Skip files or folders matching GLOB in a folder walk (repeatable)."),
        click.option("--format", "fmt", type=click.Choice(formats), default=None,
                     help="Report format (default text; github under GitHub Actions)."),
        click.option("--strict", is_flag=True, default=None, help="Warnings fail the run (exit 1): the warnings "
                     "left after the filters below."),
        click.option("-q", "--quiet", is_flag=True, default=None,
                     help="Report errors only (the same as --min-severity error)."),
        click.option("--min-severity", type=click.Choice(SEVERITIES), default=None,
                     help="Hide warnings and notices below this severity (errors are never hidden)."),
        click.option("--select", "select", multiple=True, metavar="CODE[,CODE]",
                     help="Report only these warning and notice codes, or prefixes such as KSC4 (repeatable)."),
        click.option("--ignore", "ignore", multiple=True, metavar="CODE[,CODE]",
                     help="Hide these warning and notice codes, or prefixes (repeatable; adds to the project "
                          "file's). A hidden warning no longer fails --strict."),
        click.option("-v", "--verbose", is_flag=True, default=False,
                     help="List every file read, and every notice (by default notices are grouped by code)."),
        click.option("--report", "report_file", metavar="FILE", type=click.Path(dir_okay=False),
                     help="Also write the report, in --format, to FILE."),
        click.option("--summary", "summary_file", metavar="FILE", type=click.Path(dir_okay=False),
                     help="Append a Markdown summary (components, runtimes, problems) to FILE, as "
                          "$GITHUB_STEP_SUMMARY."),
        click.option("--max-file-bytes", type=click.IntRange(1), default=None, help="Largest source file read (default 64 MiB)."),
        click.option("--max-depth", type=click.IntRange(1), default=None, help="Deepest YAML nesting accepted (default 100)."),
        click.option("--max-nodes", type=click.IntRange(1), default=None,
                     help="Most YAML nodes in one document, aliases expanded (default 1,000,000)."),
        click.option("--max-documents", type=click.IntRange(1), default=None, help="Most documents in one file (default 100,000)."),
        click.option("--max-placeholder-bytes", type=click.IntRange(1), default=None,
                     help="Most bytes a runtime value may expand to when its placeholders are filled "
                          "(default 262,144)."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def settings_from(opts: dict, **overrides):
    sources = tuple(opts.get("sources") or (".",))
    # Under Argo CD nothing above the application's folder is read (integrations: as for its paths).
    opts["project"] = project = find_project(sources, root="." if os.environ.get("ARGOCD_APP_NAME") else None)
    env = argocd.environment_options(opts)
    for key in ("kubernetes_version", "default_namespace", "catalog", "config_file"):  # flag > env > file
        if env[key] is None:
            env[key] = project.get("config" if key == "config_file" else key.replace("_", "-"))
    opts["strict"] = bool(env["strict"] or project.get("strict"))  # settled once: report and exit_code read it
    defaults = Limits()
    limits = Limits(file_bytes=opts.get("max_file_bytes") or defaults.file_bytes,
                    depth=opts.get("max_depth") or defaults.depth,
                    nodes=opts.get("max_nodes") or defaults.nodes,
                    documents=opts.get("max_documents") or defaults.documents)
    # One byte past the limit is enough to know it is too large: an endless stdin is never read whole.
    stdin = sys.stdin.buffer.read(limits.file_bytes + 1) if "-" in sources else None
    return Settings(
        sources=sources, default_namespace=env["default_namespace"] or "default",
        catalog=env["catalog"] or BUILTIN_CATALOG, config_file=env["config_file"],
        crds=opts.get("crds") or project.get("crds"), kubernetes_version=env["kubernetes_version"],
        excludes=(*project.get("exclude", ()), *(opts.get("excludes") or ())), filter=diagnostic_filter(opts, project),
        limits=limits, stdin=stdin, storage_injection=env.get("storage_injection") or "pod",
        allow_empty=bool(env.get("allow_empty")), strict=opts["strict"],
        max_placeholder_bytes=opts.get("max_placeholder_bytes") or Settings.max_placeholder_bytes,
        **overrides)


def diagnostic_filter(opts: dict, project: Project) -> Filter:
    """The project file's filter with the flags over it: --quiet and --min-severity replace its floor,
    --select its select, and --ignore adds to its ignore."""
    base = project.filter()
    floor = Severity.ERROR if opts.get("quiet") else \
        Severity(opts["min_severity"]) if opts.get("min_severity") else base.min_severity
    select = parse_codes(opts.get("select") or (), where="--select") or base.select
    return Filter(min_severity=floor, select=select,
                  ignore=base.ignore + parse_codes(opts.get("ignore") or (), where="--ignore"))


def output_format(fmt: str | None) -> str:
    if fmt:
        return fmt
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"


def strict(opts: dict) -> bool:
    return bool(opts.get("strict"))


# ---------------------------------------------------------------------------------------------------
# Reporting


def report(result, opts: dict, *, to_stdout: bool, emitted: int | None = None) -> None:
    """The report in --format (stdout, or stderr when stdout carries a payload), the side files, and the
    summary line on stderr. `emitted`: how many objects the command wrote (None: it writes none)."""
    shown, hidden = result.shown()
    diags = sorted_diagnostics(shown)
    summary = Summary.of(diags)
    fmt = output_format(opts.get("fmt"))
    counts = run_counts(result, emitted, hidden)
    context = ReportContext(objects=[InputObject(d.file, d.ref, d.index) for d in result.documents],
                            strict=strict(opts), configuration=result.config.source, counts=counts,
                            verbose=bool(opts.get("verbose")))
    if opts.get("verbose"):
        for name in result.files:
            click.echo(f"kserve-compiler: read {name}", err=True)
    text = REPORTERS[fmt if to_stdout else "text"](diags, summary, context=context)
    click.echo(text, nl=False, err=not to_stdout)
    if opts.get("report_file"):
        write_side_file(opts["report_file"], REPORTERS[fmt](diags, summary, context=context))
    if opts.get("summary_file"):
        write_side_file(opts["summary_file"], summary_markdown(result, diags, summary), append=True)
    project = opts.get("project")
    if project is not None and project.path and opts.get("verbose"):
        click.echo(f"kserve-compiler: options from {project.path}", err=True)
    click.echo(f"kserve-compiler: {summary_line(summary, counts)}", err=True)


def run_counts(result, emitted: int | None, hidden: int) -> RunCounts:
    kinds = [d.kind for d in result.documents]
    return RunCounts(files=len(result.files), documents=result.read,
                     inference_services=kinds.count("InferenceService"), runtimes=len(result.runtimes),
                     builtin_runtimes=sum(1 for r in result.runtimes if r.builtin),
                     objects=emitted, hidden=hidden)


def summary_markdown(result, diags: list[Diagnostic], summary: Summary) -> str:
    from compiler.reporters.summary import SummaryRow, render_summary  # lazy
    return render_summary([SummaryRow.from_resolution(r) for r in result.resolutions], diags, summary)


def write_side_file(path: str, text: str, *, append: bool = False) -> None:
    """--report replaces FILE; --summary appends to it, as $GITHUB_STEP_SUMMARY expects (each step gets one
    file, which other commands of the step may already have written), after a blank line."""
    try:
        with open(path, "a" if append else "w", encoding="utf-8") as out:
            if append and out.tell():
                out.write("\n")
            out.write(text)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}", code=SIDE_FILE_UNWRITABLE) from None


def exit_code(result, opts: dict) -> int:
    if result.internal_error:
        click.echo(f"kserve-compiler: this is a bug in kserve-compiler; please report it at {ISSUES_URL} with "
                   "the input that caused it", err=True)
        return 3
    return 1 if result.failed(strict=strict(opts)) else 0
