"""Reporters: a list of Diagnostics (and its Summary) -> the text of one output format.

Every format module exposes `render(diags, summary, *, context=None) -> str`; `REPORTERS` maps the
`--format` names to them (check-jsonschema's REPORTER_BY_NAME). Importing this package is cheap: a
format's module is imported on its first render, and junit imports xml, summary imports jinja2, only then.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable, Sequence

from compiler import __version__
from compiler.diagnostics import Diagnostic, ObjectRef, Summary

Render = Callable[..., str]  # (diags, summary, *, context=None) -> str


@dataclass(frozen=True, slots=True)
class InputObject:
    """One object the run read, so JUnit can report a passing testcase for it."""

    file: str                # as in Diagnostic.file: relative to cwd, "-" for stdin
    object: ObjectRef
    index: int | None = None  # document index in its file; matched against Diagnostic.index first


@dataclass(frozen=True, slots=True)
class RunCounts:
    """What a run read and made, for the summary line every run prints (kubeconform's -summary)."""

    files: int | None = 0      # source files read (None: the run read items, not files: KRM)
    documents: int = 0         # their objects (KServe sources and pass-through)
    inference_services: int = 0
    runtimes: int = 0          # ServingRuntimes and ClusterServingRuntimes in scope, the catalog's included
    builtin_runtimes: int = 0  # of which from the built-in catalog
    objects: int | None = None  # objects emitted; None when the command emits none (validate, explain)
    hidden: int = 0            # diagnostics the filters hid (--quiet, --ignore, the project file, annotations)

    def to_dict(self) -> dict:
        out = {**({"files": self.files} if self.files is not None else {}), "documents": self.documents, "inferenceServices": self.inference_services,
               "runtimes": self.runtimes, "builtinRuntimes": self.builtin_runtimes}
        if self.objects is not None:
            out["objects"] = self.objects
        out["hidden"] = self.hidden
        return out


def summary_line(summary: Summary, counts: RunCounts | None = None) -> str:
    """`5 files, 7 documents, 3 InferenceServices, 16 runtimes (14 built in) -> 14 objects; 0 errors, 1 warning,
    2 notices`: what was read, what was made, what was found."""
    if counts is None:
        return summary.line()

    def n(count: int, word: str, plural: str | None = None) -> str:
        return f"{count} {word if count == 1 else plural or word + 's'}"
    read = (("" if counts.files is None else f"{n(counts.files, 'file')}, ") + f"{n(counts.documents, 'document')}, "
            f"{n(counts.inference_services, 'InferenceService')}, {n(counts.runtimes, 'runtime')}"
            + (f" ({counts.builtin_runtimes} built in)" if counts.builtin_runtimes else ""))
    made = f" -> {n(counts.objects, 'object')}" if counts.objects is not None else ""
    hidden = f" ({counts.hidden} hidden by filters)" if counts.hidden else ""
    return f"{read}{made}; {summary.line()}{hidden}"


@dataclass(frozen=True, slots=True)
class ReportContext:
    """What a reporter may know besides the diagnostics; every field is optional."""

    tool_version: str = __version__
    files: Sequence[str] = ()             # every file checked (JUnit: a testcase for one without objects)
    objects: Sequence[InputObject] = ()   # every object checked (JUnit: one testcase each)
    strict: bool = False                  # --strict: JUnit counts warnings as failures too
    information_uri: str | None = None    # SARIF tool.driver.informationUri (the project's home page)
    rule_descriptions: dict[str, str] | None = None  # code -> one-line description (SARIF rules)
    configuration: str | None = None      # which inferenceservice-config was used, and where it came from
    counts: RunCounts | None = None       # the summary line's counts (json: in "summary")
    verbose: bool = False                 # text: every notice, not one line per code


DEFAULT_CONTEXT = ReportContext()


def _lazy(module: str) -> Render:
    def render(diags: list[Diagnostic], summary: Summary, *, context: ReportContext | None = None) -> str:
        return importlib.import_module(f"{__name__}.{module}").render(diags, summary, context=context)

    render.__name__ = render.__qualname__ = f"render_{module.rstrip('_')}"
    return render


REPORTERS: dict[str, Render] = {
    "text": _lazy("text"),
    "json": _lazy("json_"),
    "github": _lazy("github"),
    "junit": _lazy("junit"),
    "sarif": _lazy("sarif"),
}

__all__ = ["REPORTERS", "DEFAULT_CONTEXT", "InputObject", "ReportContext", "Render", "RunCounts", "summary_line"]
