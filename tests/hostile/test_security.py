"""Security (issue 7): a repo's content cannot make kserve-compiler run code, read outside the sources, write
outside OUT or touch a network.

- no template or placeholder runs code: every `{{ }}` other than the few KServe placeholders we render is an
  error (KSC401; KSC461 in ingress.domainTemplate), and text reaching the Markdown summary is never rendered;
- `..` and `/` in names and namespaces never make a path outside OUT: the build fails (KSC205 or KSC602)
  and nothing beside OUT changes;
- under strace, a build opens nothing outside the source root, the `--config` file it was given, the
  interpreter and the package, and the system's libraries, locale and /proc, /dev, /etc; it writes nothing
  but OUT and its temp folder, starts no program and opens no network socket;
- a KRM functionConfig (or kustomize plugin config) is repo content: its `paths` and `config` must stay inside
  the function's root (the working directory; kustomize's KUSTOMIZE_PLUGIN_CONFIG_ROOT), as kustomize's
  default load restrictor (LoadRestrictionsRootOnly) keeps kustomize's own loads. An absolute path or one that
  leaves the root is refused with KSC702. (`--config` on the command line is the user's own choice: any path.)
- no network: the whole test session runs with sockets disabled (tests/nonetwork.py), and the CLI builds the
  same bytes in a network namespace without any interface (`unshare -n`).
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from compiler import resources
from compiler.doors import items as krm_items
from compiler.doors import krm, kustomize_plugin
from compiler.doors.cli import main
from conftest import EXE, need_strace

REPO = Path(__file__).resolve().parent.parent.parent
EXAMPLES = REPO / "examples" / "repo"


def cli(*args: str, input: bytes | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def snapshot(root: Path) -> dict[str, object]:
    """Every entry under root, with file contents and symlink targets: a change anywhere shows."""
    out: dict[str, object] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                out[rel] = ("symlink", os.readlink(path))
            elif path.is_file():
                out[rel] = path.read_bytes()
            else:
                out[rel] = "dir"
    return out


RUNTIME = """\
apiVersion: serving.kserve.io/v1alpha1
kind: ClusterServingRuntime
metadata:
  name: acme
spec:
  supportedModelFormats:
    - {name: acme-format, autoSelect: true}
  containers:
    - name: kserve-container
      image: registry.acme.example/server:1
      args:
        - --model_name={{.Name}}
        - ARG
"""
ISVC = """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: m
  namespace: models
spec:
  predictor:
    model:
      modelFormat: {name: acme-format}
      storageUri: s3://acme-models/m
      env:
        - name: X
          value: ENV
