"""Runtime placeholders such as `{{.Name}}`, rendered as KServe renders them, without evaluating anything.

KServe (pkg/controller/v1beta1/inferenceservice/utils/utils.go ReplacePlaceholders) marshals the merged
container to JSON with Go's encoding/json, parses that whole JSON text as a Go **html/template**, executes
it over the InferenceService's ObjectMeta and unmarshals the result. Consequences we reproduce, each
checked against Go's html/template and written into tests/unit/test_placeholders.py:

- a missing label or annotation renders as the empty string (html/template drops the untyped nil);
- values are HTML-escaped: NUL -> U+FFFD, `"` `&` `'` `+` `<` `>` -> `&#34;` `&amp;` `&#39;` `&#43;`
  `&lt;` `&gt;`;
- the action text is JSON-encoded first, so a double-quoted string inside an action reaches the
  template parser as `\\"` and fails ("unexpected \\"\\\\\\" in operand"): `{{index .Labels "a/b"}}` is an
  error in KServe, and only the back-quoted `{{index .Labels `a/b`}}` works;
- the rendered value is spliced into a JSON string before it is decoded again, so a value holding a
  newline or tab breaks the unmarshal (an error), and a backslash sequence such as `\\n` is decoded;
- `{{- ` / ` -}}` trim the spaces beside the action, `{{/* ... */}}` renders nothing.

We accept exactly `.Name`, `.Namespace`, `.Labels.KEY`, `.Annotations.KEY` and `index .Labels|.Annotations
`KEY``; anything else inside `{{ }}` is an error. A hand-written scanner, no template engine, no eval.
"""

from __future__ import annotations

import json
import unicodedata

from compiler.diagnostics import Diagnostic, error, warning

# Codes (KSC40x: placeholders)
PLACEHOLDER_ERROR = "KSC401"
MISSING_KEY = "KSC402"
BREAKS_JSON = "KSC403"
TOO_LARGE = "KSC404"

FIELDS = {".Name": "name", ".Namespace": "namespace"}
MAPS = {".Labels": ("labels", "label"), ".Annotations": ("annotations", "annotation")}
_HTML = {"\0": "\ufffd", '"': "&#34;", "&": "&amp;", "'": "&#39;", "+": "&#43;", "<": "&lt;", ">": "&gt;"}
_GO_JSON = {'"': '\\"', "\\": "\\\\", "<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\n": "\\n",
            "\r": "\\r", "\t": "\\t", "\u2028": "\\u2028", "\u2029": "\\u2029"}


class _Unsupported(Exception):
    pass


def render(value: str, meta: dict, *, runtime: str, container: str, max_bytes: int = 256 * 1024
           ) -> tuple[str, list[Diagnostic]]:
    """`value` with its placeholders filled from `meta` ({name, namespace, labels, annotations}).

    Returns the value and problems without a location (the caller places them). On an error the value
    comes back unchanged."""
    if "{{" not in value:
        return value, []
    prefix = f"failed to replace placeholders in serving runtime {runtime} Container {container}"
    problems: list[Diagnostic] = []
    try:
        text = _render_encoded(_go_json(value), meta, runtime, container, problems)
    except _Unsupported as exc:
        return value, [error(PLACEHOLDER_ERROR, f"{prefix}: {exc.args[0]}", hint=exc.args[1])]
    try:
        rendered = json.loads(f'"{text}"')
    except json.JSONDecodeError as exc:
        return value, [*problems, error(
            BREAKS_JSON, f"{prefix}: the rendered value {text!r} is not a valid JSON string ({exc.msg}); "
            "KServe splices values into the container's JSON unescaped",
            hint="remove newlines, tabs and backslashes from the label or annotation the placeholder reads")]
    if len(rendered) > max_bytes and len(rendered) > len(value):
        return value, [*problems, error(
            TOO_LARGE, f"{prefix}: placeholders expand a {len(value)}-byte value to {len(rendered)} bytes, more "
            f"than the limit of {max_bytes}", hint="raise the limit with --max-placeholder-bytes if this is meant")]
    return rendered, problems


def render_container(container: dict, meta: dict, *, runtime: str, max_bytes: int = 256 * 1024
                     ) -> tuple[dict, list[Diagnostic]]:
    """Every string in the container rendered (KServe templates the container's whole JSON)."""
    name = str(container.get("name") or "")
    problems: list[Diagnostic] = []

    def walk(node):
        if isinstance(node, str):
            if "{{" not in node:  # render's own first test, without the call: most strings hold none
                return node
            out, found = render(node, meta, runtime=runtime, container=name, max_bytes=max_bytes)
            problems.extend(found)
            return out
        if isinstance(node, dict):
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(container), problems


# ---------------------------------------------------------------------------------------------------


def _go_json(value: str) -> str:
    """The body of Go's json.Marshal of a string (HTML-safe escaping, as encoding/json does)."""
    out = []
    for ch in value:
        if ch in _GO_JSON:
            out.append(_GO_JSON[ch])
        elif ord(ch) < 0x20:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


