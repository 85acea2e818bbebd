"""The hooks of .pre-commit-hooks.yaml under real pre-commit, as a user's repo runs them.

`pre-commit try-repo` clones this repository and installs it into pre-commit's own virtualenv with pip, as
`repo: ... rev: ...` in a user's .pre-commit-config.yaml would: the same non-editable install that broke
once (package data read as a filesystem path). pip installs from the wheelhouse .ci/run fills, never
from a network.
"""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

import pytest
import yaml

from conftest import BIN, EXE, ISVC, REPO, need_tool, offline_pip_env, wheelhouse

HOOKS = {hook["id"]: hook for hook in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory) -> Path:
    """One pre-commit cache for the module: the hook environment is built once (about half a minute)."""
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture(scope="module")
def pre_commit_env(pre_commit_home) -> dict[str, str]:
    git = need_tool("git")
    house = wheelhouse()
    return {**os.environ, **offline_pip_env(house), "PRE_COMMIT_HOME": str(pre_commit_home),
            "PATH": f"{BIN}{os.pathsep}{Path(git).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
            "VIRTUALENV_NO_DOWNLOAD": "1", "PRE_COMMIT_NO_CONCURRENCY": "1"}


def _user_repo(root: Path, files: dict[str, str]) -> Path:
    """A git repository of KServe sources with a committed rendered/ folder, as the README sets it up."""
    root.mkdir()
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text))
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
    return root


def _render(repo: Path) -> None:
    proc = subprocess.run([str(EXE), "build", ".", "-o", "rendered"], cwd=repo, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def _commit_all(repo: Path, env: dict) -> None:
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True, env=env)
    subprocess.run(["git", "commit", "-q", "-m", "sources"], cwd=repo, check=True, env=env)


def _try_repo(repo: Path, hook: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "pre-commit"), "try-repo", str(REPO), hook, "--all-files", "--color", "never"],
                          cwd=repo, capture_output=True, text=True, env=env, timeout=600)


def test_the_hooks_file_names_every_hook():
    assert set(HOOKS) == {"kserve-compiler-validate", "kserve-compiler-render-check", "kserve-compiler-fix"}
    assert all(hook["pass_filenames"] is False for hook in HOOKS.values())  # a runtime change affects every model


def test_every_hook_passes_on_a_clean_repo(tmp_path, pre_commit_env):
    repo = _user_repo(tmp_path / "clean", {"models/iris.yaml": ISVC})
    _render(repo)
    _commit_all(repo, pre_commit_env)
    for hook in HOOKS:
        proc = _try_repo(repo, hook, pre_commit_env)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "Passed" in proc.stdout, proc.stdout


def test_validate_hook_fails_on_a_misspelt_field(tmp_path, pre_commit_env):
    broken = ISVC.replace("storageUri:", "storageUrii:")
    repo = _user_repo(tmp_path / "broken", {"models/iris.yaml": broken})
    _commit_all(repo, pre_commit_env)
    proc = _try_repo(repo, "kserve-compiler-validate", pre_commit_env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Failed" in proc.stdout
    assert "models/iris.yaml:9:7: error KSC201:" in proc.stdout, proc.stdout
    assert "internal error" not in proc.stdout


def test_render_check_hook_fails_when_the_committed_output_is_stale(tmp_path, pre_commit_env):
    repo = _user_repo(tmp_path / "stale", {"models/iris.yaml": ISVC})
    _render(repo)
    # the model changes after the output was rendered; nobody re-rendered
    source = repo / "models/iris.yaml"
    source.write_text(source.read_text().replace("sklearn/1.0/model", "sklearn/2.0/model"))
    _commit_all(repo, pre_commit_env)
    proc = _try_repo(repo, "kserve-compiler-render-check", pre_commit_env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Failed" in proc.stdout
    assert "sklearn/2.0/model" in proc.stdout  # the diff shows what the sources compile to now


def test_fix_hook_rewrites_a_legacy_form_fails_once_then_passes(tmp_path, pre_commit_env):
    legacy = ISVC.replace("    model:\n      modelFormat: {name: sklearn}\n", "    sklearn:  # legacy form\n")
    repo = _user_repo(tmp_path / "legacy", {"models/iris.yaml": legacy})
    _commit_all(repo, pre_commit_env)
    first = _try_repo(repo, "kserve-compiler-fix", pre_commit_env)
    assert first.returncode == 1, first.stdout + first.stderr
    assert "files were modified by this hook" in first.stdout
    assert "fixed KSC230 predictor.sklearn -> predictor.model" in first.stdout
    text = (repo / "models/iris.yaml").read_text()
    assert "    model:  # legacy form\n      modelFormat:\n        name: sklearn\n" in text
    _commit_all(repo, pre_commit_env)
    second = _try_repo(repo, "kserve-compiler-fix", pre_commit_env)
    assert second.returncode == 0 and "Passed" in second.stdout, second.stdout + second.stderr
