"""Files -> Documents with positions, and Diagnostics for everything wrong on the way. Never raises on
bad input.

Positions come from nodes composed by libyaml through PyYAML's C composer (docs/design.md Decision 8: the
round-trip loader is ten times slower); we build the plain data ourselves from those nodes, which is
where duplicate keys, alias bombs and absurd nesting are caught.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace

import yaml

from compiler.diagnostics import Diagnostic, error, notice
from compiler.document import Document, Positions
from compiler.settings import Limits
from compiler.sources.braces import quote_hint
from compiler.sources.walk import SKIPPED, UNREADABLE, SourceFile

# Codes (KSC1xx: load)
SYNTAX = "KSC101"
DUPLICATE_KEY = "KSC102"
NOT_A_MAPPING = "KSC103"
NOT_AN_OBJECT = "KSC104"
UNDECODABLE = "KSC105"
TOO_LARGE = "KSC106"
TOO_DEEP = "KSC107"
TOO_MANY_NODES = "KSC108"
TOO_MANY_DOCUMENTS = "KSC109"
UNSUPPORTED_TAG = "KSC112"
BAD_KEY = "KSC113"


@dataclass(slots=True)
class Loaded:
    documents: list[Document] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)



def load(files: list[SourceFile], *, limits: Limits = Limits(), stdin: bytes | None = None,
         origin: str = "source") -> Loaded:
    loaded = Loaded()
    for source in files:
        raw = _read(source, limits, loaded.diagnostics, stdin)
        if raw is not None:
            parse(raw, source, limits=limits, into=loaded, origin=origin)
    return loaded


def _read(source: SourceFile, limits: Limits, diags: list[Diagnostic], stdin: bytes | None) -> bytes | None:
    try:
        if source.path is None:
            raw = stdin if stdin is not None else sys.stdin.buffer.read()
        else:
            if source.path.stat().st_size > limits.file_bytes:
                diags.append(_too_large(source))
                return None
            raw = source.path.read_bytes()
    except OSError as exc:
        diags.append(error(UNREADABLE, f"cannot read file: {exc.strerror or exc}", file=source.display))
        return None
    if len(raw) > limits.file_bytes:
        diags.append(_too_large(source))
        return None
    return raw


def _too_large(source: SourceFile) -> Diagnostic:
    return error(TOO_LARGE, "file is larger than the limit for one source file", file=source.display,
                 hint="raise it with --max-file-bytes if the file is really meant to be this big")


def parse(raw: bytes, source: SourceFile, *, limits: Limits = Limits(), into: Loaded | None = None,
          origin: str = "source") -> Loaded:
    """Parse one file's bytes into Documents (appended to `into`)."""
    out = into if into is not None else Loaded()
    text = _decode(raw, source, out.diagnostics)
    if text is None:
        return out
    index = -1
    # Two Python frames per level of nesting: let --max-depth be raised for real.
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old_limit, 4 * limits.depth + 200))
    try:
        for index, node in enumerate(yaml.compose_all(text, Loader=_Loader)):
            if index >= limits.documents:
                out.diagnostics.append(error(
                    TOO_MANY_DOCUMENTS, f"more than {limits.documents} documents in one file",
                    file=source.display, line=node.start_mark.line + 1 if node is not None else None,
                    column=node.start_mark.column + 1 if node is not None else None, index=index,
                    hint="split the file, or raise --max-documents"))
                break
            if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == _NULL):
                continue  # an empty document (`---` twice, a trailing `---`, only a comment): kubectl skips it
            builder = _Builder(source.display, index, limits)
            try:
                data = builder.build(node, ())
            except _Problem as problem:
                out.diagnostics.append(_with_quote_hint(problem.diagnostic, text)
                                       if problem.diagnostic.code == BAD_KEY else problem.diagnostic)
                continue
            _keep(Document(source.display, source.source, index, data, builder.positions, source.named,
                           origin), out)
    except yaml.YAMLError as exc:
        out.diagnostics.append(_syntax_error(exc, text, source, index + 1, limits))
    except RecursionError:  # libyaml caps flow nesting; this guards block nesting past Python's stack
        out.diagnostics.append(error(TOO_DEEP, "document is nested too deeply to parse",
                                     file=source.display, index=index + 1,
                                     hint="Kubernetes objects nest a few dozen levels at most (--max-depth)"))
    finally:
        sys.setrecursionlimit(old_limit)
    return out


