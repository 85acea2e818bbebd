"""`kserve-compiler fix` as a user meets it (issue 18): safe writes (CRLF, permissions, symlinks, nothing
outside the sources), --diff and its exit code, --select/--ignore and the project file, the never-worse
rule refusing a file, and a folder of KServe-sample-like legacy files that migrates cleanly."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from conftest import run_entry_point, tree_bytes

LEGACY = """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: {name}
spec:
  predictor:
    {framework}:
      storageUri: {uri}
"""


def test_crlf_file_stays_crlf(workspace, run_cli):
    root = workspace({})
    (root / "iris.yaml").write_bytes(LEGACY.format(name="iris", framework="sklearn", uri="gs://b/m")
                                     .replace("\n", "\r\n").encode())
    result = run_cli("fix", ".")
    assert result.exit_code == 0, result.stderr
    data = (root / "iris.yaml").read_bytes()
    assert b"    model:\r\n      modelFormat:\r\n        name: sklearn\r\n" in data
    assert data.count(b"\n") == data.count(b"\r\n")


def test_permissions_kept_and_no_temp_file_left(workspace, run_cli):
    root = workspace({"iris.yaml": LEGACY.format(name="iris", framework="xgboost", uri="gs://b/m")})
    os.chmod(root / "iris.yaml", 0o640)
    assert run_cli("fix", ".").exit_code == 0
    assert stat.S_IMODE((root / "iris.yaml").stat().st_mode) == 0o640
    assert sorted(p.name for p in root.iterdir()) == ["iris.yaml"]


def test_symlink_stays_a_link_and_its_target_is_fixed(workspace, run_cli):
    root = workspace({"real/iris.yaml": LEGACY.format(name="iris", framework="sklearn", uri="gs://b/m")})
    (root / "models").mkdir()
    (root / "models" / "iris.yaml").symlink_to("../real/iris.yaml")
    assert run_cli("fix", "models", "real").exit_code == 0
    assert (root / "models" / "iris.yaml").is_symlink()
    assert "modelFormat" in (root / "real" / "iris.yaml").read_text()


def test_nothing_outside_the_sources_is_written(workspace, run_cli):
    outside = LEGACY.format(name="iris", framework="sklearn", uri="gs://b/m")
    root = workspace({"outside.yaml": outside, "models/ok.yaml": LEGACY.format(name="ok", framework="pmml",
                                                                                uri="gs://b/p")})
    (root / "models" / "link.yaml").symlink_to("../outside.yaml")  # the walk does not follow it out
    assert run_cli("fix", "models").exit_code == 0
    assert (root / "outside.yaml").read_text() == outside
    assert "name: pmml" in (root / "models" / "ok.yaml").read_text()


def test_diff_exits_1_and_writes_nothing_then_0_when_clean(workspace, run_cli):
    root = workspace({"iris.yaml": LEGACY.format(name="iris", framework="sklearn", uri="gs://b/m")})
    before = tree_bytes(root)
    result = run_cli("fix", "--diff", ".")
    assert result.exit_code == 1
    assert "-    sklearn:\n+    model:\n+      modelFormat:\n+        name: sklearn\n" in result.stdout
    assert tree_bytes(root) == before
    assert run_cli("fix", ".").exit_code == 0
    clean = run_cli("fix", "--diff", ".")
    assert (clean.exit_code, clean.stdout) == (0, "")


FLOAT_AND_LEGACY = """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: iris
spec:
  predictor:
    model:
      modelFormat: {name: sklearn}
      storageUri: gs://b/m
      resources: {requests: {cpu: 0.5}}
---
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: old
  annotations: {serving.kserve.io/deploymentMode: RawDeployment}
