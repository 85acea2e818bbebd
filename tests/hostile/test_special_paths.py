"""Special inputs and outputs (issue 13): a source inside OUT never costs the user a file; FIFOs, devices,
unbounded stdin and symlink loops are refused with a diagnostic, never a hang or exit 3; a stream that
cannot be written is exit 2 "cannot write", and SIGTERM / SIGHUP are handled like SIGINT. Each test runs
the installed console script, as a user does."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import EXE, ISVC, run_entry_point, tree_bytes


def _no_crash(proc: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in (proc.stdout or "") + proc.stderr, proc.stderr
    assert "internal error" not in proc.stderr, proc.stderr


@pytest.fixture
def repo(tmp_path) -> Path:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "isvc.yaml").write_text(ISVC)
    return tmp_path


# ---------------------------------------------------------------------------------------------------
# Never lose a user's files: a source inside OUT, or equal to it (Decision 4)


@pytest.mark.parametrize("force", [[], ["--force"]], ids=["plain", "force"])
def test_a_source_inside_out_is_refused_and_kept(repo, force):
    out = repo / "out"
    (out / "models").mkdir(parents=True)
    (out / "models" / "isvc.yaml").write_text(ISVC)
    before = tree_bytes(repo)
    proc = run_entry_point("build", "out/models", "-o", "out", *force, cwd=repo)
    _no_crash(proc)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "error KSC609: source 'out/models' is inside the output folder 'out'" in proc.stderr, proc.stderr
    assert tree_bytes(repo) == before


@pytest.mark.parametrize("force", [[], ["--force"]], ids=["plain", "force"])
def test_a_source_equal_to_out_is_refused_and_kept(repo, force):
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    before = tree_bytes(repo)
    proc = run_entry_point("build", ".", "-o", ".", *force, cwd=repo)
    _no_crash(proc)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "error KSC609: source '.' is inside the output folder '.'" in proc.stderr, proc.stderr
    assert tree_bytes(repo) == before  # .git included


def test_out_inside_a_source_stays_allowed(repo):
    """The pre-commit hook builds `. -o rendered`: OUT inside the source is skipped by the walk."""
    first = run_entry_point("build", ".", "-o", "rendered", cwd=repo)
    assert first.returncode == 0, first.stderr
    again = run_entry_point("build", ".", "-o", "rendered", "--check", cwd=repo)
    assert again.returncode == 0, again.stdout + again.stderr


# ---------------------------------------------------------------------------------------------------
# Special files named as sources


def _validate_or_fail(source: str, cwd: Path, hang: str) -> subprocess.CompletedProcess:
    """`validate SOURCE`, failing the test (not hanging it) when the CLI blocks on a special file."""
    try:
        proc = run_entry_point("validate", source, cwd=cwd, timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail(hang)
    _no_crash(proc)
    return proc


def test_a_fifo_named_as_a_source_is_refused_at_once(repo):
    os.mkfifo(repo / "pipe.yaml")
    proc = _validate_or_fail("pipe.yaml", repo, "validate hung reading a FIFO named on the command line")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "source 'pipe.yaml' is not a regular file or folder (a FIFO)" in proc.stderr, proc.stderr


def test_a_device_named_as_a_source_is_refused_at_once(repo):
    proc = _validate_or_fail("/dev/zero", repo, "validate read /dev/zero without end")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "source '/dev/zero' is not a regular file or folder (a character device)" in proc.stderr


def test_a_fifo_in_a_walked_folder_is_reported_not_read(repo):
    os.mkfifo(repo / "models" / "pipe.yaml")
    proc = _validate_or_fail(".", repo, "validate hung on a FIFO in a walked folder")
    assert "models/pipe.yaml: notice KSC114: skipped: not a regular file (a FIFO)" in proc.stdout, proc.stdout


def test_stdin_is_bounded_by_max_file_bytes(repo):
    """An endless stdin is cut at the limit, not read into memory until the machine runs out: the writer
    keeps writing for up to 30 s, and the compiler must have stopped reading (closed pipe) long before."""
    proc = subprocess.Popen([str(EXE), "validate", "-", "--max-file-bytes", "4096"], cwd=repo,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    chunk, deadline, cut_off = b"# " + b"x" * 65533 + b"\n", time.monotonic() + 30, False
    try:
        while time.monotonic() < deadline:
            proc.stdin.write(chunk)
    except BrokenPipeError:
        cut_off = True
    finally:
        try:
            proc.stdin.close()
        except BrokenPipeError:
            pass
    stdout = proc.stdout.read()
    proc.wait(timeout=60)
    assert cut_off, "kserve-compiler kept reading stdin past --max-file-bytes"
    assert proc.returncode == 1
    assert b"<stdin>: error KSC106: file is larger than the limit for one source file" in stdout


def test_a_symlink_loop_in_a_walked_folder_is_a_diagnostic(repo):
    (repo / "models" / "a.yaml").symlink_to("b.yaml")
    (repo / "models" / "b.yaml").symlink_to("a.yaml")
    proc = run_entry_point("validate", ".", cwd=repo)
    _no_crash(proc)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "models/a.yaml: error KSC121: symbolic link loop; not read" in proc.stdout, proc.stdout


def test_a_symlink_loop_named_as_a_source_is_a_diagnostic(repo):
    (repo / "a.yaml").symlink_to("b.yaml")
    (repo / "b.yaml").symlink_to("a.yaml")
    proc = run_entry_point("validate", "a.yaml", cwd=repo)
    _no_crash(proc)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "a.yaml: error KSC121: symbolic link loop; not read" in proc.stdout, proc.stdout


# ---------------------------------------------------------------------------------------------------
# Streams that cannot be written


def _full_stdout(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    with open("/dev/full", "wb") as full:
        return subprocess.run([str(EXE), *args], cwd=cwd, stdout=full, stderr=subprocess.PIPE, text=True,
                              timeout=120)


@pytest.mark.parametrize("args", [["build", "models"], ["validate", "models", "--format", "json"], ["explain", "models"],
                                  ["catalog", "list"]], ids=lambda a: a[0])
def test_a_full_stdout_is_exit_2_cannot_write(repo, args):
    proc = _full_stdout(args, repo)
    _no_crash(proc)
    assert proc.returncode == 2, proc.stderr
    assert "error KSC017: cannot write to standard output: No space left on device" in proc.stderr, proc.stderr


def test_a_report_that_cannot_be_written_is_exit_2(repo):
    proc = run_entry_point("validate", "models", "--report", "/dev/full", "--format", "json", cwd=repo)
    _no_crash(proc)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "cannot write /dev/full: No space left on device" in proc.stderr, proc.stderr


def test_an_encoding_that_cannot_hold_the_text_is_exit_2(repo):
    (repo / "models" / "isvc.yaml").write_text(ISVC.replace("name: iris", "name: iris\n  annotations: {note: \"日本\"}"))
    proc = run_entry_point("build", "models", cwd=repo, env={"PYTHONIOENCODING": "latin-1:strict"})
    _no_crash(proc)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "error KSC017: cannot write to standard output: its encoding cannot hold the text" in proc.stderr
    assert "PYTHONIOENCODING=utf-8" in proc.stderr


def test_a_closed_pipe_is_quiet_and_not_exit_3(repo):
    """`kserve-compiler build | head -1`: the reader went away; no traceback, no internal error."""
    proc = subprocess.run(f"'{EXE}' build models | head -c 10 > /dev/null; echo ${{PIPESTATUS[0]}}",
                          shell=True, executable="/bin/bash", cwd=repo, capture_output=True, text=True, timeout=120)
    _no_crash(proc)
    assert proc.stdout.strip() in ("0", "2"), proc.stdout + proc.stderr  # 0 when it all fit the pipe first


# ---------------------------------------------------------------------------------------------------
# Signals


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=lambda s: s.name)
def test_a_signal_mid_build_removes_the_temp_folder_and_says_so(tmp_path, sig):
    src = tmp_path / "src"
    src.mkdir()
    for i in range(1500):  # thousands of files: the temp folder exists long enough to be seen
        (src / f"m{i}.yaml").write_text(ISVC.replace("name: iris", f"name: iris-{i}"))
    proc = subprocess.Popen([str(EXE), "build", "src", "-o", "out"], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    # Signal while the new folder is being filled (a fixed sleep raced a build that got faster).
    while proc.poll() is None and not any(p.name.startswith(".out.kserve-compiler-tmp-") for p in tmp_path.iterdir()):
        time.sleep(0.002)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=60)
    if proc.returncode == 0:
        pytest.skip("the build finished before the signal arrived")
    assert "Traceback" not in stderr, stderr
    assert proc.returncode == 128 + sig, stderr
    left = sorted(p.name for p in tmp_path.iterdir())
    if left == ["out", "src"]:  # the signal came after the swap: then it must say so (see the next test)
        assert f"interrupted by {sig.name} after the output folder was written" in stderr, stderr
        pytest.skip("the signal arrived after the swap")
    assert f"kserve-compiler: interrupted by {sig.name}; the output folder (if any) was left as it was" in stderr
    assert left == ["src"]  # neither OUT nor a temp folder


def test_a_signal_during_the_swap_waits_and_then_says_out_holds_the_new_build(tmp_path, capsys):
    """outdir.write holds SIGTERM while it swaps OUT and notes it: the interrupt comes after, and the message
    must not claim OUT was left as it was (it holds the complete new build)."""
    from compiler.doors import streams
    from compiler.emit import outdir
    saved = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, streams._raise_interrupted)
    streams.forget_replaced()
    seen = []

    def swapped(out):
        os.kill(os.getpid(), signal.SIGTERM)  # arrives now; held until the swap is noted
        seen.append(out.is_dir() and not any(p.name.startswith(".out.") for p in tmp_path.iterdir()))
        streams.replaced(out)

    try:
        with pytest.raises(streams.Interrupted):
            outdir.write_folder(tmp_path / "out", {"a.yaml": "a: 1\n"}, swapped=swapped)
    finally:
        signal.signal(signal.SIGTERM, saved)
    assert seen == [True]  # the handler ran only after swapped() returned
    assert (tmp_path / "out" / "a.yaml").read_text() == "a: 1\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # the old folder (none) and no temp left
    assert streams.interrupted(streams.Interrupted(signal.SIGTERM)) == 128 + signal.SIGTERM
    streams.forget_replaced()
    assert capsys.readouterr().err == (f"kserve-compiler: interrupted by SIGTERM after the output folder was written: "
                                       f"{tmp_path / 'out'} holds the new build, complete\n")


def test_a_symlink_loop_in_krm_paths_is_a_result_not_exit_3(tmp_path):
    (tmp_path / "a.yaml").symlink_to("b.yaml")
    (tmp_path / "b.yaml").symlink_to("a.yaml")
    rl = ("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig:\n"
          "  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: f}\n  data: {paths: 'a.yaml,.'}\n")
    proc = run_entry_point("krm", cwd=tmp_path, input=rl)
    _no_crash(proc)
    assert proc.returncode == 1, proc.stderr
    assert "code: KSC121" in proc.stdout and "path: a.yaml" in proc.stdout, proc.stdout
