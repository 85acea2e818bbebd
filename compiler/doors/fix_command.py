"""`kserve-compiler fix [SRC]...` (issue 18): rewrite the sources in place for every diagnostic that has one
safe, mechanical fix (compiler/fix/), or with --diff print what would change and write nothing.

stdout carries the diff (--diff) and nothing else; what was fixed, what was not written and why, and the
summary line go to stderr. Exit: 0 done (files may have been rewritten: pre-commit notices that itself);
with --diff 1 when something would change; 2 usage, or a file that cannot be written; 3 our bug.
"""

from __future__ import annotations

import difflib

import click

from compiler.diagnostics import Diagnostic, warning
from compiler.doors.options import ExitWith, settings_from

# Codes (KSC05x: the fix command; write.py has the rest)
NOT_WRITTEN = "KSC050"  # warning: the fixed file would make the build worse (the never-worse rule)

EPILOG = """\b
Fixes (the code they answer): KSC201 a misspelt field with one did-you-mean;
KSC202 a quantity written as a float ("0.5"); KSC230 predictor.<framework>
-> predictor.model with modelFormat; KSC240 serving.kubeflow.org/v1beta1 ->
serving.kserve.io/v1beta1; KSC248 deploymentMode RawDeployment -> Standard,
Serverless -> Knative. A file whose fixed build would be worse is not written.
Exit codes: 0 done, 1 (--diff) something would change, 2 usage or a file that
cannot be written, 3 internal error.
"""


def _shared(f):
    """The options of the compiling commands that steer a build (fix compiles, before and after)."""
    for option in reversed([
        click.argument("sources", nargs=-1, metavar="[SRC]..."),
        click.option("--diff", "show_diff", is_flag=True,
                     help="Print the changes as a unified diff and write nothing; exit 1 if there are any."),
        click.option("--select", "select", multiple=True, metavar="CODE[,CODE]",
                     help="Only the fixes of these codes, or prefixes such as KSC2 (repeatable)."),
        click.option("--ignore", "ignore", multiple=True, metavar="CODE[,CODE]",
                     help="Not the fixes of these codes or prefixes (repeatable; adds to the project file's)."),
        click.option("--exclude", "excludes", multiple=True, metavar="GLOB",
                     help="Skip files or folders matching GLOB in a folder walk (repeatable)."),
        click.option("--config", "config_file", metavar="FILE", help="An inferenceservice-config ConfigMap (YAML)."),
        click.option("--catalog", default=None, metavar="builtin|none|DIR", help="Cluster objects every build sees."),
        click.option("--crds", metavar="DIR", help="Validate KServe objects against your own CRD YAML files."),
        click.option("--kubernetes-version", metavar="X.Y", help="Kubernetes version whose schemas check the output."),
        click.option("--default-namespace", metavar="NS", help="Namespace of sources that name none."),
        click.option("--max-file-bytes", type=click.IntRange(1), default=None, help="Largest source file read."),
    ]):
        f = option(f)
    return f


@click.command("fix", epilog=EPILOG)
@_shared
def fix(**opts):
    """Rewrite the sources in place where a diagnostic has one safe fix; comments and layout are kept.

    The build of the fixed sources is compared with the build of the originals: a file is written only
    when every source that built still builds to the same objects and no error appears.
    """
    from compiler.fix import run, write  # lazy: ruamel.yaml and the pipeline, only when fix runs
    settings = settings_from(opts, render=False)  # fix compares objects, never their YAML
    files, problems = write.read_sources(settings)
    fixes = run.fix_sources(settings, files)
    notes = problems + [_not_written(f) for f in fixes if f.refused]
    for diag in notes:
        _echo_diagnostic(diag)
    changed = [f for f in fixes if f.changed]
    verb = "would fix" if opts["show_diff"] else "fixed"
    for item in changed:
        for applied in sorted(item.applied, key=lambda a: (a.round, a.line)):
            where = f"{item.source.display}:{applied.line}" if applied.round == 0 else item.source.display
            then = " (once the fixes above are made)" if applied.round else ""
            click.echo(f"{where}: {verb} {applied.code} {applied.what}{then}", err=True)
    for item in fixes:
        if item.problem and not item.changed:
            click.echo(f"{item.source.display}: not fixed: {item.problem}", err=True)
    if opts["show_diff"]:
        click.echo("".join(_diff(item) for item in changed), nl=False)
    else:
        for item in changed:
            write.write(item.source, item.after)
    count = sum(len(item.applied) for item in changed)
    refused = sum(1 for f in fixes if f.refused)
    tail = f" ({refused} file{'s' * (refused != 1)} not written: the build would be worse)" if refused else ""
    click.echo(f"kserve-compiler fix: {verb} {count} problem{'s' * (count != 1)} in {len(changed)} "
               f"file{'s' * (len(changed) != 1)}{tail}", err=True)
    raise ExitWith(1 if opts["show_diff"] and changed else 0)


def _not_written(item) -> Diagnostic:
    codes = ", ".join(sorted({a.code for a in item.applied}))
    return warning(NOT_WRITTEN, f"not fixed ({codes}): {item.refused}", file=item.source.display,
                   hint="the file is left as it was; make the change by hand where it is meant "
                        "(kserve-compiler build shows the difference)")


def _echo_diagnostic(diag: Diagnostic) -> None:
    from compiler.reporters.text import block  # lazy: only when there is something to say
    click.echo(block(diag), nl=False, err=True)


def _diff(item) -> str:
    name = item.source.display
    lines = difflib.unified_diff(item.before.splitlines(keepends=True), item.after.splitlines(keepends=True),
                                 f"a/{name}", f"b/{name}")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)
