"""The installed CLI as a user runs it (subprocess): help, version, exit codes, which stream gets what
(docs/design.md Decisions 5 and 6), output formats, and the GitHub Actions default."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest
import yaml

from conftest import EXAMPLES, ISVC, run_entry_point

COMMANDS = ("build", "validate", "explain", "catalog", "krm", "kustomize-plugin")
REPO_SRC = EXAMPLES / "repo"



def _clean(proc: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    assert "internal error" not in proc.stderr, proc.stderr


def _example_services() -> list[tuple[str, str]]:
    """(namespace, name) of every InferenceService in examples/repo, read without our loader."""
    found = []
    for path in sorted(REPO_SRC.rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind") == "InferenceService":
                meta = doc.get("metadata") or {}
                found.append((meta.get("namespace") or "default", meta["name"]))
    return found


# ---------------------------------------------------------------------------------------------------
# Help and version


def test_help_mentions_every_command():
    proc = run_entry_point("--help")
    _clean(proc)
    assert proc.returncode == 0
    for command in COMMANDS:
        assert command in proc.stdout
    assert "Exit codes" in proc.stdout


def test_short_help_option():
    assert run_entry_point("-h").stdout == run_entry_point("--help").stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_has_help(command):
    proc = run_entry_point(command, "--help")
    _clean(proc)
    assert proc.returncode == 0
    assert proc.stdout.startswith(f"Usage: kserve-compiler {command} ")
    assert proc.stderr == ""


@pytest.mark.parametrize("command", ["build", "validate", "explain"])
def test_compiling_commands_document_shared_options(command):
    text = run_entry_point(command, "--help").stdout
    for option in ("--config", "--catalog", "--crds", "--kubernetes-version", "--default-namespace", "--exclude",
                   "--max-file-bytes", "--max-depth", "--max-nodes", "--max-documents"):
        assert option in text, option


def test_build_help_documents_output_options():
    text = run_entry_point("build", "--help").stdout
    for option in ("-o, --output", "--check", "--force", "--allow-empty", "--format", "--strict"):
        assert option in text


def test_version():
    proc = run_entry_point("--version")
    _clean(proc)
    assert proc.returncode == 0
    assert proc.stdout.startswith("kserve-compiler, version ")
    from compiler import KSERVE_VERSION, __version__
    assert __version__ in proc.stdout
    # the release whose behaviour we reproduce, and the Kubernetes schemas behind the checks
    assert f"KServe {KSERVE_VERSION}" in proc.stdout
    assert "its types embed Kubernetes 1.34" in proc.stdout


def test_python_dash_m_is_the_same_program(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "compiler", "--version"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == run_entry_point("--version").stdout


def test_python_dash_m_runs_commands(tmp_path):
    (tmp_path / "isvc.yaml").write_text(ISVC)
    proc = subprocess.run([sys.executable, "-m", "compiler", "validate", "isvc.yaml"], capture_output=True,
                          text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# ---------------------------------------------------------------------------------------------------
# Exit code 2: the command line and configuration


@pytest.mark.parametrize("args", [
    ("validate", "--no-such-option"),
    ("build", "--format", "xml"),
    ("frobnicate",),
    ("build", "--max-depth", "0"),
    ("build", "--max-nodes", "many"),
    ("build", "--storage-injection", "sidecar"),
    ("catalog", "frob"),
    ("explain", "--format", "sarif"),
], ids=lambda a: " ".join(a))
def test_bad_option_is_exit_2(args, tmp_path):
    (tmp_path / "isvc.yaml").write_text(ISVC)
    proc = run_entry_point(*args, cwd=tmp_path)
    _clean(proc)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stdout == ""
    assert "Error" in proc.stderr or "error" in proc.stderr


@pytest.mark.parametrize("command", ["validate", "build", "explain"])
def test_missing_source_is_exit_2(command, tmp_path):
    proc = run_entry_point(command, "no-such-folder", cwd=tmp_path)
    _clean(proc)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "kserve-compiler: error KSC001: source 'no-such-folder' does not exist" in proc.stderr


@pytest.mark.parametrize("value", ["nowhere", "isvc.yaml"])
def test_bad_catalog_is_exit_2(value, tmp_path):
    (tmp_path / "isvc.yaml").write_text(ISVC)
    proc = run_entry_point("validate", "--catalog", value, "isvc.yaml", cwd=tmp_path)
    _clean(proc)
    assert proc.returncode == 2
    assert f"error KSC002: --catalog '{value}' is not a folder" in proc.stderr


CONFIGS = {
    "missing": (None, "is not a file"),
    "broken-yaml": ("data: [\n", "YAML syntax error"),
    "not-the-configmap": ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other}\n",
                          "exactly one ConfigMap named inferenceservice-config"),
    "folder": ("<folder>", "is not a file"),
}


@pytest.mark.parametrize("name", CONFIGS)
def test_bad_config_is_exit_2(name, tmp_path):
    text, message = CONFIGS[name]
    (tmp_path / "isvc.yaml").write_text(ISVC)
    if text == "<folder>":
        (tmp_path / "cfg.yaml").mkdir()
    elif text is not None:
        (tmp_path / "cfg.yaml").write_text(text)
    for command in ("validate", "build"):
        proc = run_entry_point(command, "--config", "cfg.yaml", "isvc.yaml", cwd=tmp_path)
        _clean(proc)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert "error KSC003: --config" in proc.stderr
        assert message in proc.stderr


def test_check_without_output_is_exit_2(tmp_path):
    (tmp_path / "isvc.yaml").write_text(ISVC)
    proc = run_entry_point("build", "--check", "isvc.yaml", cwd=tmp_path)
    _clean(proc)
    assert proc.returncode == 2
    assert "--check needs -o" in proc.stderr


def test_foreign_output_folder_is_exit_2(tmp_path):
    (tmp_path / "isvc.yaml").write_text(ISVC)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "mine.txt").write_text("keep\n")
    proc = run_entry_point("build", "isvc.yaml", "-o", "out", cwd=tmp_path)
    _clean(proc)
    assert proc.returncode == 2
    assert "was not written by kserve-compiler" in proc.stderr
    assert (tmp_path / "out" / "mine.txt").read_text() == "keep\n"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["mine.txt"]


# ---------------------------------------------------------------------------------------------------
# examples/repo


def test_validate_examples_repo():
    proc = run_entry_point("validate", str(REPO_SRC))
    _clean(proc)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert " error " not in proc.stdout
    # The summary line of every run: what was read, and what was found (issue 15, kubeconform's -summary).
    assert proc.stderr == ("kserve-compiler: 10 files, 10 documents, 6 InferenceServices, 16 runtimes (14 built in); "
                           "0 errors, 0 warnings, 1 notice\n")


def test_validate_resolve_examples_repo():
    proc = run_entry_point("validate", "--resolve", str(REPO_SRC))
    _clean(proc)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_build_stream_is_only_yaml_on_stdout():
    proc = run_entry_point("build", str(REPO_SRC))
    _clean(proc)
    assert proc.returncode == 0, proc.stderr
    docs = list(yaml.safe_load_all(proc.stdout))
    assert docs and all(isinstance(d, dict) and d.get("apiVersion") and d.get("kind") for d in docs)
    assert "KSC" not in proc.stdout and "kserve-compiler:" not in proc.stdout
    assert proc.stderr.splitlines()[-1] == ("kserve-compiler: 10 files, 10 documents, 6 InferenceServices, 16 runtimes "
                                            "(14 built in) -> 28 objects; 0 errors, 0 warnings, 2 notices")
    assert len(docs) == 28
    kinds = {d["kind"] for d in docs}
    assert {"Deployment", "Service"} <= kinds
    assert "InferenceService" not in kinds and "ServingRuntime" not in kinds  # consumed inputs (Decision 1)


def test_build_stream_is_deterministic():
    first = run_entry_point("build", str(REPO_SRC), env={"PYTHONHASHSEED": "1"})
    second = run_entry_point("build", str(REPO_SRC), env={"PYTHONHASHSEED": "2"})
    assert first.returncode == second.returncode == 0
    assert first.stdout == second.stdout


def test_build_stream_with_an_error_has_empty_stdout(tmp_path):
    (tmp_path / "isvc.yaml").write_text(ISVC.replace("modelFormat: {name: sklearn}", "modelFormat: {name: nope}"))
    proc = run_entry_point("build", "isvc.yaml", cwd=tmp_path)
    _clean(proc)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "isvc.yaml:" in proc.stderr and "error KSC3" in proc.stderr


def test_build_out_puts_the_report_on_stdout(tmp_path):
    proc = run_entry_point("build", str(REPO_SRC), "-o", "out", cwd=tmp_path)
    _clean(proc)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "apiVersion:" not in proc.stdout
    assert proc.stderr.splitlines()[-1].endswith("-> 28 objects; 0 errors, 0 warnings, 2 notices")
    assert (tmp_path / "out" / "kustomization.yaml").is_file()
    again = run_entry_point("build", str(REPO_SRC), "-o", "out", "--check", cwd=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr


def test_explain_mentions_every_inference_service_and_why():
    services = _example_services()
    assert services
    proc = run_entry_point("explain", str(REPO_SRC))
    _clean(proc)
    assert proc.returncode == 0, proc.stderr
    for namespace, name in services:
        assert f"InferenceService {namespace}/{name} " in proc.stdout, (namespace, name)
    for word in ("auto-selected", "explicit", "passed over", "do not list format", "protocol:",
                 "no autoSelect:", "not considered, because the model names its runtime"):
        assert word in proc.stdout, word
    assert "error" not in proc.stdout


def test_explain_name_filter():
    proc = run_entry_point("explain", str(REPO_SRC), "--name", "models/iris")
    _clean(proc)
    assert proc.returncode == 0
    assert "InferenceService models/iris " in proc.stdout
    assert [line for line in proc.stdout.splitlines() if line.startswith("InferenceService ")] == [
        f"InferenceService models/iris ({REPO_SRC}/models/iris-sklearn.yaml:2)"]


REASONS_REPO = {
    "isvc.yaml": """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: {name: m, namespace: ml}
