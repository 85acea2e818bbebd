"""Issue 15's conveniences around build and explain, as a user meets them on the command line: `explain --name`
answers for one object, `--check` hints name the sources as given, stdin only with `-`, and the message
when `.` holds nothing to compile."""

from __future__ import annotations

import json

from conftest import ISVC, run_entry_point

LEGACY = """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: {name: flowers}
spec:
  predictor:
    tensorflow:
      storageUri: gs://kfserving-examples/models/tensorflow/flowers
"""
BROKEN = ISVC.replace("name: iris", "name: broken").replace("{name: sklearn}", "{name: nope}")


def _lines(text: str, needle: str) -> list[str]:
    return [line for line in text.splitlines() if needle in line]


# ---------------------------------------------------------------------------------------------------
# explain --name


def test_explain_name_shows_only_that_objects_diagnostics(workspace, run_cli):
    workspace({"iris.yaml": ISVC, "flowers.yaml": LEGACY})
    whole = run_cli("explain", ".")
    assert "KSC230" in whole.stderr  # the legacy form's notice is about flowers

    iris = run_cli("explain", ".", "--name", "iris")
    assert iris.exit_code == 0, iris.output
    assert _lines(iris.stdout, "InferenceService default/") == ["InferenceService default/iris (iris.yaml:1)"]
    assert "KSC230" not in iris.stderr and "flowers" not in iris.output

    flowers = run_cli("explain", ".", "--name", "default/flowers")
    assert flowers.exit_code == 0
    assert _lines(flowers.stderr, "KSC230") == [
        _lines(whole.stderr, "KSC230")[0]]  # the same notice, word for word
    assert "iris" not in flowers.output


def test_explain_name_says_what_it_leaves_out_and_keeps_the_exit_code(workspace, run_cli):
    workspace({"iris.yaml": ISVC, "broken.yaml": BROKEN})
    result = run_cli("explain", ".", "--name", "iris")
    assert result.exit_code == 1  # the repo does not compile, whichever object is explained
    assert "KSC311" not in result.stderr and "broken" not in result.output
    assert ("kserve-compiler: 1 error(s) and 0 warning(s) about other objects are not shown with --name; run "
            "explain (or validate --resolve) without --name to see them") in result.stderr


def test_explain_name_that_matches_nothing_is_exit_1_with_did_you_mean(workspace, run_cli):
    workspace({"iris.yaml": ISVC, "flowers.yaml": LEGACY})
    result = run_cli("explain", ".", "--name", "irsi")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:2] == ['error KSC018: no InferenceService is named "irsi"',
                                              '    hint: did you mean "default/iris"?']
    assert "KSC230" not in result.stderr  # nothing about the objects that were not asked for
    as_json = run_cli("explain", ".", "--name", "irsi", "--format", "json")
    assert as_json.exit_code == 1 and json.loads(as_json.stdout)["components"] == []


# ---------------------------------------------------------------------------------------------------
# build -o OUT --check


def test_check_hint_names_the_sources_and_options_as_given(workspace, run_cli):
    root = workspace({"models/iris.yaml": ISVC, "models/notes/x.yaml": "not: kubernetes\n"})
    args = ("build", "models", "-o", "rendered dir", "--default-namespace", "ml", "--exclude", "notes")
    assert run_cli(*args).exit_code == 0
    (root / "rendered dir" / "ml" / "iris.ingress.yaml").unlink()
    result = run_cli(*args, "--check", "--strict")
    assert result.exit_code == 1
    hints = _lines(result.stdout, "hint: run:")
    assert hints == ["    hint: run: kserve-compiler build models -o 'rendered dir' --default-namespace ml "
                     "--exclude notes; then commit the result"]  # --check and --strict change nothing written


def test_check_without_sources_names_none_and_never_reports_the_marker(workspace, run_cli):
    root = workspace({"iris.yaml": ISVC})
    assert run_cli("build", "-o", "out").exit_code == 0
    (root / "out" / ".kserve-compiler").write_text("touched\n")
    assert run_cli("build", "-o", "out", "--check").exit_code == 0  # the marker alone is never drift
    (root / "out" / "kustomization.yaml").write_text("resources: []\n")
    result = run_cli("build", "-o", "out", "--check")
    assert result.exit_code == 1
    assert _lines(result.stdout, "KSC603") == [
        "out/kustomization.yaml: error KSC603: out of date: kustomization.yaml differs from what the sources "
        "compile to"]
    assert "hint: run: kserve-compiler build -o out; then commit the result" in result.stdout
    assert ".kserve-compiler" not in result.stdout
