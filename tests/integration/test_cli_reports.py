"""Reports that fit their consumers (issue 15), through the CLI: SARIF rules with help and a link into
docs/codes.md, GitHub annotations within GitHub's per-step limits, and `--summary FILE` appending as
$GITHUB_STEP_SUMMARY expects while `--report FILE` replaces."""

from __future__ import annotations

import json

from conftest import ISVC

# A repo with many problems of every kind: 12 misspelt fields (errors), 12 legacy predictors (notices).
BAD = "".join(ISVC.replace("name: iris", f"name: bad{i}").replace("storageUri", f"storageUrl{i}") + "---\n"
              for i in range(12))
LEGACY = "".join(f"""\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: old{i}
spec:
  predictor:
    sklearn:
      storageUri: gs://bucket/m{i}
---
""" for i in range(12))


def test_sarif_rules_link_to_docs_codes_md(run_cli, workspace):
    workspace({"models/bad.yaml": BAD})
    result = run_cli("validate", "models", "--format", "sarif")
    assert result.exit_code == 1
    [rule] = json.loads(result.stdout)["runs"][0]["tool"]["driver"]["rules"]
    assert rule["id"] == "KSC201"
    assert rule["helpUri"] == "https://github.com/kserve-compiler/kserve-compiler/blob/main/docs/codes.md#ksc201"
    assert rule["shortDescription"]["text"] == "Unknown field"
    assert "did you mean" in rule["help"]["text"] and rule["help"]["markdown"].startswith("**Unknown field**")


def test_github_annotations_stay_within_the_limits_errors_first(run_cli, workspace):
    workspace({"models/bad.yaml": BAD, "models/legacy.yaml": LEGACY})
    result = run_cli("validate", "models", "--format", "github")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    kinds = [line.split(" ", 1)[0] for line in lines]
    # legacy.yaml sorts after bad.yaml anyway; the 10 errors still come first, 2 errors never print
    assert kinds == ["::error"] * 10 + ["::notice"] * 10
    assert lines[-1] == ("::notice title=kserve-compiler::12 errors, 0 warnings, 12 notices; 5 not shown as"
                         " annotations (GitHub shows at most 10 of each kind per step): run kserve-compiler with"
                         " --format text, or --format json, to see them all")
    assert len(run_cli("validate", "models", "--format", "text").stdout.split("error KSC201")) == 13


def test_summary_appends_and_report_replaces(run_cli, workspace):
    root = workspace({"models/iris.yaml": ISVC})
    summary, report = root / "step-summary.md", root / "report.json"
    summary.write_text("## an earlier step's summary\n")
    report.write_text("stale report\n")
    for _ in range(2):
        result = run_cli("validate", "models", "--format", "json", "--summary", str(summary), "--report", str(report))
        assert result.exit_code == 0
    text = summary.read_text()
    assert text.startswith("## an earlier step's summary\n\n## ")
    assert text.count("kserve-compiler: 0 errors") == 2  # both runs' titles, one after the other
    assert json.loads(report.read_text())["summary"]["errors"] == 0  # the last run's report only


# ---------------------------------------------------------------- hints in the user's language

def test_legacy_form_hint_is_a_yaml_fragment_to_paste(run_cli, workspace):
    workspace({"old.yaml": LEGACY.split("---\n")[0]})
    result = run_cli("validate", "old.yaml")
    assert result.exit_code == 0
    assert ("old.yaml:7:5: notice KSC230: predictor.sklearn is the legacy form; KServe v0.20 reads it as "
            "predictor.model with modelFormat sklearn and auto-selects the runtime [InferenceService old0]\n"
            "    field: spec.predictor.sklearn\n"
            "    hint: the current form is:\n"
            "        predictor:\n"
            "          model:\n"
            "            modelFormat:\n"
            "              name: sklearn\n"
            "            storageUri: gs://bucket/m0\n") in result.stdout
    assert "{" not in result.stdout  # no JSON left in the hint


UNQUOTED = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  {line}
"""


def test_unquoted_template_says_to_quote_it(run_cli, workspace):
    workspace({"helm.yaml": UNQUOTED.format(line="image: {{ .Values.image }}"),
               "args.yaml": UNQUOTED.format(line="args: [--x={y}, plain]")})
    result = run_cli("validate", "helm.yaml", "args.yaml")
    assert result.exit_code == 1
    assert ("args.yaml:6:9: error KSC101: YAML syntax error: did not find expected ',' or ']' (while parsing a "
            "flow sequence)\n"
            '    hint: YAML reads an unquoted "{" as the start of a mapping, so a value holding braces must be '
            'quoted: args: ["--x={y}", plain]\n') in result.stdout
    assert ("helm.yaml:6:10: error KSC113: a mapping key must be a scalar\n"
            '    hint: YAML reads an unquoted "{" as the start of a mapping, so a value holding braces must be '
            'quoted: image: "{{ .Values.image }}"; if this is a Helm template, render it first: '
            "helm template ... | kserve-compiler build -\n") in result.stdout


def test_a_real_flow_mapping_left_open_gets_no_quote_hint(run_cli, workspace):
    workspace({"open.yaml": UNQUOTED.format(line="x: {a: 1")})
    result = run_cli("validate", "open.yaml")
    assert result.exit_code == 1 and "KSC101" in result.stdout and "quote" not in result.stdout


def test_a_field_of_an_older_kserve_says_when_it_went(run_cli, workspace):
    workspace({"income.yaml": """\
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: income
        spec:
          predictor:
            model:
              modelFormat: {name: sklearn}
              storageUri: gs://bucket/income
          explainer:
            alibi:
              type: AnchorTabular
        """})
    result = run_cli("validate", "income.yaml")
    assert result.exit_code == 1
    assert ('income.yaml:11:5: error KSC201: spec.explainer: unknown field "alibi" [InferenceService income]\n'
            "    field: spec.explainer.alibi\n"
            "    hint: explainer.alibi was removed in KServe v0.13.0 and does not exist in v0.20; run the explainer "
            "as a custom container: its image and args under explainer.containers\n") in result.stdout
    assert "did you mean" not in result.stdout


def test_generate_name_objects_are_named_without_none(run_cli, workspace):
    workspace({"gen.yaml": """\
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          generateName: iris-
          namespace: ml
        spec:
          predictor:
            model:
              modelFormat: {name: sklearn}
              storageUri: gs://bucket/iris
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          generateName: cm-
        """})
    for fmt in ("text", "json", "github", "junit", "sarif"):
        result = run_cli("build", "gen.yaml", "--format", fmt)
        assert result.exit_code == 1
        assert "None" not in result.stdout + result.stderr, fmt
    text = run_cli("validate", "gen.yaml").stdout
    assert ('gen.yaml:3:1: error KSC203: metadata: required field "name" is missing '
            "[InferenceService ml/<generateName iris->]\n") in text
    assert ("error KSC120: ConfigMap: metadata.generateName 'cm-' without metadata.name: kubectl apply needs a "
            "name; the API server would refuse this object [ConfigMap <generateName cm->]\n") in text
