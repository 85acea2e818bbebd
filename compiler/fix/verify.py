"""The never-worse rule (issue 18): the build of the fixed sources against the build of the originals, both
compiled in-process. Per source file: no error may appear that was not there (counted by code, since a
rewrite moves positions), and a file that had no error must generate and pass through the same objects,
apart from our kserve-compiler/source annotation. A file that had errors may change its objects: the
API-group fix exists to make a refused InferenceService compile."""

from __future__ import annotations

import json
from collections import Counter

from compiler.diagnostics import Severity
from compiler.kinds import SOURCE_ANNOTATION


def breaches(before, after) -> dict[str | None, str]:
    """{file: why the fixed build is worse there}, for every file (None: diagnostics of no file)."""
    errors_before, errors_after = _errors(before), _errors(after)
    objects_before, objects_after = _objects(before), _objects(after)
    reasons: dict[str | None, str] = {}
    for file in sorted(set(errors_before) | set(errors_after) | set(objects_before) | set(objects_after),
                       key=lambda f: f or ""):
        new = errors_after.get(file, Counter()) - errors_before.get(file, Counter())
        if new:
            reasons[file] = "the build would gain " + ", ".join(f"{code} ({n})" for code, n in sorted(new.items()))
        elif not errors_before.get(file) and objects_before.get(file, []) != objects_after.get(file, []):
            reasons[file] = "its objects would change: " + _difference(objects_before.get(file, []),
                                                                         objects_after.get(file, []))
    return reasons


def _errors(result) -> dict[str | None, Counter]:
    out: dict[str | None, Counter] = {}
    for diag in result.diagnostics:
        if diag.severity is Severity.ERROR:
            out.setdefault(diag.file, Counter())[diag.code] += 1
    return out


def _objects(result) -> dict[str, list[str]]:
    """Each file's generated objects (found by their source annotation) and pass-through documents, as
    canonical JSON without the source annotation, sorted."""
    by_source = {}
    for doc in result.documents:
        by_source.setdefault(f"{doc.source}#{doc.index}", doc.file)
    out: dict[str, list[str]] = {}
    for obj in result.generated:
        meta = obj.get("metadata") or {}
        source = (meta.get("annotations") or {}).get(SOURCE_ANNOTATION)
        out.setdefault(by_source.get(source, source), []).append(_canonical(obj))
    for doc in result.passthrough:
        out.setdefault(doc.file, []).append(_canonical(doc.data))
    return {file: sorted(objs) for file, objs in out.items()}


def _canonical(obj: dict) -> str:
    meta = dict(obj.get("metadata") or {})
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k != SOURCE_ANNOTATION}
    if "annotations" in meta:
        meta["annotations"] = annotations
    return json.dumps({**obj, "metadata": meta} if "metadata" in obj else obj, sort_keys=True, default=str)


def _difference(before: list[str], after: list[str]) -> str:
    gone, new = len(set(before) - set(after)), len(set(after) - set(before))
    return f"{gone} object(s) differ or disappear, {new} differ or appear"
