"""Runtime placeholders (compiler/expand/placeholders.py) against docs/kserve-behaviour.md §4.1.

KServe v0.20.0 (.../inferenceservice/utils/utils.go ReplacePlaceholders) marshals the container to JSON,
parses the whole JSON text as a Go html/template and executes it over the InferenceService's ObjectMeta.
The expectations marked "Go" below were checked by running that same marshal/parse/execute/unmarshal
sequence with Go's own encoding/json and html/template (go1.19) on a small container: a missing key
renders empty, values are HTML-escaped, a double-quoted string inside an action fails to parse (the JSON
encoding turns `"` into `\\"`), back-quoted keys work, trim markers and comments behave as in Go, and a
value holding a newline breaks the JSON round trip.
"""

from __future__ import annotations

import pytest

from compiler.diagnostics import Severity
from compiler.expand.placeholders import (BREAKS_JSON, MISSING_KEY, PLACEHOLDER_ERROR, render,
                                          render_container)

META = {
    "name": "iris", "namespace": "ns",
    "labels": {"a": "x&y<z>\"'+", "app.kubernetes.io/name": "n", "modelClass": "mlserver_sklearn.SKLearnModel",
               "é": "accent"},
    "annotations": {"nl": "a\nb", "tab": "a\tb", "bs": "a\\nb", "q": '"', "nul": "a\0b", "u": "é\u2028",
                    "modelFormat": "sklearn"},
}

# (template, rendered) -- every row checked with Go
RENDERS = [
    ("{{.Name}}", "iris"),
    ("{{ .Name }}", "iris"),
    ("{{ .Name}}", "iris"),
    ("{{.Namespace}}", "ns"),
    ("--model_name={{.Name}}", "--model_name=iris"),
    ("{{.Name}}{{.Namespace}}", "irisns"),
    ("<{{.Name}}>", "<iris>"),
    ("{{.Labels.a}}", "x&amp;y&lt;z&gt;&#34;&#39;&#43;"),
    ("{{.Labels.modelClass}}", "mlserver_sklearn.SKLearnModel"),
    ("{{.Annotations.modelFormat}}", "sklearn"),
    ("{{.Labels.é}}", "accent"),
    ("{{index .Labels `app.kubernetes.io/name`}}", "n"),
    ("{{- .Name -}}", "iris"),
    ("a {{- .Name -}} b", "airisb"),
    ("a {{- .Name}} b", "airis b"),
    ("{{/* a comment */}}x", "x"),
    ("{{- /* a comment */ -}} x", "x"),
    ("}}", "}}"),
    ("no placeholder {", "no placeholder {"),
    ("{{.Annotations.bs}}", "a\nb"),       # the backslash sequence is decoded by the JSON round trip
    ("{{.Annotations.q}}", "&#34;"),
    ("{{.Annotations.u}}", "é\u2028"),
    ("{{.Annotations.nul}}", "a\ufffdb"),
]


@pytest.mark.parametrize("template, expected", RENDERS)
def test_renders(template, expected):
    assert render(template, META, runtime="rt", container="kserve-container") == (expected, [])


# (template, key) -- Go renders "" for a missing map key; we warn
MISSING = [
    ("{{.Labels.missing}}", "missing"),
    ("{{.Annotations.missing}}", "missing"),
    ("{{index .Labels `nope/x`}}", "nope/x"),
    ("{{.Labels.my_key}}", "my_key"),
]


@pytest.mark.parametrize("template, key", MISSING)
def test_missing_key_renders_empty_with_a_warning(template, key):
    value, problems = render(f"--x={template}", META, runtime="kserve-mlserver", container="kserve-container")
    assert value == "--x="
    assert [(p.severity, p.code) for p in problems] == [(Severity.WARNING, MISSING_KEY)]
    assert "kserve-mlserver" in problems[0].message and "kserve-container" in problems[0].message
    assert repr(key) in problems[0].message


def test_missing_labels_map():
    assert render("{{.Labels.a}}", {"name": "iris"}, runtime="r", container="c")[0] == ""


