"""Crash safety of `build -o OUT` (issue 7, docs/design.md Decision 4): a build killed with SIGKILL at any point
while it writes leaves the previous OUT byte-identical (or, once the swap is done, the complete new OUT:
never a mix), and the next run removes whatever the killed one left beside OUT.

Two ways to kill, both with no test hook in the compiler:

- precisely, with strace's fault injection (`-e inject=SYSCALL:signal=KILL:when=N`): at the first, middle and
  last file written, before and at the swap, while the old output is removed, after everything; and in the
  rename-aside fallback (renameat2 unavailable) between its two renames. Skipped where strace is missing or
  ptrace is refused;
- by watching OUT's parent folder for the temp folder `.<OUT name>.kserve-compiler-tmp-*` and killing the
  process after varied delays, on a repo of 300 InferenceServices (bench/generate.py; some 1,300 files). Needs
  nothing but the compiler.

Read-only and full output locations: tests/hostile/test_output_location.py.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from compiler.doors.cli import main
from conftest import EXE, need_strace

REPO = Path(__file__).resolve().parent.parent.parent
# The CLI with renameat2 unavailable, as on a kernel, libc or file system without RENAME_EXCHANGE.
ASIDE = [sys.executable, "-c",
         "import compiler.emit.outdir as o; o._RENAMEAT2 = None; from compiler.doors.cli import main; main()"]
TAGS = (".kserve-compiler-tmp-", ".kserve-compiler-old-")
ENV = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}  # no .pyc writes: every write() is the build's


def tree(root: Path) -> dict[str, bytes]:
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            out[path.relative_to(root).as_posix()] = path.read_bytes()
    return out


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}") and
                  any(tag in p.name for tag in TAGS))


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout + result.stderr


# ---------------------------------------------------------------------------------------------------
# Two versions of one small repo: B renames one model, adds one and drops another, so files change,
# appear and disappear.

ISVC = """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: {name}
  namespace: {namespace}
spec:
  predictor:
    minReplicas: {replicas}
    model:
      modelFormat: {{name: {fmt}}}
      storageUri: s3://acme-models/{name}/v{replicas}
