"""The warm-rebuild cache's keys and entries (issue 17), pure: bytes in, data out. The store that reads and
writes them is compiler/sources/cache.py (an edge); compiler/incremental.py decides what to reuse.

One entry per source file. Its key is a digest of everything the file's result can depend on: the tool
and every setting that changes output (`settings_key`), the file's names and bytes, and, for a file that
holds only InferenceServices, the *context*: the bytes of every other kind of source file (runtimes, the
config, storage containers, Secrets and ServiceAccounts, pass-through objects), because resolution and
expansion read them. So any change to a runtime, the config or the catalog invalidates every cached
InferenceService (the simplest rule that is correct; finer per-namespace rules can come later).

An entry is a header line `kserve-compiler-cache 1 <key> <sha256 of the rest>` and a JSON body. `decode`
refuses one whose header, key or checksum does not match, or whose body is not exactly our shape: a
corrupted or foreign entry is never trusted (the caller reports it with a notice and compiles the file).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

from compiler.diagnostics import Diagnostic, ObjectRef, Severity
from compiler.emit import DumpedOutput
from compiler.emit.fill import Record
from compiler.filtering import Silenced

MAGIC = b"kserve-compiler-cache 1"
SUFFIX = ".ksc"  # not .yaml/.json: a cache inside a source folder is never read as a source


class BadEntry(ValueError):
    """An entry that must not be used; the message says why."""


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def combine(*parts: str) -> str:
    """One digest of several strings (NUL-separated, so ("ab", "c") and ("a", "bc") differ)."""
    return digest("\0".join(parts).encode("utf-8", "surrogateescape"))


@dataclass(frozen=True)
class DocStub:
    """What a report needs of a cached source document (compiler.document.Document has the same names)."""
    file: str
    index: int | None
    ref: ObjectRef

    @property
    def kind(self) -> str:
        return self.ref.kind

    @property
    def api_version(self) -> str:
        return self.ref.api_version


@dataclass
class Entry:
    isolated: bool                     # only InferenceServices: reusable while the context is unchanged
    context: str = ""                  # the context key it was compiled under ("" when not isolated)
    read: int = 0                      # documents parsed from the file
    documents: list[DocStub] = field(default_factory=list)
    outputs: list[DumpedOutput] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    silenced: list[Silenced] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------------
# Encoding


def _ref(ref: ObjectRef) -> list:
    return [ref.api_version, ref.kind, ref.name, ref.namespace]


def _diag(d: Diagnostic) -> list:
    return [d.severity.value, d.code, d.message, d.file, d.line, d.column,
            None if d.object is None else _ref(d.object), d.index, d.field, d.hint]


def _output(out: DumpedOutput) -> list:
    meta = out.obj["metadata"]
    return [out.obj["apiVersion"], out.obj["kind"], meta["name"], meta.get("namespace"),
            out.cluster_scoped, out.generated, out.text]


def _entry(entry: Entry) -> dict:
    return {
        "isolated": entry.isolated, "context": entry.context, "read": entry.read,
        "documents": [[d.file, d.index, _ref(d.ref)] for d in entry.documents],
        "outputs": [_output(o) for o in entry.outputs],
        "diagnostics": [_diag(d) for d in entry.diagnostics],
        "silenced": [[s.file, s.index, _ref(s.ref), list(s.codes)] for s in entry.silenced],
    }


def _sealed(key: str, data) -> bytes:
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return b"%s %s %s\n%s" % (MAGIC, key.encode(), digest(body).encode(), body)


def encode(key: str, entry: Entry) -> bytes:
    return _sealed(key, _entry(entry))


# ---------------------------------------------------------------------------------------------------
# Decoding: every value checked, so a damaged or foreign entry is refused rather than half-used


def _is(value, kinds, optional: bool = False):
    if (value is None and optional) or (type(value) in kinds if isinstance(kinds, tuple) else type(value) is kinds):
        return value
    raise BadEntry(f"unexpected value {value!r:.40}")


def _opt_str(value):
    return _is(value, str, optional=True)


def _opt_int(value):
    return _is(value, int, optional=True)


def _list(value, length: int | None = None) -> list:
    _is(value, list)
    if length is not None and len(value) != length:
        raise BadEntry("a record of the wrong length")
    return value


# The two records a folder's record holds by the ten thousand: checked inline (the same checks, 4x faster).
_SEVERITIES = {s.value: s for s in Severity}


_REFS: dict[tuple, ObjectRef] = {}  # one ObjectRef per distinct reference read (frozen: safe to share)


def _read_ref(value) -> ObjectRef:
    if type(value) is not list or len(value) != 4:
        raise BadEntry("a record of the wrong length")
    known = _REFS.get(tuple(value))
    if known is not None:
        return known
    api, kind, name, ns = value
    if type(api) is not str or type(kind) is not str or (name is not None and type(name) is not str) \
            or (ns is not None and type(ns) is not str):
        raise BadEntry(f"unexpected reference {value!r:.60}")
    if len(_REFS) > 100_000:
        _REFS.clear()
    ref = _REFS[tuple(value)] = ObjectRef(api, kind, name, ns)
    return ref


def _read_diag(value) -> Diagnostic:
    if type(value) is not list or len(value) != 10:
        raise BadEntry("a record of the wrong length")
    sev, code, message, file, line, column, obj, index, fld, hint = value
    if type(sev) is not str or sev not in _SEVERITIES or type(code) is not str or type(message) is not str \
            or (file is not None and type(file) is not str) or (line is not None and type(line) is not int) \
            or (column is not None and type(column) is not int) or (index is not None and type(index) is not int) \
            or (fld is not None and type(fld) is not str) or (hint is not None and type(hint) is not str):
        raise BadEntry(f"unexpected diagnostic {value!r:.60}")
    return Diagnostic(_SEVERITIES[sev], code, message, file, line, column, None if obj is None else _read_ref(obj),
                      index, fld, hint)


def _read_output(value) -> DumpedOutput:
    api, kind, name, ns, cluster, generated, text = _list(value, 7)
    meta = {"name": _is(name, str)}
    if ns is not None:
        meta["namespace"] = _is(ns, str)
    return DumpedOutput({"apiVersion": _is(api, str), "kind": _is(kind, str), "metadata": meta},
                        _is(cluster, bool), _is(generated, bool), _is(text, str))


def _read_silenced(value) -> Silenced:
    file, index, ref, codes = _list(value, 4)
    return Silenced(_is(file, str), _opt_int(index), _read_ref(ref), tuple(_is(c, str) for c in _list(codes)))


def _checked_body(key: str, raw: bytes) -> bytes:
    header, sep, body = raw.partition(b"\n")
    parts = header.split(b" ")
    if not sep or len(parts) != 4 or b" ".join(parts[:2]) != MAGIC:
        raise BadEntry("not a kserve-compiler cache entry of this format")
    if parts[2] != key.encode():
        raise BadEntry("stored under the wrong key")
    if parts[3] != digest(body).encode():
        raise BadEntry("its checksum does not match (damaged)")
    return body


def _read_entry(data: dict, outputs: bool = True) -> Entry:
    _is(data, dict)
    return Entry(isolated=_is(data["isolated"], bool), context=_is(data["context"], str),
                 read=_is(data["read"], int),
                 documents=[DocStub(_is(f, str), _opt_int(i), _read_ref(r))
                            for f, i, r in (_list(d, 3) for d in _list(data["documents"]))],
                 outputs=[_read_output(o) for o in _list(data["outputs"])] if outputs else [],
                 diagnostics=[_read_diag(d) for d in _list(data["diagnostics"])],
                 silenced=[_read_silenced(s) for s in _list(data["silenced"])])


def decode(key: str, raw: bytes) -> Entry:
    """The entry stored under `key`; BadEntry when it is not one we wrote for that key, or is damaged."""
    body = _checked_body(key, raw)
    try:
        return _read_entry(json.loads(body))
    except (KeyError, TypeError, ValueError) as exc:  # BadEntry is a ValueError
        raise BadEntry(f"its content is not what this version writes ({exc})") from None


# ---------------------------------------------------------------------------------------------------
# The record of an output folder (compiler/warm.py): one entry per OUT, rewritten after each `build -o`.
# Its body is lines, so that a reused source's line is written back as it was read (encoding 3,400 entries'
# diagnostics again cost 0.3 s): a JSON header (which counts the sources), one JSON line per source file
# ("S" first), then one line per file of OUT, tab-separated: path, SHA-256, base (see Manifest.bases; 0: no
# object), "inode size mtime".


@dataclass
class Source:
    """One source file as the folder build saw it: its key, its entry without output texts, and the paths
    of its outputs in the entry's order."""
    key: str
    entry: Entry
    paths: list[str]
    line: str | None = None  # as read from the record: written back as it is (None once anything changed)


