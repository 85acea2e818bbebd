"""The one Diagnostic type every stage returns, and the rules that turn a list of them into an exit code.

Codes are stable and grouped by stage (docs/design.md Decision 6): KSC0xx command line and config, 1xx load,
2xx schema and webhook rules, 3xx resolve, 4xx expand, 5xx check, 6xx emit, 7xx KRM and hosts.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Iterable


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTICE = "notice"


@dataclass(frozen=True, slots=True)
class ObjectRef:
    api_version: str
    kind: str
    name: str | None = None
    namespace: str | None = None
    generate_name: str | None = None  # metadata.generateName, shown when there is no name

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.display_name}"

    @property
    def display_name(self) -> str:
        """The name for messages: never Python's None, and a generateName object recognisable by its prefix."""
        if self.name:
            return self.name
        return f"<generateName {self.generate_name}>" if self.generate_name else "<unnamed>"

    def to_dict(self) -> dict:
        out = {"apiVersion": self.api_version, "kind": self.kind}
        if self.namespace:
            out["namespace"] = self.namespace
        if self.name:
            out["name"] = self.name
        return out


@dataclass(frozen=True, slots=True)
class Diagnostic:
    severity: Severity
    code: str                        # "KSC201", stable across releases
    message: str
    file: str | None = None          # as the user wrote it (relative to cwd), "-" for stdin
    line: int | None = None          # 1-based
    column: int | None = None        # 1-based
    object: ObjectRef | None = None  # the object the problem is about
    index: int | None = None         # document index in its file (KRM results need it)
    field: str | None = None         # dotted path, "spec.predictor.model.runtime"
    hint: str | None = None          # what would fix it

    def sort_key(self) -> tuple:
        return (self.file or "", self.index if self.index is not None else -1, self.line or 0,
                self.column or 0, self.code, self.message)

    def to_dict(self) -> dict:
        out: dict = {"severity": self.severity.value, "code": self.code, "message": self.message}
        for key in ("file", "line", "column", "index", "field", "hint"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.object is not None:
            out["object"] = self.object.to_dict()
        return out


def error(code: str, message: str, **where) -> Diagnostic:
    return Diagnostic(Severity.ERROR, code, message, **where)


def warning(code: str, message: str, **where) -> Diagnostic:
    return Diagnostic(Severity.WARNING, code, message, **where)


def notice(code: str, message: str, **where) -> Diagnostic:
    return Diagnostic(Severity.NOTICE, code, message, **where)


@dataclass(frozen=True, slots=True)
class Summary:
    errors: int = 0
    warnings: int = 0
    notices: int = 0

    @classmethod
    def of(cls, diags: Iterable[Diagnostic]) -> "Summary":
        counts = {s: 0 for s in Severity}
        for d in diags:
            counts[d.severity] += 1
        return cls(counts[Severity.ERROR], counts[Severity.WARNING], counts[Severity.NOTICE])

    def line(self) -> str:
        def n(count: int, word: str) -> str:
            return f"{count} {word}{'' if count == 1 else 's'}"
        return f"{n(self.errors, 'error')}, {n(self.warnings, 'warning')}, {n(self.notices, 'notice')}"


def has_errors(diags: Iterable[Diagnostic], *, strict: bool = False) -> bool:
    failing = {Severity.ERROR, Severity.WARNING} if strict else {Severity.ERROR}
    return any(d.severity in failing for d in diags)


def has_internal_error(diags: Iterable[Diagnostic]) -> bool:
    """An error in the KSC5xx range: our bug, not the input's (exit 3)."""
    return any(d.severity is Severity.ERROR and d.code.startswith("KSC5") for d in diags)


def sorted_diagnostics(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Deterministic order for every reporter: by file, document, position, code."""
    unique = dict.fromkeys(diags)  # a stage may report the same fact twice; the user reads it once
    return sorted(unique, key=Diagnostic.sort_key)


USAGE = "KSC001"   # a usage or configuration problem without a code of its own
SETTING = "{setting}"  # where a UsageError's message names its setting; the door fills in its own word


class UsageError(Exception):
    """A command-line or configuration problem (exit 2). Raised by the core about a setting (a field of
    settings.Settings, named in `setting`), its message starts with SETTING where the setting's name goes:
    each door words it for its users (the CLI's flag, the KRM functionConfig key) with `worded()`."""

    def __init__(self, message: str, hint: str | None = None, code: str = USAGE, *, setting: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.code = code
        self.setting = setting

    def worded(self, names: dict[str, str]) -> str:
        """The message with the setting named as `names` (setting -> the door's word) names it."""
        if self.setting is None or not self.message.startswith(SETTING):
            return self.message
        return names.get(self.setting, self.setting) + self.message[len(SETTING):]