spec:
  predictor:
    model:
      modelFormat: {name: sklearn, version: "1"}
      storageUri: gs://bucket/model
""",
    "runtimes.yaml": "\n---\n".join(f"""\
apiVersion: serving.kserve.io/v1alpha1
kind: ServingRuntime
metadata: {{name: {name}, namespace: ml}}
spec:
{extra}  supportedModelFormats:
    - {{name: {fmt}, version: "{version}"{auto}{priority}}}
  containers:
    - name: kserve-container
      image: example/server:1
""" for name, fmt, version, auto, priority, extra in [
        ("rt-winner", "sklearn", "1", ", autoSelect: true", ", priority: 2", ""),
        ("rt-lower", "sklearn", "1", ", autoSelect: true", ", priority: 1", ""),
        ("rt-disabled", "sklearn", "1", ", autoSelect: true", "", "  disabled: true\n"),
        ("rt-multimodel", "sklearn", "1", ", autoSelect: true", "", "  multiModel: true\n"),
        ("rt-format", "xgboost", "1", ", autoSelect: true", "", ""),
        ("rt-noauto", "sklearn", "1", "", "", ""),
        ("rt-version", "sklearn", "2", ", autoSelect: true", "", ""),
        ("rt-protocol", "sklearn", "1", ", autoSelect: true", "", "  protocolVersions: [v2]\n"),
    ]),
}


def test_explain_names_every_reason(tmp_path):
    for name, text in REASONS_REPO.items():
        (tmp_path / name).write_text(text)
    proc = run_entry_point("explain", ".", "--catalog", "none", cwd=tmp_path)
    _clean(proc)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ServingRuntime rt-winner in namespace ml, auto-selected" in proc.stdout
    lines = {line.split()[0]: line for line in proc.stdout.splitlines()[3:] if line.startswith("      ml/rt-")}
    expected = {"rt-lower": "ranked below", "rt-disabled": "disabled", "rt-multimodel": "multiModel",
                "rt-noauto": "no autoSelect", "rt-version": "version", "rt-protocol": "protocol"}
    for runtime, reason in expected.items():
        assert f"ml/{runtime}" in lines, proc.stdout
        assert lines[f"ml/{runtime}"].split(None, 1)[1].startswith(reason + ":"), lines[f"ml/{runtime}"]
    # runtimes that never list the model's format are folded into one line, still each named
    assert "    do not list format sklearn (1): ml/rt-format" in proc.stdout.splitlines()


# ---------------------------------------------------------------------------------------------------
# Formats


def test_validate_json_parses(tmp_path):
    (tmp_path / "isvc.yaml").write_text(ISVC + "  bogus: 1\n")
    proc = run_entry_point("validate", "--format", "json", "isvc.yaml", cwd=tmp_path)
    _clean(proc)
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert report["summary"]["errors"] >= 1
    assert any(d["file"] == "isvc.yaml" and d["code"].startswith("KSC2") and d["line"] == 10
               for d in report["diagnostics"])
    assert report["configuration"].startswith("built-in (KServe v0.20.0")  # docs/kserve-behaviour.md §0.2: which config was used


def test_validate_json_on_examples_parses():
    proc = run_entry_point("validate", "--format", "json", str(REPO_SRC))
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["summary"]["errors"] == 0


def test_build_out_json_report_parses(tmp_path):
    proc = run_entry_point("build", str(REPO_SRC), "-o", "out", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["summary"]["errors"] == 0


def test_load_error_json(tmp_path):
    (tmp_path / "bad.yaml").write_text("apiVersion: v1\nkind: X\nkind: Y\n")
    proc = run_entry_point("validate", "--format", "json", "bad.yaml", cwd=tmp_path)
    assert proc.returncode == 1
    diag = json.loads(proc.stdout)["diagnostics"][0]
    assert (diag["code"], diag["file"], diag["line"], diag["column"]) == ("KSC102", "bad.yaml", 3, 1)


def test_explain_format_json_parses():
    proc = run_entry_point("explain", str(REPO_SRC), "--format", "json")
    _clean(proc)
    assert proc.returncode == 0
    data = json.loads(proc.stdout)
    names = {(c["inferenceService"]["namespace"], c["inferenceService"]["name"]) for c in data["components"]}
    assert names == set(_example_services())


def test_catalog_format_json_parses():
    proc = run_entry_point("catalog", "list", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    json.loads(proc.stdout)


def test_catalog_list_and_show():
    listing = run_entry_point("catalog", "list")
    _clean(listing)
    assert listing.returncode == 0
    assert "kserve-sklearnserver" in listing.stdout
    shown = run_entry_point("catalog", "show", "kserve-sklearnserver")
    assert shown.returncode == 0
    doc = yaml.safe_load(shown.stdout)
    assert doc["kind"] == "ClusterServingRuntime" and doc["metadata"]["name"] == "kserve-sklearnserver"
    missing = run_entry_point("catalog", "show", "no-such-runtime")
    _clean(missing)
    assert missing.returncode == 2
    assert "no catalog object named 'no-such-runtime'" in missing.stderr


def test_junit_and_sarif_are_well_formed(tmp_path):
    (tmp_path / "bad.yaml").write_text("apiVersion: v1\nkind: X\nkind: Y\n")
    junit = run_entry_point("validate", "--format", "junit", "bad.yaml", cwd=tmp_path)
    assert junit.returncode == 1
    ElementTree.fromstring(junit.stdout)
    sarif = run_entry_point("validate", "--format", "sarif", "bad.yaml", cwd=tmp_path)
    assert sarif.returncode == 1
    assert json.loads(sarif.stdout)["version"] == "2.1.0"


# ---------------------------------------------------------------------------------------------------
# GitHub Actions


def _without_ci_env() -> dict:
    return {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "ARGOCD_APP_NAME")}


def test_github_actions_defaults_to_github_format(tmp_path):
    (tmp_path / "bad.yaml").write_text("apiVersion: v1\nkind: X\nkind: Y\n")
    proc = run_entry_point("validate", "bad.yaml", cwd=tmp_path, env={"GITHUB_ACTIONS": "true"})
    _clean(proc)
    assert proc.returncode == 1
    assert proc.stdout.startswith("::error file=bad.yaml,line=3,col=1,title=KSC102::")


def test_explicit_format_wins_over_github_actions(tmp_path):
    (tmp_path / "bad.yaml").write_text("apiVersion: v1\nkind: X\nkind: Y\n")
    proc = run_entry_point("validate", "--format", "text", "bad.yaml", cwd=tmp_path, env={"GITHUB_ACTIONS": "true"})
    assert proc.stdout.startswith("bad.yaml:3:1: error KSC102: ")


def test_text_format_outside_github_actions(tmp_path):
    (tmp_path / "bad.yaml").write_text("apiVersion: v1\nkind: X\nkind: Y\n")
    proc = subprocess.run([str(Path(sys.executable).parent / "kserve-compiler"), "validate", "bad.yaml"],
                          cwd=tmp_path, capture_output=True, text=True, env=_without_ci_env(), timeout=120)
    assert proc.stdout.startswith("bad.yaml:3:1: error KSC102: ")
    false = run_entry_point("validate", "bad.yaml", cwd=tmp_path, env={"GITHUB_ACTIONS": "false"})
    assert false.stdout.startswith("bad.yaml:3:1: error KSC102: ")


def test_github_actions_build_stream_keeps_stdout_yaml():
    proc = run_entry_point("build", str(REPO_SRC), env={"GITHUB_ACTIONS": "true"})
    assert proc.returncode == 0
    assert all(isinstance(d, dict) for d in yaml.safe_load_all(proc.stdout))
    assert "::" not in proc.stdout


# ---------------------------------------------------------------------------------------------------
# Sources (Decision 1) as the CLI sees them


def test_output_inside_the_sources_is_not_read_back(tmp_path):
    (tmp_path / "isvc.yaml").write_text(ISVC)
    first = run_entry_point("build", ".", "-o", "rendered", cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    again = run_entry_point("build", ".", "-o", "rendered", cwd=tmp_path)
    _clean(again)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "KSC115" not in again.stdout and "KSC119" not in again.stdout  # no duplicates, no previous output
    elsewhere = run_entry_point("validate", ".", cwd=tmp_path)  # no -o: the marker keeps rendered/ out
    assert elsewhere.returncode == 0
    assert "rendered" not in elsewhere.stdout


def test_walked_non_object_is_a_notice_named_is_an_error(tmp_path):
    (tmp_path / "isvc.yaml").write_text(ISVC)
    (tmp_path / "values.yaml").write_text("replicas: 3\n")
    walked = run_entry_point("validate", ".", cwd=tmp_path)
    assert walked.returncode == 0
    assert walked.stdout.startswith("values.yaml:1:1: notice KSC114: ")
    named = run_entry_point("validate", "isvc.yaml", "values.yaml", cwd=tmp_path)
    assert named.returncode == 1
    assert named.stdout.startswith("values.yaml:1:1: error KSC104: ")


def test_exclude_and_host_config_files(tmp_path):
    (tmp_path / "isvc.yaml").write_text(ISVC)
    (tmp_path / "kustomization.yaml").write_text("resources: [isvc.yaml]\n")
    (tmp_path / "drafts").mkdir()
    (tmp_path / "drafts" / "broken.yaml").write_text("a: [\n")
    assert run_entry_point("validate", ".", cwd=tmp_path).returncode == 1
    proc = run_entry_point("validate", ".", "--exclude", "drafts", cwd=tmp_path)
    _clean(proc)
    assert proc.returncode == 0, proc.stdout
    # the kustomization is not read, and says so (issue 13: nothing skipped without a word)
    assert proc.stdout.splitlines()[0] == ("kustomization.yaml: notice KSC122: kustomize files are not read (1 in "
                                           "the sources); kserve-compiler compiles the YAML files themselves")


def test_stdin_source(tmp_path):
    proc = run_entry_point("build", "-", input=ISVC, cwd=tmp_path)
    _clean(proc)
    assert proc.returncode == 0, proc.stderr
    docs = list(yaml.safe_load_all(proc.stdout))
    assert all(d["metadata"]["annotations"]["kserve-compiler/source"] == "-#0" for d in docs)


# ---------------------------------------------------------------------------------------------------
# The webhook's canary and multi-node rules: validate refuses what build refuses

WEBHOOK_RULES = """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: {name: split, namespace: ml}
spec:
  predictor:
    model: {modelFormat: {name: sklearn}, storageUri: "gs://bucket/model"}
  canary:
  - trafficPercent: 60
    predictor: {name: blue, model: {name: kserve-container, modelFormat: {name: sklearn}, storageUri: "gs://b/blue"}}
  - trafficPercent: 50
    predictor: {name: green, model: {name: kserve-container, modelFormat: {name: sklearn}, storageUri: "gs://b/g"}}
