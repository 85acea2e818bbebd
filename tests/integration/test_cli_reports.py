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
