"""JUnit XML for GitLab and Jenkins test reports: one testcase per input object.

    <testsuites name="kserve-compiler" tests="3" failures="1" errors="0" skipped="0">
      <testsuite name="kserve-compiler" tests="3" failures="1" errors="0" skipped="0">
        <testcase classname="models/iris.yaml" name="InferenceService default/iris">
          <failure message="KSC201: unknown field ..." type="KSC201">models/iris.yaml:8:7: error ...</failure>

classname is the file, name is the object (`Kind ns/name`). Objects come from ReportContext.objects;
a diagnostic about an object not listed there gets a testcase of its own, one about a whole file gets a
testcase named after the file, one with no file the testcase "(no file)". A testcase fails when it has
an error (or, with --strict, a warning): ONE <failure> holding all of them, because Jenkins and GitLab
read only the first <failure> of a testcase; warnings and notices of a passing case go in <system-out>.
No timestamps or durations: the report is byte-identical across runs.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # noqa: N817 - this module is imported only to render JUnit (reporters._lazy)
from dataclasses import dataclass, field
from xml.etree.ElementTree import SubElement

from compiler.diagnostics import Diagnostic, Severity, Summary, sorted_diagnostics
from compiler.reporters import DEFAULT_CONTEXT, ReportContext
from compiler.reporters.text import STDIN, block

SUITE = "kserve-compiler"
NO_FILE = "(no file)"

# XML 1.0 forbids most C0 controls even as character references; a message quoting bad input may hold one.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


@dataclass
class _Case:
    classname: str
    name: str
    order: tuple                       # sort key: file, then the whole-file case, then document index
    diags: list[Diagnostic] = field(default_factory=list)


def render(diags: list[Diagnostic], summary: Summary, *, context: ReportContext | None = None) -> str:
    context = context or DEFAULT_CONTEXT
    failing = {Severity.ERROR, Severity.WARNING} if context.strict else {Severity.ERROR}
    cases = _cases(sorted_diagnostics(diags), context)
    failures = sum(1 for case in cases if any(d.severity in failing for d in case.diags))
    counts = {"tests": str(len(cases)), "failures": str(failures), "errors": "0", "skipped": "0"}

    root = ET.Element("testsuites", {"name": SUITE, **counts})
    suite = ET.SubElement(root, "testsuite", {"name": SUITE, **counts})
    for case in cases:
        _testcase(ET.SubElement(suite, "testcase", {"classname": _clean(case.classname),
                                                    "name": _clean(case.name)}), case, failing)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _testcase(element, case: _Case, failing: set[Severity]) -> None:
    bad = [d for d in case.diags if d.severity in failing]
    if bad:
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        failure = SubElement(element, "failure", {
            "message": _clean(f"{bad[0].code}: {bad[0].message}{more}"), "type": bad[0].code})
        failure.text = _clean("".join(block(d) for d in bad))
    rest = [d for d in case.diags if d.severity not in failing]
    if rest:
        SubElement(element, "system-out").text = _clean("".join(block(d) for d in rest))


def _cases(diags: list[Diagnostic], context: ReportContext) -> list[_Case]:
    cases: dict[tuple, _Case] = {}
    by_object: dict[tuple, tuple] = {}   # (file, ObjectRef) -> case key, for diagnostics without an index
    for item in context.objects:
        key = (item.file, "index", item.index) if item.index is not None else (item.file, "object", item.object)
        cases.setdefault(key, _Case(_shown(item.file), str(item.object),
                                    _order(item.file, item.index, str(item.object))))
        by_object.setdefault((item.file, item.object), key)
    for d in diags:
        key = _key(d, cases, by_object)
        if key not in cases:
            cases[key] = _new_case(d)
        cases[key].diags.append(d)
    files_with_cases = {key[0] for key in cases}
    for file in context.files:
        if file not in files_with_cases:
            files_with_cases.add(file)
            cases[(file, "file")] = _Case(_shown(file), _shown(file), _order(file, None, ""))
    return sorted(cases.values(), key=lambda case: case.order)


def _key(d: Diagnostic, cases: dict, by_object: dict) -> tuple:
    if not d.file:
        return (None, "nofile")
    if d.object is None:
        return (d.file, "file")
    if d.index is not None and (d.file, "index", d.index) in cases:
        return (d.file, "index", d.index)
    return by_object.get((d.file, d.object), (d.file, "object", d.object))


def _new_case(d: Diagnostic) -> _Case:
    if not d.file:
        return _Case(SUITE, NO_FILE, (0, "", -2, ""))
    if d.object is None:
        return _Case(_shown(d.file), _shown(d.file), _order(d.file, None, ""))
    return _Case(_shown(d.file), str(d.object), _order(d.file, d.index, str(d.object)))


def _shown(file: str) -> str:
    return STDIN if file == "-" else file


def _order(file: str, index: int | None, name: str) -> tuple:
    # Whole-file cases first within their file (-2), then objects by document index (-1 when unknown).
    return (1, file, -2 if not name else (index if index is not None else -1), name)


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)
