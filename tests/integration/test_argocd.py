"""The Argo CD Config Management Plugin (examples/argocd/plugin.yaml) run exactly as the sidecar runs
it: its own commands, cwd = the app path inside a copy of the repo, the environment Argo CD sets
(docs/design.md, integrations §3). No Argo CD here; the contract is the process boundary."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import BIN, EXAMPLES, EXE, need_tool

ARGOCD = EXAMPLES / "argocd"
PLUGIN = yaml.safe_load((ARGOCD / "plugin.yaml").read_text())


@pytest.fixture
def repo(tmp_path) -> Path:
    """A per-request copy of the whole repo, as the CMP server makes under /tmp/_cmp_server/<uuid>/."""
    root = tmp_path / "_cmp_server" / "8a1f"
    shutil.copytree(EXAMPLES, root / "examples", ignore=shutil.ignore_patterns("rendered"))
    return root


def sidecar_env(**extra: str) -> dict:
    """What argocd-cmp-server sets for an Application (names from cmpserver/plugin and reposerver)."""
    assert (BIN / "kserve-compiler").is_file()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARGOCD_", "PARAM_", "KUBE_"))}
    env.update({
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "ARGOCD_APP_NAME": "kserve-models", "ARGOCD_APP_NAMESPACE": "team-a",
        "ARGOCD_APP_PROJECT_NAME": "default", "ARGOCD_APP_REVISION": "0123456789abcdef",
        "ARGOCD_APP_SOURCE_PATH": "examples/repo", "ARGOCD_APP_SOURCE_REPO_URL": "https://git.example.com/r.git",
        "ARGOCD_APP_SOURCE_TARGET_REVISION": "main", "KUBE_VERSION": "1.31.4",
        "KUBE_API_VERSIONS": "v1,apps/v1,autoscaling/v2,networking.k8s.io/v1",
        "ARGOCD_APP_PARAMETERS": '[{"name":"kubernetes-version","string":"1.32"}]',
        "PARAM_KUBERNETES_VERSION": "1.32",
    })
    env.update(extra)
    return env


def command(step: str) -> list[str]:
    spec = PLUGIN["spec"][step]
    return [*spec["command"], *spec.get("args", [])]


def run(step: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(command(step), cwd=cwd, env=sidecar_env(**env), capture_output=True, text=True,
                          timeout=90)  # ARGOCD_EXEC_TIMEOUT's default


def objects_of(stdout: str) -> list[dict]:
    """Split as Argo CD does (a YAML stream; kind List is not unpacked, a ResourceList is one object)."""
    docs = [d for d in yaml.safe_load_all(stdout) if d is not None]
    for doc in docs:
        assert isinstance(doc, dict) and doc.get("apiVersion") and doc.get("kind"), doc
        assert doc["kind"] not in ("List", "ResourceList")
        assert doc.get("metadata", {}).get("name")
    return docs


def test_plugin_yaml_is_a_v1_cmp_with_every_part():
    assert PLUGIN["apiVersion"] == "argoproj.io/v1alpha1" and PLUGIN["kind"] == "ConfigManagementPlugin"
    assert PLUGIN["spec"]["version"] == "v1"
    assert command("generate") == ["kserve-compiler", "build", "."]
    assert {"init", "discover", "parameters"} <= set(PLUGIN["spec"])
    names = {p["name"] for p in PLUGIN["spec"]["parameters"]["static"]}
    assert {"kubernetes-version", "default-namespace", "strict"} <= names
    application = yaml.safe_load((ARGOCD / "application.yaml").read_text())
    assert application["spec"]["source"]["plugin"]["name"] == "kserve-compiler-v1"  # name-version
    assert application["spec"]["source"]["path"] == "examples/repo"


def test_generate_prints_a_plain_stream_of_objects(repo):
    app = repo / "examples/repo"
    assert run("init", app).returncode == 0
    done = run("generate", app)
    assert done.returncode == 0, done.stderr
    objects = objects_of(done.stdout)
    ids = {(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in objects}
    assert ("Deployment", "models", "iris-predictor") in ids
    # a source without a namespace lands in the Application's destination namespace
    assert ("Deployment", "team-a", "churn-predictor") in ids
    assert not [o for o in objects if o["apiVersion"].startswith("serving.kserve.io")]
    # the settings taken from the environment are echoed on stderr
    assert "kubernetes-version=1.32 (from PARAM_KUBERNETES_VERSION)" in done.stderr
    assert "default-namespace=team-a (from ARGOCD_APP_NAMESPACE)" in done.stderr


def test_generate_reaches_outside_the_app_path_in_the_repo_copy(repo):
    # the whole repo is copied, so an app may use shared files beside it: here the cluster's config
    app = repo / "apps/iris"
    app.mkdir(parents=True)
    shutil.copy(repo / "examples/repo/models/iris-sklearn.yaml", app)
    done = run("generate", app, PARAM_CONFIG="../../examples/repo/config/inferenceservice-config.yaml")
    assert done.returncode == 0, done.stderr
    assert "../../examples/repo/config/inferenceservice-config.yaml (from PARAM_CONFIG)" in done.stderr
    ingresses = [o for o in objects_of(done.stdout) if o["kind"] == "Ingress"]
    assert ingresses and all("models.acme.example" in yaml.safe_dump(i) for i in ingresses)


def test_an_empty_compile_exits_non_zero(repo):
    app = repo / "empty"  # no object at all (a Namespace alone is a pass-through object: not empty, issue 13)
    app.mkdir()
    (app / "notes.yaml").write_text("# models will go here\n")
    done = run("generate", app)
    assert done.returncode != 0
    assert done.stdout == ""
    assert "KSC608" in done.stderr


def test_a_failing_compile_exits_non_zero_with_the_error_on_stderr(repo):
    app = repo / "examples/repo"
    iris = app / "models/iris-sklearn.yaml"
    iris.write_text(iris.read_text().replace("storageUri:", "storageUrl:"))
    done = run("generate", app)
    assert done.returncode == 1
    assert done.stdout == ""
    assert "models/iris-sklearn.yaml:15:7: error KSC201" in done.stderr


def discover(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(PLUGIN["spec"]["discover"]["find"]["command"], cwd=cwd, env=sidecar_env(),
                          capture_output=True, text=True, timeout=30)


def test_discover_matches_an_app_with_inference_services_only(repo, tmp_path):
    need_tool("sh")
    need_tool("grep")
    found = discover(repo / "examples/repo")
    assert found.returncode == 0 and found.stdout.strip()   # Argo CD: exit 0 and non-empty stdout
    other = tmp_path / "plain-app"
    other.mkdir()
    (other / "deployment.yaml").write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n")
    assert not discover(other).stdout.strip()


def test_the_sidecar_patch_mounts_the_plugin(tmp_path):
    """kustomization.yaml's wiring, built offline: a stand-in repo-server for the remote install."""
    kubectl = need_tool("kubectl")
    work = Path(shutil.copytree(ARGOCD, tmp_path / "argocd"))
    kustomization = yaml.safe_load((work / "kustomization.yaml").read_text())
    assert [r for r in kustomization["resources"] if r.startswith("https://")], "the Argo CD install"
    (work / "install.yaml").write_text(yaml.safe_dump({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "argocd-repo-server"},
        "spec": {"selector": {"matchLabels": {"app": "r"}}, "template": {
            "metadata": {"labels": {"app": "r"}},
            "spec": {"containers": [{"name": "argocd-repo-server", "image": "quay.io/argoproj/argocd"}],
                     "volumes": [{"name": "var-files", "emptyDir": {}}, {"name": "plugins", "emptyDir": {}}]}}}}))
    kustomization["resources"] = ["install.yaml"]
    (work / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))
    done = subprocess.run([kubectl, "kustomize", str(work)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    objects = {o["kind"]: o for o in yaml.safe_load_all(done.stdout)}
    assert yaml.safe_load(objects["ConfigMap"]["data"]["plugin.yaml"]) == PLUGIN
    pod = objects["Deployment"]["spec"]["template"]["spec"]
    sidecar = next(c for c in pod["containers"] if c["name"] == "kserve-compiler")
    assert sidecar["command"] == ["/var/run/argocd/argocd-cmp-server"]
    assert sidecar["securityContext"]["runAsUser"] == 999
    mounts = {m["mountPath"]: m for m in sidecar["volumeMounts"]}
    assert mounts["/home/argocd/cmp-server/config/plugin.yaml"]["subPath"] == "plugin.yaml"
    assert {"/var/run/argocd", "/home/argocd/cmp-server/plugins", "/tmp"} <= set(mounts)
    volumes = {v["name"] for v in pod["volumes"]}
    assert {m["name"] for m in sidecar["volumeMounts"]} <= volumes


def test_strict_from_the_environment_fails_on_a_warning_and_is_echoed_once(tmp_path):
    (tmp_path / "i.yaml").write_text(
        "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: iris\n"
        "  annotations: {serving.kserve.io/deploymentMode: Serverless}\nspec:\n  predictor:\n"
        "    model: {modelFormat: {name: sklearn}, storageUri: 'pvc://c/m'}\n")
    env = {**os.environ, "ARGOCD_APP_NAME": "models", "PARAM_STRICT": "true"}
    done = subprocess.run([str(EXE), "build", "."], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("strict=true (from PARAM_STRICT)") == 1
