"""What `fix` does, given the sources' bytes: compile, plan the fixes of what the build reports, apply them,
compile again (a fix can uncover another: an InferenceService moved off serving.kubeflow.org is compiled,
and its legacy block reported, only then), and finally hold the result to the never-worse rule
(verify.py), reverting any file that breaks it. Pure apart from pipeline.compile: the door reads and
writes the files (write.py)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from compiler import pipeline
from compiler.diagnostics import Diagnostic
from compiler.fix import plan as planner
from compiler.fix import verify
from compiler.settings import Settings
from compiler.sources.parse import Loaded, parse
from compiler.sources.walk import SourceFile

MAX_ROUNDS = 4  # each round fixes what the previous one uncovered; three are the most any fix chain needs


@dataclass
class FileFix:
    source: SourceFile
    before: str
    after: str
    applied: tuple[planner.Applied, ...] = ()
    refused: str | None = None   # why the fixed text is not written (the never-worse rule)
    problem: str | None = None   # why the file could not be read for fixing

    @property
    def changed(self) -> bool:
        return self.refused is None and self.after != self.before


def fix_sources(settings: Settings, files: list[tuple[SourceFile, bytes]]) -> list[FileFix]:
    original = {source.display: _text(raw) for source, raw in files}
    current = dict(original)
    applied: dict[str, list] = {name: [] for name in original}
    problems: dict[str, str] = {}
    before = result = _compile(settings, files, current)
    for round_ in range(MAX_ROUNDS):
        wants = _wants(settings, result)
        by_file: dict[str, list[Diagnostic]] = {}
        for diag in result.diagnostics:
            by_file.setdefault(diag.file, []).append(diag)
        moved = False
        for name, text in current.items():
            if text is None or not by_file.get(name):
                continue
            planned = planner.plan(text, by_file[name], wants)
            if planned.problem:
                problems[name] = planned.problem
            if planned.text != text:
                current[name], moved = planned.text, True
                applied[name] += [replace(a, round=round_) for a in planned.applied]
        if not moved:
            break
        result = _compile(settings, files, current)
    refused = _hold_to_the_rule(settings, files, original, current, before, result)
    return [FileFix(source, original[source.display] or "", current[source.display] or "",
                    tuple(applied[source.display]), refused.get(source.display), problems.get(source.display))
            for source, _ in files if original[source.display] is not None]


def _hold_to_the_rule(settings, files, original, current, before, after) -> dict[str, str]:
    """Revert the files that make the build worse until none does; {file: reason}."""
    refused: dict[str, str] = {}
    while True:
        changed = {name for name in current if current[name] != original[name]}
        if not changed:
            return refused
        reasons = verify.breaches(before, after)
        blame = {name: why for name, why in reasons.items() if name in changed}
        if not blame and reasons:
            # The change shows in a file fix did not touch (a runtime fixed, a model now served by it): which
            # fix caused it is not known here, so none is written.
            elsewhere, why = next(iter(reasons.items()))
            blame = {name: f"it would change the build of {elsewhere or 'the repo'}: {why}" for name in changed}
        if not blame:
            return refused
        for name, why in blame.items():
            refused[name] = why
            current[name] = original[name]
        after = _compile(settings, files, current)


def _wants(settings: Settings, result):
    """A fix runs when the user's filters (--select, --ignore, the project file) choose its code and no
    kserve-compiler/ignore annotation on the object silences it."""
    def wants(diag: Diagnostic) -> bool:
        return settings.filter.wants(diag.code) and not any(s.covers(diag) for s in result.silenced)
    return wants


def _compile(settings: Settings, files: list[tuple[SourceFile, bytes]], texts: dict[str, str | None]):
    loaded = Loaded()
    for source, raw in files:
        text = texts[source.display]
        parse(raw if text is None else text.encode("utf-8"), source, limits=settings.limits, into=loaded)
    result = pipeline.compile(settings, loaded.documents)
    result.diagnostics[:0] = loaded.diagnostics
    return result


def _text(raw: bytes) -> str | None:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None  # the build reports it (KSC1xx); nothing to fix in it
