"""Issue 15's conveniences around build and explain, as a user meets them on the command line: `explain --name`
answers for one object, `--check` hints name the sources as given, stdin only with `-`, and the message
when `.` holds nothing to compile."""

from __future__ import annotations

import re

import fcntl
import json
import os
import pty
import struct
import subprocess
import termios
import threading

import pytest
import yaml

from conftest import EXAMPLES, EXE, ISVC, run_entry_point, tree_bytes

LEGACY = """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: {name: flowers}
spec:
  predictor:
    tensorflow:
      storageUri: gs://kfserving-examples/models/tensorflow/flowers
"""
BROKEN = ISVC.replace("name: iris", "name: broken").replace("{name: sklearn}", "{name: nope}")


def _lines(text: str, needle: str) -> list[str]:
    return [line for line in text.splitlines() if needle in line]


def run_in_pty(args: list[str], *, cwd, stdin_tty: bool = False, stderr_tty: bool = False, env: dict | None = None,
               timeout: float = 300) -> tuple[int, str, str]:
    """The entry point with stdin and/or stderr on a pseudo-terminal (as in a person's shell), stdout a pipe.
    Returns (exit code, stdout, everything written to stderr)."""
    chunks: list[bytes] = []
    masters, slaves, readers = [], {}, []
    for name, wanted in (("stdin", stdin_tty), ("stderr", stderr_tty)):
        if wanted:
            master, slaves[name] = pty.openpty()
            fcntl.ioctl(slaves[name], termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))  # 100 columns
            masters.append((name, master))
    proc = subprocess.Popen([str(EXE), *args], cwd=cwd, env={**os.environ, **(env or {})},
                            stdin=slaves.get("stdin", subprocess.DEVNULL), stdout=subprocess.PIPE,
                            stderr=slaves.get("stderr", subprocess.PIPE))
    for fd in slaves.values():
        os.close(fd)
    for name, master in masters:
        if name == "stderr":
            def drain(fd=master):
                while True:
                    try:
                        data = os.read(fd, 65536)
                    except OSError:  # EIO: the child closed its end
                        return
                    if not data:
                        return
                    chunks.append(data)
            readers.append(threading.Thread(target=drain, daemon=True))
            readers[-1].start()
    out, err = proc.communicate(timeout=timeout)
    for thread in readers:
        thread.join(timeout=10)
    for _, master in masters:
        os.close(master)
    stderr = b"".join(chunks) if stderr_tty else err
    return proc.returncode, out.decode(), stderr.decode(errors="replace").replace("\r\n", "\n")


# ---------------------------------------------------------------------------------------------------
# explain --name


def test_explain_name_shows_only_that_objects_diagnostics(workspace, run_cli):
    workspace({"iris.yaml": ISVC, "flowers.yaml": LEGACY})
    whole = run_cli("explain", ".")
    assert "KSC230" in whole.stderr  # the legacy form's notice is about flowers

    iris = run_cli("explain", ".", "--name", "iris")
    assert iris.exit_code == 0, iris.output
    assert _lines(iris.stdout, "InferenceService default/") == ["InferenceService default/iris (iris.yaml:1)"]
    assert "KSC230" not in iris.stderr and "flowers" not in iris.output

    flowers = run_cli("explain", ".", "--name", "default/flowers")
    assert flowers.exit_code == 0
    assert _lines(flowers.stderr, "KSC230") == [
        _lines(whole.stderr, "KSC230")[0]]  # the same notice, word for word
    assert "iris" not in flowers.output


def test_explain_name_says_what_it_leaves_out_and_keeps_the_exit_code(workspace, run_cli):
    workspace({"iris.yaml": ISVC, "broken.yaml": BROKEN})
    result = run_cli("explain", ".", "--name", "iris")
    assert result.exit_code == 1  # the repo does not compile, whichever object is explained
    assert "KSC311" not in result.stderr and "broken" not in result.output
    assert ("kserve-compiler: 1 error(s) and 0 warning(s) about other objects are not shown with --name; run "
            "explain (or validate --resolve) without --name to see them") in result.stderr


def test_explain_name_that_matches_nothing_is_exit_1_with_did_you_mean(workspace, run_cli):
    workspace({"iris.yaml": ISVC, "flowers.yaml": LEGACY})
    result = run_cli("explain", ".", "--name", "irsi")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:2] == ['error KSC018: no InferenceService is named "irsi"',
                                              '    hint: did you mean "default/iris"?']
    assert "KSC230" not in result.stderr  # nothing about the objects that were not asked for
    as_json = run_cli("explain", ".", "--name", "irsi", "--format", "json")
    assert as_json.exit_code == 1 and json.loads(as_json.stdout)["components"] == []