"""

# ---------------------------------------------------------------------------------------------------
# Templates and placeholders are never evaluated

TEMPLATES = [
    '{{ call .X }}', '{{ template "x" }}', '{{ template `x` . }}', '{{ range .Labels }}x{{ end }}',
    '{{ printf "%s" .Name }}', '{{ printf `%s` .Name }}', '{{ .Name | html }}', '{{ .Name | printf `%q` }}',
    '{{ {{ .Name }} }}', '{{ .Name }}{{', '{{ define `x` }}y{{ end }}', '{{ block `b` . }}z{{ end }}',
    '{{ exec `touch PWNED` }}', "{{ __import__('os').system('touch PWNED') }}", '{{ 7*7 }}',
    "{{ ''.__class__.__mro__ }}", '{{ len .Labels }}', '{{ with .Name }}x{{ end }}', '{{ .Labels }}',
    '{{ $x := .Name }}', '{{ .Name.Foo }}', '{{ index .Labels "a" }}', '{{ and .Name .Namespace }}',
    '{{ .Name -}}{{- /* open', '{{ js .Name }}', '{{ urlquery .Name }}',
]


def _yaml_quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@pytest.mark.parametrize("where", ["runtime", "model"])
@pytest.mark.parametrize("template", TEMPLATES)
def test_template_is_never_evaluated(template, where, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runtime = RUNTIME.replace("ARG", _yaml_quote(template) if where == "runtime" else "--x")
    isvc = ISVC.replace("ENV", _yaml_quote(template) if where == "model" else "plain")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "repo.yaml").write_text(runtime + "---\n" + isvc)
    code, stdout, stderr = cli("build", "src", "-o", "out")
    assert code == 1, stdout + stderr
    assert re.search(r"src/repo\.yaml:\d+:\d+: error KSC401: ", stdout), stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]  # no OUT, no PWNED


@pytest.mark.parametrize("template", ["{{ call .X }}.example.com", "{{ printf `%s` .Name }}.example.com",
                                      "{{ .Name | html }}.example.com", "{{ range .Labels }}x{{ end }}.example.com",
                                      "{{ .Name }}.{{ .Namespace"])
def test_domain_template_is_never_evaluated(template, tmp_path):
    config = (EXAMPLES / "config" / "inferenceservice-config.yaml").read_text()
    config = re.sub(r'"domainTemplate": "[^"]*"', lambda _: '"domainTemplate": ' + json.dumps(template), config)
    assert template in config
    (tmp_path / "config.yaml").write_text(config)
    code, stdout, stderr = cli("build", str(EXAMPLES / "models" / "iris-sklearn.yaml"), "--config",
                               str(tmp_path / "config.yaml"))
    assert code == 1 and stdout == "", stdout
    assert "error KSC461: " in stderr and ("kserve-compiler renders only" in stderr or "unclosed action" in stderr), \
        stderr


def test_text_reaching_the_summary_is_not_rendered(tmp_path):
    """The Markdown summary is a jinja2 template; user text inside it stays text."""
    payload = "{{ 7*7 }}{% for x in range(3) %}LOOP{% endfor %}{{ cycler.__init__.__globals__ }}"
    model = f"modelFormat: {{name: sklearn}}\n      runtime: {_yaml_quote(payload)}"
    (tmp_path / "isvc.yaml").write_text(ISVC.replace("modelFormat: {name: acme-format}", model))
    code, _, _ = cli("build", str(tmp_path / "isvc.yaml"), "--summary", str(tmp_path / "summary.md"))
    assert code == 1
    summary = (tmp_path / "summary.md").read_text()
    assert "KSC301" in summary
    assert "49" not in summary and "LOOPLOOP" not in summary and "<function" not in summary
    assert "{{ 7\\*7 }}" in summary or "{{ 7*7 }}" in summary


def test_bad_placeholder_in_the_model_is_reported_where_it_is_written(tmp_path):
    (tmp_path / "repo.yaml").write_text(RUNTIME.replace("ARG", "--x") + "---\n"
                                        + ISVC.replace("ENV", "'{{ call .X }}'"))
    env_line = 1 + (RUNTIME.replace("ARG", "--x") + "---\n" + ISVC).splitlines().index("          value: ENV")
    code, stdout, _ = cli("build", str(tmp_path / "repo.yaml"), "-o", str(tmp_path / "out"))
    assert code == 1
    assert re.search(rf"repo\.yaml:{env_line}:\d+: error KSC401: .*\[InferenceService models/m\]", stdout), stdout


def test_placeholder_expansion_is_limited(tmp_path):
    runtime = RUNTIME.replace("ARG", _yaml_quote("{{.Annotations.big}}" * 1000))
    isvc = ISVC.replace("namespace: models\n", "namespace: models\n  annotations:\n    big: " + "x" * 4096 + "\n")
    (tmp_path / "repo.yaml").write_text(runtime + "---\n" + isvc)
    code, stdout, _ = cli("build", str(tmp_path / "repo.yaml"), "-o", str(tmp_path / "out"))
    assert code == 1, "a 4 MB argument was written from a 40 KB repo"
    assert re.search(r"repo\.yaml:\d+:\d+: error KSC\d+: .*placeholder", stdout), stdout
    assert "--max-" in stdout  # the flag that raises the limit


# ---------------------------------------------------------------------------------------------------
# `..` and `/` in names and namespaces


def _configmap(name: str, namespace: str | None = "models", kind: str = "ConfigMap",
               api: str = "v1") -> str:
    meta = {"name": name} if namespace is None else {"name": name, "namespace": namespace}
    return yaml.safe_dump({"apiVersion": api, "kind": kind, "metadata": meta, "data": {"k": "v"}})


HOSTILE = {
    "name-dotdot-path": _configmap("../../escape"),
    "name-dotdot": _configmap(".."),
    "name-dot": _configmap("."),
    "name-slash": _configmap("a/b"),
    "name-absolute": _configmap("/tmp/escape"),
    "name-backslash": _configmap("..\\..\\escape"),
    "namespace-dotdot-path": _configmap("x", "../.."),
    "namespace-dotdot": _configmap("x", ".."),
    "namespace-absolute": _configmap("x", "/etc"),
    "namespace-slash": _configmap("x", "a/b"),
    "cluster-scoped-name": _configmap("../../escape", None, "ClusterRole", "rbac.authorization.k8s.io/v1"),
    "unknown-kind-name": _configmap("../../escape", None, "Widget", "acme.example/v1"),
    "isvc-name": ISVC.replace("name: m\n", "name: ../../escape\n"),
    "isvc-namespace": ISVC.replace("namespace: models", "namespace: ../../escape"),
    "runtime-namespace": RUNTIME.replace("kind: ClusterServingRuntime", "kind: ServingRuntime").replace(
        "name: acme\n", "name: acme\n  namespace: ../..\n").replace("ARG", "--x"),
}


@pytest.fixture
def valid_out(tmp_path) -> Path:
    """A previous OUT two levels down, from a valid repo."""
    out = tmp_path / "deploy" / "rendered" / "out"
    code, stdout, stderr = cli("build", str(EXAMPLES), "-o", str(out))
    assert code == 0, stdout + stderr
    return out


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_path_in_a_name_never_writes_outside_out(case, tmp_path, valid_out):
    src = tmp_path / "src"
    src.mkdir()
    (src / "valid.yaml").write_text((EXAMPLES / "models" / "iris-sklearn.yaml").read_text())
    (src / "hostile.yaml").write_text(HOSTILE[case])
    before = snapshot(tmp_path)
    code, stdout, stderr = cli("build", str(src), "-o", str(valid_out))
    assert code == 1, stdout + stderr
    assert re.search(r"error KSC(120|205|602|20\d): ", stdout), stdout
    assert snapshot(tmp_path) == before  # OUT as it was, and nothing else anywhere
    if case.startswith(("isvc-", "runtime-")):  # KServe's own objects are refused by the webhook rules too
        code, stdout, stderr = cli("build", str(src))
        assert code == 1 and stdout == "", stdout


def test_names_kubernetes_allows_stay_inside_out(tmp_path):
    """Colons and upper case are fine in some kinds' names (RBAC): filed inside OUT, as themselves."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "isvc.yaml").write_text((EXAMPLES / "models" / "iris-sklearn.yaml").read_text())
    role = _configmap("system:aggregate-to-edit:Acme", None, "ClusterRole", "rbac.authorization.k8s.io/v1")
    (tmp_path / "src" / "role.yaml").write_text(role.replace("data:\n  k: v\n", ""))
    code, stdout, _ = cli("build", str(tmp_path / "src"), "-o", str(tmp_path / "out"))
    assert code == 0, stdout
    assert (tmp_path / "out" / "_cluster" / "system:aggregate-to-edit:Acme.clusterrole.yaml").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "src"]


