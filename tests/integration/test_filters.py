"""Issue 15: a team steers what the report shows: --quiet, --min-severity, --select/--ignore, the project file,
the per-object annotation; notices grouped by code; the summary line; --verbose. Errors are never hidden."""

from __future__ import annotations

import json
import os

from conftest import ISVC

LEGACY = """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: {name}
  namespace: models
{annotations}spec:
  predictor:
    sklearn:
      storageUri: gs://kfserving-examples/models/sklearn/1.0/model
"""
# A KServe kind we do not compile: passed through with warning KSC116.
GRAPH = """\
apiVersion: serving.kserve.io/v1alpha1
kind: InferenceGraph
metadata:
  name: graph
  namespace: models
spec:
  nodes:
    root:
      routerType: Sequence
      steps:
      - serviceName: iris
"""
BROKEN = ISVC.replace("modelFormat: {name: sklearn}", "modelFormat: {name: sklearn}\n      runtme: x")


def legacy(name: str, annotations: str = "") -> str:
    return LEGACY.format(name=name, annotations=annotations)


def codes(text: str) -> list[str]:
    return [word.rstrip(":") for line in text.splitlines() for word in line.split() if word.startswith("KSC")
            and (" notice " in line or " warning " in line or " error " in line or line.startswith(("notice", "warning", "error")))]


def test_the_same_notice_in_many_places_is_one_naming_the_first(workspace, run_cli):
    workspace({"a.yaml": legacy("a"), "b.yaml": legacy("b"), "c.yaml": legacy("c")})
    done = run_cli("validate", ".", "--format", "json")
    [notice] = json.loads(done.stdout)["diagnostics"]
    assert (notice["code"], notice["file"], notice["line"]) == ("KSC230", "a.yaml", 8)
    assert notice["message"].endswith("(and 2 more places with the same cause)")


def test_notices_are_grouped_by_code_and_verbose_lists_each(workspace, run_cli):
    workspace({"a.yaml": legacy("a"), "b.yaml": legacy("b").replace("sklearn:", "xgboost:"),
               "c.yaml": legacy("c").replace("sklearn:", "lightgbm:")})
    done = run_cli("validate", ".")
    assert done.exit_code == 0
    # One line for the code: its first notice, and how many more there are in how many other files.
    [line] = done.stdout.splitlines()
    assert line.startswith("a.yaml:8:5: notice KSC230: predictor.sklearn is the legacy form")
    assert line.endswith("[InferenceService models/a] (+2 more in 2 other files; --verbose lists each)")
    verbose = run_cli("validate", ".", "--verbose")
    assert verbose.stdout.count("notice KSC230") == 3 and "more KSC230" not in verbose.stdout
    assert [line for line in verbose.stderr.splitlines() if "read" in line] == [
        "kserve-compiler: read a.yaml", "kserve-compiler: read b.yaml", "kserve-compiler: read c.yaml"]


def test_one_missing_service_account_is_one_notice_naming_the_first_place(workspace, run_cli):
    workspace({"a.yaml": ISVC.replace("name: iris", "name: a"), "b.yaml": ISVC.replace("name: iris", "name: b")})
    done = run_cli("build", ".", "-o", "out", "--format", "json")
    [notice] = [d for d in json.loads(done.stdout)["diagnostics"] if d["code"] == "KSC430"]
    assert notice["file"] == "a.yaml" and notice["line"] == 7
    assert notice["message"].endswith("(and 1 more place with the same cause)")
    assert "ServiceAccount default/default" in notice["message"]


def test_summary_line_counts_what_was_read_and_made(workspace, run_cli):
    workspace({"iris.yaml": ISVC, "graph.yaml": GRAPH})
    done = run_cli("build", ".", "-o", "out")
    assert done.exit_code == 0, done.output
    assert done.stderr.splitlines()[-1] == ("kserve-compiler: 2 files, 2 documents, 1 InferenceService, 14 runtimes "
                                            "(14 built in) -> 5 objects; 0 errors, 1 warning, 1 notice")
    report = json.loads(run_cli("validate", ".", "--format", "json").stdout)
    assert report["summary"] == {"errors": 0, "warnings": 1, "notices": 0, "files": 2, "documents": 2,
                                 "inferenceServices": 1, "runtimes": 14, "builtinRuntimes": 14, "hidden": 0}


def test_quiet_hides_warnings_and_notices_never_errors(workspace, run_cli):
    workspace({"graph.yaml": GRAPH, "a.yaml": legacy("a"), "broken.yaml": BROKEN})
    done = run_cli("validate", ".", "--quiet")
    assert done.exit_code == 1
    assert codes(done.stdout) == ["KSC201"]
    assert done.stderr.splitlines()[-1].endswith("1 error, 0 warnings, 0 notices (2 hidden by filters)")
    assert codes(run_cli("validate", ".", "--min-severity", "warning").stdout) == ["KSC201", "KSC116"]
    # KSC2 covers KSC230 (a notice: hidden) and KSC201 (an error: never hidden).
    assert codes(run_cli("validate", ".", "--ignore", "KSC2").stdout) == ["KSC201", "KSC116"]


def test_a_hidden_warning_no_longer_fails_strict(workspace, run_cli):
    workspace({"graph.yaml": GRAPH, "iris.yaml": ISVC})
    assert run_cli("validate", ".", "--strict").exit_code == 1
    assert run_cli("validate", ".", "--strict", "--ignore", "KSC116").exit_code == 0
    assert run_cli("validate", ".", "--strict", "--select", "KSC4").exit_code == 0
    assert run_cli("validate", ".", "--strict", "--quiet").exit_code == 0


