"""An output location that cannot be written (issue 7) gets a clear error, exit 2, and a previous OUT is left
as it was (docs/design.md Decisions 4 and 6). Sessions and CI run as root, so chmod proves nothing: an
unwritable or full OUT is a read-only or `size=64k` tmpfs mounted at OUT's parent inside `unshare -m`, or
an -o path below a regular file (ENOTDIR)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ISVC, run_entry_point, tree_bytes

EXE = str(Path(sys.executable).parent / "kserve-compiler")



@pytest.fixture
def src(tmp_path) -> Path:
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "isvc.yaml").write_text(ISVC)
    return folder




def _clean_exit_2(proc: subprocess.CompletedProcess, *words: str) -> None:
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    assert "internal error" not in proc.stderr, proc.stderr
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "error KSC605: cannot write the output folder" in proc.stderr, proc.stderr
    for word in words:
        assert word in proc.stderr, proc.stderr


# ---------------------------------------------------------------------------------------------------
# -o below a regular file


def test_out_below_a_regular_file(src, tmp_path):
    (tmp_path / "file").write_text("not a folder\n")
    proc = run_entry_point("build", "src", "-o", "file/out", cwd=tmp_path)
    _clean_exit_2(proc, "a part of its path is a file, not a folder", "hint: choose another -o path")
    assert (tmp_path / "file").read_text() == "not a folder\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "src"]


def test_out_two_levels_below_a_regular_file(src, tmp_path):
    (tmp_path / "file").write_text("not a folder\n")
    proc = run_entry_point("build", "src", "-o", "file/sub/out", cwd=tmp_path)
    _clean_exit_2(proc, "a part of its path is a file, not a folder")
    assert (tmp_path / "file").read_text() == "not a folder\n"


def test_out_is_a_regular_file(src, tmp_path):
    (tmp_path / "out").write_text("keep me\n")
    proc = run_entry_point("build", "src", "-o", "out", cwd=tmp_path)
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "exists and is not a folder" in proc.stderr
    assert (tmp_path / "out").read_text() == "keep me\n"


def test_check_below_a_regular_file_is_a_clear_error(src, tmp_path):
    (tmp_path / "file").write_text("x\n")
    proc = run_entry_point("build", "src", "-o", "file/out", "--check", cwd=tmp_path)
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "a part of its path is a file, not a folder" in proc.stderr
    assert (tmp_path / "file").read_text() == "x\n"


# ---------------------------------------------------------------------------------------------------
# Read-only and full file systems, in a private mount namespace


def _unshare(tmp_path: Path) -> list[str]:
    """The unshare command line that may mount a tmpfs here: as root `unshare -m`; otherwise a user namespace
    too (`-r`), where the kernel allows one. Skips with the reason when neither works."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare is not on PATH")
    probe = tmp_path / "probe"
    probe.mkdir()
    reasons = []
    try:
        for command in (["unshare", "-m"], ["unshare", "-r", "-m"]):
            proc = subprocess.run([*command, "sh", "-c", f"mount -t tmpfs -o size=64k tmpfs '{probe}'"],
                                  capture_output=True, text=True, timeout=60)
            if proc.returncode == 0:
                return command
            reasons.append(f"{' '.join(command)}: {proc.stderr.strip()}")
    finally:
        probe.rmdir()
    pytest.skip("a private mount namespace with a tmpfs is refused here (" + "; ".join(reasons) + ")")


def _in_mount_namespace(tmp_path: Path, script: str) -> dict[str, str]:
    """Run `script` (sh) in a private mount namespace; it sees $K (the CLI), $T (tmp_path, outside the
    tmpfs), $M (the tmpfs mount point). `run NAME args...` runs the CLI, keeping stdout, stderr and rc."""
    unshare = _unshare(tmp_path)
    mount = tmp_path / "mnt"
    mount.mkdir()
    prelude = ('run() { name=$1; shift; rc=0; "$K" "$@" >"$T/$name.stdout" 2>"$T/$name.stderr" || rc=$?; '
               'echo $rc >"$T/$name.rc"; }\n')
    proc = subprocess.run([*unshare, "sh", "-eu", "-c", prelude + script],
                          env={**os.environ, "K": EXE, "T": str(tmp_path), "M": str(mount)},
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return {p.name: p.read_text() for p in tmp_path.iterdir()
            if p.suffix in (".stdout", ".stderr", ".rc")}


def _result(files: dict[str, str], name: str) -> subprocess.CompletedProcess:
    return subprocess.CompletedProcess([name], int(files[f"{name}.rc"]), files[f"{name}.stdout"],
                                       files[f"{name}.stderr"])


def test_read_only_location(src, tmp_path):
    files = _in_mount_namespace(tmp_path, """
mount -t tmpfs -o ro tmpfs "$M"
run build build src -o "$M/out"
""")
    _clean_exit_2(_result(files, "build"), "the file system is read-only", "hint: choose a writable location")


def test_read_only_location_keeps_previous_out(src, tmp_path):
    files = _in_mount_namespace(tmp_path, """
mount -t tmpfs tmpfs "$M"
run first build src -o "$M/out"
cp -a "$M/out" "$T/before"
mount -o remount,ro "$M"
sed -i 's/name: iris/name: iris2/' src/isvc.yaml
run second build src -o "$M/out"
cp -a "$M/out" "$T/after"
ls -A "$M" > "$T/siblings.stdout"
""")
    assert _result(files, "first").returncode == 0, files["first.stderr"]
    _clean_exit_2(_result(files, "second"), "the file system is read-only")
    assert tree_bytes(tmp_path / "after") == tree_bytes(tmp_path / "before")
    assert files["siblings.stdout"].split() == ["out"]


def test_full_location_keeps_previous_out(src, tmp_path):
    files = _in_mount_namespace(tmp_path, """
mount -t tmpfs -o size=64k tmpfs "$M"
run first build src -o "$M/out"
cp -a "$M/out" "$T/before"
dd if=/dev/zero of="$M/filler" bs=1024 count=1024 2>/dev/null || true
sed -i 's/name: iris/name: iris2/' src/isvc.yaml
run second build src -o "$M/out"
cp -a "$M/out" "$T/after"
rm "$M/filler"
ls -A "$M" > "$T/siblings.stdout"
""")
    assert _result(files, "first").returncode == 0, files["first.stderr"]
    _clean_exit_2(_result(files, "second"), "the disk is full", "hint: free some space")
    assert tree_bytes(tmp_path / "after") == tree_bytes(tmp_path / "before")
    assert files["siblings.stdout"].split() == ["out"]  # the temp folder was removed


def test_full_location_without_previous_out(src, tmp_path):
    files = _in_mount_namespace(tmp_path, """
mount -t tmpfs -o size=64k tmpfs "$M"
dd if=/dev/zero of="$M/filler" bs=1024 count=1024 2>/dev/null || true
run build build src -o "$M/out"
rm "$M/filler"
ls -A "$M" > "$T/siblings.stdout"
""")
    _clean_exit_2(_result(files, "build"), "the disk is full")
    assert files["siblings.stdout"].split() == []
