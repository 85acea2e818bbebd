"""Every diagnostic code, described once: its title, what it means, an example and the fix.

The table is compiler/codes.yaml (it ships in the wheel, so SARIF can carry each rule's help); docs/codes.md
is generated from it (`python docs/regenerate.py`), and tests/unit/test_codes.py checks that the page is
current, that every code constant in compiler/ has an entry and that only retired entries lack one.
`fixable` says that `kserve-compiler fix` repairs the problem; it defaults to false.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import yaml

from compiler.resources import package_text

DOCS_URL = "https://github.com/kserve-compiler/kserve-compiler/blob/main/docs/codes.md"
SEVERITIES = ("error", "warning", "notice", "error or warning", "warning or notice", "error, warning or notice")


@dataclass(frozen=True, slots=True)
class CodeInfo:
    code: str
    title: str                  # a few words, sentence case, no final stop
    severity: str               # one of SEVERITIES: what the code is reported as
    help: str                   # what it means and why, one short paragraph
    fix: str                    # what to change
    example: str | None = None  # input that triggers it (YAML, or a command line starting with "$ ")
    message: str | None = None  # what kserve-compiler then prints
    retired: str | None = None  # why and when it stopped being reported; its number is never reused
    fixable: bool = False       # `kserve-compiler fix` repairs it


@functools.cache
def table() -> dict[str, CodeInfo]:
    """code -> CodeInfo, in code order."""
    raw = yaml.load(package_text("codes.yaml"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return {code: CodeInfo(code=code, **{key: _clean(value) for key, value in entry.items()})
            for code, entry in sorted(raw.items())}


def _clean(value):
    return value.strip() if isinstance(value, str) else value


def help_uri(code: str) -> str:
    """The code's section of docs/codes.md: each heading is the bare code, so its anchor is `#ksc201`."""
    return f"{DOCS_URL}#{code.lower()}"


def help_text(info: CodeInfo) -> str:
    """Plain text for SARIF's help.text: the meaning, the example and the fix."""
    parts = [info.help]
    if info.example:
        parts.append("Example:\n" + info.example)
    if info.message:
        parts.append(info.message)
    parts.append(f"Fix: {info.fix}")
    return "\n\n".join(parts)


def section(info: CodeInfo, level: str | None = "##") -> str:
    """One code's Markdown: the page's section, and (without the heading) SARIF's help.markdown."""
    lines = [f"{level} {info.code}", ""] if level else []
    status = "retired" if info.retired else info.severity
    fixable = " · `kserve-compiler fix` repairs it" if info.fixable else ""
    lines += [f"**{info.title}** · {status}{fixable}", "", info.help, ""]
    if info.retired:
        lines += [f"*Retired:* {info.retired}", ""]
    if info.example:
        lang = "console" if info.example.startswith("$ ") else "yaml"
        lines += ["Example:", "", f"```{lang}", info.example, "```", ""]
    if info.message:
        lines += ["```text", info.message, "```", ""]
    lines += [f"Fix: {info.fix}", ""]
    return "\n".join(lines)


def markdown(codes: dict[str, CodeInfo]) -> str:
    """docs/codes.md: an index table, then a section per code in use, then the retired ones."""
    live = [info for info in codes.values() if not info.retired]
    retired = [info for info in codes.values() if info.retired]
    out = [
        "# Diagnostic codes", "",
        "<!-- Generated from compiler/codes.yaml by `python docs/regenerate.py`; edit that file, not this page. -->",
        "",
        "Every diagnostic kserve-compiler reports, with what it means, an example and the fix. Codes are stable "
        "(a retired code's number is never reused) and grouped by the stage that reports them: KSC0xx command "
        "line and configuration, 1xx loading the sources, 2xx schema and admission-webhook rules, 3xx runtime "
        "resolution, 4xx expansion into Kubernetes objects, 5xx the check of our own output (an error there is "
        "a bug in kserve-compiler), 6xx the output folder, 7xx the KRM function and other hosts. "
        "*Fixable* marks what `kserve-compiler fix` repairs.", "",
        "| code | severity | title | fixable |", "|---|---|---|---|",
    ]
    out += [f"| [{i.code}](#{i.code.lower()}) | {i.severity} | {_cell(i.title)} | {'yes' if i.fixable else ''} |"
            for i in live]
    out += ["", "Retired: " + ", ".join(f"[{i.code}](#{i.code.lower()})" for i in retired) + ".", ""]
    out += [section(info) for info in live]
    out += ["## Retired codes", "", "No longer reported; listed so an old report or a filter naming one still "
            "leads somewhere.", ""]
    out += [section(info) for info in retired]
    return "\n".join(out).rstrip("\n") + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
