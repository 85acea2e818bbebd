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
class ReportContext:
    """What a reporter may know besides the diagnostics; every field is optional."""

    tool_version: str = __version__
    files: Sequence[str] = ()             # every file checked (JUnit: a testcase for one without objects)
    objects: Sequence[InputObject] = ()   # every object checked (JUnit: one testcase each)
    strict: bool = False                  # --strict: JUnit counts warnings as failures too
    information_uri: str | None = None    # SARIF tool.driver.informationUri (the project's home page)
    rule_descriptions: dict[str, str] | None = None  # code -> one-line description (SARIF rules)
    configuration: str | None = None      # which inferenceservice-config was used, and where it came from


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

__all__ = ["REPORTERS", "DEFAULT_CONTEXT", "InputObject", "ReportContext", "Render"]
