"""Fuzzing load, validate (the whole build behind it) and the KRM entry point with hypothesis (issue 7).

Whatever the bytes: no exception escapes, nothing is reported as an internal error (KSC5xx, exit 3), and
every error is a Diagnostic that names a file, and a line whenever the input had positions to give:

- `load.parse` over arbitrary bytes, YAML-ish token soup and byte-level mutations of valid YAML;
- `pipeline.compile` (validate, model, resolve, expand, check) over valid documents with random
  structural mutations: fields deleted, renamed, retyped, duplicated, odd values put in;
- `krm.run` over mutated ResourceLists (YAML or JSON, items and functionConfig mutated, orchestrator
  annotations pointing anywhere), whose stdout must still be one ResourceList;
- `build -` through the CLI in-process, for the exit codes and the absence of tracebacks.

Bounded for CI: the whole file takes well under a minute on two cores, and a failure is reported as found,
unshrunk (with the blob that reproduces it), so a bug cannot turn into minutes of shrinking. For longer local
runs: KSC_FUZZ_EXAMPLES=N runs every test with N examples (e.g. 20000 overnight); KSC_FUZZ_SHRINK=1 shrinks a
failing example to a minimal one.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
from pathlib import Path
from unittest import mock

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "properties"))
import strategies as S  # noqa: E402

from compiler import pipeline  # noqa: E402
from compiler.apiserver import objects as apiserver  # noqa: E402
from compiler.doors import function, krm  # noqa: E402
from compiler import settings as settings_mod  # noqa: E402
from compiler.doors.cli import main  # noqa: E402
from compiler.diagnostics import Severity  # noqa: E402
from compiler.settings import Limits  # noqa: E402
from compiler.sources.parse import load_text, parse  # noqa: E402
from compiler.sources.walk import SourceFile  # noqa: E402
from conftest import tree_paths  # noqa: E402

REPO = Path(__file__).resolve().parent.parent.parent
FILE = "fuzz.yaml"
_OVERRIDE = int(os.environ.get("KSC_FUZZ_EXAMPLES", "0"))
_PHASES = tuple(Phase) if os.environ.get("KSC_FUZZ_SHRINK") else (Phase.explicit, Phase.reuse, Phase.generate)


def fuzz(n: int) -> settings:
    return settings(max_examples=_OVERRIDE or n, deadline=None, print_blob=True, phases=_PHASES,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


# Errors that are about a whole file, not a place in it.
WHOLE_FILE = {"KSC106"}  # larger than --max-file-bytes: never parsed, so no line to give
# emit/layout.py's errors (two objects for one file, a generated name too long for a path) are about the
# output and name the objects, not a source line; a bad source name is refused earlier, placed (KSC120).
KNOWN_UNPLACED = {"KSC601", "KSC602"}


def assert_placed(diags, *, file: str = FILE) -> None:
    """Every error names a file; one in `file` (text with positions) names its line too."""
    for d in diags:
        if d.severity is not Severity.ERROR or d.code in KNOWN_UNPLACED:
            continue
        assert d.file, d
        if d.file == file and d.code not in WHOLE_FILE:
            assert d.line is not None and d.line >= 1, d
            assert d.column is None or d.column >= 1, d


def assert_no_internal_error(diags) -> None:
    internal = [d for d in diags if d.severity is Severity.ERROR and d.code.startswith("KSC5")]
    assert internal == []


# ---------------------------------------------------------------------------------------------------
# load.parse


SMALL = Limits(file_bytes=1 << 20, depth=20, nodes=2000, documents=50)


def _parse(raw: bytes, limits: Limits = Limits()) -> None:
    loaded = parse(raw, SourceFile(None, FILE, FILE, True), limits=limits)
    assert_placed(loaded.diagnostics)
    for doc in loaded.documents:
        assert isinstance(doc.data, dict) and doc.kind and doc.api_version
        assert doc.positions.of_value(())[0] is not None


@fuzz(2000)
@given(st.binary(max_size=600))
def test_parse_arbitrary_bytes(raw):
    _parse(raw)
    _parse(raw, SMALL)


TOKENS = ["apiVersion: v1\n", "kind: ConfigMap\n", "metadata:\n", "  name: a\n", "- ", "-", ":", ": ", "\n", "  ",
          "\t", "[", "]", "{", "}", ",", "&a ", "*a", "&b ", "*b", "<<: ", "<<", "? ", "!!str ",
          "!!python/name:os.system ",
          "!custom ", "!!binary ", "!!timestamp ", "'", '"', "\\", "|", ">", "|-", "---\n", "...\n", "%YAML 1.1\n",
          "%TAG ! tag:x,2000:\n", "#", "key", "value", "0x1F", "1e3", ".inf", "~", "null", "yes", "2001-12-14",
          "é", "\u2028", "\x85", "\ufeff", "\x00", "\x1b", "\r\n", "{{.Name}}", "x" * 70]


@fuzz(2000)
@given(st.lists(st.sampled_from(TOKENS), max_size=60))
def test_parse_yamlish_text(tokens):
    _parse("".join(tokens).encode("utf-8", "surrogatepass"))
    _parse("".join(tokens).encode("utf-8"), SMALL)


_SEED_TEXTS = [p.read_bytes() for p in sorted((REPO / "examples" / "repo").rglob("*.yaml"))] + \
              [p.read_bytes() for p in sorted((REPO / "catalog").glob("*.yaml"))[:4]]


@st.composite
def byte_mutations(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(_SEED_TEXTS)))
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(("flip", "insert", "delete", "dup-line", "cut")))
        if op == "flip":
            data[at] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(st.sampled_from([b"\t", b":", b"- ", b"&x ", b"*x", b"\n  ", b"{", b"]", b"'", b"\xff",
                                                b"---\n", b"<<: *x\n", b"!!set ", b"? "]))
        elif op == "delete":
            del data[at:at + draw(st.integers(1, 8))]
        elif op == "dup-line":
            start = data.rfind(b"\n", 0, at) + 1
            end = data.find(b"\n", at)
            end = len(data) if end < 0 else end + 1
            data[end:end] = data[start:end]
        else:
            del data[at:]
    return bytes(data)


@fuzz(2000)
@given(byte_mutations())
def test_parse_mutated_yaml(raw):
    _parse(raw)


# ---------------------------------------------------------------------------------------------------
# validate and the rest of the pipeline, over mutated documents

ODD_VALUES = [None, True, False, 0, -1, 1, 2 ** 63, -(2 ** 70), 1.5, float("inf"), "", " ", "x" * 300, "0o17", "y",
              "1e3",
              "2024-01-01", "{{.Name}}", "{{ call .X }}", "../..", "/etc/passwd", "UPPER", "é\u2028", "a/b", "-",
              "kserve-container", "sklearn", "v2", "s3://", "pvc://", "100m", "1Gi", [], {}, [None], [1, "a"],
              {"a": None}, {"name": 1}, [{"name": "kserve-container"}], {"limits": {"cpu": "lots"}}]


def _get(node, path):
    for step in path:
        node = node[step]
    return node


@st.composite
def mutated(draw, doc: dict) -> dict:
    doc = json.loads(json.dumps(doc))  # a private deep copy
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p in tree_paths(doc) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, last = _get(doc, path[:-1]), path[-1]
        op = draw(st.sampled_from(("delete", "retype", "retype", "rename", "add", "duplicate", "wrap")))
        if op == "delete":
            del parent[last]
        elif op == "retype":
            parent[last] = json.loads(json.dumps(draw(st.sampled_from(ODD_VALUES))))
        elif op == "rename" and isinstance(parent, dict):
            new = draw(st.sampled_from((str(last).upper(), str(last)[:-1], str(last) + "s", "_" + str(last),
                                        "metadata", "spec", "name")))
            parent[new] = parent.pop(last)
        elif op == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(("extra", "runtime", "containers", "storageUri", "namespace")))] = \
                json.loads(json.dumps(draw(st.sampled_from(ODD_VALUES))))
        elif op == "duplicate" and isinstance(parent, list):
            parent.insert(last, json.loads(json.dumps(parent[last])))
        elif op == "wrap":
            parent[last] = [parent[last]] if draw(st.booleans()) else {"value": parent[last]}
    return doc


_FIXED = [doc for text in _SEED_TEXTS[:-4] for doc in yaml.safe_load_all(text) if isinstance(doc, dict)]


@st.composite
def mutated_repos(draw) -> list[dict]:
    docs = draw(S.repos(max_runtimes=3, max_services=3)).documents + \
        draw(st.lists(st.sampled_from(_FIXED), max_size=2, unique_by=id))
    which = draw(st.lists(st.integers(0, len(docs) - 1), min_size=1, max_size=3, unique=True))
    return [draw(mutated(doc)) if i in which else doc for i, doc in enumerate(docs)]


@fuzz(400)
@given(mutated_repos())
def test_build_of_mutated_documents(docs):
    text = yaml.safe_dump_all(docs, sort_keys=False)
    loaded = load_text(text, FILE)
    result = pipeline.compile(settings_mod.Settings(allow_empty=True), documents=loaded.documents)
    diags = loaded.diagnostics + result.diagnostics
    assert_no_internal_error(diags)
    assert_placed(diags)
    if not any(d.severity is Severity.ERROR for d in diags):
        assert result.outputs
        for output in result.outputs:  # exit 0 only for objects the API server accepts (issue 13)
            assert apiserver.problems(output.obj) == [], output.obj


# ---------------------------------------------------------------------------------------------------
# KRM


FUNCTION_CONFIGS = [
    None,
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "f"}, "data": {"defaultNamespace": "models"}},
    {"apiVersion": "kserve.io/v1alpha1", "kind": "KServeCompile", "metadata": {"name": "f"},
     "spec": {"strict": False, "catalog": "builtin", "kubernetesVersion": "1.34"}},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "f"}, "data": {"storageInjection": "webhook"}},
]
ANNOTATIONS = [{}, {"internal.config.kubernetes.io/path": "models/a.yaml", "internal.config.kubernetes.io/index": "0"},
               {"internal.config.kubernetes.io/path": "../../etc/passwd"},
               {"internal.config.kubernetes.io/path": "/etc/passwd", "internal.config.kubernetes.io/index": "x"},
               {"config.kubernetes.io/path": "a.yaml", "config.kubernetes.io/index": "-1"},
               {"config.kubernetes.io/origin": "path: ../../secret.yaml\n"},
               {"config.kubernetes.io/origin": "{{ bad"},
               {"config.kubernetes.io/local-config": "true"},
               {"app.kubernetes.io/managed-by": "kserve-compiler"}]


@st.composite
def resource_lists(draw) -> bytes:
    items = [json.loads(json.dumps(d)) for d in draw(S.repos(max_runtimes=3, max_services=3)).documents]
    for item in items:
        extra = draw(st.sampled_from(ANNOTATIONS))
        if extra and isinstance(item.get("metadata"), dict):
            item["metadata"].setdefault("annotations", {}).update(extra)
    rl = {"apiVersion": draw(st.sampled_from(krm.RESOURCE_LIST_VERSIONS)), "kind": "ResourceList", "items": items}
    fc = draw(st.sampled_from(FUNCTION_CONFIGS))
    if fc is not None:
        rl["functionConfig"] = fc
    if draw(st.integers(0, 4)):
        rl = draw(mutated(rl))
    raw = (json.dumps(rl) if draw(st.booleans()) else yaml.safe_dump(rl, sort_keys=False)).encode()
    if draw(st.integers(0, 5)) == 0:  # and now and then the bytes themselves
        at = draw(st.integers(0, max(0, len(raw) - 1)))
        raw = raw[:at] + draw(st.sampled_from([b"\t", b"]", b"\xff", b"", b"---\n", b": :"])) + raw[at + 1:]
    return raw


@fuzz(400)
@given(resource_lists())
def test_krm_over_mutated_resource_lists(raw):
    seen = []
    original = function.report

    def report(run, stderr):
        seen.extend(run.diagnostics)
        original(run, stderr)

    stdout, stderr = io.StringIO(), io.StringIO()
    with mock.patch.object(function, "report", report):
        code = krm.run(raw, stdout, stderr)
    assert_no_internal_error(seen)
    assert code in (0, 1), stderr.getvalue()
    out = yaml.safe_load(stdout.getvalue())  # stdout is one ResourceList, whatever happened
    assert out["kind"] == "ResourceList" and isinstance(out["items"], list)
    if code == 1:
        assert [r for r in out.get("results") or [] if r["severity"] == "error"]
    for d in seen:
        if d.severity is not Severity.ERROR or d.code in KNOWN_UNPLACED:
            continue
        assert d.file, d  # "-" is the ResourceList on stdin
        if d.file == krm.STDIN and d.index is not None:
            assert d.line is not None, d  # an item of the ResourceList: placed in it


# ---------------------------------------------------------------------------------------------------
# The CLI: `build -`


@fuzz(250)
@given(st.one_of(byte_mutations(), st.lists(st.sampled_from(TOKENS), max_size=40).map(lambda t: "".join(t).encode()),
                 mutated_repos().map(lambda docs: yaml.safe_dump_all(docs).encode())))
def test_cli_build_stdin_never_crashes(raw):
    result = CliRunner().invoke(main, ["build", "-", "--allow-empty"], input=raw, catch_exceptions=False)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    internal = [line for line in result.stderr.splitlines() if re.search(r"(^|\s)error KSC5", line)]
    assert internal == []
    assert result.exit_code in (0, 1), result.stderr
    if result.exit_code == 1:
        assert result.stdout == ""  # a failed build prints no objects
        # every error line of the report is placed: "-:LINE:COL: error KSCnnn" or a whole-input one
        for line in result.stderr.splitlines():
            if " error KSC" in line and line.startswith("-"):
                assert line.startswith("-:"), line


# ---------------------------------------------------------------------------------------------------
# Bugs the fuzzers found


@pytest.mark.parametrize("component", ["transformer: {}", "explainer: {}", "transformer: {containers: []}",
                                       "transformer: {minReplicas: 1}"])
def test_component_without_containers_is_an_input_error(component, tmp_path):
    (tmp_path / "isvc.yaml").write_text(
        "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: m\nspec:\n"
        "  predictor:\n    containers:\n    - name: kserve-container\n      image: registry.acme.example/m:1\n"
        f"  {component}\n")
    runner = CliRunner()
    validate = runner.invoke(main, ["validate", str(tmp_path / "isvc.yaml")])
    build = runner.invoke(main, ["build", str(tmp_path / "isvc.yaml")])
    assert build.exit_code == 1, build.stderr
    assert validate.exit_code == 1, validate.stdout
    assert re.search(r"isvc\.yaml:10:3: error KSC223: exactly one of \[Custom\]", validate.stdout), validate.stdout


def test_krm_item_with_non_mapping_metadata_is_an_error():
    iris = yaml.safe_load((REPO / "examples" / "repo" / "models" / "iris-sklearn.yaml").read_text())
    rl = {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList",
          "items": [{"apiVersion": "v1", "kind": "Namespace", "metadata": "x"}, iris]}
    stdout, stderr = io.StringIO(), io.StringIO()
    code = krm.run(yaml.safe_dump(rl, sort_keys=False).encode(), stdout, stderr)  # the item is at line 4
    out = yaml.safe_load(stdout.getvalue())
    assert code == 1 and out["kind"] == "ResourceList"
    assert re.search(r"<stdin>:6:3: error KSC120: Namespace: metadata is not a mapping", stderr.getvalue()), \
        stderr.getvalue()


@pytest.mark.parametrize("key, value", [("kubernetesVersion", "abc"), ("kubernetesVersion", "9.99"),
                                        ("catalog", "no-such-folder"), ("config", "no-such-file.yaml")])
def test_krm_bad_function_config_value_is_placed(key, value):
    rl = {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList",
          "items": [yaml.safe_load((REPO / "examples" / "repo" / "models" / "iris-sklearn.yaml").read_text())],
          "functionConfig": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "f"}, "data": {key: value}}}
    seen = []
    original = function.report

    def report(run, stderr):
        seen.extend(run.diagnostics)
        original(run, stderr)

    with mock.patch.object(function, "report", report):
        code = krm.run(yaml.safe_dump(rl).encode(), io.StringIO(), io.StringIO())
    errors = [d for d in seen if d.severity is Severity.ERROR]
    assert code == 1 and errors
    assert all(d.file and d.field == f"data.{key}" for d in errors), errors
