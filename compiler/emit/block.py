"""A block-YAML writer for our plain output data (issue 17): the same bytes as `dump`'s libyaml path, written
by hand for the shapes that make up nearly every Kubernetes object, about three times faster.

Why a second writer: the C dumper is fed one Python node object per scalar and calls back into Python
(the resolver) twice per scalar, so most of its time is spent crossing from C to Python, not writing.
Our output is plain data of a known shape (str, int, bool, None, list, dict with str keys), printed in
block style with two-space indents, the layout libyaml uses: a sequence under a mapping key is not
indented, a mapping inside a sequence item starts on the dash's line.

Exact by construction where it is not obvious: a scalar's text is taken from the libyaml path itself
(`probe`: the string dumped as the value of a one-key mapping) unless it is in the small set we know goes
plain (letters, digits and `-._/:@` starting with a letter or `/`, and none of YAML 1.1's or Go's bool and
null words). Anything else this writer does not own (a multi-line string, a float, a long or non-string
key, another type) raises `Unsupported`, and the caller dumps that object with libyaml instead.
tests/properties/test_block_yaml.py holds it to byte-identity with libyaml on generated data.
"""

from __future__ import annotations

import re
from typing import Callable

_SAFE_PLAIN = re.compile(r"[A-Za-z/][A-Za-z0-9._/@-]*(?::[A-Za-z0-9._/@-]+)*")
# Words some YAML reader takes for a bool or a null (YAML 1.1 as PyYAML and yaml.v2 read it, plus Go's
# y/n): compared lower-cased, and left to the probe, which quotes them exactly as libyaml does.
_WORDS = frozenset(("y", "n", "yes", "no", "true", "false", "on", "off", "null"))
_MAX_SIMPLE_KEY = 128  # libyaml writes a longer key as `? key` (a complex key): not handled here
_LINE_BREAK = re.compile("[\r\n\x85\u2028\u2029]")  # a key holding one is a complex key too, even quoted
_MAX_CACHED = 200_000


class Unsupported(Exception):
    """The data holds something this writer leaves to libyaml."""


class BlockWriter:
    """Writes one object at a time; remembers each distinct scalar's text between objects."""

    def __init__(self, probe: Callable[[str], str]):
        self._probe = probe  # str -> its text as a mapping value on libyaml's path
        self._text: dict[str, str] = {}
        self._keys: dict[str, str] = {}  # keys repeat most: their checks are done once

    def scalar(self, value: str) -> str:
        text = self._text.get(value)
        if text is None:
            if _SAFE_PLAIN.fullmatch(value) and value.lower() not in _WORDS:
                text = value
            else:
                text = self._probe(value)
                if _LINE_BREAK.search(text):  # a block, or quotes over lines: indented by libyaml
                    raise Unsupported(value)
            if len(self._text) > _MAX_CACHED:
                self._text.clear()
                self._keys.clear()
            self._text[value] = text
        return text

    def key(self, key) -> str:
        text = self._keys.get(key)
        if text is None:
            if type(key) is not str or len(key) > _MAX_SIMPLE_KEY or _LINE_BREAK.search(key):
                raise Unsupported(key)
            text = self._keys[key] = self.scalar(key)
        return text

    def _leaf(self, value) -> str:
        kind = type(value)
        if kind is str:
            return self.scalar(value)
        if kind is bool:
            return "true" if value else "false"
        if kind is int:
            return str(value)
        if value is None:
            return "null"
        if kind is dict and not value:
            return "{}"
        if kind is list and not value:
            return "[]"
        raise Unsupported(value)

    def _mapping(self, data: dict, indent: str, first: str, out: list[str]) -> None:
        prefix = first
        inner = indent + "  "
        for key, value in data.items():
            kind = type(value)
            if kind is dict and value:
                out.append(f"{prefix}{self.key(key)}:\n")
                self._mapping(value, inner, inner, out)
            elif kind is list and value:
                out.append(f"{prefix}{self.key(key)}:\n")
                self._sequence(value, indent, indent, out)  # not indented under a key, as libyaml does
            else:
                out.append(f"{prefix}{self.key(key)}: {self._leaf(value)}\n")
            prefix = indent

    def _sequence(self, data: list, indent: str, first: str, out: list[str]) -> None:
        prefix = first
        inner = indent + "  "
        for value in data:
            kind = type(value)
            if kind is dict and value:
                self._mapping(value, inner, prefix + "- ", out)
            elif kind is list and value:
                self._sequence(value, inner, prefix + "- ", out)
            else:
                out.append(f"{prefix}- {self._leaf(value)}\n")
            prefix = indent

    def write(self, data: dict) -> str:
        """One mapping as a YAML document (no `---`), or Unsupported."""
        if type(data) is not dict:
            raise Unsupported(data)
        if not data:
            return "{}\n"
        out: list[str] = []
        self._mapping(data, "", "", out)
        return "".join(out)