# ---------------------------------------------------------------------------------------------------
# build -o OUT --check


def test_check_hint_names_the_sources_and_options_as_given(workspace, run_cli):
    root = workspace({"models/iris.yaml": ISVC, "models/notes/x.yaml": "not: kubernetes\n"})
    args = ("build", "models", "-o", "rendered dir", "--default-namespace", "ml", "--exclude", "notes")
    assert run_cli(*args).exit_code == 0
    (root / "rendered dir" / "ml" / "iris.ingress.yaml").unlink()
    result = run_cli(*args, "--check", "--strict")
    assert result.exit_code == 1
    hints = _lines(result.stdout, "hint: run:")
    assert hints == ["    hint: run: kserve-compiler build models -o 'rendered dir' --default-namespace ml "
                     "--exclude notes; then commit the result"]  # --check and --strict change nothing written


def test_check_without_sources_names_none_and_never_reports_the_marker(workspace, run_cli):
    root = workspace({"iris.yaml": ISVC})
    assert run_cli("build", "-o", "out").exit_code == 0
    (root / "out" / ".kserve-compiler").write_text("touched\n")
    assert run_cli("build", "-o", "out", "--check").exit_code == 0  # the marker alone is never drift
    (root / "out" / "kustomization.yaml").write_text("resources: []\n")
    result = run_cli("build", "-o", "out", "--check")
    assert result.exit_code == 1
    assert _lines(result.stdout, "KSC603") == [
        "out/kustomization.yaml: error KSC603: out of date: kustomization.yaml differs from what the sources "
        "compile to"]
    assert "hint: run: kserve-compiler build -o out; then commit the result" in result.stdout
    assert ".kserve-compiler" not in result.stdout


# ---------------------------------------------------------------------------------------------------
# stdin, and an empty `.`


def test_stdin_is_read_only_when_a_source_is_dash(tmp_path):
    (tmp_path / "iris.yaml").write_text(ISVC)
    piped = ISVC.replace("name: iris", "name: piped")
    named = run_entry_point("build", "iris.yaml", cwd=tmp_path, input=piped)  # a CI runner's pipe, say
    assert named.returncode == 0 and "name: iris-predictor" in named.stdout and "piped" not in named.stdout
    default = run_entry_point("build", cwd=tmp_path, input=piped)
    assert default.returncode == 0 and "piped" not in default.stdout
    dash = run_entry_point("build", "iris.yaml", "-", cwd=tmp_path, input=piped)
    assert dash.returncode == 0 and "name: piped-predictor" in dash.stdout


EMPTY_DOT = ("the build emitted no objects: no InferenceService, ServingRuntime or ClusterServingRuntime found: no "
             "source was named, so the current folder . was searched (2 YAML files, hidden folders, kustomization "
             "files and folders of our output skipped)")
PIPE_HINT = "hint: stdin is not a terminal but is read only when a source is -: add - to read what is piped in"


def test_an_empty_dot_says_where_it_looked_and_points_at_dash_for_a_pipe(tmp_path):
    (tmp_path / "notes.yaml").write_text("title: not a Kubernetes object\n")
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n")
    (tmp_path / "cm.yaml").rename(tmp_path / "cm.txt")  # not YAML by name: never read
    build = run_entry_point("build", cwd=tmp_path, input=ISVC)
    assert build.returncode == 1 and build.stdout == ""
    assert f"error KSC608: {EMPTY_DOT.replace('2 YAML files', '1 YAML file')}" in build.stderr
    assert PIPE_HINT in build.stderr
    assert build.stderr.count("KSC608") == 1 and "KSC124" not in build.stderr  # one message, not two

    (tmp_path / "cm.txt").rename(tmp_path / "cm.yaml")  # a pass-through object alone is a build ...
    validate = run_entry_point("validate", cwd=tmp_path, input="")
    assert validate.returncode == 0  # ... warned, not failed
    report = validate.stdout  # validate's report is its payload (Decision 5)
    assert "warning KSC124: no InferenceService, ServingRuntime or ClusterServingRuntime found" in report
    assert "(2 YAML files," in report and PIPE_HINT in report


def test_a_named_source_or_a_terminal_gets_no_dash_hint(tmp_path):
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n")
    named = run_entry_point("validate", ".", cwd=tmp_path, input="")
    assert named.returncode == 0 and "KSC124" not in named.stdout  # `.` named: the user chose it
    code, out, _ = run_in_pty(["validate"], cwd=tmp_path, stdin_tty=True)
    assert code == 0 and "warning KSC124" in out
    assert "hint: name the folders or files that hold your InferenceServices and runtimes" in out
    assert "add - to read" not in out


