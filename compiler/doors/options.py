"""What the commands that compile share: their options, Settings from those options (and, under Argo CD,
the environment), the report and the exit code. Each command module (cli, and one module per larger
command) imports from here, so cli.py stays the group and the small commands.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from compiler.diagnostics import Diagnostic, Summary, UsageError, sorted_diagnostics
from compiler.doors import argocd
from compiler.reporters import REPORTERS, InputObject, ReportContext
from compiler.settings import BUILTIN_CATALOG, Limits, Settings

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
        click.option("--strict", is_flag=True, default=None, help="Warnings fail the run (exit 1)."),
        click.option("--report", "report_file", metavar="FILE", type=click.Path(dir_okay=False),
                     help="Also write the report, in --format, to FILE."),
        click.option("--summary", "summary_file", metavar="FILE", type=click.Path(dir_okay=False),
                     help="Write a Markdown summary (components, runtimes, problems) to FILE, e.g. "
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
    env = argocd.environment_options(opts)
    opts["strict"] = bool(env["strict"])  # settled once: report and exit_code read it, nothing re-reads the env
    defaults = Limits()
    limits = Limits(file_bytes=opts.get("max_file_bytes") or defaults.file_bytes,
                    depth=opts.get("max_depth") or defaults.depth,
                    nodes=opts.get("max_nodes") or defaults.nodes,
                    documents=opts.get("max_documents") or defaults.documents)
    sources = tuple(opts.get("sources") or (".",))
    # One byte past the limit is enough to know it is too large: an endless stdin is never read whole.
    stdin = sys.stdin.buffer.read(limits.file_bytes + 1) if "-" in sources else None
    return Settings(
        sources=sources, default_namespace=env["default_namespace"] or "default",
        catalog=env["catalog"] or BUILTIN_CATALOG, config_file=env["config_file"], crds=opts.get("crds"),
        kubernetes_version=env["kubernetes_version"], excludes=tuple(opts.get("excludes") or ()),
        limits=limits, stdin=stdin, storage_injection=env.get("storage_injection") or "pod",
        allow_empty=bool(env.get("allow_empty")), strict=opts["strict"],
        max_placeholder_bytes=opts.get("max_placeholder_bytes") or Settings.max_placeholder_bytes,
        **overrides)


def output_format(fmt: str | None) -> str:
    if fmt:
        return fmt
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"


def strict(opts: dict) -> bool:
    return bool(opts.get("strict"))


# ---------------------------------------------------------------------------------------------------
# Reporting


def report(result, opts: dict, *, to_stdout: bool) -> None:
    diags = sorted_diagnostics(result.diagnostics)
    summary = Summary.of(diags)
    fmt = output_format(opts.get("fmt"))
    context = ReportContext(objects=[InputObject(d.file, d.ref, d.index) for d in result.documents],
                            strict=strict(opts), configuration=result.config.source)
    text = REPORTERS[fmt if to_stdout else "text"](diags, summary, context=context)
    click.echo(text, nl=False, err=not to_stdout)
    if opts.get("report_file"):
        write_side_file(opts["report_file"], REPORTERS[fmt](diags, summary, context=context))
    if opts.get("summary_file"):
        write_side_file(opts["summary_file"], summary_markdown(result, diags, summary))
    click.echo(f"kserve-compiler: {summary.line()}", err=True)


def summary_markdown(result, diags: list[Diagnostic], summary: Summary) -> str:
    from compiler.reporters.summary import SummaryRow, render_summary  # lazy
    return render_summary([SummaryRow.from_resolution(r) for r in result.resolutions], diags, summary)


def write_side_file(path: str, text: str) -> None:
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}", code=SIDE_FILE_UNWRITABLE) from None


def exit_code(result, opts: dict) -> int:
    if result.internal_error:
        click.echo(f"kserve-compiler: this is a bug in kserve-compiler; please report it at {ISSUES_URL} with "
                   "the input that caused it", err=True)
        return 3
    return 1 if result.failed(strict=strict(opts)) else 0
