"""The hint for YAML's most common trap in Kubernetes files: a value holding `{...}` or `{{ }}` unquoted.

YAML reads a `{` that starts a value, or any `{` inside `[...]`, as the start of a flow mapping, so
`image: {{ .Values.image }}` (a Helm template left unrendered) becomes a mapping used as a key and
`args: [--x={y}]` a syntax error; libyaml's own message ("did not find expected ',' or ']'") names neither
the cause nor the fix. Given the line the parser stopped on, `quote_hint` says which value to quote and
shows it quoted, in the user's own YAML (issue 15).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# indentation and list dashes, an optional `key:` (plain or quoted), then the value
_ENTRY = re.compile(r"""^(?P<lead>\s*(?:-\s+)*)(?P<key>(?:"[^"]*"|'[^']*'|[^\s'"{\[#][^:#]*?):(?:\s+|$))?(?P<value>.*)$""")
_INNERMOST = re.compile(r"\{([^{}]*)\}")
_GLUED = re.compile(r"[^\s\[{,:]\{|\}[^\s,\]}]")


@dataclass(frozen=True, slots=True)
class QuoteHint:
    column: int  # 1-based column of the value to quote
    hint: str


def quote_hint(line: str) -> QuoteHint | None:
    """A hint when `line` holds an unquoted value with braces that are text, not a YAML mapping."""
    match = _ENTRY.match(_without_comment(line))
    if match is None:
        return None
    value = match.group("value").rstrip()
    if not value or value[0] in "'\"" or "{" not in value:
        return None
    if value.startswith("[") and value.endswith("]"):
        items = _split_items(value[1:-1])
        if not any(_is_text(item.strip()) for item in items):
            return None
        quoted = "[" + ", ".join(_quote(item.strip()) if _is_text(item.strip()) else item.strip()
                                 for item in items) + "]"
    elif _is_text(value):
        quoted = _quote(value)
    else:
        return None
    key = match.group("key") or ""
    fixed = f"{key.rstrip()} {quoted}" if key else quoted
    hint = (f'YAML reads an unquoted "{{" as the start of a mapping, so a value holding braces must be quoted: '
            f"{fixed.strip()}")
    if "{{" in value:
        hint += "; if this is a Helm template, render it first: helm template ... | kserve-compiler build -"
    return QuoteHint(len(match.group("lead")) + len(key) + 1, hint)


def _is_text(value: str) -> bool:
    """Braces that no one means as a YAML flow mapping: a template `{{ }}`, a `{word}` without `key: value`,
    or braces glued to other text (`--x={y}`, `{a}-b`)."""
    if not value or value[0] in "'\"" or "{" not in value:
        return False
    if "{{" in value or _GLUED.search(value):
        return True
    return any(not re.search(r":(\s|$)", inner) for inner in _INNERMOST.findall(value))


def _split_items(body: str) -> list[str]:
    """The items of a one-line flow sequence, split at commas outside braces and brackets."""
    items, depth, start = [], 0, 0
    for i, char in enumerate(body):
        if char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
        elif char == "," and depth == 0:
            items.append(body[start:i])
            start = i + 1
    items.append(body[start:])
    return items


def _quote(value: str) -> str:
    if '"' not in value and "\\" not in value:
        return f'"{value}"'
    return "'" + value.replace("'", "''") + "'"


def _without_comment(line: str) -> str:
    cut = re.search(r"\s#", line)
    return line[:cut.start()] if cut else line
