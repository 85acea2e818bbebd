"""The GitHub Action (action.yml, composite): its shape, then its `run:` steps executed in order with bash
as the runner executes them (`bash --noprofile --norc -eo pipefail`, the step's `env:` with the inputs
filled in, GITHUB_ACTION_PATH, GITHUB_STEP_SUMMARY, the workspace as cwd). The install step installs
from a copy of this repo (the action's checkout) into a fresh venv, offline from the wheelhouse; the
`uses:` steps (setup-python, upload-sarif) are not run, only checked to be there and to be reached."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from conftest import EXAMPLES, REPO, offline_pip_env, wheelhouse

ACTION = yaml.safe_load((REPO / "action.yml").read_text())
STEPS = ACTION["runs"]["steps"]
INPUT = re.compile(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}")
# What a fresh checkout of the action's tag does not have.
NOT_CHECKED_OUT = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__",
                                         ".pytest_cache", ".hypothesis", "out")


def step(step_id: str) -> dict:
    [found] = [s for s in STEPS if s.get("id") == step_id]
    return found


def uses(prefix: str) -> dict:
    [found] = [s for s in STEPS if s.get("uses", "").startswith(prefix)]
    return found


def test_action_is_composite_and_passes_inputs_only_through_env():
    assert ACTION["runs"]["using"] == "composite"
    assert {"sources", "output", "args", "python-version", "sarif-file"} <= set(ACTION["inputs"])
    assert ACTION["inputs"]["sources"]["default"] == "."
    assert ACTION["inputs"]["output"]["default"] == ""
    assert ACTION["inputs"]["sarif-file"]["default"] == "kserve-compiler.sarif"
    assert ACTION["inputs"]["python-version"]["default"] == "3.11"
    for s in STEPS:
        assert ("run" in s) != ("uses" in s), s
        if "run" in s:
            assert s.get("shell") == "bash", s            # composite actions require a shell; bash for arrays
            assert "${{" not in s["run"], f"an expression inside run: is script injection: {s['run']}"
        for value in s.get("env", {}).values():
            assert INPUT.fullmatch(value.strip()), value  # env values are whole inputs, nothing spliced
        for name in INPUT.findall(yaml.safe_dump(s)):
            assert name in ACTION["inputs"], name
    assert uses("actions/setup-python@")["uses"] == "actions/setup-python@v5"
    assert uses("actions/setup-python@")["with"]["python-version"] == "${{ inputs.python-version }}"
    upload = uses("github/codeql-action/upload-sarif@")
    assert upload["uses"] == "github/codeql-action/upload-sarif@v3"
    assert upload["with"]["sarif_file"] == "${{ inputs.sarif-file }}"
    assert STEPS.index(upload) == len(STEPS) - 1
    assert '"$GITHUB_ACTION_PATH"' in step("install")["run"]            # a tag of this repo pins the tool
    assert "kserve-compiler validate --resolve --format github" in step("validate")["run"]


def test_the_example_workflow_uses_this_action_with_its_inputs():
    workflow = yaml.safe_load((EXAMPLES / "github-actions/kserve-compiler.yaml").read_text())
    import compiler
    [ours] = [s for s in workflow["jobs"]["compile"]["steps"] if "kserve-compiler/kserve-compiler@" in s.get("uses", "")]
    assert ours["uses"] == f"kserve-compiler/kserve-compiler@v{compiler.__version__}"
    assert set(ours["with"]) <= set(ACTION["inputs"])
    assert ours["with"] == {"sources": "examples/repo", "output": "examples/rendered"}
    assert workflow["permissions"]["security-events"] == "write"


# --- running the steps ------------------------------------------------------------------------------

def evaluate(condition: str, inputs: dict, outcomes: dict, failed: bool) -> bool:
    """The few parts of GitHub's expression language action.yml's `if:`s use: inputs, steps.*.outcome,
    the status functions (a condition without one is `success() && (...)`), ==, !=, &&, ||, !."""
    expr = condition.strip()
    if expr.startswith("${{"):
        expr = expr[3:-2].strip() if expr.endswith("}}") else expr
    if not re.search(r"\b(success|failure|always|cancelled)\(\)", expr):
        expr = f"success() && ({expr})"
    py = re.sub(r"inputs\.([\w-]+)", r"inputs['\1']", expr)
    py = re.sub(r"steps\.([\w-]+)\.outcome", r"outcomes.get('\1', 'skipped')", py)
    py = py.replace("&&", " and ").replace("||", " or ")
    py = re.sub(r"!(?!=)", " not ", py)
    names = {"inputs": inputs, "outcomes": outcomes, "success": lambda: not failed,
             "failure": lambda: failed, "always": lambda: True, "cancelled": lambda: False}
    return bool(eval(py, {"__builtins__": {}}, names))  # our own file's expressions, nothing else


@dataclass
class Run:
    procs: dict[str, subprocess.CompletedProcess] = field(default_factory=dict)
    outcomes: dict[str, str] = field(default_factory=dict)
    reached: list[str] = field(default_factory=list)        # the `uses:` steps whose `if:` held


@dataclass
class Runner:
    venv: Path
    action_path: Path
    house: Path

    def env(self, workspace: Path, summary: Path, step_env: dict, inputs: dict) -> dict:
        base = {k: v for k, v in os.environ.items()
                if not k.startswith(("PIP_", "GITHUB_", "RUNNER_", "KSC_", "PYTHON", "VIRTUAL_ENV"))}
        runner_temp = workspace.parent / "runner-temp"
        runner_temp.mkdir(exist_ok=True)
        base.update(offline_pip_env(self.house))
        base.update({"PATH": f"{self.venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
                     "GITHUB_ACTIONS": "true", "CI": "true", "GITHUB_ACTION_PATH": str(self.action_path),
                     "GITHUB_WORKSPACE": str(workspace), "GITHUB_STEP_SUMMARY": str(summary),
                     "RUNNER_TEMP": str(runner_temp)})
        for name, value in step_env.items():
            filled = INPUT.sub(lambda m: inputs[m[1]], value)
            assert "${{" not in filled, value
            base[name] = filled
        return base

    def run(self, workspace: Path, inputs: dict | None = None, *, skip: tuple[str, ...] = ("install",),
            only: tuple[str, ...] | None = None) -> Run:
        values = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
        values.update(inputs or {})
        result, failed = Run(), False
        for index, s in enumerate(STEPS):
            sid = s.get("id", f"step-{index}")
            if only is not None and sid not in only and "run" in s:
                continue
            if sid in skip:                       # done once by the module fixture
                result.outcomes[sid] = "success"
                continue
            if not evaluate(str(s.get("if", "success()")), values, result.outcomes, failed):
                result.outcomes[sid] = "skipped"
                continue
            if "uses" in s:
                result.reached.append(s["uses"])
                result.outcomes[sid] = "success"
                continue
            summary = workspace.parent / f"summary-{sid}.md"   # GitHub gives every step its own file
            summary.write_text("")
            script = workspace.parent / f"step-{sid}.sh"
            script.write_text(s["run"])
            proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                                  cwd=workspace, env=self.env(workspace, summary, s.get("env", {}), values),
                                  capture_output=True, text=True, timeout=600)
            proc.summary = summary.read_text()
            result.procs[sid] = proc
            result.outcomes[sid] = "success" if proc.returncode == 0 else "failure"
            failed = failed or proc.returncode != 0
        return result


@pytest.fixture(scope="module")
def runner(tmp_path_factory) -> Runner:
    """A fresh venv, and the action's install step run once in it: `python -m pip install
    "$GITHUB_ACTION_PATH"` builds the project from a copy of this repo (as a fresh checkout of the tag)
    with setuptools and wheel from the wheelhouse, and installs it and its dependencies from there."""
    house = wheelhouse()
    root = tmp_path_factory.mktemp("action")
    action_path = Path(shutil.copytree(REPO, root / "action", ignore=NOT_CHECKED_OUT))
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    made = Runner(venv=venv, action_path=action_path, house=house)
    workspace = root / "ws" / "workspace"
    workspace.mkdir(parents=True)
    install = made.run(workspace, skip=(), only=("install",))
    proc = install.procs["install"]
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    where = subprocess.run([str(venv / "bin/python"), "-c", "import compiler; print(compiler.__file__)"],
                           capture_output=True, text=True, cwd=root, env={"PATH": os.environ.get("PATH", "")})
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout + where.stderr
    assert (venv / "bin/kserve-compiler").is_file()
    return made


@pytest.fixture
def workspace(tmp_path) -> Path:
    """The caller's repository: a copy of examples/ (sources in examples/repo, output in examples/rendered)."""
    ws = tmp_path / "workspace"
    shutil.copytree(EXAMPLES, ws / "examples")
    return ws


def sarif_of(ws: Path, name: str = "kserve-compiler.sarif") -> dict:
    sarif = json.loads((ws / name).read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["tool"]["driver"]["name"]
    return sarif


def test_clean_repo_with_output_every_step_succeeds(runner, workspace):
    before = {p: p.read_bytes() for p in (workspace / "examples/rendered").rglob("*") if p.is_file()}
    run = runner.run(workspace, {"sources": "examples/repo", "output": "examples/rendered"})
    for sid, proc in run.procs.items():
        assert proc.returncode == 0, (sid, proc.stdout, proc.stderr)
    assert set(run.procs) == {"validate", "report"}
    assert "::error" not in run.procs["validate"].stdout
    sarif_of(workspace)
    assert run.procs["report"].summary.strip(), "the job summary is written"
    assert "iris" in run.procs["report"].summary
    assert run.reached == ["actions/setup-python@v5", "github/codeql-action/upload-sarif@v3"]
    after = {p: p.read_bytes() for p in (workspace / "examples/rendered").rglob("*") if p.is_file()}
    assert after == before, "--check writes nothing"


def test_without_output_the_report_is_the_validation_as_sarif(runner, workspace):
    run = runner.run(workspace, {"sources": "examples/repo", "sarif-file": "out.sarif", "python-version": "",
                                 "upload-sarif": "false"})
    assert {sid: p.returncode for sid, p in run.procs.items()} == {"validate": 0, "report": 0}
    sarif_of(workspace, "out.sarif")
    assert run.procs["report"].summary.strip()
    assert run.reached == []                     # no setup-python (""), no upload ("false")


def test_stale_output_fails_the_check_and_still_reports(runner, workspace):
    deployment = next((workspace / "examples/rendered").rglob("*.deployment.yaml"))
    deployment.unlink()
    run = runner.run(workspace, {"sources": "examples/repo", "output": "examples/rendered"})
    assert run.procs["validate"].returncode == 0
    assert run.procs["report"].returncode == 1, run.procs["report"].stderr
    sarif_of(workspace)
    assert "github/codeql-action/upload-sarif@v3" in run.reached


def test_broken_repo_fails_validation_with_annotations(runner, workspace):
    iris = workspace / "examples/repo/models/iris-sklearn.yaml"
    assert "storageUri:" in iris.read_text()
    iris.write_text(iris.read_text().replace("storageUri:", "storageUrii:", 1))
    run = runner.run(workspace, {"sources": "examples/repo", "output": "examples/rendered"})
    validate = run.procs["validate"]
    assert validate.returncode == 1, validate.stdout + validate.stderr
    assert re.search(r"^::error file=examples/repo/models/iris-sklearn\.yaml,line=\d+", validate.stdout, re.M), \
        validate.stdout
    assert "storageUrii" in validate.stdout
    # The report step still runs (the findings reach code scanning), and fails too.
    assert run.outcomes["report"] == "failure"
    sarif = sarif_of(workspace)
    assert any("storageUrii" in json.dumps(r) for r in sarif["runs"][0]["results"])
    assert "github/codeql-action/upload-sarif@v3" in run.reached


def test_inputs_are_split_like_shell_words_and_never_executed(runner, workspace):
    """`args` with a quoted value keeps it one word; `$(...)`, `;` and globs reach the tool as text."""
    drafts = workspace / "examples/repo/my drafts"
    drafts.mkdir()
    (drafts / "bad.yaml").write_text("apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\n"
                                     "metadata: {name: bad}\nspec: {predictor: {model: {storageUrii: x}}}\n")
    run = runner.run(workspace, {"sources": "examples/repo", "args": "--exclude 'my drafts' --strict"},
                     only=("validate",))
    assert run.procs["validate"].returncode == 0, run.procs["validate"].stdout + run.procs["validate"].stderr

    pwned = workspace / "pwned"
    hostile = f"examples/repo $(touch {pwned}) `touch {pwned}`; touch {pwned} *"
    run = runner.run(workspace, {"sources": hostile, "args": f"--strict $(touch {pwned})"}, only=("validate",))
    assert run.procs["validate"].returncode != 0
    assert not pwned.exists()
    assert f"$(touch" in run.procs["validate"].stdout + run.procs["validate"].stderr


def test_unbalanced_quotes_in_an_input_fail_the_step(runner, workspace):
    run = runner.run(workspace, {"sources": "examples/repo", "args": "--exclude 'drafts"}, only=("validate",))
    proc = run.procs["validate"]
    assert proc.returncode == 1
    assert "cannot split KSC_ARGS: No closing quotation" in proc.stderr