def test_select_and_ignore_take_codes_prefixes_and_lists(workspace, run_cli):
    workspace({"graph.yaml": GRAPH, "a.yaml": legacy("a")})
    assert codes(run_cli("validate", ".", "--select", "KSC230").stdout) == ["KSC230"]
    assert codes(run_cli("validate", ".", "--select", "ksc1,KSC230").stdout) == ["KSC230", "KSC116"]
    assert codes(run_cli("validate", ".", "--ignore", "KSC116", "--ignore", "KSC23").stdout) == []


def test_a_bad_code_is_a_usage_error(workspace, run_cli):
    workspace({"iris.yaml": ISVC})
    done = run_cli("validate", ".", "--ignore", "E501")
    assert done.exit_code == 2
    assert "error KSC020: --ignore: 'E501' is not a code" in done.stderr
    assert "hint: codes look like KSC230" in done.stderr


def test_project_file_yaml_sets_defaults_and_flags_win(workspace, run_cli):
    workspace({".git/HEAD": "", ".kserve-compiler.yaml": "ignore: [KSC116]\nmin-severity: warning\n",
               "models/graph.yaml": GRAPH, "models/a.yaml": legacy("a")})
    assert codes(run_cli("validate", "models").stdout) == []
    done = run_cli("validate", "models", "--min-severity", "notice", "--strict")
    assert codes(done.stdout) == ["KSC230"] and done.exit_code == 0  # KSC116 stays ignored: --ignore adds to it
    assert "options from .kserve-compiler.yaml" in run_cli("validate", "models", "-v").stderr


def test_project_file_in_pyproject(workspace, run_cli):
    workspace({".git/HEAD": "", "pyproject.toml": '[project]\nname = "x"\n\n[tool.kserve-compiler]\nquiet = true\n',
               "deploy/a.yaml": legacy("a"), "deploy/graph.yaml": GRAPH})
    done = run_cli("validate", "deploy")
    assert codes(done.stdout) == [] and "(2 hidden by filters)" in done.stderr


def test_project_file_search_stops_at_the_repository_root(workspace, run_cli):
    root = workspace({".kserve-compiler.yaml": "quiet: true\n", "repo/.git/HEAD": "", "repo/a.yaml": legacy("a")})
    assert codes(run_cli("validate", str(root / "repo")).stdout) == ["KSC230"]


def test_project_file_mistakes_are_usage_errors(workspace, run_cli):
    workspace({".kserve-compiler.yaml": "ignroe: [KSC230]\n", "a.yaml": legacy("a")})
    done = run_cli("validate", ".")
    assert done.exit_code == 2
    assert "error KSC022: project file .kserve-compiler.yaml: unknown key 'ignroe'" in done.stderr
    assert "did you mean 'ignore'?" in done.stderr
    (workspace({".kserve-compiler.yaml": "strict: maybe\n"}))
    assert "strict must be true or false" in run_cli("validate", ".").stderr


def test_annotation_silences_codes_on_that_object_only(workspace, run_cli):
    quiet = '  annotations:\n    kserve-compiler/ignore: "KSC230"\n'
    workspace({"a.yaml": legacy("a", quiet), "b.yaml": legacy("b")})
    done = run_cli("validate", ".", "--verbose")
    assert [line.split(":")[0] for line in done.stdout.splitlines() if "KSC230" in line] == ["b.yaml"]
    assert "(1 hidden by filters)" in done.stderr


def test_annotation_is_an_ordinary_annotation_copied_as_kserve_copies_them(workspace, run_cli):
    quiet = '  annotations:\n    kserve-compiler/ignore: "KSC230"\n'
    workspace({"a.yaml": legacy("a", quiet)})
    done = run_cli("build", ".")
    assert done.exit_code == 0
    assert "kserve-compiler/ignore: KSC230" in done.stdout  # on the Deployment, as any annotation would be


def test_annotation_that_is_not_codes_is_a_warning(workspace, run_cli):
    workspace({"a.yaml": legacy("a", '  annotations:\n    kserve-compiler/ignore: "everything"\n')})
    done = run_cli("validate", ".")
    assert "warning KSC021: annotation kserve-compiler/ignore must list codes" in done.stdout
    assert "KSC230" in done.stdout


def test_krm_reads_the_project_file_of_its_root_only(workspace, run_cli):
    import yaml
    item = yaml.safe_load(legacy("a"))
    item["metadata"]["annotations"] = {"config.kubernetes.io/path": "a.yaml"}
    rl = yaml.safe_dump({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [item]})
    root = workspace({"pkg/.kserve-compiler.yaml": "ignore: [KSC230]\n"})
    assert "KSC230" in run_cli("krm", input=rl).stderr  # the file is below the working folder: not this root's
    os.chdir(root / "pkg")
    done = run_cli("krm", input=rl)
    assert done.exit_code == 0 and "KSC230" not in done.stderr


def test_project_file_that_is_not_a_mapping_or_not_yaml(workspace, run_cli):
    workspace({".kserve-compiler.yaml": "- ignore\n", "a.yaml": legacy("a")})
    assert "must be a mapping of option names to values" in run_cli("validate", ".").stderr
    workspace({".kserve-compiler.yaml": "ignore: [KSC230\n"})
    done = run_cli("validate", ".")
    assert done.exit_code == 2 and "error KSC022: cannot read the project file .kserve-compiler.yaml" in done.stderr
    workspace({".kserve-compiler.yaml": "# " + "x" * (1024 * 1024) + "\n"})
    assert "is larger than 1024 KiB" in run_cli("validate", ".").stderr
