"""The command line: the group and its commands, each options -> Settings -> pipeline.compile() -> report ->
exit code. options.py holds what the compiling commands share (flags -> Settings, the report, the exit code).

Exit codes (docs/design.md Decision 6): 0 ok (warnings allowed), 1 invalid input, unresolvable runtime or
`--check` drift, 2 usage or configuration error, 3 internal error (our bug). No traceback reaches a user.
"""

from __future__ import annotations

import gc
import os
import sys
import traceback
from pathlib import Path

import click

from compiler import KSERVE_VERSION, __version__, gcpause
from compiler.diagnostics import UsageError
from compiler.doors import streams
from compiler.doors.diff_command import diff
from compiler.doors.fix_command import fix as fix_command
from compiler.doors.options import (ISSUES_URL, ExitWith, exit_code, output_format, report, settings_from,
                                    source_options)
from compiler.doors.rebuild import build_command
from compiler.schema.bundle import KSERVE_KUBERNETES_VERSION, kubernetes_versions

# Lazy imports (the only ones), measured with python -X importtime: the pipeline costs ~320 ms to import
# (jsonschema, referencing, the stages), emit/ ~45 ms (multiprocessing), catalog_view ~60 ms, the Markdown
# summary jinja2. `--help`, `--version` and `catalog` need none of that, so each command imports what it
# runs, inside its function, marked "# lazy".

# Codes (KSC0xx: command line)
CHECK_WITHOUT_OUT = "KSC005"     # --check without -o
NO_CATALOG_OBJECT = "KSC006"     # catalog show: no NAME, or no object of that name
EXPLAIN_FORMAT = "KSC007"        # explain takes text or json only
CACHE_INSIDE_OUT = "KSC032"      # --cache inside -o OUT: the swap would delete it

EXPLAIN_FORMATS = ("text", "json")
# How the command line names each setting in an error the core raises about it (UsageError.setting).
FLAGS = {"config_file": "--config", "catalog": "--catalog", "crds": "--crds",
         "kubernetes_version": "--kubernetes-version"}

EPILOG = """\b
Exit codes: 0 ok (warnings allowed), 1 invalid input or unresolvable runtime
(or --check drift), 2 usage or configuration error, 3 internal error (a bug).
Defaults for these options can live in .kserve-compiler.yaml or in pyproject.toml's
[tool.kserve-compiler], found above the sources; a flag wins over the file.
"""


# ---------------------------------------------------------------------------------------------------
# Commands


class _Group(click.Group):
    def main(self, *args, **kwargs):
        kwargs.setdefault("standalone_mode", True)
        streams.install_signal_handlers()
        streams.guard_stdout()
        streams.forget_replaced()  # (a test runner calls main() many times in one process)
        try:
            with gcpause.paused():
                super().main(*args, standalone_mode=False,
                             **{k: v for k, v in kwargs.items() if k != "standalone_mode"})
            code = 0
        except ExitWith as done:
            code = done.code
        except click.exceptions.Exit as done:
            code = done.exit_code
        except click.ClickException as exc:
            exc.show()
            code = 2
        except click.exceptions.Abort as exc:  # click turns a KeyboardInterrupt into Abort
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, KeyboardInterrupt):
                code = streams.interrupted(cause)
            else:
                click.echo("Aborted.", err=True)
                code = 130
        except KeyboardInterrupt as exc:  # SIGINT, and SIGTERM / SIGHUP through streams.Interrupted
            code = streams.interrupted(exc)
        except UsageError as exc:
            _usage_error(exc)
            code = 2
        except streams.CannotWrite as exc:
            code = streams.cannot_write(exc)
        except BrokenPipeError as exc:  # a write to a pipe whose reader went away
            code = streams.cannot_write(streams.CannotWrite("standard output", exc.strerror))
        except Exception:  # noqa: BLE001 - the last guard: never a traceback, always exit 3
            _internal_error()
            code = 3
        sys.exit(streams.flush_stdout(code))


def entry() -> None:
    """The `kserve-compiler` console script (and `python -m compiler`): main(), then the process ends
    without tearing its heap down. A 10,000-InferenceService build holds millions of objects: freeing them
    one by one at interpreter exit took 0.25 s of a 1.3 s warm rebuild (issue 17), and the collection that
    re-enabling the collector sets off (compiler/gcpause.py) another 0.08 s, so it stays off for good here.
    Everything main() writes is closed or flushed by then (OUT, --report, --summary, the cache), its threads
    and children joined; the standard streams are flushed here. main() itself returns normally for an
    embedding caller (the tests' CliRunner), with the collector as it found it."""
    gc.disable()
    try:
        main()
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # main() has already reported a stdout it could not write
            pass
    os._exit(code)