def _decode(raw: bytes, source: SourceFile, diags: list[Diagnostic]) -> str | None:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        diags.append(error(UNDECODABLE, f"file is not UTF-8: byte 0x{raw[exc.start]:02x} cannot be decoded",
                           file=source.display, line=line, column=column,
                           hint="Kubernetes reads YAML as UTF-8; re-save the file in that encoding"))
        return None


def _syntax_error(exc: yaml.YAMLError, text: str, source: SourceFile, index: int, limits: Limits) -> Diagnostic:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if "maximum nesting depth" in str(exc):  # libyaml's own cap, past any --max-depth we accept
        return error(TOO_DEEP, "document is nested more than libyaml's 1000 levels deep", file=source.display,
                     line=mark.line + 1 if mark else None, column=mark.column + 1 if mark else None, index=index,
                     hint=f"Kubernetes objects nest a few dozen levels at most (the limit is {limits.depth}, "
                          "--max-depth)")
    line = column = None
    hint = None
    if mark is not None:
        line, column = mark.line + 1, mark.column + 1
        if _char_at(text, mark.line, mark.column) == "\t":
            hint = "YAML does not allow tabs for indentation; indent with spaces"
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    if isinstance(exc, yaml.reader.ReaderError):
        problem = f"{exc.reason} (character {exc.character!r})" if hasattr(exc, "reason") else str(exc)
        line, column = _line_col(text, exc.position)
        hint = "remove the control character; YAML allows only printable characters"
    message = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
    if hint is None and "\t" in _line(text, line):
        hint = "YAML does not allow tabs for indentation; indent with spaces"
    found = error(SYNTAX, message, file=source.display, line=line, column=column, index=index, hint=hint)
    return found if hint is not None else _with_quote_hint(found, text)


def _with_quote_hint(d: Diagnostic, text: str) -> Diagnostic:
    """An unquoted `{...}` or `{{ }}` on the line the parser stopped at: point at the value and say to
    quote it (compiler/sources/braces.py), instead of libyaml's words alone."""
    found = quote_hint(_line(text, d.line))
    return replace(d, column=found.column, hint=found.hint) if found is not None else d


def _char_at(text: str, line: int, column: int) -> str:
    lines = text.split("\n")
    if 0 <= line < len(lines) and 0 <= column < len(lines[line]):
        return lines[line][column]
    return ""


def _line(text: str, line: int | None) -> str:
    if line is None:
        return ""
    lines = text.split("\n")
    return lines[line - 1] if 0 < line <= len(lines) else ""


def _line_col(text: str, position: int) -> tuple[int, int]:
    before = text[:position]
    return before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1


def _keep(doc: Document, out: Loaded) -> None:
    line, column = doc.positions.of_value(())
    if not isinstance(doc.data, dict):
        what = "a list" if isinstance(doc.data, list) else "a scalar"
        # Decision 1: a walk skips what is not an object, with a notice
        report, code = (error, NOT_A_MAPPING) if doc.named else (notice, SKIPPED)
        out.diagnostics.append(report(
            code, f"document is {what}, not a Kubernetes object" + ("" if doc.named else "; skipped"),
            file=doc.file, line=line, column=column, index=doc.index,
            hint="each YAML document must be a mapping with apiVersion and kind" if doc.named else
                 "use --exclude GLOB to keep such files out of the walk"))
        return
    if not doc.api_version or not doc.kind:
        missing = " and ".join(k for k in ("apiVersion", "kind") if not isinstance(doc.data.get(k), str)
                               or not doc.data.get(k))
        if doc.named:
            out.diagnostics.append(error(
                NOT_AN_OBJECT, f"document has no {missing}: not a Kubernetes object", file=doc.file,
                line=line, column=column, index=doc.index,
                hint="every document in a file named on the command line must be a Kubernetes object"))
        else:
            out.diagnostics.append(notice(
                SKIPPED, f"skipped: document has no {missing}, so it is not a Kubernetes object",
                file=doc.file, line=line, column=column, index=doc.index,
                hint="use --exclude GLOB to keep such files out of the walk"))
        return
    out.documents.append(doc)


class _Loader(yaml.CSafeLoader):
    """libyaml's composer, which calls back into Python for each node: resolve() for its tag, and the
    path-resolver hooks. A scalar's tag depends only on its text and whether it was quoted (`implicit`)
    when there are no path resolvers (the safe loader has none), so it is remembered per (text, implicit):
    keys and common values repeat across thousands of documents. The hooks do nothing without path
    resolvers, so they are skipped."""

    def resolve(self, kind, value, implicit):
        if kind is not yaml.ScalarNode:
            return super().resolve(kind, value, implicit)
        key = (value, implicit)
        tag = _RESOLVED.get(key)
        if tag is None:
            if len(_RESOLVED) > 100_000:
                _RESOLVED.clear()
            tag = _RESOLVED[key] = super().resolve(kind, value, implicit)
        return tag

    if not yaml.CSafeLoader.yaml_path_resolvers:
        def descend_resolver(self, current_node, current_index):
            return None

        def ascend_resolver(self):
            return None


