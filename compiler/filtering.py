"""Which diagnostics a run shows: a severity floor, codes chosen with select/ignore (as ruff's), and a per-object
annotation. Errors are never hidden: a filter quiets what a team has decided to live with, it cannot make a
build that the cluster would refuse pass. A hidden warning no longer fails `--strict` (issue 15).

Pure: takes diagnostics and documents, returns diagnostics. The doors build a Filter from their flags, the
project file or a functionConfig.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Iterable

from compiler.diagnostics import Diagnostic, ObjectRef, Severity, UsageError, warning

# Codes (KSC0xx: command line and configuration)
BAD_CODE = "KSC020"        # --select / --ignore or the project file names something that is not a code
BAD_ANNOTATION = "KSC021"  # an object's kserve-compiler/ignore annotation is not a list of codes

# An ordinary annotation, so it is copied wherever KServe copies an InferenceService's annotations: a comma-
# separated list of codes (or prefixes such as KSC23) whose warnings and notices about this object are hidden.
IGNORE_ANNOTATION = "kserve-compiler/ignore"

SEVERITIES = ("notice", "warning", "error")  # lowest first: --min-severity's choices
_RANK = {Severity.NOTICE: 0, Severity.WARNING: 1, Severity.ERROR: 2}
_CODE = re.compile(r"KSC\d{0,3}")


@dataclass(frozen=True, slots=True)
class Filter:
    min_severity: Severity = Severity.NOTICE
    select: tuple[str, ...] = ()  # codes or prefixes ("KSC2" is every schema and webhook code); () is all
    ignore: tuple[str, ...] = ()

    def wants(self, code: str) -> bool:
        """Whether `code` is chosen by select and not ignored (severity aside): `fix` asks this of each fix."""
        if self.select and not code.startswith(self.select):
            return False
        return not (self.ignore and code.startswith(self.ignore))

    def keeps(self, diag: Diagnostic) -> bool:
        if diag.severity is Severity.ERROR:
            return True
        return _RANK[diag.severity] >= _RANK[self.min_severity] and self.wants(diag.code)

    @property
    def is_default(self) -> bool:
        return self == Filter()


def parse_codes(values: Iterable[str], *, where: str) -> tuple[str, ...]:
    """`KSC230,KSC4` and repeated flags -> ("KSC230", "KSC4"); anything else is a usage error naming `where`."""
    codes: list[str] = []
    for value in values:
        for part in str(value).split(","):
            code = part.strip().upper()
            if not code:
                continue
            if not _CODE.fullmatch(code):
                raise UsageError(f"{where}: {part.strip()!r} is not a code", code=BAD_CODE,
                                 hint="codes look like KSC230, or a prefix such as KSC2 for a whole range; "
                                      "docs/codes.md lists them")
            codes.append(code)
    return tuple(dict.fromkeys(codes))


@dataclass(frozen=True, slots=True)
class Silenced:
    """The codes one source object's annotation silences."""
    file: str
    index: int | None
    ref: ObjectRef
    codes: tuple[str, ...]

    def covers(self, diag: Diagnostic) -> bool:
        if not diag.code.startswith(self.codes):
            return False
        if diag.file is not None and diag.file == self.file and diag.index is not None:
            return diag.index == self.index
        return diag.object is not None and _same_object(diag.object, self.ref)


def _same_object(a: ObjectRef, b: ObjectRef) -> bool:
    return (a.kind, a.name, a.namespace or "") == (b.kind, b.name, b.namespace or "")


def silenced(documents: Iterable) -> tuple[list[Silenced], list[Diagnostic]]:
    """The annotation of each source document (compiler.document.Document) that carries one; a value that
    is not a list of codes is a warning, never a guess."""
    out: list[Silenced] = []
    diags: list[Diagnostic] = []
    for doc in documents:
        annotations = doc.metadata.get("annotations")
        if not isinstance(annotations, dict) or IGNORE_ANNOTATION not in annotations:
            continue
        codes = annotation_codes(annotations[IGNORE_ANNOTATION])
        if codes is None:
            diags.append(warning(BAD_ANNOTATION, f"annotation {IGNORE_ANNOTATION} must list codes, e.g. "
                                 f'"KSC230,KSC430"; it silences nothing',
                                 **doc.where(("metadata", "annotations", IGNORE_ANNOTATION))))
            continue
        out.append(Silenced(doc.file, doc.index, doc.ref, codes))
    return out, diags


def annotation_codes(value: object) -> tuple[str, ...] | None:
    """The codes an IGNORE_ANNOTATION value names, or None when it is not a list of codes."""
    if not isinstance(value, str):
        return None
    parts = [p.strip().upper() for p in value.split(",") if p.strip()]
    if not parts or not all(_CODE.fullmatch(p) for p in parts):
        return None
    return tuple(parts)


def apply(diags: Iterable[Diagnostic], flt: Filter, silenced: Iterable[Silenced] = ()) -> tuple[list[Diagnostic], int]:
    """(the diagnostics to show, how many were hidden), repeated notices collapsed (see collapse)."""
    silenced = tuple(silenced)
    shown: list[Diagnostic] = []
    hidden = 0
    for diag in diags:
        if flt.keeps(diag) and not (diag.severity is not Severity.ERROR and any(s.covers(diag) for s in silenced)):
            shown.append(diag)
        else:
            hidden += 1
    return collapse(shown), hidden


def collapse(diags: list[Diagnostic]) -> list[Diagnostic]:
    """One notice per cause: notices that say the same thing (code, message, hint) in several places, such as
    one missing ServiceAccount read by 200 InferenceServices, become the first of them (in report order),
    saying how many more places there are. Errors and warnings stay one per place: each is to be fixed there."""
    diags = list(dict.fromkeys(diags))  # the very same diagnostic twice is one place, not two
    groups: dict[tuple, list[Diagnostic]] = {}
    for d in diags:
        if d.severity is Severity.NOTICE:
            groups.setdefault((d.code, d.message, d.hint), []).append(d)
    # each group's first once (not per member: a cause with 10,000 places made this quadratic)
    firsts = {key: min(group, key=Diagnostic.sort_key) for key, group in groups.items() if len(group) > 1}
    out: list[Diagnostic] = []
    for d in diags:
        key = (d.code, d.message, d.hint)
        first = firsts.get(key) if d.severity is Severity.NOTICE else None
        if first is None:
            out.append(d)
            continue
        if d is first:
            more = len(groups[key]) - 1
            out.append(replace(d, message=f"{d.message} (and {more} more place{'s' if more != 1 else ''} "
                                          f"with the same cause)"))
    return out
