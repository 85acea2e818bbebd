"""kpt driving the installed `kserve-compiler krm` on a copy of examples/kpt (kpt writes in place):
`fn eval --exec`, the Kptfile pipeline with `fn render --allow-exec` (twice: the second changes
nothing), stdin mode, and a bad input failing the run with our message."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import BIN, EXAMPLES, EXE, need_tool

MANAGED_BY = "app.kubernetes.io/managed-by"


@pytest.fixture
def kpt() -> str:
    return need_tool("kpt")


@pytest.fixture
def pkg(tmp_path) -> Path:
    """A copy of examples/kpt: kpt rewrites the package in place."""
    return Path(shutil.copytree(EXAMPLES / "kpt", tmp_path / "pkg"))


def env() -> dict:
    """The installed console script first on PATH, as a user's `pip install` puts it."""
    assert EXE.is_file(), f"{EXE} is not installed (pip install -e .)"
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


def run(*args: str, cwd: Path, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), cwd=cwd, env=env(), input=input, capture_output=True, text=True,
                          timeout=300)


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def expected_objects(pkg: Path) -> dict[str, dict]:
    """What `kserve-compiler build -o` makes of the pristine package: {layout path: object}. kpt writes
    the generated objects to the same paths (it takes them from our path annotation)."""
    out = pkg.parent / "expected"
    done = run(str(EXE), "build", ".", "-o", str(out), "--default-namespace", "models", cwd=pkg)
    assert done.returncode == 0, done.stdout + done.stderr
    return {path: yaml.safe_load(text) for path, text in
            ((p.relative_to(out).as_posix(), p.read_text()) for p in out.rglob("*.yaml"))
            if not path.endswith("kustomization.yaml") and yaml.safe_load(text).get("metadata", {})
            .get("labels", {}).get(MANAGED_BY) == "kserve-compiler"}


def test_fn_eval_exec_writes_the_generated_objects_in_place(kpt, pkg):
    expected = expected_objects(pkg)
    assert "models/iris-predictor.deployment.yaml" in expected
    before = tree(pkg)
    done = run(kpt, "fn", "eval", "pkg", "--exec", "kserve-compiler krm", "--", "defaultNamespace=models",
               cwd=pkg.parent)
    assert done.returncode == 0, done.stdout + done.stderr
    after = tree(pkg)
    new = {path: yaml.safe_load(text) for path, text in after.items() if path not in before}
    assert new == expected                     # every generated object, at its layout path, same content
    for obj in new.values():                   # kpt took our path annotations off when it wrote them
        assert "internal.config.kubernetes.io/path" not in obj["metadata"]["annotations"]
    for path in ("src/iris-sklearn.yaml", "src/fraud-xgboost.yaml", "src/acme-xgboost.yaml"):
        source = yaml.safe_load(after[path])
        assert source["metadata"]["annotations"]["config.kubernetes.io/local-config"] == "true"
    assert yaml.safe_load(after["src/namespace.yaml"]) == yaml.safe_load(before["src/namespace.yaml"])
    assert yaml.safe_load(after["Kptfile"]) == yaml.safe_load(before["Kptfile"])


def test_fn_render_runs_the_kptfile_pipeline_and_a_second_run_changes_nothing(kpt, pkg):
    expected = expected_objects(pkg)
    done = run(kpt, "fn", "render", "--allow-exec", cwd=pkg)
    assert done.returncode == 0, done.stdout + done.stderr
    first = tree(pkg)
    assert {p: yaml.safe_load(first[p]) for p in expected} == expected
    done = run(kpt, "fn", "render", "--allow-exec", cwd=pkg)
    assert done.returncode == 0, done.stdout + done.stderr
    assert tree(pkg) == first


def test_fn_render_refuses_exec_without_allow_exec(kpt, pkg):
    before = tree(pkg)
    done = run(kpt, "fn", "render", cwd=pkg)
    assert done.returncode != 0
    assert tree(pkg) == before


def test_fn_eval_stdin_mode_prints_a_resource_list(kpt, pkg):
    sources = "---\n".join((pkg / "src" / name).read_text() for name in ("namespace.yaml", "iris-sklearn.yaml"))
    done = run(kpt, "fn", "eval", "-", "--exec", "kserve-compiler krm", cwd=pkg.parent, input=sources)
    assert done.returncode == 0, done.stderr
    [out] = list(yaml.safe_load_all(done.stdout))
    assert out["kind"] == "ResourceList"
    paths = {(i["kind"], i["metadata"]["annotations"].get("internal.config.kubernetes.io/path"))
             for i in out["items"]}
    assert ("Deployment", "models/iris-predictor.deployment.yaml") in paths
    isvc = next(i for i in out["items"] if i["kind"] == "InferenceService")
    assert isvc["metadata"]["annotations"]["config.kubernetes.io/local-config"] == "true"


def test_a_bad_input_fails_the_render_with_our_message_and_leaves_the_package(kpt, pkg):
    iris = pkg / "src/iris-sklearn.yaml"
    iris.write_text(iris.read_text().replace("storageUri:", "storageUrl:"))
    before = tree(pkg)
    done = run(kpt, "fn", "render", "--allow-exec", "--results-dir", str(pkg.parent / "results"), cwd=pkg)
    assert done.returncode != 0
    output = done.stdout + done.stderr
    # kpt shows our stderr; run from the package, the line is the file's own
    assert "src/iris-sklearn.yaml:15:7: error KSC201: " in output, output
    assert 'unknown field "storageUrl"' in output
    assert tree(pkg) == before
    results = yaml.safe_load((pkg.parent / "results/results.yaml").read_text())
    [item] = results["items"]
    assert item["exitCode"] == 1
    assert any(r["tags"]["code"] == "KSC201" and r["file"]["path"] == "src/iris-sklearn.yaml"
               for r in item["results"])