---
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: {name: big, namespace: ml}
spec:
  predictor:
    model: {modelFormat: {name: huggingface}, storageUri: "s3://bucket/llm"}
    workerSpec: {tensorParallelSize: 2}
---
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: {name: lost, namespace: ml}
spec:
  predictor:
    model: {modelFormat: {name: no-such-format}, storageUri: "gs://bucket/model"}
  canary:
  - trafficPercent: 10
    predictor: {model: {name: kserve-container, modelFormat: {name: no-such-format}, storageUri: "gs://b/c"}}
"""


def test_validate_applies_the_webhooks_canary_and_multi_node_rules_as_build_does(tmp_path):
    # inference_service_validation.go: validateCanarySpecs (traffic over 100, a canary without a name) and
    # validateMultiNodeVariables (multi-node needs a pvc:// or oci:// storageUri) refuse these at admission,
    # before any runtime is looked for: "lost" gets its canary error even though no runtime serves it.
    (tmp_path / "isvc.yaml").write_text(WEBHOOK_RULES)
    errors = {}  # command line -> sorted (code, line) of its errors
    for command in ("validate", "validate --resolve", "build -o out"):
        proc = run_entry_point(*command.split(), "--format", "json", "isvc.yaml", cwd=tmp_path)
        _clean(proc)
        assert proc.returncode == 1, (command, proc.stdout, proc.stderr)
        report = json.loads(proc.stdout)
        errors[command] = sorted((d["code"], d["line"]) for d in report["diagnostics"] if d["severity"] == "error")
    assert errors["validate"] == [("KSC246", 7), ("KSC246", 29), ("KSC247", 18)]
    no_runtime = [found for found in errors["validate --resolve"] if found not in errors["validate"]]
    assert no_runtime == [("KSC311", 26), ("KSC311", 29)]  # lost's predictor and canary: no runtime
    assert errors["validate --resolve"] == errors["build -o out"]