def _progress(opts: dict):
    """Bars on a terminal (doors/progress.py), else a silent stand-in; cleared however the command ends."""
    from compiler.doors import progress  # lazy: only the compiling commands need it
    bars = progress.for_terminal(bool(opts.get("quiet")), output_format(opts.get("fmt")))
    click.get_current_context().call_on_close(bars.close)
    return bars


def _seen_by_door(opts: dict) -> dict:
    """What only the process knows, for the message when `.` holds nothing (Settings.sources_named)."""
    named = tuple(opts.get("sources") or ())
    stdin = sys.stdin
    return {"sources_named": bool(named),
            "stdin_piped": "-" not in named and stdin is not None and not stdin.closed and not stdin.isatty()}


def _usage_error(exc: UsageError) -> None:
    click.echo(f"kserve-compiler: error {exc.code}: {exc.worded(FLAGS)}", err=True)
    if exc.hint:
        click.echo(f"    hint: {exc.hint}", err=True)


def _internal_error() -> None:
    where = traceback.extract_tb(sys.exc_info()[2])[-1]
    kind, value = sys.exc_info()[:2]
    click.echo(f"kserve-compiler: internal error: {kind.__name__}: {value} (at {Path(where.filename).name}:"
               f"{where.lineno})", err=True)
    click.echo(f"This is a bug in kserve-compiler, not in your input. Please report it at {ISSUES_URL}; "
               "set KSC_TRACEBACK=1 to see the full traceback.", err=True)
    if os.environ.get("KSC_TRACEBACK"):
        traceback.print_exc()


def _print_version(ctx: click.Context, _param, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    known = kubernetes_versions()
    click.echo(f"kserve-compiler, version {__version__}\n"
               f"KServe {KSERVE_VERSION} (Standard mode); its types embed Kubernetes {KSERVE_KUBERNETES_VERSION}\n"
               f"emitted objects checked against Kubernetes {known[-1]} by default ({known[0]} to {known[-1]} "
               "with --kubernetes-version)")
    ctx.exit(0)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
             epilog=EPILOG)
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Show the version, the KServe release and the Kubernetes schemas it targets, and exit.")
def main():
    """Compile KServe InferenceServices and runtimes into the Kubernetes objects KServe would create.

    \b
    Reads a repo of ServingRuntime, ClusterServingRuntime and InferenceService YAML (folders, files,
    or - for stdin), validates it against KServe v0.20's API, chooses each model's runtime exactly
    as KServe's controller would, and writes the Deployments, Services, HPAs and Ingresses of
    Standard (raw) mode for Argo CD, Flux or kubectl to apply. Nothing is fetched from a network.

    \b
    Start here:
      kserve-compiler validate repo/          would the API server and KServe accept it?
      kserve-compiler explain repo/           which runtime serves each model, and why
      kserve-compiler build repo/ -o out/     write the objects, one file each
      kserve-compiler build repo/             the same objects as one YAML stream
    """


@main.command(epilog=EPILOG)
@source_options
@click.option("--resolve", "do_resolve", is_flag=True, help="Also resolve every component's runtime, as "
              "`build` does (reconcile-time errors become errors).")
def validate(**opts):
    """Check sources as `kubectl apply` and KServe's webhooks would, writing nothing.

    YAML syntax, the CRD schemas (with file:line:column and the field), and the admission webhooks'
    rules (names, replicas, autoscaler class, runtimes that share a priority, canaries, multi-node).
    """
    from compiler import pipeline  # lazy
    bars = _progress(opts)
    result = pipeline.compile(settings_from(opts, resolve=opts["do_resolve"], expand=False, progress=bars or None,
                                            **_seen_by_door(opts)))
    bars.close()
    report(result, opts, to_stdout=True)
    raise ExitWith(exit_code(result, opts))


@main.command(epilog=EPILOG)
@source_options
@click.option("-o", "--output", "out", metavar="OUT", help="Write an output folder (one object per file, "
              "with kustomization.yaml files) instead of a YAML stream on stdout.")
@click.option("--check", "check_only", is_flag=True, help="With -o: write nothing; exit 1 with a diff when OUT "
              "is not what the sources compile to.")
@click.option("--force", is_flag=True, help="With -o: take over a non-empty folder kserve-compiler did not write.")
@click.option("--allow-empty", is_flag=True, default=None, help="Succeed even when no object is generated.")
@click.option("--flux", "flux", metavar="DIR", help="With -o: also write one Flux Kustomization per folder of OUT "
              "into DIR (outside OUT), removing ours whose folder is gone.")
@click.option("--flux-source", metavar="[NS/]NAME", help="With --flux: the GitRepository that holds OUT "
              "(default flux-system/flux-system).")
