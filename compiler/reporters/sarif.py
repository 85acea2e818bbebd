"""SARIF 2.1.0 for `github/codeql-action/upload-sarif` (docs/design.md, integrations §6).

One run; `tool.driver.rules` holds one entry per code seen (sorted), with the title, the full help and a
helpUri into docs/codes.md (all from compiler/codes.yaml); `results` one per diagnostic that
has a file: ruleId, ruleIndex, level (error | warning | note), message.text (object and hint included)
and a physicalLocation whose uri is the file as a relative POSIX URI.

Two choices made for GitHub's ingestion rules, which are stricter than the schema:
- A result without any location makes GitHub reject the whole upload ("locationFromSarifResult: expected
  at least one location"), so a diagnostic without a file (or from stdin) is reported as a notification of
  `invocations[0]`: toolConfigurationNotifications for KSC0xx (command line and configuration), else
  toolExecutionNotifications. The step still fails on the exit code; the text report has them too.
- GitHub needs `region.startLine`; a diagnostic about a whole file gets line 1.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote

from compiler import codes
from compiler.diagnostics import Diagnostic, Severity, Summary, sorted_diagnostics
from compiler.reporters import DEFAULT_CONTEXT, ReportContext
from compiler.reporters.text import position

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
TOOL = "kserve-compiler"

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTICE: "note"}
LEVEL_OF_SEVERITY = {severity.value: level for severity, level in LEVELS.items()}

# docs/design.md Decision 6: codes are grouped by stage; the fallback description of a code without its own.
STAGES = {
    "0": "command line and configuration", "1": "loading the sources", "2": "schema and admission-webhook rules",
    "3": "runtime resolution", "4": "expansion into Kubernetes objects",
    "5": "check of the emitted objects (a kserve-compiler bug)", "6": "output", "7": "KRM function and hosts",
}


def render(diags: list[Diagnostic], summary: Summary, *, context: ReportContext | None = None) -> str:
    context = context or DEFAULT_CONTEXT
    ordered = sorted_diagnostics(diags)
    codes = sorted({d.code for d in ordered})
    rule_index = {code: i for i, code in enumerate(codes)}
    located = [d for d in ordered if _has_file(d)]
    unlocated = [d for d in ordered if not _has_file(d)]

    driver: dict = {"name": TOOL, "version": context.tool_version}
    if context.information_uri:
        driver["informationUri"] = context.information_uri
    driver["rules"] = [_rule(code, context) for code in codes]
    run = {
        "tool": {"driver": driver},
        "invocations": [_invocation(unlocated)],
        "columnKind": "unicodeCodePoints",  # our columns count characters, as libyaml's marks do
        "results": [_result(d, rule_index[d.code]) for d in located],
    }
    log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def artifact_uri(file: str) -> str:
    """A path as the user wrote it -> a relative POSIX URI reference (`./a b.yaml` -> `a%20b.yaml`)."""
    if file.startswith("/"):
        return "file://" + quote(file)
    return quote("/".join(part for part in file.split("/") if part not in ("", ".")), safe="/")


def _has_file(d: Diagnostic) -> bool:
    return bool(d.file) and d.file != "-"


def _rule(code: str, context: ReportContext) -> dict:
    """A reportingDescriptor with what code scanning shows beside an alert: the title, the full help
    (docs/codes.md's section, as text and Markdown) and a link to that section."""
    info = codes.table().get(code)
    described = (context.rule_descriptions or {}).get(code)
    if info is None:  # not a code of ours (a test's, or a future one): the stage is all we can say
        stage = STAGES.get(code[3:4]) if code.startswith("KSC") else None
        return {"id": code, "shortDescription": {"text": described or (f"{code}: {stage}" if stage else code)}}
    rule = {"id": code, "name": _pascal(info.title),
            "shortDescription": {"text": described or info.title},
            "fullDescription": {"text": info.help},
            "help": {"text": codes.help_text(info), "markdown": codes.section(info, level=None)},
            "helpUri": codes.help_uri(code)}
    if info.severity in LEVEL_OF_SEVERITY:  # a code reported at one severity only
        rule["defaultConfiguration"] = {"level": LEVEL_OF_SEVERITY[info.severity]}
    return rule


def _pascal(title: str) -> str:
    """SARIF's rule name is an identifier-like word ("UnknownField"), distinct from the id."""
    return "".join(word[:1].upper() + word[1:] for word in re.findall(r"[A-Za-z0-9]+", title))


def _result(d: Diagnostic, index: int) -> dict:
    region = {"startLine": d.line or 1}
    if d.line and d.column:
        region["startColumn"] = d.column
    location = {"physicalLocation": {"artifactLocation": {"uri": artifact_uri(d.file)}, "region": region}}
    return {"ruleId": d.code, "ruleIndex": index, "level": LEVELS[d.severity],
            "message": {"text": _text(d)}, "locations": [location]}


def _invocation(unlocated: list[Diagnostic]) -> dict:
    config = [d for d in unlocated if d.code.startswith("KSC0")]
    execution = [d for d in unlocated if not d.code.startswith("KSC0")]
    invocation: dict = {"executionSuccessful": not any(d.severity is Severity.ERROR for d in config)}
    if config:
        invocation["toolConfigurationNotifications"] = [_notification(d) for d in config]
    if execution:
        invocation["toolExecutionNotifications"] = [_notification(d) for d in execution]
    return invocation


def _notification(d: Diagnostic) -> dict:
    text = position(d) + _text(d)  # "<stdin>:3:1: ..." keeps where a stdin diagnostic points
    return {"descriptor": {"id": d.code}, "level": LEVELS[d.severity], "message": {"text": text}}


def _text(d: Diagnostic) -> str:
    text = d.message + (f" [{d.object}]" if d.object is not None else "")
    return text + (f"\nhint: {d.hint}" if d.hint else "")