# Templates KServe fails on (Go: parse or execute error) or that we refuse to evaluate. The value comes
# back unchanged with one error naming the runtime and the container.
ERRORS = [
    '{{index .Labels "app.kubernetes.io/name"}}',   # Go: unexpected "\\" in operand
    '{{"lit"}}',                                    # Go: unexpected "\\" in command
    '{{template "x"}}',                             # Go: unexpected "\\" in template clause
    '{{.Name | printf "%s"}}',                      # Go: unexpected "\\" in operand
    "{{.Labels.app.kubernetes.io/name}}",           # Go: bad character U+002F '/'
    "{{.Labels.my-key}}",                           # Go: bad character U+002D '-'
    "{{.Labels.1a}}",                               # Go: bad number syntax
    "{{.name}}",                                    # Go: can't evaluate field name
    "{{.UID}}",
    "{{.Labels}}",                                  # Go prints the map; we refuse
    "{{.Labels.a.b}}",                              # Go: can't evaluate field b in type string
    "{{$.Name}}",
    "{{`lit`}}",
    "{{}}",                                         # Go: missing value for command
    "{{ }}",
    "{{.Name",                                      # Go: unclosed action
    "{{",
    "{{ /* c */ }}",                                # Go: unexpected "/" in command
    "{{\t.Name}}",                                  # the tab is JSON-escaped: Go sees a backslash
    "{{-.Name}}",                                   # Go: bad number syntax
    # hostile: never evaluated
    "{{ call .Foo }}",
    "{{range .Labels}}x{{end}}",
    "{{ template \"t\" . }}",
    "{{define \"t\"}}x{{end}}",
    "{{ len .Labels }}",
    "{{ printf \"%v\" . }}",
    "{{ html .Name }}",
    "{{ .Name.x }}",
    "{{`a`}}{{ end }}",
    "{{/* unclosed",
]


@pytest.mark.parametrize("template", ERRORS)
def test_errors_are_never_evaluated(template):
    value, problems = render(template, META, runtime="custom-rt", container="kserve-container")
    assert value == template
    assert [(p.severity, p.code) for p in problems] == [(Severity.ERROR, PLACEHOLDER_ERROR)]
    assert problems[0].message.startswith(
        "failed to replace placeholders in serving runtime custom-rt Container kserve-container: ")


def test_double_quoted_index_explains_back_quotes():
    _, problems = render('{{index .Labels "app.kubernetes.io/name"}}', META, runtime="r", container="c")
    assert '{{index .Labels "app.kubernetes.io/name"}}' in problems[0].message
    assert "{{index .Labels `app.kubernetes.io/name`}}" in problems[0].hint


@pytest.mark.parametrize("template", ["{{.Annotations.nl}}", "{{.Annotations.tab}}"])
def test_value_that_breaks_the_json_round_trip(template):
    # Go: json.Unmarshal fails with "invalid character '\n' in string literal"
    value, problems = render(template, META, runtime="r", container="c")
    assert value == template
    assert [(p.severity, p.code) for p in problems] == [(Severity.ERROR, BREAKS_JSON)]


def test_every_string_of_the_container_is_rendered():
    container = {
        "name": "kserve-container", "image": "server:{{.Labels.modelClass}}", "command": ["{{.Name}}"],
        "args": ["--model_name={{.Name}}", "--ns={{ .Namespace }}"],
        "env": [{"name": "IMPL", "value": "{{.Labels.modelClass}}"},
                {"name": "REF", "valueFrom": {"configMapKeyRef": {"name": "{{.Name}}-cm", "key": "k"}}}],
        "ports": [{"containerPort": 8080}], "workingDir": "/w/{{.Namespace}}",
    }
    rendered, problems = render_container(container, META, runtime="rt")
    assert problems == []
    assert rendered == {
        "name": "kserve-container", "image": "server:mlserver_sklearn.SKLearnModel", "command": ["iris"],
        "args": ["--model_name=iris", "--ns=ns"],
        "env": [{"name": "IMPL", "value": "mlserver_sklearn.SKLearnModel"},
                {"name": "REF", "valueFrom": {"configMapKeyRef": {"name": "iris-cm", "key": "k"}}}],
        "ports": [{"containerPort": 8080}], "workingDir": "/w/ns",
    }
    assert container["command"] == ["{{.Name}}"]  # input untouched


def test_container_problems_name_the_container():
    _, problems = render_container({"name": "transformer-container", "args": ["{{.Labels.x}}", "{{ call }}"]},
                                   META, runtime="rt")
    assert [p.code for p in problems] == [MISSING_KEY, PLACEHOLDER_ERROR]
    assert all("transformer-container" in p.message for p in problems)