# ---------------------------------------------------------------------------------------------------
# --flux DIR


def _flux(root, name: str) -> dict:
    return yaml.safe_load((root / "clusters" / "prod" / name).read_text())


def test_flux_writes_one_kustomization_per_folder_outside_out(workspace, run_cli):
    root = workspace({"models/iris.yaml": ISVC, "models/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: ml}\n",
                      "models/ml.yaml": ISVC.replace("name: iris", "name: churn\n  namespace: ml"),
                      "clusters/prod/flux-system.yaml": "# the user's own file\n"})
    (root / ".git").mkdir()  # the repository root: spec.path is relative to it
    (root / "sub").mkdir()
    os.chdir(root / "sub")  # run from elsewhere: the path still starts at the repository root
    result = run_cli("build", "../models", "-o", "../deploy/rendered", "--flux", "../clusters/prod")
    assert result.exit_code == 0, result.output
    os.chdir(root)
    assert sorted(p.name for p in (root / "clusters" / "prod").iterdir()) == [
        "flux-system.yaml", "kserve-cluster.yaml", "kserve-default.yaml", "kserve-ml.yaml"]
    assert (root / "clusters" / "prod" / "flux-system.yaml").read_text() == "# the user's own file\n"
    assert sorted(p.name for p in (root / "deploy" / "rendered").iterdir()) == [
        ".kserve-compiler", "_cluster", "default", "kustomization.yaml", "ml"]  # nothing of Flux's in OUT
    ml = _flux(root, "kserve-ml.yaml")
    # kubernetes-validate has no schema for Flux's CRDs: the fields Flux v1 requires, checked one by one
    assert ml == {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
                  "metadata": {"name": "kserve-ml", "namespace": "flux-system",
                               "labels": {"app.kubernetes.io/managed-by": "kserve-compiler"}},
                  "spec": {"dependsOn": [{"name": "kserve-cluster"}], "interval": "10m",
                           "path": "./deploy/rendered/ml", "prune": True,
                           "sourceRef": {"kind": "GitRepository", "name": "flux-system", "namespace": "flux-system"}}}
    cluster = _flux(root, "kserve-cluster.yaml")["spec"]
    assert cluster["path"] == "./deploy/rendered/_cluster" and "dependsOn" not in cluster
    assert "targetNamespace" not in ml["spec"]  # our objects carry their namespace


def test_flux_removes_only_its_own_stale_files_and_checks_drift(workspace, run_cli):
    root = workspace({"models/iris.yaml": ISVC, "models/ml.yaml": ISVC.replace("name: iris", "name: c\n  namespace: ml")})
    args = ("build", "models", "-o", "rendered", "--flux", "flux", "--flux-source", "kserve-models")
    assert run_cli(*args).exit_code == 0
    assert _flux_names(root) == ["kserve-default.yaml", "kserve-ml.yaml"]
    assert yaml.safe_load((root / "flux" / "kserve-ml.yaml").read_text())["spec"]["sourceRef"]["name"] == "kserve-models"
    hand = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: mine}\n"
    (root / "flux" / "kserve-old.yaml").write_text(hand)  # the user's: no managed-by label
    assert run_cli(*args, "--check").exit_code == 0

    (root / "models" / "ml.yaml").unlink()  # the namespace ml disappears
    check = run_cli(*args, "--check")
    assert check.exit_code == 1 and (root / "flux" / "kserve-ml.yaml").exists()  # --check writes nothing
    assert ("flux/kserve-ml.yaml: error KSC603: out of date: flux/kserve-ml.yaml belongs to a folder that is gone: a "
            "build would remove it") in check.stdout
    assert "hint: run: kserve-compiler build models -o rendered --flux flux --flux-source kserve-models;" in check.stdout
    result = run_cli(*args)
    assert result.exit_code == 0
    assert "notice KSC612: removed flux/kserve-ml.yaml: its folder of the output is gone" in result.stdout
    assert _flux_names(root) == ["kserve-default.yaml", "kserve-old.yaml"]  # the user's file stays
    assert not [p for p in (root / "flux").iterdir() if p.name.startswith(".")]  # no temp file left


def _flux_names(root) -> list[str]:
    return sorted(p.name for p in (root / "flux").iterdir())