spec:
  predictor:
    lightgbm: {storageUri: gs://b/l}
"""


def test_select_and_ignore_choose_the_fixes(workspace, run_cli):
    root = workspace({"m.yaml": FLOAT_AND_LEGACY})
    assert run_cli("fix", "--select", "KSC202", ".").exit_code == 0
    text = (root / "m.yaml").read_text()
    assert 'cpu: "0.5"' in text and "lightgbm:" in text and "RawDeployment" in text
    assert run_cli("fix", "--ignore", "KSC230", ".").exit_code == 0
    text = (root / "m.yaml").read_text()
    assert "lightgbm:" in text and "deploymentMode: Standard" in text


def test_project_file_and_annotation_keep_a_legacy_form(workspace, run_cli):
    root = workspace({".kserve-compiler.yaml": "ignore: [KSC248]\n", "m.yaml": FLOAT_AND_LEGACY.replace(
        "  annotations: {", "  annotations: {kserve-compiler/ignore: KSC230, ")})
    assert run_cli("fix", ".").exit_code == 0
    text = (root / "m.yaml").read_text()
    assert 'cpu: "0.5"' in text and "lightgbm:" in text and "RawDeployment" in text


RUNTIME = """\
apiVersion: serving.kserve.io/v1alpha1
kind: ServingRuntime
metadata:
  name: team-sklearn
spec:
  supportedModelFormats: [{name: sklearn, version: "1", autoSelect: true, priority: 1}]
  containers:
    - name: kserve-container
      image: registry.example/team-sklearn:1.0
      resources: {requests: {cpu: 0.5}}
"""


def test_a_fix_that_would_change_another_files_build_is_not_written(workspace, run_cli):
    # The runtime is refused today (a float cpu), so iris is served by the built-in runtime; fixing the
    # float would make the namespace runtime win auto-selection and change iris's Deployment.
    from conftest import ISVC
    root = workspace({"runtime.yaml": RUNTIME, "iris.yaml": ISVC})
    result = run_cli("fix", ".")
    assert result.exit_code == 0
    assert (root / "runtime.yaml").read_text() == RUNTIME
    assert "warning KSC050: not fixed (KSC202): it would change the build of iris.yaml" in result.stderr
    assert "1 file not written" in result.stderr


def test_stdin_cannot_be_fixed(run_cli):
    result = run_cli("fix", "-", input="a: 1\n")
    assert result.exit_code == 2 and "KSC051" in result.stderr


def test_broken_yaml_is_left_alone(workspace, run_cli):
    root = workspace({"bad.yaml": "kind: [\n", "iris.yaml": LEGACY.format(name="iris", framework="sklearn",
                                                                        uri="gs://b/m")})
    result = run_cli("fix", ".")
    assert result.exit_code == 0
    assert (root / "bad.yaml").read_text() == "kind: [\n"
    assert "modelFormat" in (root / "iris.yaml").read_text()


# Shaped as KServe's docs samples are (docs/samples/v1beta1/*): one framework per file, comments, a
# kubeflow-era apiVersion, float cpu requests, RawDeployment annotations.
SAMPLES = {
    "sklearn/sklearn.yaml": """\
        apiVersion: "serving.kserve.io/v1beta1"
        kind: "InferenceService"
        metadata:
          name: "sklearn-iris"
        spec:
          predictor:
            sklearn:
              storageUri: "gs://kfserving-examples/models/sklearn/1.0/model"
        """,
    "xgboost/xgboost.yaml": """\
        apiVersion: "serving.kserve.io/v1beta1"
        kind: "InferenceService"
        metadata:
          name: "xgboost-iris"
          annotations:
            serving.kserve.io/deploymentMode: RawDeployment
        spec:
          predictor:
            xgboost:
              storageUri: "gs://kfserving-examples/models/xgboost/iris"
              resources:
                requests:
                  cpu: 0.1
                  memory: 256Mi
        """,
    "tensorflow/tensorflow.yaml": """\
        apiVersion: "serving.kubeflow.org/v1beta1"
        kind: "InferenceService"
        metadata:
          name: "flower-sample"
        spec:
          predictor:
            tensorflow:
              # a SavedModel in a bucket
              storageUri: "gs://kfserving-examples/models/tensorflow/flowers"
        """,
    "pytorch/torchserve.yaml": """\
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: torchserve
        spec:
          predictor:
            pytorch:
              storageUri: gs://kfserving-examples/models/torchserve/image_classifier/v1
        """,
    "triton/triton.yaml": """\
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: triton-torchscript
        spec:
          predictor:
            triton:
              storageUri: gs://kfserving-examples/models/torchscript
              runtimeVersion: 23.05-py3
        """,
    "lightgbm/lightgbm.yaml": """\
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: lightgbm-iris
        spec:
          predictor:
            lightgbm: {storageUri: "gs://kfserving-examples/models/lightgbm/iris"}
        """,
}


def test_kserve_sample_like_legacy_files_migrate_cleanly(workspace, run_cli, tmp_path):
    root = workspace(SAMPLES)
    before = run_cli("build", ".")
    assert before.exit_code == 1  # the kubeflow group and the float cpu refuse the build
    result = run_cli("fix", ".")
    assert result.exit_code == 0, result.stderr
    assert "fixed 9 problems in 6 files" in result.stderr
    after = run_cli("validate", "--resolve", ".")
    assert after.exit_code == 0, after.stdout
    assert "KSC230" not in after.stdout and "0 errors, 0 warnings, 0 notices" in after.stderr
    assert run_cli("build", ".").exit_code == 0
    again = run_cli("fix", "--diff", ".")
    assert (again.exit_code, again.stdout) == (0, "")
    assert "# a SavedModel in a bucket" in (root / "tensorflow" / "tensorflow.yaml").read_text()


def test_the_installed_command_fixes(tmp_path):
    (tmp_path / "iris.yaml").write_text(LEGACY.format(name="iris", framework="sklearn", uri="gs://b/m"))
    result = run_entry_point("fix", "--diff", ".", cwd=tmp_path)
    assert result.returncode == 1 and "+    model:" in result.stdout
    assert "Traceback" not in result.stderr
    assert run_entry_point("fix", ".", cwd=tmp_path).returncode == 0
    assert "modelFormat" in Path(tmp_path / "iris.yaml").read_text()