def _render_encoded(text: str, meta: dict, runtime: str, container: str, problems: list) -> str:
    pieces: list[str] = []  # rendered text, with trimming applied as we go
    pos = 0
    while True:
        start = text.find("{{", pos)
        if start < 0:
            pieces.append(text[pos:])
            return "".join(pieces)
        before = text[pos:start]
        body, end, trim_left, trim_right = _action(text, start)
        pieces.append(before.rstrip(" ") if trim_left else before)  # only spaces survive JSON encoding
        pieces.append(_evaluate(body, meta, runtime, container, problems))
        pos = end
        if trim_right:
            while pos < len(text) and text[pos] == " ":
                pos += 1


def _action(text: str, start: int) -> tuple[str | None, int, bool, bool]:
    """(body or None for a comment, index after the action, trim left, trim right)."""
    i = start + 2
    trim_left = text.startswith("- ", i)
    if trim_left:
        i += 2
    if text.startswith("/*", i):
        close = text.find("*/", i + 2)
        if close < 0:
            raise _Unsupported("unclosed comment", "close the comment with */}}")
        j = close + 2
        if text.startswith("}}", j):
            return None, j + 2, trim_left, False
        if text.startswith(" -}}", j):
            return None, j + 4, trim_left, True
        raise _Unsupported("comment ends before closing delimiter", "write {{/* comment */}}")
    j = i
    while j < len(text):
        if text[j] == "`":
            close = text.find("`", j + 1)
            if close < 0:
                raise _Unsupported("unterminated raw quoted string", "close the back-quoted key")
            j = close + 1
            continue
        if text.startswith(" -}}", j):
            return text[i:j], j + 4, trim_left, True
        if text.startswith("}}", j):
            return text[i:j], j + 2, trim_left, False
        j += 1
    raise _Unsupported(f"unclosed action {_shown(text[start:])}",
                       "close every {{ with }} inside the same string")


def _evaluate(body: str | None, meta: dict, runtime: str, container: str, problems: list) -> str:
    if body is None:
        return ""  # a comment
    shown = _shown("{{" + body + "}}")
    if "\\" in body:
        hint = ("KServe renders the container as JSON before the template, so a double-quoted string reaches "
                "Go's template parser as \\\" and fails; write the key in back quotes: "
                "{{index .Labels `app.kubernetes.io/name`}}") if '\\"' in body else \
            "remove the backslash, tab or newline from the placeholder"
        raise _Unsupported(f"{shown} cannot be parsed by KServe: Go's template parser fails on the JSON-escaped "
                           "character (unexpected \"\\\\\" in the action)", hint)
    words = _words(body)
    if len(words) == 1 and words[0] in FIELDS:
        return _html(str(meta.get(FIELDS[words[0]]) or ""))
    parts = words[0].split(".") if len(words) == 1 else []
    if len(parts) == 3 and parts[0] == "" and f".{parts[1]}" in MAPS and _identifier(parts[2]):
        return _lookup(f".{parts[1]}", parts[2], meta, runtime, container, shown, problems)
    if len(words) == 3 and words[0] == "index" and words[1] in MAPS and len(words[2]) >= 2 \
            and words[2][0] == words[2][-1] == "`":
        return _lookup(words[1], words[2][1:-1], meta, runtime, container, shown, problems)
    raise _Unsupported(
        f"{shown} is not a supported placeholder (never evaluated)",
        "use {{.Name}}, {{.Namespace}}, {{.Labels.KEY}}, {{.Annotations.KEY}}, or {{index .Labels `KEY`}} "
        "for a key with dots, dashes or slashes")


def _lookup(head: str, key: str, meta: dict, runtime: str, container: str, shown: str, problems: list) -> str:
    field, noun = MAPS[head]
    values = meta.get(field) or {}
    if key in values:
        return _html(str(values[key]))
    problems.append(warning(
        MISSING_KEY, f"placeholder {shown} in serving runtime {runtime} container {container}: the "
        f"InferenceService has no {noun} {key!r}; KServe renders it as an empty string",
        hint=f"add the {noun} {key} to the InferenceService, or remove the placeholder from the runtime"))
    return ""


def _words(body: str) -> list[str]:
    """Split on spaces outside back-quoted strings."""
    words, current, quoted = [], "", False
    for ch in body:
        if ch == "`":
            quoted = not quoted
        if ch == " " and not quoted:
            if current:
                words.append(current)
            current = ""
        else:
            current += ch
    if current:
        words.append(current)
    return words


def _identifier(key: str) -> bool:
    """Go's template field name: a letter or `_`, then letters, digits (Nd) or `_`."""
    if not key or not (key[0] == "_" or key[0].isalpha()):
        return False
    return all(ch == "_" or ch.isalpha() or unicodedata.category(ch) == "Nd" for ch in key)


def _html(value: str) -> str:
    return "".join(_HTML.get(ch, ch) for ch in value)


def _shown(text: str) -> str:
    """The user's spelling of an encoded piece of text, shortened for a message."""
    try:
        text = json.loads(f'"{text}"')
    except json.JSONDecodeError:
        pass
    return text if len(text) <= 80 else text[:77] + "..."