def test_hostile_names_in_krm_give_no_path_outside_the_package():
    items = [yaml.safe_load(_configmap("../../escape")), yaml.safe_load((EXAMPLES / "models" / "iris-sklearn.yaml")
                                                                        .read_text())]
    raw = yaml.safe_dump({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": items}).encode()
    stdout, stderr = io.StringIO(), io.StringIO()
    assert krm.run(raw, stdout, stderr) == 1
    assert "error KSC120: ConfigMap: metadata.name '../../escape' is not a name" in stderr.getvalue()
    out = yaml.safe_load(stdout.getvalue())
    paths = [((i.get("metadata") or {}).get("annotations") or {}).get(krm_items.PATH) for i in out["items"]]
    assert not [p for p in paths if p and (".." in p.split("/") or p.startswith("/"))]


def test_unplaceable_name_is_reported_at_its_source(tmp_path):
    (tmp_path / "hostile.yaml").write_text(_configmap("../../escape"))
    (tmp_path / "isvc.yaml").write_text((EXAMPLES / "models" / "iris-sklearn.yaml").read_text())
    code, stdout, _ = cli("build", str(tmp_path), "-o", str(tmp_path.parent / "out-unplaceable"))
    assert code == 1
    assert re.search(r"hostile\.yaml:\d+:\d+: error KSC120: ", stdout), stdout  # refused before emit


# ---------------------------------------------------------------------------------------------------
# What a build opens and writes, traced




TRACED = ("open,openat,openat2,execve,execveat,mkdir,mkdirat,rename,renameat,renameat2,unlink,unlinkat,rmdir,"
          "symlink,symlinkat,link,linkat,chmod,fchmodat,truncate,socket,connect")
MUTATING = {"mkdir", "mkdirat", "rename", "renameat", "renameat2", "unlink", "unlinkat", "rmdir", "symlink",
            "symlinkat", "link", "linkat", "chmod", "fchmodat", "truncate"}
_CALL = re.compile(r"^(?:\d+\s+)?(\w+)\((.*)\) = (-?\d+)(?:<([^>]*)>)?")
_PATH_ARG = re.compile(r'(?:(AT_FDCWD|\d+)(?:<([^>]*)>)?, )?"((?:[^"\\]|\\.)*)"')


def _trace(args: list[str], cwd: Path, log: Path) -> tuple[subprocess.CompletedProcess, list[tuple]]:
    """Run the CLI under strace; return the process and (syscall, paths, result, returned path, raw line)."""
    proc = subprocess.run([need_strace(), "-f", "-qq", "-y", "-e", f"trace={TRACED}", "-o", str(log), str(EXE), *args],
                          cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    calls = []
    for line in log.read_text().splitlines():
        match = _CALL.match(line)
        if not match:
            continue
        name, arguments, result, returned = match.groups()
        paths = []
        for dirfd, dirpath, text in _PATH_ARG.findall(arguments):
            text = text.encode().decode("unicode_escape")
            base = dirpath or str(cwd)
            paths.append(os.path.normpath(os.path.join(base, text)))
        calls.append((name, paths, int(result), returned, line))
    return proc, calls


def _inside(path: str, roots: list[str], prefixes: list[str] = ()) -> bool:
    """Under one of `roots` (folders), or starting with one of `prefixes` (the temp folders' names)."""
    return any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots) or \
        any(path.startswith(prefix) for prefix in prefixes)


def _read_roots(*extra: Path) -> list[str]:
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             str(Path(resources.__file__).parent), str(resources.data_dir("catalog")),
             str(resources.data_dir("schemas")),
             "/etc", "/proc", "/dev", "/sys", "/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/share/locale",
             "/usr/share/zoneinfo", *map(str, extra)}
    return sorted({os.path.realpath(r) for r in roots} | roots)


def _assert_confined(calls: list[tuple], *, read_roots: list[str], exact: list[str], out: Path | None) -> None:
    """Reads under read_roots (or exactly a path in `exact`), changes only in OUT and its temp folders; one
    program (the CLI); no network socket."""
    write_roots = [str(out)] if out else []
    write_prefixes = [f"{out.parent}/.{out.name}.kserve-compiler-"] if out else []
    execs = [c for c in calls if c[0].startswith("execve")]
    assert len(execs) == 1, [c[4] for c in execs]  # the CLI itself; it starts no other program
    assert not [c[4] for c in calls if c[0] in ("socket", "connect") and "AF_UNIX" not in c[4]]
    for name, paths, result, returned, line in calls:
        if name.startswith("open"):
            where = os.path.normpath(returned) if result >= 0 and returned else paths[-1]
            real = os.path.realpath(where)
            assert where in exact or real in exact or _inside(real, read_roots + write_roots, write_prefixes), \
                f"read outside the sources: {line}"
            if result >= 0 and re.search(r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC", line):
                assert _inside(real, write_roots, write_prefixes), f"wrote outside OUT: {line}"
        elif name in MUTATING and result == 0:
            for path in paths:
                assert _inside(os.path.realpath(path), write_roots, write_prefixes), f"changed outside OUT: {line}"


def _layout(tmp_path: Path) -> dict[str, Path]:
    """src/ (the sources), decoy/ (a Secret and a folder beside them), a config elsewhere, cwd elsewhere."""
    src, decoy, cwd, cfg = tmp_path / "src", tmp_path / "decoy", tmp_path / "cwd", tmp_path / "etc-ksc"
    for folder in (src / "models", decoy / "more", cwd, cfg, tmp_path / "deploy"):
        folder.mkdir(parents=True)
    shutil.copy(EXAMPLES / "models" / "iris-sklearn.yaml", src / "models")
    shutil.copy(EXAMPLES / "runtimes" / "acme-xgboost.yaml", src)
    shutil.copy(EXAMPLES / "config" / "inferenceservice-config.yaml", cfg / "isvc-config.yaml")
    (decoy / "secret.yaml").write_text("apiVersion: v1\nkind: Secret\nmetadata: {name: stolen, namespace: models}\n"
                                       "stringData: {password: hunter2}\n")
    (decoy / "more" / "other.yaml").write_text((decoy / "secret.yaml").read_text().replace("stolen", "other"))
    os.symlink("models/iris-sklearn.yaml", src / "inside-link.yaml")  # a symlink inside the root: fine
    (tmp_path / ".kserve-compiler.yaml").write_text("ignore: [KSC430]\n")  # the project file, above the sources
    return {"src": src, "decoy": decoy, "cwd": cwd, "config": cfg / "isvc-config.yaml", "parent": tmp_path / "deploy",
            "project": tmp_path / ".kserve-compiler.yaml"}


def test_build_reads_only_its_sources_and_writes_only_out(tmp_path):
    where = _layout(tmp_path)
    out = where["parent"] / "out"
    proc, calls = _trace(["build", str(where["src"]), "-o", str(out), "--config", str(where["config"])], where["cwd"],
                         tmp_path / "trace.log")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (out / "models" / "iris-predictor.deployment.yaml").is_file()
    _assert_confined(calls, read_roots=_read_roots(where["src"]),
                     exact=[str(where["config"]), str(where["parent"]), str(where["cwd"]), str(where["project"])],
                     out=out)
    assert not [c for c in calls if any(str(where["decoy"]) in p for p in c[1])]
    # the trace is real: it shows the sources, the config, the project file and OUT being opened
    opened = {os.path.realpath(c[3]) for c in calls if c[0].startswith("open") and c[2] >= 0 and c[3]}
    assert {str(where["src"] / "models" / "iris-sklearn.yaml"), str(where["config"]), str(where["project"])} <= opened
    assert "1 hidden by filters" in proc.stderr  # and the project file was applied
    assert any("iris-predictor.deployment.yaml" in c[4] and "O_CREAT" in c[4] for c in calls)


def test_symlinks_out_of_the_sources_are_never_opened(tmp_path):
    where = _layout(tmp_path)
    os.symlink("../decoy/secret.yaml", where["src"] / "secret.yaml")
    os.symlink("../decoy/more", where["src"] / "more")
    os.symlink(str(where["decoy"] / "secret.yaml"), where["src"] / "absolute.yaml")
    proc, calls = _trace(["validate", str(where["src"])], where["cwd"], tmp_path / "trace.log")
    assert proc.returncode == 1 and proc.stdout.count("error KSC110") == 3, proc.stdout
    decoy = str(where["decoy"])
    opened = [c[4] for c in calls if c[0].startswith("open")
              and (decoy in c[4] or any(os.path.realpath(p).startswith(decoy) for p in c[1]))]
    assert opened == []
    assert any(c[0].startswith("open") and c[3] and c[3].endswith("iris-sklearn.yaml") for c in calls)  # a real trace
    _assert_confined(calls, read_roots=_read_roots(where["src"]), exact=[str(where["cwd"]), str(where["project"])],
                     out=None)


# ---------------------------------------------------------------------------------------------------
# KRM functionConfig and kustomize plugin config: paths stay inside the function's root

SECRET = "apiVersion: v1\nkind: Secret\nmetadata: {name: stolen, namespace: models}\nstringData: {password: hunter2}\n"


@pytest.fixture
def package(tmp_path, monkeypatch) -> Path:
    """A kpt package (the working directory) with models/ inside, and a Secret and a config outside it."""
    pkg = tmp_path / "pkg"
    (pkg / "models").mkdir(parents=True)
    shutil.copy(EXAMPLES / "models" / "iris-sklearn.yaml", pkg / "models")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.yaml").write_text(SECRET)
    shutil.copy(EXAMPLES / "config" / "inferenceservice-config.yaml", tmp_path / "outside" / "config.yaml")
    monkeypatch.chdir(pkg)
    return pkg


def _krm(**data: str) -> tuple[int, str, str]:
    rl = {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [],
          "functionConfig": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "f"}, "data": data}}
    stdout, stderr = io.StringIO(), io.StringIO()
    code = krm.run(yaml.safe_dump(rl).encode(), stdout, stderr)
    return code, stdout.getvalue(), stderr.getvalue()