@dataclass
class Manifest:
    out: str                           # OUT's absolute path
    settings: str                      # the settings key of the build that wrote it
    context: str                       # its context key
    sources: dict[str, Source]         # by display name
    files: dict[str, Record]           # every file of OUT, as written
    bases: dict[str, str | int]        # object files: 1, or their base key (layout.py) if not path.casefold()
    written: int = 0                   # OUT's file-system time once every file was written (emit/fill.py: racy)


_HEX = re.compile(r"[0-9a-f]*")
_SEPARATORS = re.compile(r"[\t\n\r]")


RECORD_FORMAT = "1"  # bumped when the record's lines change: an older record is then not found (no notice)


def manifest_key(out: str) -> str:
    return combine("output folder", RECORD_FORMAT, out)


def _json(data) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def encode_manifest(key: str, m: Manifest) -> bytes | None:
    """The record as stored; None when a path holds a tab or line break (no record is kept of such an OUT)."""
    if _SEPARATORS.search("".join(m.files)) or _SEPARATORS.search("".join(b for b in m.bases.values() if b != 1)):
        return None
    lines = [_json({"out": m.out, "settings": m.settings, "context": m.context, "written": m.written,
                    "sources": len(m.sources)})]
    for name, src in m.sources.items():
        lines.append(src.line or "S" + _json([name, src.key, src.paths, _entry(src.entry)]))
    bases = m.bases
    lines += [f"{path}\t{r.sha}\t{bases.get(path, 0)}\t{r.stat}" for path, r in m.files.items()]
    body = "\n".join(lines).encode("utf-8", "surrogateescape")
    return b"%s %s %s\n%s" % (MAGIC, key.encode(), digest(body).encode(), body)


