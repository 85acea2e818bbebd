"""A diff Report as text (people), json (tools), Markdown (a pull-request comment, from
compiler/templates/diff.md.j2) or GitHub annotations on the source lines that caused each change.

Every format is capped where a host caps it: GitHub refuses a comment over 65,536 characters and shows
only 10 annotations of a kind per step.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections import Counter
from importlib import resources

from compiler.diff.causes import Report
from compiler.diff.compare import ADDED, METADATA, REMOVED, ROLLOUT, SPEC, ObjectChange, shown
from compiler.reporters.github import escape_data, escape_property

MARKDOWN_SERVICES = 50      # InferenceServices with their own collapsible section; the rest are counted
MARKDOWN_CHARS = 60_000     # below GitHub's 65,536-character comment limit, with room for the overflow note
TEXT_SERVICES = 500         # text lists this many InferenceServices in full, then counts the rest
ANNOTATIONS = 50            # GitHub shows 10 per kind and step; more are noise
CHANGE_WORDS = {ADDED: "added", REMOVED: "removed (pruned)", ROLLOUT: "rollout (pod template changed)",
                SPEC: "changed", METADATA: "metadata only"}


def render_text(report: Report) -> str:
    lines = [f"kserve-compiler diff {report.base} -> {report.head}: {report.headline()}"]
    if report.empty:
        return lines[0] + "\n"
    n = len(report.services)
    lines.append(f"  {n} InferenceService{'' if n == 1 else 's'}; {report.counts_text()}")
    for (before, after), n in _reroutes(report):
        lines.append(f"  re-routes {n} InferenceService{'s' if n != 1 else ''} from {before} to {after}")
    for service in report.services[:TEXT_SERVICES]:
        where = f" ({service.place.file}:{service.place.line})" if service.place else ""
        lines += ["", f"InferenceService {service.namespace}/{service.name}{where}: {service.status}"]
        lines += [f"  cause: {c.text}" for c in service.causes]
        for comp in service.components:
            lines.append(f"  {comp.component}:")
            lines += [f"    cause: {c.text}" for c in comp.causes]
            for change in comp.objects:
                lines += _object_text(change, "    ")
    if len(report.services) > TEXT_SERVICES:
        lines += ["", f"... and {len(report.services) - TEXT_SERVICES} more InferenceServices (--format json "
                      "lists every one)"]
    if report.other:
        lines += ["", "Other objects (passed through, or owned by no InferenceService):"]
        for change in report.other:
            lines += _object_text(change, "  ")
    return "\n".join(lines) + "\n"


def _object_text(change: ObjectChange, indent: str) -> list[str]:
    ns = f"{change.namespace}/" if change.namespace else ""
    out = [f"{indent}{change.kind} {ns}{change.name}: {CHANGE_WORDS[change.change]}"]
    out += [f"{indent}  {f.path}: {shown(f.before)} -> {shown(f.after)}" for f in change.fields]
    if change.more:
        out.append(f"{indent}  ... and {change.more} more fields")
    return out


def _reroutes(report: Report) -> list[tuple[tuple[str, str], int]]:
    return sorted(report.reroutes.items(), key=lambda kv: (-kv[1], kv[0]))


def render_json(report: Report) -> str:
    def obj(change: ObjectChange) -> dict:
        group, kind, namespace, name = change.key
        return {"group": group, "kind": kind, "namespace": namespace or None, "name": name, "change": change.change,
                "fields": [{"path": f.path, "before": f.before, "after": f.after} for f in change.fields],
                "moreFields": change.more}

    def cause(c) -> dict:
        out = {"kind": c.kind, "text": c.text, "undecidable": c.undecidable}
        if c.before is not None:
            out.update({"from": c.before, "to": c.after, "rule": c.rule})
        if c.place is not None:
            out["source"] = dataclasses.asdict(c.place)
        return out
    data = {
        "base": report.base, "head": report.head, "changed": not report.empty, "headline": report.headline(),
        "counts": {k: report.counts[k] for k in (ROLLOUT, SPEC, METADATA, ADDED, REMOVED)},
        "reroutes": [{"from": b, "to": a, "inferenceServices": n} for (b, a), n in _reroutes(report)],
        "inferenceServices": [{
            "namespace": s.namespace, "name": s.name, "status": s.status,
            "source": dataclasses.asdict(s.place) if s.place else None,
            "causes": [cause(c) for c in s.causes],
            "components": [{"component": c.component, "causes": [cause(x) for x in c.causes],
                            "objects": [obj(o) for o in c.objects]} for c in s.components]}
            for s in report.services],
        "otherObjects": [obj(o) for o in report.other],
    }
    return json.dumps(data, indent=2, sort_keys=False) + "\n"


def render_github(report: Report) -> str:
    """One `::notice` per changed source line, saying what that line does to the build; then the headline."""
    found: dict[tuple, Counter] = {}
    for service in report.services:
        for cause in [*service.causes, *(c for comp in service.components for c in comp.causes)]:
            if cause.place is None or not cause.place.file or cause.place.file == "-":
                continue
            found.setdefault((cause.place.file, cause.place.line or 1), Counter())[_annotation_text(cause)] += 1
    lines = []
    for (file, line), texts in sorted(found.items())[:ANNOTATIONS]:
        message = "; ".join(f"{text} ({n} InferenceService{'s' if n != 1 else ''})" if n > 1 else text
                            for text, n in sorted(texts.items()))
        kind = "warning" if "not decidable" in message else "notice"
        lines.append(f"::{kind} file={escape_property(file)},line={line},"
                     f"title={escape_property('kserve-compiler diff')}::{escape_data(message)}")
    lines.append(f"::notice title={escape_property('kserve-compiler diff')}::"
                 f"{escape_data(report.headline() + ('; ' + report.counts_text() if not report.empty else ''))}")
    return "\n".join(lines) + "\n"


def _annotation_text(cause) -> str:
    if cause.before is not None:
        return f"re-routes from {cause.before} to {cause.after}: {cause.rule}" + (
            " (not decidable from git: equal runtimes)" if cause.undecidable else "")
    return cause.text


def render_markdown(report: Report, *, max_services: int = MARKDOWN_SERVICES, max_chars: int = MARKDOWN_CHARS) -> str:
    services = report.services[:max_services]
    text = _template().render(report=report, services=services, reroutes=_reroutes(report),
                              hidden=len(report.services) - len(services), words=CHANGE_WORDS, shown=shown)
    if len(text) <= max_chars:
        return text
    cut = text.rfind("\n</details>\n", 0, max_chars - 200)
    kept = text[:cut + len("\n</details>\n")] if cut > 0 else text[:max_chars - 200]
    return kept + ("\n… the comment is cut here to stay under GitHub's size limit; run `kserve-compiler diff` "
                   "(or `--format json`) for every change.\n")


@functools.lru_cache(maxsize=1)
def _template():
    import jinja2  # lazy: only --format markdown needs jinja2 (~30 ms to import)
    from compiler.reporters.summary import code_span, escape_cell, escape_inline  # lazy: imports jinja2
    env = jinja2.Environment(autoescape=False, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    env.filters.update(cell=escape_cell, md=escape_inline, code=code_span)
    source = resources.files("compiler").joinpath("templates/diff.md.j2").read_text(encoding="utf-8")
    return env.from_string(source)