def test_flux_refuses_a_file_that_is_not_ours(workspace, run_cli):
    root = workspace({"iris.yaml": ISVC, "flux/kserve-default.yaml": "kind: Kustomization  # hand-written\n"})
    result = run_cli("build", "iris.yaml", "-o", "out", "--flux", "flux")
    assert result.exit_code == 2
    assert "error KSC611: flux/kserve-default.yaml exists and was not written by kserve-compiler" in result.stderr
    assert (root / "flux" / "kserve-default.yaml").read_text() == "kind: Kustomization  # hand-written\n"
    assert not (root / "out").exists()  # refused before anything was written


@pytest.mark.parametrize("args, message", [
    (("-o", "out", "--flux", "out/flux"), "--flux out/flux is inside the output folder out"),
    (("-o", "out", "--flux", "models/flux"), "--flux models/flux is inside the source 'models'"),
    (("-o", "deploy/out", "--flux", "deploy"), "the output folder deploy/out is inside --flux deploy"),
    (("--flux", "flux"), "--flux needs -o OUT"),
    (("-o", "OUTSIDE", "--flux", "flux"), "is outside the repository"),
])
def test_flux_placement_is_a_usage_error(workspace, run_cli, args, message):
    root = workspace({"models/iris.yaml": ISVC})
    (root / ".git").mkdir()
    outside = root.parent / f"{root.name}-outside"  # beside the repository, not in it
    result = run_cli("build", "models", *[str(outside) if a == "OUTSIDE" else a for a in args])
    assert result.exit_code == 2, result.output
    assert "KSC610" in result.stderr and message in result.stderr
    assert not (root / "out").exists() and not (root / "flux").exists() and not (root / "deploy").exists()
    assert not outside.exists()


def test_committed_examples_flux_is_what_the_tool_writes(run_cli, monkeypatch):
    """examples/flux's Kustomizations are generated (README, examples/flux/README.md) and point at its GitRepository."""
    monkeypatch.chdir(EXAMPLES.parent)
    result = run_cli("build", "examples/repo", "-o", "examples/rendered", "--flux", "examples/flux",
                     "--flux-source", "models-repo", "--check")
    assert result.exit_code == 0, result.stdout
    source = yaml.safe_load((EXAMPLES / "flux" / "gitrepository.yaml").read_text())["metadata"]
    generated = sorted(p.name for p in (EXAMPLES / "flux").glob("kserve-*.yaml"))
    assert generated == ["kserve-cluster.yaml", "kserve-default.yaml", "kserve-models.yaml"]
    for name in generated:
        ref = yaml.safe_load((EXAMPLES / "flux" / name).read_text())["spec"]["sourceRef"]
        assert (ref["name"], ref["namespace"]) == (source["name"], source["namespace"])


# ---------------------------------------------------------------------------------------------------
# Progress on a terminal


def _many_models(root, count: int = 1000) -> None:
    """A repo large enough that the build outlasts the half second before progress shows."""
    (root / "models").mkdir()
    for i in range(count):
        (root / "models" / f"m{i}.yaml").write_text(
            ISVC.replace("name: iris", f"name: m{i}\n  namespace: ns{i % 5}"))


NOT_CI = {"CI": "", "GITHUB_ACTIONS": ""}


def test_progress_shows_on_a_terminal_and_never_in_a_pipe_or_ci(tmp_path):
    _many_models(tmp_path, 4000)  # the compile alone must outlast the half second, sharded too
    code, tty_out, tty_err = run_in_pty(["build", "models", "-o", "on-tty"], cwd=tmp_path, stderr_tty=True,
                                        env=NOT_CI)
    assert code == 0, tty_err
    # a tqdm bar of some stage of the compile: n/total [elapsed] (which stage outlasts the half second depends
    # on the machine and on how many shards share the work)
    assert re.search(r"kserve-compiler: (load|validate|resolve|expand|check) .*\d+/\d+ \[", tty_err), tty_err
    assert tty_err.rstrip("\n").splitlines()[-1].startswith("kserve-compiler: 4000 files, 4000 documents")  # cleared before it

    piped = run_entry_point("build", "models", "-o", "in-pipe", cwd=tmp_path, env=NOT_CI)
    assert piped.returncode == 0
    assert "expand" not in piped.stderr and "/4000 [" not in piped.stderr and "\r" not in piped.stderr
    assert piped.stdout == tty_out  # the report is the same
    assert tree_bytes(tmp_path / "in-pipe") == tree_bytes(tmp_path / "on-tty")  # and so is every file

    code, _, ci_err = run_in_pty(["build", "models", "-o", "in-ci"], cwd=tmp_path, stderr_tty=True,
                                 env={"CI": "true"})
    assert code == 0 and "expand" not in ci_err and "\r" not in ci_err.replace("\r\n", "")
