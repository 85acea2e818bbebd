"""YAML fragments for hints: block style, the key order given, lists indented under their key (as kubectl
and most Kubernetes YAML write them), strings quoted only where YAML needs it (issue 15: a one-line JSON
hint read as noise).

PyYAML's pure-Python emitter writes them (the C one cannot indent a list under its key), at about a third
of a millisecond each: a repo with thousands of legacy `predictor.<framework>` blocks spent most of its
resolve stage there. `yaml_fragment` writes the usual shapes by hand, exactly as the emitter does:
- a scalar's text is the emitter's own (`_probe`: dumped as the value of a one-key mapping, remembered
  per value), unless it is a string in the small set that goes plain (letters, digits and `-._/:@`,
  starting with a letter or `/`, not one of YAML 1.1's bool or null words);
- keys must be such strings (a key is written in a simple-key context, where quoting rules differ);
- anything else (an empty or repeated container, a key of another kind, a scalar whose text spans
  lines or is long enough for the emitter to fold at width 1000) is left to the emitter, for the whole
  fragment. tests/unit/test_fragment.py holds the two to the same text on generated data.
"""

from __future__ import annotations

import re

import yaml

_SAFE_PLAIN = re.compile(r"[A-Za-z/][A-Za-z0-9._/@-]*(?::[A-Za-z0-9._/@-]+)*")
_WORDS = frozenset(("y", "n", "yes", "no", "true", "false", "on", "off", "null"))
_MAX_TEXT = 200  # far below where the emitter folds a line (width 1000, at most a few indents deep)
_TEXTS: dict[tuple[type, object], str] = {}
_MAX_CACHED = 50_000
_LINE_BREAK = re.compile("[\r\n\x85\u2028\u2029]")  # the emitter's line breaks, not only \n


class _Unsupported(Exception):
    pass


def yaml_fragment(value: dict) -> str:
    """`value` as block YAML, without the final line break."""
    lines: list[str] = []
    try:
        if type(value) is not dict or not value:
            raise _Unsupported
        _mapping(value, 0, lines, None, {id(value)})
    except _Unsupported:
        return _emitted(value)
    return "\n".join(lines)


def _emitted(value) -> str:
    return yaml.dump(value, Dumper=_FragmentDumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=1000).rstrip("\n")


class _FragmentDumper(yaml.SafeDumper):
    """Indents a list under its key, as kubectl and most Kubernetes YAML do (`env:\n  - name: A`)."""

    def increase_indent(self, flow: bool = False, indentless: bool = False):
        return super().increase_indent(flow, False)


def _key(key) -> str:
    if type(key) is str and _SAFE_PLAIN.fullmatch(key) and key.lower() not in _WORDS and len(key) < 128:
        return key
    raise _Unsupported


def _scalar(value) -> str:
    if type(value) is str and _SAFE_PLAIN.fullmatch(value) and value.lower() not in _WORDS \
            and len(value) <= _MAX_TEXT:
        return value
    if type(value) not in (str, int, bool, float, type(None)):
        raise _Unsupported
    cache_key = (type(value), value)  # the type too: 1, 1.0 and True are equal keys
    text = _TEXTS.get(cache_key)
    if text is None:
        text = _probe(value)
        if len(_TEXTS) > _MAX_CACHED:
            _TEXTS.clear()
        _TEXTS[cache_key] = text
    return text


def _probe(value) -> str:
    text = _emitted({"k": value})
    if not text.startswith("k: ") or _LINE_BREAK.search(text) or len(text) > _MAX_TEXT:
        raise _Unsupported  # a block scalar, quotes over lines, or long: its layout depends on where it is
    return text[3:]


def _container(value, seen: set) -> bool:
    """True for a non-empty dict or list, which is then marked seen (the emitter writes a container met
    twice as an anchor and an alias)."""
    if type(value) is not dict and type(value) is not list:
        return False
    if not value or id(value) in seen:
        raise _Unsupported  # `{}` or `[]` (flow style), or an alias
    seen.add(id(value))
    return True


def _mapping(data: dict, indent: int, lines: list[str], lead: str | None, seen: set) -> None:
    """`lead`: the first key's line starts with it (a list item's `- `) instead of the indent."""
    pad = " " * indent
    for key, value in data.items():
        start = lead if lead is not None else pad
        lead = None
        if _container(value, seen):
            lines.append(f"{start}{_key(key)}:")
            if type(value) is dict:
                _mapping(value, indent + 2, lines, None, seen)
            else:
                _sequence(value, indent + 2, lines, None, seen)
        else:
            lines.append(f"{start}{_key(key)}: {_scalar(value)}")


def _sequence(items: list, indent: int, lines: list[str], lead: str | None, seen: set) -> None:
    pad = " " * indent
    for item in items:
        start = (lead if lead is not None else pad) + "- "
        lead = None
        if _container(item, seen):
            if type(item) is dict:
                _mapping(item, indent + 2, lines, start, seen)
            else:
                _sequence(item, indent + 2, lines, start, seen)
        else:
            lines.append(start + _scalar(item))
