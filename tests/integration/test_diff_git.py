"""`kserve-compiler diff` against real git repositories (issue 16): revisions are read with git archive and the
user's work tree and index stay exactly as they were; usage errors exit 2, a side that does not compile exits 1
with its diagnostics, --exit-code exits 1 on any change."""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

import pytest

from conftest import ISVC, run_entry_point

GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}

TEAM_RUNTIME = """\
apiVersion: serving.kserve.io/v1alpha1
kind: ServingRuntime
metadata:
  name: team-sklearn
spec:
  supportedModelFormats:
    - name: sklearn
      version: "1"
      autoSelect: true
  protocolVersions: [v1]
  containers:
    - name: kserve-container
      image: registry.example.com/team/sklearnserver:2.0.0
      args: ["--model_name={{.Name}}"]
"""


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, env={**os.environ, **GIT_ENV},
                          check=True)
    return done.stdout


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A git repo with one commit: models/iris.yaml (auto-selects kserve-sklearnserver)."""
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    root = tmp_path / "repo"
    (root / "models").mkdir(parents=True)
    (root / "models" / "iris.yaml").write_text(ISVC)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "iris")
    monkeypatch.chdir(root)
    return root


def _state(root: Path) -> tuple:
    """What diff must not touch: the work tree's status, the index's bytes, the refs."""
    return git(root, "status", "--porcelain"), (root / ".git" / "index").read_bytes(), git(root, "show-ref")


def test_work_tree_against_a_revision_names_the_new_runtime(repo, run_cli):
    (repo / "runtimes").mkdir()
    (repo / "runtimes" / "team.yaml").write_text(TEAM_RUNTIME)
    before = _state(repo)
    result = run_cli("diff", "main", "--format", "text")
    assert result.exit_code == 0, result.output
    assert "re-routes 1 InferenceService from kserve-sklearnserver to default/team-sklearn" in result.stdout
    assert "a new runtime default/team-sklearn ranks above kserve-sklearnserver" in result.stdout
    assert "registry.example.com/team/sklearnserver:2.0.0" in result.stdout
    assert _state(repo) == before
    assert not list(Path("/tmp").glob("kserve-compiler-diff-*")), "the unpacked revision was left behind"


def test_two_revisions_from_a_subfolder_with_annotations_on_the_changed_line(repo, run_cli, monkeypatch):
    (repo / "models" / "iris.yaml").write_text(ISVC.replace("sklearn/1.0/model", "sklearn/2.0/model"))
    git(repo, "commit", "-q", "-am", "new model")
    (repo / "models" / "iris.yaml").write_text("garbage: [")  # the work tree is not read
    monkeypatch.chdir(repo / "models")
    result = run_cli("diff", "HEAD~1", "HEAD", "--format", "github")
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    assert first.startswith("::notice file=iris.yaml,line=9,")  # storageUri, as the user sees the file from here
    assert "spec.predictor.model.storageUri" in first


def test_same_revision_is_empty_and_exit_code_says_so(repo, run_cli):
    assert run_cli("diff", "main", "main", "--exit-code").exit_code == 0
    (repo / "models" / "iris.yaml").write_text(ISVC.replace("name: iris", "name: iris2"))
    changed = run_cli("diff", "main", "--exit-code")
    assert changed.exit_code == 1
    assert "InferenceService default/iris (models/iris.yaml:1): removed" in changed.stdout
    assert "InferenceService default/iris2 (models/iris.yaml:1): added" in changed.stdout


def test_a_side_that_does_not_compile_prints_its_diagnostics_and_exits_1(repo, run_cli):
    (repo / "models" / "iris.yaml").write_text(ISVC.replace("storageUri", "storageUrl"))
    result = run_cli("diff", "main")
    assert result.exit_code == 1
    assert "HEAD (work tree) does not compile" in result.stderr
    assert "models/iris.yaml:9:7: error KSC2" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("args, code", [(("no-such-branch",), "KSC041"), (("--path", "-", "main"), "KSC043")])
def test_usage_errors_exit_2(repo, run_cli, args, code):
    result = run_cli("diff", *args)
    assert result.exit_code == 2
    assert f"error {code}" in result.stderr


def test_a_revision_outside_a_git_repo_exits_2(tmp_path, run_cli, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    result = run_cli("diff", "main")
    assert result.exit_code == 2
    assert "error KSC040" in result.stderr


def test_two_folders_in_markdown(tmp_path, run_cli, monkeypatch):
    for side in ("old", "new"):
        (tmp_path / side).mkdir()
        (tmp_path / side / "iris.yaml").write_text(ISVC)
    (tmp_path / "new" / "team.yaml").write_text(TEAM_RUNTIME)
    monkeypatch.chdir(tmp_path)
    result = run_cli("diff", "old", "new", "--format", "markdown")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("## kserve-compiler diff: re-routes 1 InferenceService from kserve-sklearnserver"
                                    " to default/team-sklearn\n")
    assert "<details><summary><b>default/iris</b>: changed; predictor: kserve-sklearnserver → default/team-sklearn" \
        in result.stdout


def test_entry_point_forks_both_sides_without_a_traceback(repo):
    (repo / "models" / "iris.yaml").write_text(ISVC.replace("sklearn/1.0/model", "sklearn/2.0/model"))
    done = run_entry_point("diff", "main", "--format", "json", cwd=repo, env=GIT_ENV)
    assert done.returncode == 0, done.stderr
    assert '"rollout": 1' in done.stdout
    assert "Traceback" not in done.stderr