_RESOLVED: dict[tuple[str, tuple[bool, bool]], str] = {}


class _Problem(Exception):
    def __init__(self, diagnostic: Diagnostic):
        self.diagnostic = diagnostic


_NULL = "tag:yaml.org,2002:null"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_constructor = yaml.constructor.SafeConstructor()
# Kubernetes reads YAML through sigs.k8s.io/yaml, which turns timestamps and binary into strings.
_SCALARS = {
    "tag:yaml.org,2002:null": _constructor.construct_yaml_null,
    "tag:yaml.org,2002:bool": _constructor.construct_yaml_bool,
    "tag:yaml.org,2002:int": _constructor.construct_yaml_int,
    "tag:yaml.org,2002:float": _constructor.construct_yaml_float,
}
_AS_TEXT = {_STR, "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary", "tag:yaml.org,2002:value"}


class _Builder:
    """Plain data from composed nodes, recording positions, refusing duplicate keys, counting nodes
    (aliases included) and depth."""

    __slots__ = ("file", "index", "limits", "positions", "count")

    def __init__(self, file: str, index: int, limits: Limits):
        self.file, self.index, self.limits = file, index, limits
        self.positions = Positions()
        self.count = 0

    def _fail(self, code: str, message: str, node: yaml.Node, hint: str | None = None) -> _Problem:
        return _Problem(error(code, message, file=self.file, line=node.start_mark.line + 1,
                              column=node.start_mark.column + 1, index=self.index, hint=hint))

    def build(self, node: yaml.Node, path: tuple):
        self.count += 1
        if self.count > self.limits.nodes:
            raise self._fail(TOO_MANY_NODES, f"document expands to more than {self.limits.nodes} nodes "
                             "(aliases included)", node, "an alias bomb? raise --max-nodes if it is not")
        if len(path) > self.limits.depth:
            raise self._fail(TOO_DEEP, f"document is nested more than {self.limits.depth} levels deep", node,
                             "raise --max-depth if the nesting is real")
        self.positions.values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                raise self._fail(UNSUPPORTED_TAG, f"unsupported YAML tag {node.tag}", node)
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        if node.tag != _MAP:
            raise self._fail(UNSUPPORTED_TAG, f"unsupported YAML tag {node.tag}", node)
        return self._mapping(node, path)

    def _scalar(self, node: yaml.ScalarNode):
        tag = node.tag
        if tag in _AS_TEXT:
            return node.value
        construct = _SCALARS.get(tag)
        if construct is None:
            raise self._fail(UNSUPPORTED_TAG, f"unsupported YAML tag {tag}", node,
                             "Kubernetes YAML has no custom tags; quote the value if it is a string")
        return construct(node)

    def _mapping(self, node: yaml.MappingNode, path: tuple) -> dict:
        # Merged (<<) entries first, so the explicit keys, which win, keep their own positions.
        out: dict = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                for key, value in self._merge(value_node, path).items():
                    out.setdefault(key, value)
        explicit: set = set()
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise self._fail(BAD_KEY, "a mapping key must be a scalar", key_node)
            key = key_node.value
            if key in explicit:
                first = self.positions.keys[(*path, key)]
                raise self._fail(DUPLICATE_KEY, f'duplicate key "{key}" (first at line {first[0]})', key_node,
                                 "Kubernetes keeps only one of them; remove the other")
            child = (*path, key)
            explicit.add(key)
            self.positions.keys[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = self.build(value_node, child)
        return out

    def _merge(self, node: yaml.Node, path: tuple) -> dict:
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        merged: dict = {}
        for source in reversed(sources):
            if not isinstance(source, yaml.MappingNode):
                raise self._fail(BAD_KEY, "a merge key (<<) takes a mapping or a list of mappings", source)
            merged.update(self._mapping(source, path))
        return merged


def load_text(text: str, display: str = "-", *, named: bool = True, limits: Limits = Limits()) -> Loaded:
    """Parse YAML text held in memory (tests, KRM, --config)."""
    return parse(text.encode("utf-8"), SourceFile(None, display, display, named), limits=limits)