def test_krm_paths_inside_the_root_are_read(package):
    code, stdout, stderr = _krm(paths="models")
    assert code == 0, stderr
    assert "name: iris-predictor" in stdout


OUTSIDE = {
    "paths-dotdot": ("paths", "../outside"),
    "paths-dotdot-inside-first": ("paths", "models/../../outside"),
    "paths-absolute": ("paths", "{outside}"),
    "config-dotdot": ("config", "../outside/config.yaml"),
    "config-absolute": ("config", "{outside}/config.yaml"),
}


@pytest.mark.parametrize("case", sorted(OUTSIDE))
def test_krm_function_config_cannot_reach_outside_its_root(case, package):
    key, value = OUTSIDE[case]
    data = {key: value.format(outside=package.parent / "outside")}
    if key == "config":
        data["paths"] = "models"
    code, stdout, stderr = _krm(**data)
    assert "hunter2" not in stdout
    assert code == 1 and "KSC702" in stderr, stderr


@pytest.mark.parametrize("path", ["../outside", "{outside}"])
def test_exec_plugin_paths_cannot_reach_outside_its_root(path, package, monkeypatch, tmp_path):
    config = tmp_path / "plugin.yaml"
    config.write_text(yaml.safe_dump({"apiVersion": "kserve.io/v1alpha1", "kind": "KServeCompile",
                                      "metadata": {"name": "c"},
                                      "spec": {"paths": ["models", path.format(outside=package.parent / "outside")]}}))
    monkeypatch.setenv("KUSTOMIZE_PLUGIN_CONFIG_ROOT", str(package))
    stdout, stderr = io.StringIO(), io.StringIO()
    code = kustomize_plugin.run(str(config), None, stdout, stderr)
    assert "hunter2" not in stdout.getvalue()
    assert code == 1 and "KSC702" in stderr.getvalue(), stderr.getvalue()