"""
MODELS_A = [("iris", "models", "sklearn", 1), ("fraud", "models", "xgboost", 1), ("churn", "risk", "lightgbm", 2),
            ("flowers", "vision", "tensorflow", 1), ("mnist", "vision", "pytorch", 1)]
MODELS_B = [("iris", "models", "sklearn", 2), ("fraud-v2", "models", "xgboost", 1), ("churn", "risk", "lightgbm", 3),
            ("flowers", "vision", "tensorflow", 1), ("digits", "vision", "sklearn", 1)]


def write_repo(src: Path, models: list) -> Path:
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir(parents=True)
    for name, namespace, fmt, replicas in models:
        (src / f"{name}.yaml").write_text(ISVC.format(name=name, namespace=namespace, fmt=fmt, replicas=replicas))
    return src


@pytest.fixture(scope="module")
def versions(tmp_path_factory) -> dict:
    """The sources of A and B, and the trees `build -o` makes of them."""
    root = tmp_path_factory.mktemp("versions")
    src_a, src_b = write_repo(root / "a", MODELS_A), write_repo(root / "b", MODELS_B)
    for src, out in ((src_a, root / "out-a"), (src_b, root / "out-b")):
        code, text = cli("build", str(src), "-o", str(out))
        assert code == 0, text
    old, new = tree(root / "out-a"), tree(root / "out-b")
    assert old != new and set(old) != set(new)
    return {"a": src_a, "b": src_b, "old": old, "new": new, "out-a": root / "out-a"}


# ---------------------------------------------------------------------------------------------------
# Precise kills with strace




def _kill_at(command: list[str], syscall: str, when: int, cwd: Path) -> subprocess.CompletedProcess:
    strace = need_strace()
    proc = subprocess.run([strace, "-f", "-qq", "-o", "/dev/null", "-e", f"trace={syscall}",
                           "-e", f"inject={syscall}:signal=KILL:when={when}", *command],
                          cwd=cwd, env=ENV, capture_output=True, text=True, timeout=120)
    # strace dies of the signal that killed its tracee
    assert proc.returncode in (-signal.SIGKILL, 128 + signal.SIGKILL), (proc.returncode, proc.stderr)
    return proc


def _files(versions) -> int:
    return len(versions["new"])  # one write() per file: the marker, kustomizations and objects


def _flushes(versions) -> int:
    """fsync() calls before the swap: a few files are flushed one by one (emit/fill.py), then each folder."""
    return len(versions["new"]) + len({path.rpartition("/")[0] for path in versions["new"]})


# (id, command, syscall, when (a function of the versions), where OUT must be right after the kill)
POINTS = [
    ("first-file", "cli", "write", lambda v: 1, "old"),
    ("middle-file", "cli", "write", lambda v: _files(v) // 2, "old"),
    ("last-file", "cli", "write", _files, "old"),
    ("before-swap", "cli", "utimensat", lambda v: 1, "old"),  # the temp folder's touch, after every flush
    ("at-swap", "cli", "renameat2", lambda v: 1, "old-or-new"),
    ("removing-old", "cli", "unlinkat", lambda v: 1, "new"),
    ("removing-old-late", "cli", "unlinkat", lambda v: len(v["old"]) // 2 + 1, "new"),
    ("after-removal", "cli", "fsync", lambda v: _flushes(v) + 1, "new"),
    ("aside-first-rename", "aside", "rename", lambda v: 1, "old-or-aside"),
    ("aside-between-renames", "aside", "rename", lambda v: 2, "aside"),
]


@pytest.mark.parametrize("point, runner, syscall, when, state", POINTS, ids=[p[0] for p in POINTS])
def test_build_killed_while_writing(point, runner, syscall, when, state, versions, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(versions["out-a"], out)
    command = ([str(EXE)] if runner == "cli" else ASIDE) + ["build", str(versions["b"]), "-o", str(out)]
    _kill_at(command, syscall, when(versions), tmp_path)

    old, new = versions["old"], versions["new"]
    left = leftovers(out)
    now = tree(out) if out.exists() else None
    if now == old and state in ("old", "old-or-new", "old-or-aside"):
        was = "old"  # the previous OUT, byte for byte, and still exactly what its sources compile to
        assert cli("build", str(versions["a"]), "-o", str(out), "--check")[0] == 0
    elif now == new and state in ("new", "old-or-new"):
        was = "new"
    elif now is None and state in ("aside", "old-or-aside"):
        was = "aside"  # killed between the fallback's two renames: the previous OUT waits beside it, whole
        aside = [p for p in left if ".kserve-compiler-old-" in p]
        assert len(aside) == 1 and tree(tmp_path / aside[0]) == old, left
    else:
        pytest.fail(f"after a kill at {point}, OUT is neither the previous nor the new output")
    if point != "after-removal":
        assert left, "the kill left nothing behind: it did not land while the build wrote"

    # The next run, even a failing one, repairs: leftovers go, a previous OUT set aside comes back.
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "bad.yaml").write_text("apiVersion: v1\nkind: [\n")
    code, text = cli("build", str(versions["b"]), str(tmp_path / "broken"), "-o", str(out))
    assert code == 1 and "KSC101" in text, text
    assert leftovers(out) == [], text
    if left:
        assert "KSC606" in text  # it says what it cleaned up
    assert tree(out) == (new if was == "new" else old)

    code, text = cli("build", str(versions["b"]), "-o", str(out))
    assert code == 0, text
    assert tree(out) == new and leftovers(out) == []


# ---------------------------------------------------------------------------------------------------
# Kills after varied delays, watching for the temp folder


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> dict:
    """Two repos of 300 InferenceServices (different seeds: most files differ), and their outputs."""
    root = tmp_path_factory.mktemp("big")
    generator = REPO / "bench" / "generate.py"
    sources = {}
    for name, seed in (("a", 1), ("b", 2)):
        if generator.exists():
            subprocess.run([sys.executable, str(generator), "--n", "300", "--seed", str(seed), "-o", str(root / name)],
                           check=True, capture_output=True, timeout=300)
        else:
            write_repo(root / name, [(f"m{seed}-{i}", f"ns-{i % 4}", "sklearn", 1 + i % 3) for i in range(300)])
        sources[name] = root / name
    for name in ("a", "b"):
        code, text = cli("build", str(sources[name]), "-o", str(root / f"out-{name}"))
        assert code == 0, text[-2000:]
    return {"a": sources["a"], "b": sources["b"], "out-a": root / "out-a", "old": tree(root / "out-a"),
            "new": tree(root / "out-b")}


def _kill_when_writing(command: list[str], out: Path, delay: float, env: dict | None = None) -> tuple[int, bool]:
    """Start the build; once its temp folder appears beside OUT, wait `delay` and SIGKILL it. Returns the
    exit status and whether the temp folder was seen."""
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env or ENV)
    prefix = f".{out.name}.kserve-compiler-tmp-"
    seen = False
    deadline = time.monotonic() + 120
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            if any(name.startswith(prefix) for name in os.listdir(out.parent)):
                seen = True
                time.sleep(delay)
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.0005)
    finally:
        if proc.poll() is None and not seen:
            proc.kill()
        proc.wait(timeout=60)
    return proc.returncode, seen


# The CLI with every output folder written by two processes (emit/fill.py shares a large one's folders out):
# the parent is killed, its writing child dies with it (PR_SET_PDEATHSIG) and writes nothing more.
TWO_WRITERS = [sys.executable, "-c", "import compiler.emit.fill as f; f.PARALLEL_AT_LEAST = 1; "
               "from compiler.doors.cli import main; main()"]


def _left_files(out: Path) -> int:
    return sum(1 for name in leftovers(out) for p in (out.parent / name).rglob("*") if p.is_file())


@pytest.mark.parametrize("writers", ["one", "two"])
def test_build_killed_after_varied_delays(big, tmp_path, writers):
    old, new = big["old"], big["new"]
    command, env = ([str(EXE)], ENV) if writers == "one" else (TWO_WRITERS, {**ENV, "KSC_JOBS": "2"})
    mid_write = 0
    for delay in (0.0, 0.03, 0.15, 0.6):
        out = tmp_path / f"out-{delay}"
        shutil.copytree(big["out-a"], out)
        code, seen = _kill_when_writing([*command, "build", str(big["b"]), "-o", str(out)], out, delay, env)
        assert seen, f"the temp folder never appeared (exit {code})"
        if writers == "two":  # nobody writes on in the temp folder the kill left behind
            first = _left_files(out)
            time.sleep(0.5)
            assert _left_files(out) == first
        after = tree(out)
        assert after in (old, new), f"killed {delay}s into the write: OUT is a mix of the old and the new output"
        if code == -signal.SIGKILL and after == old and leftovers(out):
            mid_write += 1
        code, text = cli("build", str(big["b"]), "-o", str(out))
        assert code == 0, text[-2000:]
        assert tree(out) == new and leftovers(out) == []
    assert mid_write >= 1, "no kill landed while the build was writing"


# ---------------------------------------------------------------------------------------------------
# The incremental OUT of `--cache` (compiler/warm.py): the new folder is built with hard links to the
# previous OUT's unchanged files. A kill while linking, at the swap or while the old folder (whose files
# are links) is removed leaves OUT old or new; the next cached build is a fresh build's bytes, one link each.


def _links(out: Path) -> set[int]:
    return {p.stat().st_nlink for p in out.rglob("*") if p.is_file()}


def _linked(versions, tmp_path: Path) -> int:
    """How many files a cached build of B over A's OUT links (one linkat each)."""
    out, cache = tmp_path / "count-out", tmp_path / "count-cache"
    cli("build", str(versions["a"]), "-o", str(out), "--cache", str(cache))
    before = {p.relative_to(out): p.stat().st_ino for p in out.rglob("*") if p.is_file()}
    cli("build", str(versions["b"]), "-o", str(out), "--cache", str(cache))
    return sum(1 for p in out.rglob("*") if p.is_file() and before.get(p.relative_to(out)) == p.stat().st_ino)


