"""Shared fixtures: a temporary workspace of YAML files, and the CLI run in-process (style.md)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent        # the venv's bin folder: put first on PATH for host tools
EXE = BIN / "kserve-compiler"            # the installed console script, as users run it
EXAMPLES = REPO / "examples"

# The smallest InferenceService that compiles: sklearn, auto-selected, a gs:// model.
ISVC = """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: iris
spec:
  predictor:
    model:
      modelFormat: {name: sklearn}
      storageUri: gs://kfserving-examples/models/sklearn/1.0/model
"""


def in_ci() -> bool:
    return bool(os.environ.get("CI"))


def pytest_configure(config):
    """KSC_TEST_INSTALLED=1 (the second step of .ci/run): the tests must exercise the installed wheel, so
    the package imported here may not be the source tree's (that would hide every packaging bug)."""
    if os.environ.get("KSC_TEST_INSTALLED"):
        import compiler
        where = Path(compiler.__file__).resolve()
        if REPO in where.parents:
            raise pytest.UsageError(f"KSC_TEST_INSTALLED is set but compiler is imported from the source tree "
                                    f"({where}); run pytest from a folder outside it, with the wheel's venv")


def wheelhouse() -> Path:
    """A folder of wheels (the project, its dependencies and its build backend) that .ci/run fills before
    pytest starts, so tests that install the project (pre-commit, the GitHub Action) never touch a
    network. Skip only when not in CI (README)."""
    path = os.environ.get("KSC_WHEELHOUSE")
    if not path or not any(Path(path).glob("kserve_compiler-*.whl")):
        if in_ci():
            pytest.fail("KSC_WHEELHOUSE is not a filled wheelhouse, and CI must run the install tests")
        pytest.skip("KSC_WHEELHOUSE is unset (.ci/run fills it: pip wheel of the project and its dependencies)")
    return Path(path)


def offline_pip_env(house: Path) -> dict[str, str]:
    """Environment for a pip run that installs only from `house`: no index, no user or site config."""
    return {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(house), "PIP_CONFIG_FILE": os.devnull,
            "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def need_tool(name: str) -> str:
    """Path of a host tool the integration tests drive; skip only when not in CI (README)."""
    path = shutil.which(name)
    if path is None:
        if in_ci():
            pytest.fail(f"{name} is not on PATH, and CI must run the integration tests")
        pytest.skip(f"{name} is not on PATH (CI is unset)")
    return path


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    """Write a dedented {path: text} dict into a temp dir and cd there (yamllint build_temp_workspace)."""
    def make(files: dict[str, str]) -> Path:
        for rel, text in files.items():
            path = tmp_path / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text))
        return tmp_path
    monkeypatch.chdir(tmp_path)
    return make


@pytest.fixture
def run_cli():
    from compiler.doors.cli import main

    def run(*args: str, input: str | bytes | None = None, env: dict | None = None):
        runner = CliRunner()
        return runner.invoke(main, list(args), input=input, env=env, catch_exceptions=False)
    return run


def run_entry_point(*args: str, cwd: Path | None = None, input: str | None = None, env: dict | None = None,
                    timeout: float = 120) -> subprocess.CompletedProcess:
    """The installed console script, as a user runs it."""
    exe = EXE
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([str(exe), *args], cwd=cwd, input=input, capture_output=True, text=True,
                          env=full_env, timeout=timeout)


def tree_bytes(root: Path) -> dict[str, bytes | str]:
    """Every folder and file below `root` with its bytes: equal trees mean nothing changed."""
    out: dict[str, bytes | str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            out[os.path.relpath(os.path.join(dirpath, d), root) + "/"] = "dir"
        for f in filenames:
            path = os.path.join(dirpath, f)
            out[os.path.relpath(path, root)] = Path(path).read_bytes()
    return out


def tree_paths(node, here: tuple = ()):
    """Every path into a parsed YAML document ((): the document; then keys and list indexes), depth first:
    where the fuzz and property tests damage a document."""
    yield here
    if isinstance(node, dict):
        for key, value in node.items():
            yield from tree_paths(value, (*here, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from tree_paths(value, (*here, i))


def need_strace() -> str:
    """strace, for the tests that trace a build; skip with the reason where it cannot run."""
    path = shutil.which("strace")
    if path is None:
        pytest.skip("strace is not on PATH (apt-get install strace)")
    probe = subprocess.run([path, "-f", "-qq", "-o", "/dev/null", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"strace cannot trace here (ptrace refused?): {probe.stderr.strip()}")
    return path