def test_command_line_config_may_be_anywhere(tmp_path):
    """--config is named by the user: an absolute path outside the sources is read (and only it)."""
    shutil.copy(EXAMPLES / "config" / "inferenceservice-config.yaml", tmp_path / "config.yaml")
    code, stdout, stderr = cli("build", str(EXAMPLES / "models" / "iris-sklearn.yaml"), "--config",
                               str(tmp_path / "config.yaml"))
    assert code == 0, stderr
    assert "models.acme.example" in stdout  # the ingress domain of that config


# ---------------------------------------------------------------------------------------------------
# No network


def test_sockets_are_blocked_in_process(request):
    import socket
    import urllib.request
    assert request.config.pluginmanager.has_plugin("nonetwork"), \
        'load tests/nonetwork.py for the whole session: addopts = "-ra -p nonetwork" and pythonpath = ["tests"]'
    import nonetwork
    assert nonetwork.blocked()
    with pytest.raises(nonetwork.NetworkBlocked):
        socket.create_connection(("127.0.0.1", 9), timeout=1)
    with pytest.raises(nonetwork.NetworkBlocked):
        socket.getaddrinfo("example.com", 443)
    with pytest.raises(nonetwork.NetworkBlocked):
        urllib.request.urlopen("http://192.0.2.1/", timeout=1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp, pytest.raises(nonetwork.NetworkBlocked):
        udp.sendto(b"x", ("192.0.2.1", 53))
    left, right = socket.socketpair()  # local sockets still work
    left.sendall(b"ok")
    assert right.recv(2) == b"ok"
    left.close()
    right.close()


def _unshare_net() -> list[str]:
    if shutil.which("unshare") is None:
        pytest.skip("unshare is not on PATH")
    reasons = []
    for command in (["unshare", "-n"], ["unshare", "-r", "-n"]):
        probe = subprocess.run([*command, "true"], capture_output=True, text=True, timeout=60)
        if probe.returncode == 0:
            return command
        reasons.append(f"{' '.join(command)}: {probe.stderr.strip()}")
    pytest.skip("a network namespace is refused here (" + "; ".join(reasons) + ")")


def test_build_needs_no_network(tmp_path):
    """`unshare -n`: a network namespace with no interface at all (not even a working loopback)."""
    command = _unshare_net()
    offline = subprocess.run([*command, str(EXE), "build", str(EXAMPLES), "-o", str(tmp_path / "offline")],
                             capture_output=True, text=True, timeout=120)
    online = subprocess.run([str(EXE), "build", str(EXAMPLES), "-o", str(tmp_path / "online")],
                            capture_output=True, text=True, timeout=120)
    assert offline.returncode == online.returncode == 0, offline.stderr
    assert snapshot(tmp_path / "offline") == snapshot(tmp_path / "online")
    stream = subprocess.run([*command, str(EXE), "build", str(EXAMPLES)], capture_output=True, timeout=120)
    assert stream.returncode == 0 and stream.stdout == subprocess.run(
        [str(EXE), "build", str(EXAMPLES)], capture_output=True, timeout=120).stdout
    probe = subprocess.run([*command, sys.executable, "-c", textwrap.dedent("""\
        import socket
        try:
            socket.create_connection(("192.0.2.1", 80), timeout=2)
        except OSError as exc:
            print("unreachable", exc.errno)
        """)], capture_output=True, text=True, timeout=60)
    assert "unreachable" in probe.stdout  # the namespace really has no network
