"""The container image (Containerfile, .dockerignore): the Argo CD sidecar and the containerized KRM
function. Everywhere: the recipe's shape, the build context it sees, and that examples/argocd names the
image it documents. Where a container engine answers: the image built and run as the hosts run it.
With no engine answering the image tests skip, in CI too (issue 11): CI runners need not have one."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from conftest import EXAMPLES, ISVC, REPO, offline_pip_env, wheelhouse

CONTAINERFILE = REPO / "Containerfile"
DOCKERIGNORE = REPO / ".dockerignore"
TAG = "localhost/kserve-compiler:test"


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Containerfile: comments dropped, continuation lines joined."""
    out: list[tuple[str, str]] = []
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):           # a comment inside a continued instruction
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full = (pending + stripped).strip()
        pending = ""
        word, _, rest = full.partition(" ")
        out.append((word.upper(), rest.strip()))
    assert not pending, "the Containerfile ends inside a continued line"
    return out


def final_stage(steps: list[tuple[str, str]]) -> list[tuple[str, str]]:
    last_from = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    return steps[last_from:]


def documented_image() -> str:
    """The tag of the `docker build -f Containerfile -t IMAGE .` command in the Containerfile's header."""
    found = re.findall(r"^#\s+docker build -f Containerfile -t (\S+) \.$", CONTAINERFILE.read_text(), re.M)
    assert len(found) == 1, "the Containerfile's header documents one `docker build ... -t IMAGE .`"
    return found[0]


def ignore_patterns() -> list[str]:
    lines = [line.strip() for line in DOCKERIGNORE.read_text().splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def _regex(pattern: str) -> re.Pattern:
    """A .dockerignore pattern (Go filepath.Match plus `**`, anchored at the context root)."""
    out, i = "", 0
    pattern = pattern.strip("/")
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out, i = out + "[" + pattern[i + 1:end].replace("!", "^", 1) + "]", end + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + r"\Z")


def ignored(rel: str, patterns: list[str]) -> bool:
    """Whether the build context leaves `rel` out: it or a folder above it matches, last match wins."""
    parts = rel.split("/")
    prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    verdict = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        regex = _regex(pattern[1:] if negate else pattern)
        if any(regex.match(p) for p in prefixes):
            verdict = not negate
    return verdict


def test_containerfile_builds_the_wheel_and_installs_only_it():
    steps = instructions(CONTAINERFILE.read_text())
    froms = [args for word, args in steps if word == "FROM"]
    assert len(froms) >= 2, "a build stage and a final stage"
    base = dict(re.findall(r"^ARG (\w+)=(\S+)$", CONTAINERFILE.read_text(), re.M)).get("PYTHON_IMAGE", "")
    assert re.fullmatch(r"python:3\.1[1-9]-slim\S*", base), base
    build = " ".join(args for word, args in steps if word == "RUN" and "pip wheel" in args)
    assert build, "the build stage builds the wheel (pip wheel)"

    final = final_stage(steps)
    assert final[0][1].split()[0] == "${PYTHON_IMAGE}", "the final stage starts again from the slim base"
    runs = [args for word, args in final if word == "RUN"]
    installs = [r for r in runs if re.search(r"\bpip install\b", r)]
    assert len(installs) == 1, installs
    assert re.search(r"\bpip install --no-cache-dir /tmp/dist/kserve_compiler-\*\.whl\b", installs[0]), installs[0]
    assert not re.search(r"(^|\s)(-e|--editable)(\s|$)", installs[0])
    assert not re.search(r"\[test\]|/src\b|\s\.(\s|$)", installs[0]), "only the wheel, not the source tree"
    copies = [args for word, args in final if word in ("COPY", "ADD")]
    assert copies == ["--from=build /tmp/dist /tmp/dist"], "the final stage gets the wheel and nothing else"

    users = [args for word, args in final if word == "USER"]
    assert users and users[-1] in ("999", "999:999"), users
    assert final.index(("USER", users[-1])) > max(i for i, (w, _) in enumerate(final) if w == "RUN"), \
        "every RUN after USER would run as root"
    entrypoint = [args for word, args in final if word == "ENTRYPOINT"]
    cmd = [args for word, args in final if word == "CMD"]
    assert [yaml.safe_load(a) for a in entrypoint] == [["kserve-compiler"]], entrypoint
    assert [yaml.safe_load(a) for a in cmd] == [["krm"]], cmd


def test_build_context_leaves_out_local_state_but_keeps_the_wheels_inputs():
    patterns = ignore_patterns()
    for rel in (".git", ".git/config", ".venv", ".venv/bin/python", "build/lib/compiler/cli.py",
                "kserve_compiler.egg-info/PKG-INFO", "compiler/__pycache__/cli.cpython-311.pyc",
                ".pytest_cache", ".hypothesis", "bench/out", "dist/kserve_compiler-0.1.0-py3-none-any.whl"):
        assert ignored(rel, patterns), rel
    kept = ["pyproject.toml", "README.md", "Containerfile", "compiler/__init__.py"]
    for folder in ("compiler", "catalog", "schemas"):
        kept += [p.relative_to(REPO).as_posix() for p in (REPO / folder).rglob("*")
                 if p.is_file() and "__pycache__" not in p.parts]
    assert [rel for rel in kept if ignored(rel, patterns)] == []


