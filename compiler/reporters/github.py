"""GitHub Actions workflow commands: one `::error|warning|notice` annotation per diagnostic.

    ::error file=models/iris.yaml,line=8,col=7,title=KSC201::unknown field "runtme" [...]%0Ahint: ...

Escaping is GitHub's (actions/toolkit `command.ts`, docs/design.md, integrations §6): in the message `%`, CR and LF;
in property values also `:` and `,`. The hint follows the message on its own line. GitHub shows at most
10 annotations of each kind per step, so a final `::notice` carries the counts (and says when some
were not shown); an empty list renders as "" (no noise on a clean run).
"""

from __future__ import annotations

from compiler.diagnostics import Diagnostic, Severity, Summary, sorted_diagnostics
from compiler.reporters import ReportContext

TITLE = "kserve-compiler"
SHOWN_PER_KIND = 10  # GitHub's cap on error / warning / notice annotations shown per step

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTICE: "notice"}


def render(diags: list[Diagnostic], summary: Summary, *, context: ReportContext | None = None) -> str:
    ordered = sorted_diagnostics(diags)
    if not ordered:
        return ""
    lines = [annotation(d) for d in ordered]
    lines.append(f"::notice title={escape_property(TITLE)}::{escape_data(_summary_text(summary))}")
    return "".join(line + "\n" for line in lines)


def annotation(d: Diagnostic) -> str:
    props: list[tuple[str, object]] = []
    if d.file and d.file != "-":  # stdin is no file GitHub could show
        props.append(("file", d.file))
        if d.line:
            props.append(("line", d.line))
            if d.column:
                props.append(("col", d.column))
    props.append(("title", d.code))
    rendered = ",".join(f"{key}={escape_property(str(value))}" for key, value in props)
    return f"::{_COMMAND[d.severity]} {rendered}::{escape_data(_message(d))}"


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _message(d: Diagnostic) -> str:
    text = d.message + (f" [{d.object}]" if d.object is not None else "")
    if d.hint:
        text += f"\nhint: {d.hint}"
    return text


def _summary_text(summary: Summary) -> str:
    text = summary.line()
    if max(summary.errors, summary.warnings, summary.notices) > SHOWN_PER_KIND:
        text += (f" (GitHub shows at most {SHOWN_PER_KIND} annotations of each kind per step;"
                 " the step's log lists them all)")
    return text
