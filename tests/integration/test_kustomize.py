"""kubectl's built-in kustomize running kserve-compiler as a legacy exec plugin (kubectl has no
--enable-exec, so the KRM-function form is documented, not run; docs/design.md Decision 14), on copies of
examples/kustomize; and the output folder as Flux's kustomize-controller and `apply -k` consume it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import BIN, EXAMPLES, EXE, need_tool

SHIM = "plugins/kserve-compiler.example/v1alpha1/kservecompile/KServeCompile"


@pytest.fixture
def kubectl() -> str:
    return need_tool("kubectl")


@pytest.fixture
def example(tmp_path) -> Path:
    """A copy of examples/, so a test may edit it."""
    root = Path(shutil.copytree(EXAMPLES, tmp_path / "examples", ignore=shutil.ignore_patterns("rendered")))
    shim = root / "kustomize" / SHIM
    shim.chmod(0o755)  # git keeps the mode; a checkout by other means may not
    return root


def env(plugin_home: Path) -> dict:
    assert EXE.is_file(), f"{EXE} is not installed (pip install -e .)"
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "KUSTOMIZE_PLUGIN_HOME": str(plugin_home)}


def kustomize(kubectl: str, folder: Path, plugin_home: Path) -> subprocess.CompletedProcess:
    return subprocess.run([kubectl, "kustomize", "--enable-alpha-plugins", str(folder)], env=env(plugin_home),
                          capture_output=True, text=True, timeout=300)


def build_stream(src: Path, *args: str) -> list[dict]:
    done = subprocess.run([str(EXE), "build", str(src), *args], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return list(yaml.safe_load_all(done.stdout))


def by_id(objects: list[dict]) -> dict[tuple, dict]:
    return {(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]): o for o in objects}


def test_the_shim_is_one_exec_line():
    lines = (EXAMPLES / "kustomize" / SHIM).read_text().splitlines()
    assert lines == ["#!/bin/sh", 'exec kserve-compiler kustomize-plugin "$@"']
    assert os.access(EXAMPLES / "kustomize" / SHIM, os.X_OK)


def test_kubectl_kustomize_runs_the_transformer(kubectl, example):
    done = kustomize(kubectl, example / "kustomize", example / "kustomize/plugins")
    assert done.returncode == 0, done.stderr
    objects = by_id(list(yaml.safe_load_all(done.stdout)))
    assert ("Deployment", "models", "iris-predictor") in objects
    assert ("Namespace", None, "models") in objects
    assert not [k for k in objects if k[0] == "InferenceService"]
    # the same objects `kserve-compiler build` makes of the same sources
    expected = by_id(build_stream(example / "kustomize", "--default-namespace", "models", "--exclude", "generator"))
    assert set(objects) == set(expected)
    deployment = objects[("Deployment", "models", "iris-predictor")]
    assert deployment["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "kserve-compiler"
    assert deployment["spec"] == expected[("Deployment", "models", "iris-predictor")]["spec"]
    # kustomize took its bookkeeping off the objects we echoed
    assert "annotations" not in objects[("Namespace", None, "models")]["metadata"]


def test_kubectl_kustomize_runs_the_generator_over_its_sources(kubectl, example):
    done = kustomize(kubectl, example / "kustomize/generator", example / "kustomize/plugins")
    assert done.returncode == 0, done.stderr
    objects = by_id(list(yaml.safe_load_all(done.stdout)))
    expected = by_id(build_stream(example / "kustomize/generator/models"))
    assert ("Deployment", "default", "iris-predictor") in objects or any(k[2] == "iris-predictor" for k in objects)
    assert objects == expected


def test_a_failing_compile_fails_kustomize_with_our_message(kubectl, example):
    iris = example / "kustomize/iris-sklearn.yaml"
    iris.write_text(iris.read_text().replace("storageUri:", "storageUrl:"))
    done = kustomize(kubectl, example / "kustomize", example / "kustomize/plugins")
    assert done.returncode != 0
    assert done.stdout == ""
    assert "error KSC201" in done.stderr and 'unknown field "storageUrl"' in done.stderr


def test_without_a_plugin_home_kubectl_says_so(kubectl, example):
    done = kustomize(kubectl, example / "kustomize", example / "nowhere")
    assert done.returncode != 0
    assert "unable to find plugin root" in done.stderr


def test_the_krm_function_under_kustomize_through_a_stand_in_container_runtime(kubectl, example, tmp_path):
    """`kserve-compiler krm` inside kustomize v5.5's function runner. kubectl cannot run exec
    functions, so this goes through its `container:` path with a `docker` on PATH that runs the
    function itself (docs/design.md, integrations §2.2 did the same): the ResourceList handling is the one
    `kustomize build --enable-exec` uses. Consumed inputs marked local-config leave the build, the
    path annotations we set do not reach the output, our stderr shows on failure."""
    folder = example / "kustomize"
    config = yaml.safe_load((folder / "compile.yaml").read_text())
    config["metadata"]["annotations"] = {"config.kubernetes.io/function": "container:\n  image: kserve-compiler\n"}
    (folder / "compile.yaml").write_text(yaml.safe_dump(config))
    stand_in = tmp_path / "bin/docker"
    stand_in.parent.mkdir()
    stand_in.write_text("#!/bin/sh\n# docker run --rm -i ... IMAGE: run the function itself\nexec kserve-compiler krm\n")
    stand_in.chmod(0o755)
    run_env = {**env(folder / "plugins"), "PATH": f"{stand_in.parent}{os.pathsep}{BIN}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run([kubectl, "kustomize", "--enable-alpha-plugins", str(folder)], env=run_env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    objects = by_id(list(yaml.safe_load_all(done.stdout)))
    assert set(objects) == set(by_id(build_stream(folder, "--default-namespace", "models", "--exclude", "generator")))
    assert "config.kubernetes.io/path" not in done.stdout and "local-config" not in done.stdout
    iris = folder / "iris-sklearn.yaml"
    iris.write_text(iris.read_text().replace("storageUri:", "storageUrl:"))
    done = subprocess.run([kubectl, "kustomize", "--enable-alpha-plugins", str(folder)], env=run_env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert "error KSC201" in done.stderr


# ---------------------------------------------------------------------------------------------------
# The output folder under kustomize (what Flux's kustomize-controller and `kubectl apply -k` run)


def test_every_output_folder_builds_with_plain_kustomize_and_has_a_flux_kustomization(kubectl, tmp_path):
    out = tmp_path / "rendered"
    done = subprocess.run([str(EXE), "build", str(EXAMPLES / "repo"), "-o", str(out)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    folders = sorted(p.name for p in out.iterdir() if p.is_dir())
    flux = [yaml.safe_load(p.read_text()) for p in sorted((EXAMPLES / "flux").glob("kserve-*.yaml"))]  # --flux's
    assert {k["spec"]["path"] for k in flux} == {f"./examples/rendered/{f}" for f in folders}
    assert all(k["spec"]["prune"] is True and k["kind"] == "Kustomization" for k in flux)
    everything = []
    for folder in folders:
        built = subprocess.run([kubectl, "kustomize", str(out / folder)], capture_output=True, text=True,
                               timeout=300)
        assert built.returncode == 0, built.stderr
        everything += list(yaml.safe_load_all(built.stdout))
    whole = subprocess.run([kubectl, "kustomize", str(out)], capture_output=True, text=True, timeout=300)
    assert whole.returncode == 0, whole.stderr
    assert by_id(list(yaml.safe_load_all(whole.stdout))) == by_id(everything) == by_id(build_stream(EXAMPLES / "repo"))
