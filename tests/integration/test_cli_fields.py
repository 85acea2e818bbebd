"""The installed CLI shows compiler/validate/fields.py's warnings where pre-commit runs it (`validate`), placed at
file:line:column, and `--strict` turns them into a failing exit code."""

from __future__ import annotations

from conftest import ISVC as BASE_ISVC
from conftest import run_entry_point

# conftest's InferenceService with scale-to-zero asked for, which Standard mode does not do (KSC239)
ISVC = BASE_ISVC.replace("  predictor:\n", "  predictor:\n    minReplicas: 0\n")


def test_validate_shows_a_field_warning_and_strict_fails(tmp_path):
    (tmp_path / "isvc.yaml").write_text(ISVC)
    proc = run_entry_point("validate", "isvc.yaml", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "isvc.yaml:7:5: warning KSC239:" in proc.stdout
    assert "no scale-to-zero in Standard mode" in proc.stdout
    strict = run_entry_point("validate", "--strict", "isvc.yaml", cwd=tmp_path)
    assert strict.returncode == 1, strict.stdout + strict.stderr
    assert "KSC239" in strict.stdout


def test_the_legacy_api_group_fails_validate(tmp_path):
    (tmp_path / "isvc.yaml").write_text(ISVC.replace("serving.kserve.io", "serving.kubeflow.org"))
    proc = run_entry_point("validate", "isvc.yaml", cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "isvc.yaml:1:13: error KSC240:" in proc.stdout
    assert "serving.kserve.io/v1beta1" in proc.stdout
