"""The human report: GNU-style `file:line:col: severity CODE: message`, one block per diagnostic.

    models/iris.yaml:8:7: error KSC201: unknown field "runtme" [InferenceService default/iris]
        field: spec.predictor.model.runtme
        hint: did you mean "runtime"?

Parts that are missing are left out (`file: error ...`, `error ...`); stdin is shown as `<stdin>`
(gcc's spelling). No summary line here: the CLI prints that on stderr (docs/design.md Decision 5).
"""

from __future__ import annotations

from compiler.diagnostics import Diagnostic, Summary, sorted_diagnostics
from compiler.reporters import ReportContext

INDENT = "    "
STDIN = "<stdin>"


def render(diags: list[Diagnostic], summary: Summary, *, context: ReportContext | None = None) -> str:
    return "".join(block(d) for d in sorted_diagnostics(diags))


def block(d: Diagnostic) -> str:
    """The diagnostic's lines, each ending in a newline."""
    first, *rest = d.message.splitlines() or [""]
    lines = [f"{position(d)}{d.severity.value} {d.code}: {first}{_object(d)}"]
    lines += [INDENT + more for more in rest]
    if d.field:
        lines.append(f"{INDENT}field: {d.field}")
    if d.hint:
        hint_first, *hint_rest = d.hint.splitlines() or [""]
        lines.append(f"{INDENT}hint: {hint_first}")
        lines += [INDENT * 2 + more for more in hint_rest]
    return "".join(line + "\n" for line in lines)


def position(d: Diagnostic) -> str:
    """`file:line:col: ` with the parts that are known, or "" without a file."""
    if not d.file:
        return ""
    parts = [STDIN if d.file == "-" else d.file]
    if d.line:
        parts.append(str(d.line))
        if d.column:
            parts.append(str(d.column))
    return ":".join(parts) + ": "


def _object(d: Diagnostic) -> str:
    return f" [{d.object}]" if d.object is not None else ""
