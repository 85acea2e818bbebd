"""The human report: GNU-style `file:line:col: severity CODE: message`, one block per diagnostic.

    models/iris.yaml:8:7: error KSC201: unknown field "runtme" [InferenceService default/iris]
        field: spec.predictor.model.runtme
        hint: did you mean "runtime"?

Parts that are missing are left out (`file: error ...`, `error ...`); stdin is shown as `<stdin>`
(gcc's spelling). No summary line here: the CLI prints that on stderr (docs/design.md Decision 5).

Notices are grouped by code unless the context is verbose (issue 15: a clean 5,000-model repo printed 1,538
of them): a code seen more than once is one line, its first notice and how many more there are, in how
many files. Errors and warnings are always shown in full, one by one: each is something to act on.
"""

from __future__ import annotations

from compiler.diagnostics import Diagnostic, Severity, Summary, sorted_diagnostics
from compiler.reporters import DEFAULT_CONTEXT, ReportContext

INDENT = "    "
STDIN = "<stdin>"


def render(diags: list[Diagnostic], summary: Summary, *, context: ReportContext | None = None) -> str:
    ordered = sorted_diagnostics(diags)
    if (context or DEFAULT_CONTEXT).verbose:
        return "".join(block(d) for d in ordered)
    return "".join(_grouped(ordered))


def _grouped(ordered: list[Diagnostic]):
    """Each error and warning in full; a notice code seen once in full, one seen more often as one line:
    its first notice and how many more there are (issue 15: at most one line per repeated notice)."""
    by_code: dict[str, list[Diagnostic]] = {}
    for d in ordered:
        if d.severity is Severity.NOTICE:
            by_code.setdefault(d.code, []).append(d)
    for d in ordered:
        group = by_code.get(d.code) if d.severity is Severity.NOTICE else None
        if group is None or len(group) == 1:
            yield block(d)
        elif group[0] is d:
            more = group[1:]
            files = len({m.file for m in more if m.file} - {d.file})
            where = f" in {files} other file{'s' if files != 1 else ''}" if files else ""
            first = (d.message.splitlines() or [""])[0]
            yield (f"{position(d)}{d.severity.value} {d.code}: {first}{_object(d)} "
                   f"(+{len(more)} more{where}; --verbose lists each)\n")


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
