"""The `build` command line that would bring an output folder up to date, as the user would type it: the
sources as given (none when `.` was the default) and only the options that change what is written. The
`--check` drift hints show it, so that pasting it rebuilds exactly what was checked.
"""

from __future__ import annotations

import shlex

import click

# Options that change the objects or the files a build writes. Reporting options (--format, --strict,
# --report, the filters...) and --check itself do not, so the hint leaves them out.
MATTERS = ("config_file", "catalog", "crds", "kubernetes_version", "default_namespace", "excludes",
           "storage_injection", "allow_empty", "max_file_bytes", "max_depth", "max_nodes", "max_documents",
           "max_placeholder_bytes", "flux", "flux_source")


def build_command(ctx: click.Context) -> str:
    """`kserve-compiler build SRC... -o OUT [options]` from the parsed command line of `ctx`."""
    words = ["kserve-compiler", "build", *ctx.params.get("sources", ()), "-o", ctx.params["out"]]
    by_name = {param.name: param for param in ctx.command.params if isinstance(param, click.Option)}
    for name in MATTERS:
        param, value = by_name.get(name), ctx.params.get(name)
        if param is None or value in (None, False, ()):
            continue
        flag = max(param.opts, key=len)  # the long form reads best in a hint
        if param.is_flag:
            words.append(flag)
            continue
        for one in value if param.multiple else (value,):
            words += [flag, str(one)]
    return shlex.join(words)
