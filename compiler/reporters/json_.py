"""The machine report: one JSON document, `{version, summary, diagnostics[, configuration]}`
(docs/design.md, integrations §6).

`version` is kserve-compiler's version; each diagnostic is `Diagnostic.to_dict()` (the same fields KRM
`results` carry), in the reporters' shared order. Keys keep their insertion order, so output is stable.
"""

from __future__ import annotations

import json

from compiler.diagnostics import Diagnostic, Summary, sorted_diagnostics
from compiler.reporters import DEFAULT_CONTEXT, ReportContext


def render(diags: list[Diagnostic], summary: Summary, *, context: ReportContext | None = None) -> str:
    context = context or DEFAULT_CONTEXT
    document = {
        "version": context.tool_version,
        "summary": {"errors": summary.errors, "warnings": summary.warnings, "notices": summary.notices,
                    **(context.counts.to_dict() if context.counts else {})},
        "diagnostics": [d.to_dict() for d in sorted_diagnostics(diags)],
    }
    if context.configuration:  # docs/kserve-behaviour.md §0.2: say which configuration a build used
        document["configuration"] = context.configuration
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
