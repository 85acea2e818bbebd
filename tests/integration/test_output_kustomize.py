"""Every golden output folder, and examples/rendered, is what `kubectl kustomize` (so Flux, Argo CD and
`kubectl apply -k`) accepts, and kustomize hands back exactly the objects in the folder."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import EXAMPLES, need_tool

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
FOLDERS = sorted(p / "expected" for p in GOLDEN.iterdir() if (p / "expected").is_dir()) + [EXAMPLES / "rendered"]


def _objects_in(folder: Path) -> list[tuple]:
    found = []
    for path in sorted(folder.rglob("*.yaml")):
        if path.name != "kustomization.yaml":
            obj = yaml.safe_load(path.read_text())
            found.append((obj["kind"], obj["metadata"].get("namespace"), obj["metadata"]["name"]))
    return sorted(found, key=str)


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.parent.name if p.name == "expected" else p.name)
def test_kubectl_kustomize_accepts_the_output_folder(folder):
    kubectl = need_tool("kubectl")
    done = subprocess.run([kubectl, "kustomize", str(folder)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    built = [(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"])
             for o in yaml.safe_load_all(done.stdout) if o]
    assert sorted(built, key=str) == _objects_in(folder)


def test_committed_examples_rendered_is_up_to_date(run_cli, monkeypatch):
    """The README's main command is what produced examples/rendered; `--check` (the CI gate users copy)
    agrees, and drift would be exit 1 with a diff."""
    monkeypatch.chdir(EXAMPLES.parent)
    result = run_cli("build", "examples/repo", "-o", "examples/rendered", "--check")
    assert result.exit_code == 0, result.stdout
