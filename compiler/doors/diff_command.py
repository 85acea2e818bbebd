"""`kserve-compiler diff BASE [HEAD]` (issue 16): what a change to the sources does to the objects KServe would
create, and why, for review before anything reaches a cluster.

Each side is a git revision of the repo holding the sources (read with `git archive`, never touching the
user's work tree or index), an existing folder, or (HEAD's default) the work tree as it is. Both sides are
compiled with the same options, in two processes at once: compiling is CPU-bound and a side's result is
reduced to plain data (compiler/diff/snapshot.py) before it crosses back. Relative paths (the --path
sources, --config, --catalog, --crds, the project file) are read on each side from the same place: the
current folder inside a revision, or the folder given.

Exit codes: 0 whether or not anything changes (1 with --exit-code when something does, as `git diff
--exit-code`); 1 when a side does not compile (its diagnostics are printed, as build prints them); 2 usage.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import click

from compiler import gcpause
from compiler.diagnostics import Summary, UsageError
from compiler.doors.options import (ISSUES_URL, ExitWith, output_format, settings_from, source_options,
                                    write_side_file)

# Codes (KSC0xx: command line); the git edge's are KSC040-KSC042 (compiler/sources/revisions.py)
DIFF_STDIN = "KSC043"  # "-" as a diff source: one stdin cannot be read twice

DIFF_FORMATS = ("text", "json", "markdown", "github")
WORK_TREE = "work tree"


@dataclass(frozen=True)
class Side:
    role: str                 # BASE or HEAD
    label: str                # what the user named: a revision, a folder, or "work tree"
    folder: str | None = None  # an existing folder given as the side
    commit: str | None = None  # a git commit, read with git archive


@dataclass
class Compiled:
    snapshot: object = None    # diff.snapshot.Snapshot
    usage: tuple | None = None  # (message, hint, code) of a UsageError raised on that side
    summary: str = ""          # the side's summary line


@click.command("diff")
@click.argument("base", metavar="BASE")
@click.argument("head", metavar="[HEAD]", required=False)
@click.option("--path", "paths", multiple=True, metavar="SRC",
              help="Sources to compile on each side, relative to the current folder (repeatable; default .).")
@click.option("--exit-code", "want_exit_code", is_flag=True,
              help="Exit 1 when anything would change (as git diff --exit-code); 0 when nothing would.")
@source_options(positional=False, formats=DIFF_FORMATS)
def diff(base, head, paths, want_exit_code, **opts):
    """Compare the objects two versions of the sources compile to, with the cause of every change.

    \b
    BASE and HEAD are git revisions of the repository you are in (HEAD defaults to the work tree,
    uncommitted edits included), or two folders:
      kserve-compiler diff origin/main                # the work tree against main
      kserve-compiler diff v1.2 v1.3 --path models/
      kserve-compiler diff old-repo/ new-repo/ --format markdown
    Each change is grouped by InferenceService and component and names its cause: the runtime
    re-selected (and the rule that moved it), a runtime or catalog edit, a config key, or the
    InferenceService itself. Deployments that roll out are counted apart from metadata-only changes.
    """
    from compiler.diff import causes, render  # lazy: the pipeline's imports, only when diffing
    fmt = output_format(opts.get("fmt"))  # --format is one of DIFF_FORMATS; github by default under Actions
    sources = tuple(paths) or (".",)
    if "-" in sources:
        raise UsageError("diff cannot read stdin (-): both sides must be read", code=DIFF_STDIN,
                         hint="name folders with --path, or compare two folders")
    import tempfile  # lazy: start-up (cli.py imports this module for every command)
    sides = _sides(base, head)
    with tempfile.TemporaryDirectory(prefix="kserve-compiler-diff-") as tmp:
        compiled = _compile_both(sides, sources, opts, Path(tmp))
    for side, result in zip(sides, compiled):
        if result.usage is not None:
            message, hint, code = result.usage
            raise UsageError(f"{side.role} ({side.label}): {message}", hint=hint, code=code)
    failed = [(side, result) for side, result in zip(sides, compiled) if result.snapshot.failed]
    for side, result in failed:
        _show_failure(side, result)
    if failed:
        raise ExitWith(max(r.snapshot.exit_code for _, r in failed))
    report = causes.report(compiled[0].snapshot, compiled[1].snapshot, base_label=sides[0].label,
                           head_label=sides[1].label)
    renderers = {"text": render.render_text, "json": render.render_json, "markdown": render.render_markdown,
                 "github": render.render_github}
    text = renderers[fmt](report)
    click.echo(text, nl=False)
    if opts.get("report_file"):
        write_side_file(opts["report_file"], text)
    if opts.get("summary_file"):
        write_side_file(opts["summary_file"], render.render_markdown(report))
    click.echo(f"kserve-compiler: diff {sides[0].label} -> {sides[1].label}: {report.headline()}", err=True)
    raise ExitWith(1 if want_exit_code and not report.empty else 0)


def _sides(base: str, head: str | None) -> list[Side]:
    from compiler.sources import revisions  # lazy: git is needed only for a revision
    checkout = None
    out = []
    for role, name in (("BASE", base), ("HEAD", head)):
        if name is None:
            out.append(Side(role, WORK_TREE))
        elif Path(name).is_dir():
            out.append(Side(role, name, folder=name))
        else:
            checkout = checkout or revisions.locate(Path.cwd())
            out.append(Side(role, name, commit=revisions.commit_of(checkout, name)))
    return out


def _compile_both(sides: list[Side], sources: tuple[str, ...], opts: dict, tmp: Path) -> list[Compiled]:
    """BASE in a forked child, HEAD here, at once. Only BASE's snapshot crosses a process boundary (pickled
    to a file in `tmp`, without the source positions only HEAD's annotations need): on a 10,000-model repo
    unpickling a side costs seconds, most of it the collector walking new objects, so it runs without it."""
    import multiprocessing  # lazy: ~40 ms of start-up that only diff needs
    import pickle  # lazy
    base_job = (sides[0], sources, dict(opts), tmp / sides[0].role, False)
    head_job = (sides[1], sources, dict(opts), tmp / sides[1].role, True)
    if "fork" not in multiprocessing.get_all_start_methods() or os.environ.get("KSC_DIFF_SERIAL"):
        return [_compile_side(base_job), _compile_side(head_job)]
    out = tmp / "base.pickle"
    child = multiprocessing.get_context("fork").Process(target=_base_child, args=(base_job, out))
    child.start()
    try:
        head = _compile_side(head_job)
        child.join()
    except BaseException:
        child.terminate()
        child.join()
        raise
    if child.exitcode != 0 or not out.exists():
        raise RuntimeError(f"the process compiling BASE ended with exit code {child.exitcode}")
    with gcpause.paused():  # (restores the collector's state: the console script keeps it off for good)
        base = pickle.loads(out.read_bytes())
    if isinstance(base, str):
        raise RuntimeError(f"compiling BASE failed: {base}")
    return [base, head]


def _base_child(job, out: Path) -> None:
    """The forked child: compile BASE, write its result (or what went wrong) to `out`. It dies quietly when
    the parent ends it; the parent reports an interrupt, once."""
    import pickle  # lazy
    import signal  # lazy
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        result = _compile_side(job)
    except Exception as exc:  # noqa: BLE001 - reported by the parent as our bug (exit 3)
        result = f"{type(exc).__name__}: {exc}"
    out.write_bytes(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))


def _compile_side(job) -> Compiled:
    """Compile one side, in its own process (a child of the pool): chdir is then private to it."""
    from compiler import pipeline  # lazy
    from compiler.diff import snapshot  # lazy
    from compiler.sources import revisions  # lazy
    side, sources, opts, tmp, positions = job
    cwd = os.getcwd()
    try:
        prefix = ""
        if side.folder is not None:
            os.chdir(side.folder)
            prefix = side.folder
        elif side.commit is not None:
            checkout = revisions.locate(Path.cwd())
            tmp.mkdir(parents=True)
            sources = tuple(_inside(s, checkout, tmp) for s in sources)
            os.chdir(revisions.export(checkout, side.commit, tmp))
        opts["sources"] = sources
        result = pipeline.compile(settings_from(opts, render=False))  # objects are compared, not their YAML
        shown, hidden = result.shown()
        snap = snapshot.take(result, exit_code=_side_exit_code(result, opts), prefix=prefix, diagnostics=shown,
                             positions=positions)
        return Compiled(snap, summary=Summary.of(shown).line())
    except UsageError as exc:
        return Compiled(usage=(exc.message, exc.hint, exc.code))
    finally:
        os.chdir(cwd)  # serial mode (KSC_DIFF_SERIAL) compiles both sides in this process


def _side_exit_code(result, opts: dict) -> int:
    """options.exit_code() without its message: the parent prints what a failed side says."""
    return 3 if result.internal_error else (1 if result.failed(strict=bool(opts.get("strict"))) else 0)


def _inside(source: str, checkout, tmp: Path) -> str:
    """An absolute source in the user's checkout, as the same path inside the unpacked revision."""
    path = Path(source)
    if path.is_absolute() and path.is_relative_to(checkout.root):
        return str(tmp / path.relative_to(checkout.root))
    return source


def _show_failure(side: Side, result: Compiled) -> None:
    from compiler.reporters import REPORTERS, ReportContext  # lazy
    snap = result.snapshot
    click.echo(f"kserve-compiler: {side.role} ({side.label}) does not compile:", err=True)
    click.echo(REPORTERS["text"](snap.diagnostics, Summary.of(snap.diagnostics), context=ReportContext()),
               nl=False, err=True)
    click.echo(f"kserve-compiler: {side.role} ({side.label}): {result.summary}", err=True)
    if snap.exit_code == 3:
        click.echo(f"kserve-compiler: this is a bug in kserve-compiler; please report it at {ISSUES_URL} with "
                   "the input that caused it", err=True)