def decode_manifest(key: str, raw: bytes) -> Manifest:
    """The record stored under `key`; BadEntry when it is damaged or foreign, as decode()."""
    lines = _checked_body(key, raw).decode("utf-8", "surrogateescape").split("\n")
    try:
        head = json.loads(lines[0])
        _is(head, dict)
        sources, files, bases = {}, {}, {}
        n = 1 + _is(head["sources"], int)
        for line in lines[1:n]:
            if line[:1] != "S":
                raise BadEntry("a source line without its mark")
            name, skey, paths, entry = _list(json.loads(line[1:]), 4)
            sources[_is(name, str)] = Source(_is(skey, str), _read_entry(entry, outputs=False),
                                             [_is(p, str) for p in _list(paths)], line)
        for line in lines[n:]:  # a stat that is not one only never matches: nothing is linked on its word
            path, sha, base, st = line.split("\t")
            files[path] = Record(st, sha)
            if base != "0":
                bases[path] = 1 if base == "1" else base
        shas = "".join(r.sha for r in files.values())
        if len(shas) != 64 * len(files) or not _HEX.fullmatch(shas):
            raise BadEntry("a file record's digest is not a SHA-256")
        if any(path not in bases for s in sources.values() for path in s.paths):
            raise BadEntry("a source's output is not among its object files")
        return Manifest(_is(head["out"], str), _is(head["settings"], str), _is(head["context"], str),
                        sources, files, bases, _is(head["written"], int))
    except (KeyError, TypeError, ValueError) as exc:
        raise BadEntry(f"its content is not what this version writes ({exc})") from None
