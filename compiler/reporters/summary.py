"""The Markdown run summary (`--summary FILE`, made for $GITHUB_STEP_SUMMARY).

A title with the counts, a table of every component and the runtime it got, then the errors and warnings.
The template is compiler/templates/summary.md.j2 (jinja2, autoescape off: Markdown, not HTML); every value
goes through a filter that escapes it for where it lands. GitHub refuses a step summary over 1 MiB, so
the table and the lists are capped (the 10,000-InferenceService benchmark would pass that otherwise).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

import jinja2  # this module is imported only for --summary (the CLI imports it lazily)

from compiler.constants import COMPONENTS
from compiler.diagnostics import Diagnostic, Severity, Summary, sorted_diagnostics
from compiler.reporters.text import STDIN

MAX_ROWS = 1000        # about 100 bytes a row: far below GitHub's 1 MiB
MAX_DIAGNOSTICS = 200  # per section (errors, warnings)

EMPTY = "—"

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")


@dataclass(frozen=True, slots=True)
class SummaryRow:
    namespace: str
    name: str                  # the InferenceService
    component: str             # predictor | transformer | explainer
    runtime: str | None        # the (Cluster)ServingRuntime chosen; None when none was
    how: str                   # explicit | auto-selected | custom | legacy
    protocol: str | None       # v1 | v2 | grpc-v1 | grpc-v2

    @classmethod
    def from_resolution(cls, res) -> "SummaryRow":
        """A row from a resolve.Resolution (duck-typed: the reporters import nothing from the core)."""
        legacy = getattr(res.component, "legacy", None)
        how = f"legacy ({legacy})" if legacy else res.how  # v0.20: a legacy block is always auto-selected
        return cls(res.isvc.namespace, res.isvc.name, res.component.kind,
                   res.runtime.name if res.runtime is not None else None, how, res.protocol)


def render_summary(rows: list[SummaryRow], diags: list[Diagnostic], summary: Summary, *,
                   max_rows: int = MAX_ROWS, max_diagnostics: int = MAX_DIAGNOSTICS) -> str:
    ordered_rows = sorted(rows, key=_row_key)
    ordered = sorted_diagnostics(diags)
    sections = []
    for severity, title in ((Severity.ERROR, "Errors"), (Severity.WARNING, "Warnings")):
        chosen = [d for d in ordered if d.severity is severity]
        if chosen:
            sections.append({"title": title, "total": len(chosen), "diags": chosen[:max_diagnostics],
                             "hidden": max(0, len(chosen) - max_diagnostics)})
    icon = "❌" if summary.errors else "⚠️" if summary.warnings else "✅"
    return _template().render(icon=icon, summary=summary, rows=ordered_rows[:max_rows],
                              hidden_rows=max(0, len(ordered_rows) - max_rows), sections=sections)


def escape_inline(text: object) -> str:
    """Markdown-escape text so it renders as written, on one line (and safely inside a table cell)."""
    flat = " ".join(str(text).splitlines())
    return _MD_SPECIAL.sub(r"\\\1", flat)


def escape_cell(value: object) -> str:
    return EMPTY if value is None or value == "" else escape_inline(value)


def code_span(text: str) -> str:
    """`text` as a code span, fenced with more backticks than it holds (CommonMark 6.1). Not for table
    cells: GitHub splits cells on `|` even inside code."""
    text = " ".join(text.splitlines())
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _where(d: Diagnostic) -> str:
    file = STDIN if d.file == "-" else d.file
    return f"{file}:{d.line}" if d.line else str(file)


def _row_key(row: SummaryRow) -> tuple:
    rank = COMPONENTS.index(row.component) if row.component in COMPONENTS else len(COMPONENTS)
    return (row.namespace, row.name, rank, row.component, row.runtime or "")


@functools.lru_cache(maxsize=1)
def _template():
    env = jinja2.Environment(autoescape=False, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    env.filters.update(cell=escape_cell, md=escape_inline, code=code_span, where=_where)
    source = resources.files("compiler").joinpath("templates/summary.md.j2").read_text(encoding="utf-8")
    return env.from_string(source)
