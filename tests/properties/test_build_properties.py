"""Properties of `build` over generated repos (issue 7; strategies.py makes the repos).

- deterministic: the same bytes on every run, in one process and across PYTHONHASHSEED values;
- idempotent: `build -o OUT` then `build -o OUT --check` is clean, and a rebuild leaves OUT as it was
  (while an edited OUT is caught, so the check can fail);
- order-independent: the order of files on the command line or on disk changes no byte; regrouping and
  reordering documents across files changes nothing but the `kserve-compiler/source` annotation, which
  still names the document each object came from;
- every generated object passes Kubernetes' schemas (compiler.check, one object at a time, and
  kubernetes-validate itself) and the API server's own validation (compiler.apiserver), and reads back
  from its YAML as the same object;
- runtime selection never picks a disabled, multiModel, multi-node, format- or protocol-incompatible
  runtime, nor one outside the model's namespace, ranks as KServe does, and fails only when no runtime fits.

Example counts are small by default (the suite must stay fast on two cores); KSC_PROPERTY_EXAMPLES=N
multiplies them for a longer local run.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import strategies as S
from compiler import catalog as catalog_mod
from compiler import check, kinds, model, pipeline
from compiler.apiserver import objects as apiserver
from compiler.schema import bundle as schema_bundle
from compiler import settings as settings_mod
from compiler.emit import dump as emit_dump
from compiler.emit import layout as emit_layout
from compiler.doors.cli import main
from compiler.diagnostics import Severity
from compiler.sources.parse import load_text
from compiler.resolve import MULTI_MODEL_NAMED, Runtimes, resolve
from conftest import EXE

SCALE = max(1, int(os.environ.get("KSC_PROPERTY_EXAMPLES", "1")))
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
                print_blob=True)


def examples(n: int) -> settings:
    return settings(max_examples=n * SCALE, **SETTINGS)


def cli(*args: str, cwd: Path | None = None) -> tuple[int, str, str]:
    """The CLI in-process (fast enough for hundreds of builds): exit code, stdout, stderr."""
    old = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)
    return result.exit_code, result.stdout, result.stderr


def tree(root: Path) -> dict[str, bytes]:
    """Every file under root: {relative POSIX path: bytes}; symlinks and folders named too."""
    out: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        out[rel] = path.read_bytes() if path.is_file() and not path.is_symlink() else b"<" + \
            (b"symlink" if path.is_symlink() else b"dir") + b">"
    return out


def build_ok(src: Path, out: Path, *extra: str, cwd: Path | None = None) -> dict[str, bytes]:
    code, stdout, stderr = cli("build", *extra, str(src), "-o", str(out), cwd=cwd)
    assert code == 0, stdout + stderr
    return tree(out)


# ---------------------------------------------------------------------------------------------------
# Determinism


@examples(25)
@given(S.repos())
def test_build_is_deterministic_in_process(repo):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        repo.write(tmp / "src")
        first = build_ok(tmp / "src", tmp / "out1")
        assert build_ok(tmp / "src", tmp / "out2") == first
        streams = {cli("build", str(tmp / "src"))[1] for _ in range(2)}
        assert len(streams) == 1
        # the stream holds exactly the folder's objects, in the same order as the sorted files' objects
        stream_objects = list(yaml.safe_load_all(streams.pop()))
        folder_objects = [yaml.safe_load(text) for path, text in first.items()
                          if path.endswith(".yaml") and not path.endswith(emit_layout.KUSTOMIZATION)]
        key = lambda o: (o["metadata"].get("namespace") or "", o["metadata"]["name"], o["kind"])  # noqa: E731
        assert sorted(stream_objects, key=key) == sorted(folder_objects, key=key)


@settings(max_examples=3 * SCALE, **SETTINGS)
@given(S.repos(max_runtimes=8, max_services=10))
def test_build_is_the_same_across_hash_seeds(repo):
    """Separate processes with different PYTHONHASHSEED values (set and dict orders of strings change)
    write byte-identical folders and streams."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        repo.write(tmp / "src")
        trees, streams = [], []
        for seed in ("0", "1", "2718281"):
            env = {**os.environ, "PYTHONHASHSEED": seed}
            out = tmp / f"out-{seed}"
            proc = subprocess.run([str(EXE), "build", "src", "-o", str(out)], cwd=tmp, env=env,
                                  capture_output=True, text=True, timeout=120)
            assert proc.returncode == 0, proc.stdout + proc.stderr
            trees.append(tree(out))
            proc = subprocess.run([str(EXE), "build", "src"], cwd=tmp, env=env, capture_output=True, timeout=120)
            assert proc.returncode == 0, proc.stderr
            streams.append(proc.stdout)
        assert trees[1] == trees[0] and trees[2] == trees[0]
        assert streams[1] == streams[0] and streams[2] == streams[0]
        assert streams[0].decode() == cli("build", "src", cwd=tmp)[1]  # and the same as in-process


