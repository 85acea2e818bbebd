"""No false failures (issue 13 item 4): a repo of pass-through objects is not an empty build; validate and
build take the same options the same way; `explain --name` that matches nothing says so."""

from __future__ import annotations

import pytest

from conftest import ISVC

SECRET_AND_SA = """\
apiVersion: v1
kind: Secret
metadata: {name: s3-creds, namespace: models}
stringData: {AWS_ACCESS_KEY_ID: x}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: models-sa, namespace: models}
secrets: [{name: s3-creds}]
"""


def test_a_repo_of_only_pass_through_objects_builds(workspace, run_cli):
    workspace({"creds.yaml": SECRET_AND_SA})
    result = run_cli("build", ".", "-o", "out")
    assert result.exit_code == 0, result.output
    assert "KSC608" not in result.output
    built = sorted(p.relative_to("out").as_posix() for p in __import__("pathlib").Path("out").rglob("*.yaml"))
    assert built == ["kustomization.yaml", "models/kustomization.yaml", "models/models-sa.serviceaccount.yaml",
                     "models/s3-creds.secret.yaml"]


def test_an_empty_build_still_fails(workspace, run_cli):
    workspace({"notes.yaml": "just: data\n"})
    result = run_cli("build", ".", "-o", "out")
    assert result.exit_code == 1
    assert "KSC608" in result.output


@pytest.mark.parametrize("value, code", [("latest", 2), ("1.99", 2), ("v1.30.2", 0), ("1.34", 0)])
def test_validate_and_build_take_kubernetes_version_alike(workspace, run_cli, value, code):
    workspace({"isvc.yaml": ISVC})
    for command in ("validate", "build"):
        result = run_cli(command, ".", "--kubernetes-version", value)
        assert result.exit_code == code, (command, result.output)
        if code == 2:
            assert "error KSC031: Kubernetes version" in result.output, (command, result.output)


def test_explain_name_that_matches_nothing_is_exit_1_with_a_did_you_mean(workspace, run_cli):
    workspace({"isvc.yaml": ISVC})
    result = run_cli("explain", ".", "--name", "irs")
    assert result.exit_code == 1, result.output
    assert 'error KSC018: no InferenceService is named "irs"' in result.output
    assert 'did you mean "default/iris"?' in result.output


def test_explain_name_that_matches_prints_only_that_one(workspace, run_cli):
    workspace({"isvc.yaml": ISVC + "---\n" + ISVC.replace("name: iris", "name: petals")})
    result = run_cli("explain", ".", "--name", "petals")
    assert result.exit_code == 0, result.output
    assert "InferenceService default/petals" in result.output
    assert "InferenceService default/iris" not in result.output


def test_a_kustomization_in_a_source_folder_is_named_once_with_the_recipe(workspace, run_cli):
    """Decision 1 skips kustomization files in a walk; nothing is skipped without a word (issue 13)."""
    workspace({"isvc.yaml": ISVC, "kustomization.yaml": "resources: [isvc.yaml]\n",
               "overlay/kustomization.yaml": "resources: [../]\n"})
    result = run_cli("validate", ".")
    assert result.exit_code == 0, result.output
    notices = [line for line in result.output.splitlines() if "KSC122" in line]
    assert notices == ["kustomization.yaml: notice KSC122: kustomize files are not read (2 in the sources, "
                       "also overlay/kustomization.yaml); kserve-compiler compiles the YAML files themselves"], \
        result.output
    assert "kubectl kustomize DIR | kserve-compiler build -" in result.output
