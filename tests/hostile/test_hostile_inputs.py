"""Bad input of every kind (issues 2 and 7), through the installed CLI as a user runs it: each becomes one
Diagnostic at the right place, exit 1, never a traceback; `build -o OUT` then leaves a previous OUT
byte-identical (docs/design.md Decision 4); each limit has a flag that raises it."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from conftest import ISVC, run_entry_point, tree_bytes


HEAD = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"


def _chain(levels: int, width: int = 10) -> bytes:
    """A "billion laughs": each anchor lists the previous one `width` times."""
    text = b"a0: &a0 [" + b", ".join([b"lol"] * width) + b"]\n"
    for i in range(1, levels):
        text += f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]\n".encode()
    return text


def _merge_chain(levels: int, width: int = 10) -> bytes:
    """The same through merge keys: each level merges the previous one `width` times."""
    text = b"m0: &m0 {k: v}\n"
    for i in range(1, levels):
        text += f"m{i}: &m{i} {{<<: [{', '.join([f'*m{i - 1}'] * width)}]}}\n".encode()
    return text


def _flow(depth: int) -> bytes:
    return b"data: " + b"[" * depth + b"]" * depth + b"\n"


def _block(depth: int) -> bytes:
    return b"data:\n" + b"".join(b"  " * (i + 1) + b"k:\n" for i in range(depth)) + b"  " * (depth + 1) + b"x: 1\n"


@dataclass
class Case:
    content: bytes | None                  # bad.yaml (None: the case makes its own files)
    prefix: str                            # how the report must start
    args: tuple[str, ...] = ()             # extra options
    setup: Callable[[Path], None] | None = None
    walk: bool = False                     # the sources are the folder, not the files
    raise_with: tuple[str, ...] = ()       # options under which the same input is fine


def _symlink_out(src: Path) -> None:
    secret = src.parent / "secret.yaml"
    secret.write_bytes(HEAD)
    os.symlink("../secret.yaml", src / "bad.yaml")


def _sparse_big(src: Path) -> None:
    with open(src / "bad.yaml", "wb") as f:
        f.write(HEAD)
        f.truncate(64 * 1024 * 1024 + 1)  # sparse: one byte past the default limit, no disk used


CASES = {
    "syntax-error": Case(HEAD + b"  labels: {x: y]\n", "bad.yaml:5:16: error KSC101: "),
    "unclosed-quote": Case(HEAD + b'data:\n  a: "open\n', "bad.yaml:7:1: error KSC101: "),
    "duplicate-key": Case(HEAD + b"data:\n  key: one\n  key: two\n", "bad.yaml:7:3: error KSC102: "),
    "duplicate-top-level-key": Case(HEAD + b"kind: Secret\n", "bad.yaml:5:1: error KSC102: "),
    "tab-indentation": Case(HEAD + b"data:\n  key: one\n\tother: two\n", "bad.yaml:7:1: error KSC101: "),
    "tab-only-indentation": Case(b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: a\n",
                                 "bad.yaml:4:1: error KSC101: "),
    "list-document": Case(b"- apiVersion: v1\n  kind: ConfigMap\n", "bad.yaml:1:1: error KSC103: "),
    "scalar-document": Case(HEAD + b"---\njust some text\n", "bad.yaml:6:1: error KSC103: "),
    "no-apiversion": Case(b"kind: ConfigMap\nmetadata:\n  name: a\n", "bad.yaml:1:1: error KSC104: "),
    "no-kind": Case(b"apiVersion: v1\nmetadata:\n  name: a\n", "bad.yaml:1:1: error KSC104: "),
    "second-document-no-kind": Case(HEAD + b"---\napiVersion: v1\nmetadata: {name: b}\n",
                                    "bad.yaml:6:1: error KSC104: "),
    "undecodable-latin1": Case(HEAD + b'data:\n  note: "caf\xe9"\n', "bad.yaml:6:13: error KSC105: "),
    "undecodable-utf16": Case("apiVersion: v1\n".encode("utf-16"), "bad.yaml:1:1: error KSC105: "),
    "nul-byte": Case(HEAD + b'data:\n  note: "a\x00b"\n', "bad.yaml:6:11: error KSC101: "),
    "control-character": Case(HEAD + b'data:\n  note: "a\x1bb"\n', "bad.yaml:6:11: error KSC101: "),
    "python-tag": Case(HEAD + b'data: !!python/object/apply:os.system ["touch pwned"]\n',
                       "bad.yaml:5:7: error KSC112: "),
    "complex-key": Case(HEAD + b"? [a, b]\n: c\n", "bad.yaml:5:3: error KSC113: "),
    "alias-bomb": Case(HEAD + _chain(9), "bad.yaml:5:35: error KSC108: "),
    "merge-key-bomb": Case(HEAD + _merge_chain(12), "bad.yaml:5:13: error KSC108: "),
    "deep-flow-nesting": Case(HEAD + _flow(150), "bad.yaml:5:107: error KSC107: ",
                              raise_with=("--max-depth", "200")),
    "deep-block-nesting": Case(HEAD + _block(150), "bad.yaml:106:203: error KSC107: ",
                               raise_with=("--max-depth", "200")),
    "symlink-out-of-root": Case(None, "src/bad.yaml: error KSC110: ", setup=_symlink_out, walk=True),
    "file-over-default-size": Case(None, "bad.yaml: error KSC106: ", setup=_sparse_big),
    "file-over-size-flag": Case(HEAD, "bad.yaml: error KSC106: ", args=("--max-file-bytes", "20"),
                                raise_with=("--max-file-bytes", "100")),
    "too-many-nodes-flag": Case(HEAD + _chain(2), "bad.yaml:5:5: error KSC108: ", args=("--max-nodes", "50"),
                                raise_with=("--max-nodes", "500")),
    "too-many-documents-flag": Case(HEAD + b"---\n" + HEAD.replace(b"name: a", b"name: b") + b"---\n"
                                    + HEAD.replace(b"name: a", b"name: c"),
                                    "bad.yaml:11:1: error KSC109: ", args=("--max-documents", "2"),
                                    raise_with=("--max-documents", "3")),
}
# Where the diagnostic points, for the cases whose expected position is not obvious:
#   *-bomb, too-many-nodes: the count passes the limit at a node inside the first anchored collection, which
#   is where every alias of it points (libyaml composes an alias as the anchored node itself).
#   *-nesting: the first node deeper than the limit (--max-depth 100 by default).


def _make(tmp_path: Path, name: str, *, bad: bool = True) -> tuple[Path, Case]:
    case = CASES[name]
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    (src / "isvc.yaml").write_text(ISVC)
    if bad:
        _add_bad(src, case)
    return src, case


def _add_bad(src: Path, case: Case) -> None:
    if case.setup is not None:
        case.setup(src)
    else:
        (src / "bad.yaml").write_bytes(case.content)


def _no_traceback(proc: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in proc.stdout and "Traceback" not in proc.stderr, proc.stderr
    assert "internal error" not in proc.stderr, proc.stderr


def _validate(src: Path, case: Case, *args: str) -> subprocess.CompletedProcess:
    target = ["src"] if case.walk else ["bad.yaml"]
    return run_entry_point("validate", *target, *case.args, *args, cwd=src if not case.walk else src.parent)


@pytest.mark.parametrize("name", CASES)
def test_validate_reports_bad_input(name, tmp_path):
    src, case = _make(tmp_path, name)
    proc = _validate(src, case)
    _no_traceback(proc)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stdout.startswith(case.prefix), proc.stdout
    assert proc.stderr.endswith("\n") and "1 error" in proc.stderr.splitlines()[-1]


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c.raise_with])
def test_limit_flag_raises_the_limit(name, tmp_path):
    src, case = _make(tmp_path, name)
    proc = run_entry_point("validate", "bad.yaml", *case.raise_with, cwd=src)
    _no_traceback(proc)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "KSC1" not in proc.stdout


def test_limit_flags_are_documented():
    proc = run_entry_point("validate", "--help")
    assert proc.returncode == 0
    for flag in ("--max-file-bytes", "--max-nodes", "--max-depth", "--max-documents"):
        assert flag in proc.stdout
        assert flag in run_entry_point("build", "--help").stdout


@pytest.mark.parametrize("name", ["file-over-size-flag", "too-many-nodes-flag", "deep-flow-nesting",
                                  "too-many-documents-flag"])
def test_limit_error_names_its_flag(name, tmp_path):
    src, case = _make(tmp_path, name)
    proc = _validate(src, case)
    assert case.raise_with[0] in proc.stdout


def test_symlink_target_is_not_read(tmp_path):
    """Nothing outside the source root is read, even when it is a fine object: it is refused, not loaded."""
    src, case = _make(tmp_path, "symlink-out-of-root")
    (tmp_path / "secret.yaml").write_text(ISVC.replace("iris", "outside"))
    proc = run_entry_point("explain", "src", cwd=tmp_path)
    _no_traceback(proc)
    assert proc.returncode == 1
    assert "outside" not in proc.stdout
    assert "src/bad.yaml: error KSC110" in proc.stderr


def test_symlink_through_dotdot_folder_is_refused(tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "x.yaml").write_text(ISVC.replace("iris", "outside"))
    src = tmp_path / "src"
    (src / "models").mkdir(parents=True)
    (src / "isvc.yaml").write_text(ISVC)
    os.symlink("../../elsewhere", src / "models" / "more")
    proc = run_entry_point("validate", "src", cwd=tmp_path)
    _no_traceback(proc)
    assert proc.returncode == 1
    assert proc.stdout.startswith("src/models/more: error KSC110: ")
    assert "outside" not in proc.stdout


def test_stdin_bad_input(tmp_path):
    proc = run_entry_point("validate", "-", input="apiVersion: v1\nkind: ConfigMap\nkind: Secret\n", cwd=tmp_path)
    _no_traceback(proc)
    assert proc.returncode == 1
    assert proc.stdout.startswith("<stdin>:3:1: error KSC102: ")


def test_walked_bad_file_is_reported_relative_to_the_cwd(tmp_path):
    src, _ = _make(tmp_path, "duplicate-key")
    proc = run_entry_point("validate", "src", cwd=tmp_path)
    _no_traceback(proc)
    assert proc.returncode == 1
    assert proc.stdout.startswith("src/bad.yaml:7:3: error KSC102: ")


def test_absurd_nesting_is_a_diagnostic_not_a_crash(tmp_path):
    src = tmp_path
    for name, body in (("flow.yaml", _flow(100_000)), ("block.yaml", _block(3_000))):
        (src / name).write_bytes(HEAD + body)
        proc = run_entry_point("validate", name, cwd=src)
        _no_traceback(proc)
        assert proc.returncode == 1
        assert proc.stdout.startswith(f"{name}:"), proc.stdout
        assert " error KSC10" in proc.stdout.splitlines()[0]


def test_absurd_nesting_is_too_deep(tmp_path):
    (tmp_path / "bad.yaml").write_bytes(HEAD + _flow(100_000))
    proc = run_entry_point("validate", "bad.yaml", cwd=tmp_path)
    assert proc.stdout.startswith("bad.yaml:5:")
    assert proc.stdout.split(": ", 2)[1] == "error KSC107"


def test_max_depth_raises_the_depth_limit_for_real(tmp_path):
    (tmp_path / "deep.yaml").write_bytes(
        b"apiVersion: example.com/v1\nkind: Deep\nmetadata: {name: d}\n" + _flow(600))
    proc = run_entry_point("validate", "--max-depth", "1000", "deep.yaml", cwd=tmp_path)
    _no_traceback(proc)
    assert proc.returncode == 0, proc.stdout


def test_too_many_documents_points_at_the_first_one_past_the_limit(tmp_path):
    src, case = _make(tmp_path, "too-many-documents-flag")
    proc = _validate(src, case)
    assert proc.stdout.startswith("bad.yaml:11:1: error KSC109: "), proc.stdout


def test_fifo_in_a_walked_folder_does_not_hang(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "isvc.yaml").write_text(ISVC)
    os.mkfifo(src / "pipe.yaml")
    try:
        proc = run_entry_point("validate", "src", cwd=tmp_path, timeout=15)
    except subprocess.TimeoutExpired:
        pytest.fail("validate hung reading a FIFO")
    _no_traceback(proc)
    assert proc.returncode in (0, 1)


# ---------------------------------------------------------------------------------------------------
# build -o OUT leaves a previous OUT byte-identical




@pytest.fixture(scope="module")
def previous_out(tmp_path_factory) -> dict[str, bytes | str]:
    """What a good build of ISVC writes; each test starts from a copy made by the same build."""
    base = tmp_path_factory.mktemp("good")
    (base / "src").mkdir()
    (base / "src" / "isvc.yaml").write_text(ISVC)
    proc = run_entry_point("build", "src", "-o", "out", cwd=base)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return tree_bytes(base / "out")


@pytest.mark.parametrize("name", CASES)
def test_build_leaves_previous_out_untouched(name, tmp_path, previous_out):
    src, case = _make(tmp_path, name, bad=False)
    first = run_entry_point("build", "src", "-o", "out", cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert tree_bytes(tmp_path / "out") == previous_out
    _add_bad(src, case)
    siblings_before = sorted(p.name for p in tmp_path.iterdir())
    sources = ["src"] if case.walk else ["src/isvc.yaml", "src/bad.yaml"]
    proc = run_entry_point("build", *sources, *case.args, "-o", "out", cwd=tmp_path)
    _no_traceback(proc)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    expected = case.prefix if case.walk else "src/" + case.prefix
    assert expected in proc.stdout, proc.stdout
    assert tree_bytes(tmp_path / "out") == previous_out
    assert sorted(p.name for p in tmp_path.iterdir()) == siblings_before  # no temp folder left beside OUT


def test_build_stream_with_bad_input_prints_nothing_on_stdout(tmp_path):
    src, _ = _make(tmp_path, "duplicate-key")
    proc = run_entry_point("build", "src", cwd=tmp_path)
    _no_traceback(proc)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "src/bad.yaml:7:3: error KSC102: " in proc.stderr


def test_probe_without_port_is_the_users_error_not_our_bug(tmp_path):
    """KServe's CRD accepts a probe without a port (Knative fills it in); a raw Deployment cannot have
    one, so the build fails with exit 1 and a message about the input, never exit 3."""
    (tmp_path / "isvc.yaml").write_text(ISVC + "      readinessProbe:\n        httpGet:\n          path: /ready\n")
    proc = run_entry_point("build", "isvc.yaml", "-o", "out", cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stdout.startswith("isvc.yaml:7:5: error KSC426: readinessProbe.httpGet of container kserve-container")
    assert not (tmp_path / "out").exists()