def test_large_build_is_the_same_in_parallel_and_across_hash_seeds(tmp_path, monkeypatch):
    """A large build compiles its InferenceServices in shards, one process each (per_service.SHARD_MIN a shard,
    KSC_JOBS processes), and past emit_dump.PARALLEL_MIN objects dumps YAML in forked workers: the report and
    the bytes are those of one process, and the same under any hash seed."""
    generator = Path(__file__).resolve().parent.parent.parent / "bench" / "generate.py"
    if not generator.exists():
        pytest.skip("bench/generate.py is not in this checkout")
    subprocess.run([sys.executable, str(generator), "--n", "1000", "-o", str(tmp_path / "src")], check=True,
                   capture_output=True, timeout=300)
    trees, reports = [], []
    for seed in ("0", "97"):
        proc = subprocess.run([str(EXE), "build", "src", "-o", f"out-{seed}", "--format", "json"], cwd=tmp_path,
                              capture_output=True, text=True, timeout=300,
                              env={**os.environ, "PYTHONHASHSEED": seed, "KSC_JOBS": "2"})
        assert proc.returncode == 0, proc.stderr[-2000:]
        trees.append(tree(tmp_path / f"out-{seed}"))
        reports.append(proc.stdout)
    assert len(trees[0]) > getattr(emit_dump, "PARALLEL_MIN", 2_000)  # the parallel dump was taken
    assert trees[1] == trees[0] and reports[1] == reports[0]
    serial = subprocess.run([str(EXE), "build", "src", "-o", "out-serial", "--format", "json"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300, env={**os.environ, "KSC_JOBS": "1"})
    assert serial.returncode == 0 and serial.stdout == reports[0]
    assert tree(tmp_path / "out-serial") == trees[0]
    monkeypatch.setattr(emit_dump, "PARALLEL_MIN", 10 ** 9, raising=False)  # serial dump, in-process
    monkeypatch.setenv("KSC_JOBS", "1")
    assert build_ok(tmp_path / "src", tmp_path / "out-in-process") == trees[0]


# ---------------------------------------------------------------------------------------------------
# Idempotence


@examples(20)
@given(S.repos(), st.randoms(use_true_random=False))
def test_build_then_check_is_clean(repo, rnd):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        repo.write(tmp / "src")
        first = build_ok(tmp / "src", tmp / "out")
        code, stdout, stderr = cli("build", str(tmp / "src"), "-o", str(tmp / "out"), "--check")
        assert code == 0, stdout + stderr
        assert "---" not in stdout and "KSC603" not in stdout
        assert tree(tmp / "out") == first  # --check wrote nothing
        assert build_ok(tmp / "src", tmp / "out") == first  # a rebuild changes nothing
        assert [p.name for p in tmp.iterdir()] != [] and not [p for p in tmp.iterdir() if "kserve-compiler" in p.name]
        # ... and the check can fail: an edited, a removed and an added file are each drift
        victim = rnd.choice(sorted(p for p in first if p.endswith(".yaml")))
        edits = [lambda p: p.write_bytes(p.read_bytes() + b"# edited\n"), lambda p: p.unlink(),
                 lambda p: p.with_name("extra.yaml").write_text("a: b\n")]
        edit = rnd.choice(edits)
        edit(tmp / "out" / victim)
        code, stdout, _ = cli("build", str(tmp / "src"), "-o", str(tmp / "out"), "--check")
        assert code == 1 and "KSC603" in stdout and "--- a/" in stdout


# ---------------------------------------------------------------------------------------------------
# Order independence


@examples(20)
@given(S.repos(), st.randoms(use_true_random=False))
def test_file_order_changes_no_byte(repo, rnd):
    """One document per file: files created on disk in another order, and named on the command line in
    any order instead of walked, give the same bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        layout = S.Layout.default(len(repo.documents))
        repo.write(tmp / "a", layout)
        shuffled = list(layout.creation_order)
        rnd.shuffle(shuffled)
        repo.write(tmp / "b", S.Layout(layout.files, shuffled))
        walked = build_ok(tmp / "a", tmp / "out-a")
        assert build_ok(tmp / "b", tmp / "out-b") == walked
        names = list(layout.files)
        rnd.shuffle(names)
        code, stdout, stderr = cli("build", *names, "-o", str(tmp / "out-named"), cwd=tmp / "a")
        assert code == 0, stdout + stderr
        assert tree(tmp / "out-named") == walked


def _normalised(files: dict[str, bytes], repo: S.Repo, layout: S.Layout) -> dict[str, object]:
    """The output with each source annotation replaced by the document it names (checked to exist and to
    be an InferenceService); the marker, a digest of the rest, is left out."""
    docs = repo.documents
    out: dict[str, object] = {}
    for path, data in files.items():
        if path == ".kserve-compiler" or not path.endswith(".yaml"):
            continue
        obj = yaml.safe_load(data)
        annotations = (obj.get("metadata") or {}).get("annotations") or {}
        source = annotations.get(kinds.SOURCE_ANNOTATION)
        if source is not None:
            file, _, index = source.rpartition("#")
            doc = docs[layout.files[file][int(index)]]
            assert doc["kind"] == "InferenceService", source
            assert obj["metadata"]["namespace"] == (doc["metadata"].get("namespace") or "default"), source
            assert obj["metadata"]["name"].startswith(doc["metadata"]["name"]), source
            annotations[kinds.SOURCE_ANNOTATION] = f"{doc['metadata'].get('namespace')}/{doc['metadata']['name']}"
        out[path] = obj
    return out


def _diagnostic_facts(stdout: str) -> list[str]:
    """The --verbose report without file positions: code, severity and message of each diagnostic. A notice
    that stands for several places (filtering.collapse) names the first of them in report order, which
    depends on the layout: its count is a fact, the object it names is not."""
    lines = [line.split(": ", 1)[-1] for line in stdout.splitlines() if " KSC" in line and not line.startswith(" ")]
    return sorted(line.rsplit(" [", 1)[0] if "with the same cause)" in line else line for line in lines)


@examples(25)
@given(st.data())
def test_document_order_changes_nothing_but_the_source_annotation(data):
    repo = data.draw(S.repos())
    layout = data.draw(S.layouts(repo))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        default = S.Layout.default(len(repo.documents))
        repo.write(tmp / "a", default)
        repo.write(tmp / "b", layout)
        code_a, report_a, err_a = cli("build", ".", "-o", str(tmp / "out-a"), "--verbose", cwd=tmp / "a")
        code_b, report_b, err_b = cli("build", ".", "-o", str(tmp / "out-b"), "--verbose", cwd=tmp / "b")
        assert code_a == code_b == 0, report_a + err_a + report_b + err_b
        assert _normalised(tree(tmp / "out-b"), repo, layout) == _normalised(tree(tmp / "out-a"), repo, default)
        assert _diagnostic_facts(report_b) == _diagnostic_facts(report_a)


# ---------------------------------------------------------------------------------------------------
# Every emitted object is valid Kubernetes


@examples(30)
@given(S.repos(), st.sampled_from(schema_bundle.kubernetes_versions()))
def test_every_generated_object_passes_kubernetes_schemas(repo, version):
    with tempfile.TemporaryDirectory() as tmp:
        repo.write(Path(tmp))
        result = pipeline.compile(settings_mod.Settings(sources=(tmp,), kubernetes_version=version))
    assert not result.failed(), [d for d in result.diagnostics if d.severity is Severity.ERROR]
    assert not [d for d in result.diagnostics if d.code.startswith("KSC5")]
    generated = [o.obj for o in result.outputs if o.generated]
    assert generated
    for obj in generated:
        assert check.check([obj], kubernetes_version=version) == [], obj  # one at a time: no shared verdicts
        # exit 0: the API server's own validation accepts it too (env names are relaxed from 1.32)
        relaxed = tuple(map(int, version.split("."))) >= (1, 32)
        assert apiserver.problems(obj, relaxed_env_names=relaxed) == [], obj
        text = emit_dump.dump(obj, generated=True)
        assert yaml.safe_load(text) == obj, text  # the YAML we write reads back as the object
    for obj in random.Random(0).sample(generated, min(4, len(generated))):  # a second opinion, unshared
        kubernetes_validate.validate(obj, version, strict=True)


# ---------------------------------------------------------------------------------------------------
# Runtime selection


def _format_ok(rt: model.Runtime, fmt: model.ModelFormat, *, auto: bool) -> bool:
    return any(entry.name == fmt.name and (fmt.version is None or entry.version == fmt.version)
               and (entry.auto_select or not auto) for entry in rt.formats)


def _protocol_ok(rt: model.Runtime, protocol: str | None) -> bool:
    return not protocol or not rt.protocols or protocol in rt.protocols


def _eligible_for_auto(rt: model.Runtime, comp: model.Component) -> bool:
    """KServe's filters for auto-selection, written from docs/kserve-behaviour.md §2.2 independently of resolve.py."""
    protocol = "v1" if comp.protocol is None else comp.protocol
    return (not rt.disabled and not rt.multi_model and not rt.multi_node
            and _format_ok(rt, comp.format, auto=True) and _protocol_ok(rt, protocol))


def _priority(rt: model.Runtime, fmt: model.ModelFormat) -> int | None:
    return next((entry.priority for entry in rt.formats if entry.name == fmt.name), None)


def _visible(runtimes: list[model.Runtime], namespace: str) -> tuple[list, list]:
    return ([rt for rt in runtimes if not rt.cluster and rt.namespace == namespace],
            [rt for rt in runtimes if rt.cluster])


def assert_resolution_is_sound(res, runtimes: list[model.Runtime]) -> None:
    comp, isvc, rt = res.component, res.isvc, res.runtime
    if comp.custom:
        assert res.how == "custom" and rt is None
        return
    namespaced, cluster = _visible(runtimes, isvc.namespace)
    errors = [d for d in res.diagnostics if d.severity is Severity.ERROR]
    if comp.runtime is not None:  # explicit: the namespace's runtime of that name, else the cluster's
        named = next((r for r in namespaced if r.name == comp.runtime), None) or \
            next((r for r in cluster if r.name == comp.runtime), None)
        fits = named is not None and not named.disabled and _format_ok(named, comp.format, auto=False) \
            and _protocol_ok(named, comp.protocol)
        if res.how == "unresolved":
            assert not fits and errors, (comp.runtime, res.diagnostics)
            return
        assert res.how == "explicit" and rt is named and fits
        assert not errors
        if rt.multi_model:  # KServe uses a named multiModel runtime anyway: never silently
            assert MULTI_MODEL_NAMED in {d.code for d in res.diagnostics}
        return
    candidates = [[r for r in group if _eligible_for_auto(r, comp)] for group in (namespaced, cluster)]
    if res.how == "unresolved":
        assert candidates == [[], []] and errors, [r.name for r in candidates[0] + candidates[1]]
        return
    assert res.how == "auto-selected" and not errors
    assert _eligible_for_auto(rt, comp), rt.name
    assert not rt.disabled and not rt.multi_model
    group = candidates[0] or candidates[1]  # a namespace runtime always beats a cluster one
    assert rt in group, (rt.label, [r.label for r in group])
    best = max((_priority(r, comp.format) or 0, _priority(r, comp.format) is not None) for r in group)
    assert ((_priority(rt, comp.format) or 0), _priority(rt, comp.format) is not None) == best
    assert {p.runtime.name for p in res.passed_over} | {rt.name} >= {r.name for r in namespaced + cluster}


@examples(300)
@given(S.resolution_cases(), st.booleans())
def test_resolution_never_picks_an_ineligible_runtime(case, with_catalog):
    loaded = load_text(S.dump_all(case.documents), "repo.yaml")
    assert not loaded.diagnostics
    catalog_docs = catalog_mod.load_catalog(catalog_mod.BUILTIN)[0] if with_catalog else []
    runtimes = [model.runtime_from(d, default_namespace="default", builtin=True)
                for d in catalog_docs if d.kind in model.RUNTIME_KINDS]
    by_name = {(rt.namespace, rt.name): rt for rt in runtimes}
    for doc in loaded.documents:
        if doc.kind in model.RUNTIME_KINDS:
            rt = model.runtime_from(doc, default_namespace="default")
            by_name[(rt.namespace, rt.name)] = rt
    runtimes = list(by_name.values())
    index = Runtimes(runtimes)
    for doc in loaded.documents:
        if doc.kind == "InferenceService":
            isvc, _ = model.inference_service_from(doc, default_namespace="default")
            for component in isvc.components:
                assert_resolution_is_sound(resolve(isvc, component, index), runtimes)


@examples(25)
@given(S.repos())
def test_build_resolutions_are_sound(repo):
    """The same over whole builds (catalog, pipeline and all): and there every model resolves."""
    with tempfile.TemporaryDirectory() as tmp:
        repo.write(Path(tmp))
        result = pipeline.compile(settings_mod.Settings(sources=(tmp,), expand=False))
    assert result.resolutions
    for res in result.resolutions:
        assert res.how != "unresolved", res.diagnostics
        assert_resolution_is_sound(res, result.runtimes)


def test_the_soundness_check_can_fail():
    """assert_resolution_is_sound rejects a resolution that picked a disabled runtime."""
    loaded = load_text(S.dump_all([
        {"apiVersion": S.RUNTIME_API, "kind": "ClusterServingRuntime", "metadata": {"name": "off"},
         "spec": {"disabled": True, "supportedModelFormats": [{"name": "sklearn", "autoSelect": True}],
                  "containers": [{"name": "kserve-container", "image": "x"}]}},
        {"apiVersion": S.ISVC_API, "kind": "InferenceService", "metadata": {"name": "m"},
         "spec": {"predictor": {"model": {"modelFormat": {"name": "sklearn"}}}}}]), "repo.yaml")
    rt = model.runtime_from(loaded.documents[0], default_namespace="default")
    isvc, _ = model.inference_service_from(loaded.documents[1], default_namespace="default")
    from compiler.resolve import Resolution
    forged = Resolution(isvc, isvc.predictor, rt, "auto-selected")
    with pytest.raises(AssertionError):
        assert_resolution_is_sound(forged, [rt])
    assert_resolution_is_sound(resolve(isvc, isvc.predictor, Runtimes([rt])), [rt])
