"""A source file's text and edits to it as character spans, so that everything no fix touches stays
byte-identical: the fixers find what to change on ruamel.yaml's round-trip tree (tree.py) and change only
those characters here, rather than re-dumping a document (which would re-indent and re-quote it)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

BOM = "\ufeff"
# A plain scalar as the fixers meet one (a key, a number, a word): up to a blank, a flow indicator or ':'.
_PLAIN = re.compile(r"[^\s:,\[\]{}#]+(?::[^\s,\[\]{}#]+)*")


@dataclass(frozen=True, order=True)
class Edit:
    start: int   # offset in Text.body
    end: int
    new: str


@dataclass
class Text:
    """A file's text without its BOM (the parsers skip it too, so line and column agree), and its newline."""
    body: str
    bom: bool = False
    starts: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, text: str) -> "Text":
        bom = text.startswith(BOM)
        body = text[1:] if bom else text
        starts = [0] + [m.end() for m in re.finditer("\n", body)]
        return cls(body, bom, starts)

    @property
    def full(self) -> str:
        return (BOM if self.bom else "") + self.body

    @property
    def newline(self) -> str:
        """What a fix writes between the lines it adds: the file's own line ending (CRLF files stay CRLF)."""
        first = self.body.find("\n")
        return "\r\n" if first > 0 and self.body[first - 1] == "\r" else "\n"

    def offset(self, line: int, column: int) -> int:
        """0-based line and column (ruamel's marks) -> offset in body."""
        return self.starts[line] + column

    def line_at(self, offset: int) -> str:
        start = self.body.rfind("\n", 0, offset) + 1
        end = self.body.find("\n", offset)
        return self.body[start:end if end >= 0 else len(self.body)].rstrip("\r")

    def scalar(self, line: int, column: int) -> tuple[int, int, str | None]:
        """The span of the scalar written at (line, column), and its quote character (None: plain)."""
        start = self.offset(line, column)
        quote = self.body[start:start + 1]
        if quote == '"':
            m = re.compile(r'"(?:[^"\\\n]|\\.)*"').match(self.body, start)
        elif quote == "'":
            m = re.compile(r"'(?:[^'\n]|'')*'").match(self.body, start)
        else:
            m, quote = _PLAIN.match(self.body, start), None
        if m is None:
            return start, start, quote
        return start, m.end(), quote


def replace_scalar(text: Text, line: int, column: int, expected: str, new: str) -> Edit | None:
    """Replace the scalar `expected` written at (line, column) by `new`, in the same quoting; None when the
    text there is not plainly `expected` (an escape, a multi-line scalar: left alone rather than guessed)."""
    start, end, quote = text.scalar(line, column)
    written = text.body[start:end]
    inner = written[1:-1] if quote else written
    if inner != expected:
        return None
    return Edit(start + (1 if quote else 0), end - (1 if quote else 0), new)


def apply(text: Text, edits: list[Edit]) -> str:
    """The text with the edits made; edits must not overlap (plan.py keeps the first of two that do)."""
    body = text.body
    for edit in sorted(edits, reverse=True):
        body = body[:edit.start] + edit.new + body[edit.end:]
    return (BOM if text.bom else "") + body


def overlaps(a: Edit, b: Edit) -> bool:
    return a.start < b.end and b.start < a.end or (a.start == b.start and a.end == a.start == b.end)
