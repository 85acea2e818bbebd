"""Properties of `fix` (issue 18) over generated sources: InferenceServices written the ways users write
them (legacy blocks of every framework, block or flow style, two- or four-space indentation, comments, CRLF,
float quantities, misspelt keys, old deploymentMode names, the kubeflow API group), beside generated
runtimes that may compete for the same models.

- idempotent: a second `fix` changes nothing;
- never worse: when the originals built, the fixed sources build to the same bytes (file names and
  document indices do not move, so even our source annotation is the same); when they did not, no error
  code appears that was not there, and none appears more often.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import strategies as S
from compiler import pipeline
from compiler.diagnostics import Severity
from compiler.doors.cli import main
from compiler.model import FRAMEWORKS
from compiler.settings import Settings

SCALE = max(1, int(os.environ.get("KSC_PROPERTY_EXAMPLES", "1")))
SETTINGS = settings(max_examples=15 * SCALE, deadline=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@st.composite
def isvc_text(draw, name: str) -> str:
    ind = " " * draw(st.sampled_from([2, 4]))
    framework = draw(st.sampled_from(("model", *FRAMEWORKS)))
    # What fails a build (the kubeflow group, a misspelt key, a float cpu) is drawn less often than what
    # does not, so that about half the repos build and the same-bytes half of the property is exercised.
    group = draw(st.sampled_from(["serving.kserve.io/v1beta1"] * 5 + ["serving.kubeflow.org/v1beta1"]))
    mode = draw(st.sampled_from([None, "Standard", "RawDeployment", "Serverless"]))
    uri_key = draw(st.sampled_from(["storageUri"] * 5 + ["stroageUri"]))
    cpu = draw(st.sampled_from(['"1"', "1", "100m", '"0.5"'] * 2 + ["0.5", "0.25"]))
    flow = draw(st.booleans())
    fields = [f"{uri_key}: gs://kfserving-examples/models/{framework}/1", f"resources: {{requests: {{cpu: {cpu}}}}}"]
    if framework == "model":
        fields.insert(0, f"modelFormat: {{name: {draw(st.sampled_from(['sklearn', 'xgboost', 'onnx']))}}}")
    if draw(st.booleans()):
        fields.append("protocolVersion: v2")
    lines = [f"# {name}: generated", f"apiVersion: {group}", "kind: InferenceService", "metadata:",
             f"{ind}name: {name}   # a trailing comment"]
    if mode:
        lines += [f"{ind}annotations:", f"{ind * 2}serving.kserve.io/deploymentMode: {mode}"]
    lines += ["spec:", f"{ind}predictor:"]
    if flow:
        lines.append(f"{ind * 2}{framework}: {{{', '.join(fields)}}}")
    else:
        lines.append(f"{ind * 2}{framework}:")
        if draw(st.booleans()):
            lines.append(f"{ind * 3}# about the model")
        lines += [f"{ind * 3}{f}" for f in fields]
    return "\n".join(lines) + "\n"


@st.composite
def repos(draw) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for i in range(draw(st.integers(1, 3))):
        docs = [draw(isvc_text(f"m{i}-{j}")) for j in range(draw(st.integers(1, 2)))]
        text = "---\n".join(docs)
        if draw(st.booleans()):
            text = text.replace("\n", "\r\n")
        files[f"models/m{i}.yaml"] = text.encode()
    runtimes = draw(S.runtime_docs(count=st.integers(0, 2)))
    if runtimes:
        files["runtimes.yaml"] = S.dump_all(runtimes).encode()
    return files


def write(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)


def cli(root: Path, *args: str):
    old = os.getcwd()
    os.chdir(root)
    try:
        return CliRunner().invoke(main, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)


def errors(root: Path) -> Counter:
    result = pipeline.compile(Settings(sources=(str(root),)))
    return Counter(d.code for d in result.diagnostics if d.severity is Severity.ERROR)


@SETTINGS
@given(repos())
def test_fix_is_idempotent_and_never_makes_the_build_worse(files):
    with tempfile.TemporaryDirectory(prefix="fix-prop-") as tmp:
        root = Path(tmp)
        write(root, files)
        built = cli(root, "build", ".")
        errors_before = errors(root)
        first = cli(root, "fix", ".")
        assert first.exit_code == 0, first.stderr
        second = cli(root, "fix", "--diff", ".")
        assert (second.exit_code, second.stdout) == (0, ""), second.stderr
        rebuilt = cli(root, "build", ".")
        if built.exit_code == 0:
            assert rebuilt.exit_code == 0 and rebuilt.stdout == built.stdout, first.stderr
        else:
            assert not errors(root) - errors_before, first.stderr