def test_argocd_sidecar_runs_the_documented_image():
    image = documented_image()
    import compiler
    assert image.rsplit(":", 1)[1] == compiler.__version__, "the documented tag is the package's version"
    patch = yaml.safe_load((EXAMPLES / "argocd/repo-server-patch.yaml").read_text())
    [sidecar] = [c for c in patch["spec"]["template"]["spec"]["containers"] if c["name"] == "kserve-compiler"]
    assert sidecar["image"] == image
    assert sidecar["command"] == ["/var/run/argocd/argocd-cmp-server"]     # overrides ENTRYPOINT and CMD
    assert sidecar["securityContext"]["runAsUser"] == 999
    assert f"docker build -f Containerfile -t {image} ." in (EXAMPLES / "argocd/repo-server-patch.yaml").read_text()
    assert "pip install" not in (EXAMPLES / "argocd/repo-server-patch.yaml").read_text()


def build_context_copy(dest: Path) -> Path:
    """The files `docker build .` sends: the repo minus what .dockerignore leaves out."""
    patterns = ignore_patterns()

    def skip(folder: str, names: list[str]) -> set[str]:
        rel = Path(folder).relative_to(REPO).as_posix()
        return {n for n in names if ignored(n if rel == "." else f"{rel}/{n}", patterns)}
    return Path(shutil.copytree(REPO, dest, ignore=skip))


def test_the_build_stage_command_makes_a_complete_wheel_from_the_build_context(tmp_path):
    """The build stage's `pip wheel --no-deps --wheel-dir /tmp/dist /src`, on the same context, with
    the build backend from the wheelhouse (no network): the wheel carries the data the CLI reads."""
    house = wheelhouse()
    context = build_context_copy(tmp_path / "src")
    assert not (context / ".git").exists() and not (context / "tests").exists()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("PIP_")}, **offline_pip_env(house)}
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--wheel-dir",
                           str(tmp_path / "dist"), str(context)], capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    [wheel] = (tmp_path / "dist").glob("kserve_compiler-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder, package in (("catalog", "compiler/catalog_data"), ("schemas", "compiler/schema_data")):
        files = {p.name for p in (REPO / folder).iterdir() if p.suffix in (".yaml", ".json")}
        assert files and {f"{package}/{f}" for f in files} <= names, folder
    assert any(n.startswith("compiler/templates/") and n.endswith(".j2") for n in names)


# --- the image, where a container engine answers ------------------------------------------------------

@functools.cache
def engine() -> tuple[str | None, str]:
    """The first of docker and podman whose `info` answers, or None and why none does."""
    reasons = []
    for name in ("docker", "podman"):
        path = shutil.which(name)
        if path is None:
            reasons.append(f"{name}: not on PATH")
            continue
        try:
            probe = subprocess.run([path, "info"], capture_output=True, text=True, timeout=20)
        except subprocess.TimeoutExpired:
            reasons.append(f"{name}: `{name} info` did not answer in 20 s")
            continue
        if probe.returncode == 0:
            return path, ""
        last = (probe.stderr.strip().splitlines() or ["no output"])[-1]
        reasons.append(f"{name}: `{name} info` exited {probe.returncode} ({last})")
    return None, "; ".join(reasons)


@pytest.fixture(scope="module")
def image() -> tuple[str, str]:
    """Build the Containerfile once (the one place the tests allow a network: the engine pulls the base
    image and the build stage fetches the build backend and dependencies). Skip, in CI too, when no
    engine answers: not every runner has one (issue 11)."""
    path, why = engine()
    if path is None:
        pytest.skip(f"no container engine answers ({why})")
    done = subprocess.run([path, "build", "-f", str(CONTAINERFILE), "-t", TAG, str(REPO)],
                          capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    yield path, TAG
    subprocess.run([path, "rmi", "-f", TAG], capture_output=True, timeout=120)


def run_image(image, *args: str, input: str | None = None, options: tuple[str, ...] = ()):
    path, tag = image
    return subprocess.run([path, "run", "-i", "--rm", "--network", "none", *options, tag, *args],
                          input=input, capture_output=True, text=True, timeout=300)


def test_image_runs_the_cli_as_uid_999_without_a_network(image):
    version = run_image(image, "--version")
    assert version.returncode == 0, version.stderr
    import compiler
    assert version.stdout.startswith(f"kserve-compiler, version {compiler.__version__}"), version.stdout
    uid = run_image(image, "-u", options=("--entrypoint", "id"))
    gid = run_image(image, "-g", options=("--entrypoint", "id"))
    assert (uid.stdout.strip(), gid.stdout.strip()) == ("999", "999"), uid.stderr + gid.stderr
    source = run_image(image, "-c", "import compiler, sys; print(compiler.__file__)",
                       options=("--entrypoint", "python"))
    assert "site-packages/compiler/" in source.stdout, "the wheel is installed, not a source tree"


RESOURCE_LIST = {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList",
                 "items": [yaml.safe_load(ISVC)],
                 "functionConfig": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "fn"},
                                    "data": {"defaultNamespace": "models"}}}


@pytest.mark.parametrize("options", [(), ("-a", "STDIN", "-a", "STDOUT", "-a", "STDERR", "--user", "nobody",
                                          "--security-opt=no-new-privileges")],
                         ids=["default-user", "as-kustomize-runs-it"])
def test_image_with_no_arguments_is_a_krm_function(image, options):
    """kustomize and kpt run the image with no arguments, a ResourceList on stdin, no network, and (their
    defaults) as user nobody: the CMD makes that `kserve-compiler krm`."""
    done = run_image(image, input=yaml.safe_dump(RESOURCE_LIST), options=options)
    assert done.returncode == 0, done.stderr
    out = yaml.safe_load(done.stdout)
    assert out["kind"] == "ResourceList"
    kinds = {(item["kind"], item["metadata"]["name"]) for item in out["items"]}
    assert ("Deployment", "iris-predictor") in kinds, kinds
    assert all(item["metadata"].get("namespace") == "models" for item in out["items"]
               if item["kind"] == "Deployment")