@click.option("--storage-injection", type=click.Choice(["pod", "webhook"]), default=None,
              help="pod (default): write the storage initializer into the pod template; webhook: leave it "
                   "to KServe's pod webhook, exactly as KServe's controller does.")
@click.option("--cache", "cache_dir", metavar="DIR", envvar="KSC_CACHE_DIR", default=None,
              help="Keep a cache of each source file's result in DIR (also KSC_CACHE_DIR) so the next build "
                   "compiles only what changed; off unless set. Not used with --summary.")
def build(**opts):
    """Compile the sources into the objects KServe would create.

    \b
    Without -o: the objects as one YAML stream on stdout (Argo CD plugins), diagnostics on stderr.
    With -o OUT: the report on stdout, the objects in OUT/<namespace>/<name>.<kind>.yaml, swapped
    in atomically: a failed build leaves the previous OUT exactly as it was.
    """
    from compiler import incremental, warm  # lazy
    from compiler.emit import drift, flux, layout, outdir  # lazy
    out = Path(opts["out"]) if opts["out"] else None
    if opts["check_only"] and out is None:
        raise UsageError("--check needs -o OUT: the folder to compare", code=CHECK_WITHOUT_OUT)
    if out is not None:
        outdir.refuse_sources_inside(out, tuple(opts.get("sources") or (".",)))
    flux_dir, flux_target = _flux_options(opts, out)
    repaired = outdir.repair_leftovers(out) if out is not None and not opts["check_only"] else []
    cache_dir = None if opts["summary_file"] else opts["cache_dir"] or None  # --summary needs every resolution
    if cache_dir and out is not None and Path(cache_dir).resolve().is_relative_to(out.resolve()):
        raise UsageError(f"the cache {cache_dir!r} is inside the output folder {str(out)!r}; the next build would "
                         "delete it", hint="keep the cache outside OUT, e.g. .cache/kserve-compiler",
                         code=CACHE_INSIDE_OUT)
    bars = _progress(opts)
    settings = settings_from(opts, skip=(out,) if out else (), progress=bars or None, cache_dir=cache_dir,
                             texts_only=not opts["summary_file"], **_seen_by_door(opts))
    folder = warm.compile(settings, out) if out is not None and not opts["check_only"] else None
    if folder is not None:
        click.get_current_context().call_on_close(folder.close)  # a build that writes nothing stops its check
    result = folder.result if folder is not None else incremental.compile(settings)
    result.diagnostics += repaired
    if out is None:
        bars.close()  # before the report; a folder build goes on to emit
        code = exit_code(result, opts)
        report(result, opts, to_stdout=False, emitted=len(result.outputs) if code == 0 else 0)
        if code == 0:
            click.echo(layout.stream(result.outputs), nl=False)
        raise ExitWith(code)
    code = exit_code(result, opts)
    files: dict = {}
    if code == 0:
        bars("emit", 0, 0)
        files, layout_diags = (folder.layout(settings.default_namespace) if folder is not None
                               else layout.layout(result.outputs, settings.default_namespace))
        result.diagnostics += layout_diags
        code = exit_code(result, opts)
    if code == 0 and opts["check_only"]:
        rebuild = build_command(click.get_current_context())
        clean, diff, drifted = drift.check_folder(out, files, rebuild)
        if flux_dir is not None:
            flux_drift, flux_diff = flux.check(flux_dir, _flux_plan(files, flux_target), rebuild)
            clean, diff, drifted = clean and not flux_drift, diff + flux_diff, drifted + flux_drift
        result.diagnostics += drifted
        bars.close()
        report(result, opts, to_stdout=True, emitted=len(result.outputs))
        if diff:
            click.echo(diff, nl=False, err=output_format(opts.get("fmt")) != "text")
        raise ExitWith(0 if clean else 1)
    if code == 0:
        flux_files = _flux_plan(files, flux_target) if flux_dir is not None else None
        if flux_files is not None:
            flux.refuse_foreign(flux_dir, flux_files)  # exit 2 with OUT untouched
        swapped = streams.replaced  # an interrupt from here on says OUT holds the new build
        result.diagnostics += (folder.write(out, settings.default_namespace, force=opts["force"], swapped=swapped)
                               if folder is not None
                               else outdir.write_folder(out, files, force=opts["force"], swapped=swapped))
        # (OutputError: exit 2)
        if flux_files is not None:
            result.diagnostics += flux.write(flux_dir, flux_files)
    bars.close()
    emitted = folder.emitted if folder is not None else len(result.outputs)
    report(result, opts, to_stdout=True, emitted=emitted if code == 0 else 0)
    raise ExitWith(code)