LINK_POINTS = [
    ("first-link", "linkat", lambda n: 1, "old"),
    ("last-link", "linkat", lambda n: n, "old"),
    ("before-swap", "utimensat", lambda n: 1, "old"),
    ("at-swap", "renameat2", lambda n: 1, "old-or-new"),
    ("removing-old", "unlinkat", lambda n: 1, "new"),
    ("removing-old-late", "unlinkat", lambda n: n, "new"),
]


@pytest.mark.parametrize("point, syscall, when, state", LINK_POINTS, ids=[p[0] for p in LINK_POINTS])
def test_cached_build_killed_while_linking(point, syscall, when, state, versions, tmp_path):
    linked = _linked(versions, tmp_path)
    assert linked >= 2, "the two versions share too few files to link"
    out, cache = tmp_path / "out", tmp_path / "cache"
    assert cli("build", str(versions["a"]), "-o", str(out), "--cache", str(cache))[0] == 0  # OUT and its record
    assert tree(out) == versions["old"]
    _kill_at([str(EXE), "build", str(versions["b"]), "-o", str(out), "--cache", str(cache)], syscall, when(linked),
             tmp_path)
    now = tree(out)
    assert (now == versions["old"] and state in ("old", "old-or-new")) or \
        (now == versions["new"] and state in ("new", "old-or-new")), f"after a kill at {point}, OUT is a mix"
    if now == versions["old"]:
        assert cli("build", str(versions["a"]), "-o", str(out), "--check")[0] == 0
    code, text = cli("build", str(versions["b"]), "-o", str(out), "--cache", str(cache))
    assert code == 0, text
    assert tree(out) == versions["new"] and leftovers(out) == [] and _links(out) == {1}
