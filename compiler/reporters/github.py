"""GitHub Actions workflow commands: one `::error|warning|notice` annotation per diagnostic.

    ::error file=models/iris.yaml,line=8,col=7,title=KSC201::unknown field "runtme" [...]%0Ahint: ...

Escaping is GitHub's (actions/toolkit `command.ts`, docs/design.md, integrations §6): in the message `%`, CR and LF;
in property values also `:` and `,`. The hint follows the message on its own line; an empty list renders
as "" (no noise on a clean run).

GitHub shows at most 10 error, 10 warning and 10 notice annotations per step, and 50 per job (GitHub
community discussion #26680 and zizmorcore/zizmor#634, where GitHub's limits are quoted: "10 per step, or
50 per job"); what is printed past that is silently dropped, in print order. So the most important go
first and nothing is printed past the cap: every error (up to 10), then warnings, then notices (up to 9:
one notice is kept for the final line). That final `::notice` carries the counts and, when some were left
out, says how many and how to see them all (`--format text` or `json`). At most 30 per step keeps the
validate step of our Action (the only one that annotates) within the per-job limit too.
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
    shown, left_out = _within_limits(ordered)
    lines = [annotation(d) for d in shown]
    lines.append(f"::notice title={escape_property(TITLE)}::{escape_data(_summary_text(summary, left_out))}")
    return "".join(line + "\n" for line in lines)


def _within_limits(ordered: list[Diagnostic]) -> tuple[list[Diagnostic], int]:
    """Errors, then warnings, then notices, each kind up to GitHub's cap (notices one fewer, for the final
    line); returns those and how many were left out."""
    shown: list[Diagnostic] = []
    for severity in (Severity.ERROR, Severity.WARNING, Severity.NOTICE):
        cap = SHOWN_PER_KIND - 1 if severity is Severity.NOTICE else SHOWN_PER_KIND
        shown += [d for d in ordered if d.severity is severity][:cap]
    return shown, len(ordered) - len(shown)


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


def _summary_text(summary: Summary, left_out: int) -> str:
    text = summary.line()
    if left_out:
        text += (f"; {left_out} not shown as annotations (GitHub shows at most {SHOWN_PER_KIND} of each kind per"
                 " step): run kserve-compiler with --format text, or --format json, to see them all")
    return text