def _flux_options(opts: dict, out: Path | None):
    """--flux DIR and --flux-source, checked before anything is compiled (all exit 2)."""
    from compiler.emit import flux  # lazy: emit/ is imported by build only
    if not opts.get("flux"):
        return None, None
    if out is None:
        raise UsageError("--flux needs -o OUT: the output folder Flux applies", code=flux.BAD_FLUX)
    flux.refuse_placement(Path(opts["flux"]), out, tuple(opts.get("sources") or (".",)))
    where = flux.path_in_repository(out, flux.repository_root(out))  # OUT as Flux sees it, from the repo's root
    return Path(opts["flux"]), (where, flux.Source.parse(opts.get("flux_source")))


def _flux_plan(files: dict, target: tuple) -> dict:
    from compiler.emit import flux  # lazy, as above
    return flux.plan(flux.folders(files), *target)


@main.command(epilog=EPILOG)
@source_options
@click.option("--name", "names", multiple=True, metavar="[NS/]NAME",
              help="Explain only this InferenceService (repeatable).")
def explain(**opts):
    """Show which runtime serves each component, and why every other runtime was passed over.

    For each runtime not chosen, names the one filter that ruled it out: disabled, multiModel,
    multi-node, format, version, no autoSelect, protocol, or ranked below the winner.
    """
    from compiler import explain as explain_mod  # lazy
    from compiler import pipeline  # lazy
    fmt = opts.get("fmt") or "text"
    if fmt not in EXPLAIN_FORMATS:  # Decision 5: explain prints its own output, as text or json
        raise UsageError(f"explain --format takes text or json, not {fmt}", code=EXPLAIN_FORMAT)
    # Expanded too: explain lists the objects each InferenceService produced (their names: no YAML).
    result = pipeline.compile(settings_from(opts, render=False, **_seen_by_door(opts)))
    chosen = explain_mod.selected(result, tuple(opts["names"]))
    missed = explain_mod.unmatched(result, tuple(opts["names"]))
    render = explain_mod.render_json if fmt == "json" else explain_mod.render_text
    click.echo(render(result, chosen), nl=False)
    code = exit_code(result, opts)  # of the whole run: a repo that does not compile is exit 1 even here
    if opts["names"]:  # only the named objects' own diagnostics, and one line counting the rest
        result.diagnostics, others = explain_mod.own_diagnostics(result, chosen)
        if explain_mod.elsewhere_line(others):
            click.echo(f"kserve-compiler: {explain_mod.elsewhere_line(others)}", err=True)
    result.diagnostics += missed
    report(result, {**opts, "fmt": "text"}, to_stdout=False)
    raise ExitWith(code or exit_code(result, opts))


@main.command("catalog")
@click.argument("action", type=click.Choice(["list", "show"]), default="list")
@click.argument("name", required=False)
@click.option("--catalog", "choice", default="builtin", metavar="builtin|DIR", help="Which catalog.")
@click.option("--format", "fmt", type=click.Choice(EXPLAIN_FORMATS), default="text", help="text or json.")
def catalog_cmd(action, name, choice, fmt):
    """List the built-in cluster objects, or show one as YAML.

    \b
      kserve-compiler catalog list
      kserve-compiler catalog show kserve-sklearnserver
    """
    from compiler import catalog_view  # lazy
    docs = catalog_view.documents(choice)
    if action == "list":
        click.echo(catalog_view.listing(docs, fmt), nl=False)
        raise ExitWith(0)
    if not name:
        raise UsageError("catalog show needs a NAME", hint="kserve-compiler catalog list shows the names",
                         code=NO_CATALOG_OBJECT)
    text = catalog_view.show(docs, name, fmt)
    if text is None:
        raise UsageError(f"no catalog object named {name!r}", hint="kserve-compiler catalog list shows the names",
                         code=NO_CATALOG_OBJECT)
    click.echo(text, nl=False)
    raise ExitWith(0)


@main.command()
def krm():
    """Run as a KRM function (kpt, kustomize): a ResourceList on stdin, a ResourceList on stdout."""
    from compiler.doors import krm as krm_door  # lazy
    raise ExitWith(krm_door.run(sys.stdin.buffer.read(), sys.stdout, sys.stderr))


@main.command("kustomize-plugin")
@click.argument("config_file", metavar="CONFIG_FILE")
def kustomize_plugin(config_file):
    """Run as a kustomize legacy exec plugin (kubectl kustomize --enable-alpha-plugins)."""
    from compiler.doors import kustomize_plugin as plugin  # lazy
    raise ExitWith(plugin.run(config_file, sys.stdin, sys.stdout, sys.stderr))


main.add_command(diff)
main.add_command(fix_command)

if __name__ == "__main__":
    main()
