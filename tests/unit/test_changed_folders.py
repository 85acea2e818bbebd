"""The one-folder swap of a warm rebuild (compiler/emit/changed.py, outdir.py; issue 17): which folders a
build changes, judged from the record of OUT, and that OUT is only trusted as far as the disk agrees."""

from __future__ import annotations

import os
from pathlib import Path

from compiler.emit import changed, outdir
from compiler.emit.fill import Record, stat_text

FILES = {
    ".kserve-compiler": outdir.MARKER_TEXT,
    "kustomization.yaml": "resources:\n- a\n- b\n",
    "a/kustomization.yaml": "resources:\n- x.service.yaml\n",
    "a/x.service.yaml": "kind: Service\n",
    "b/kustomization.yaml": "resources:\n- y.service.yaml\n",
    "b/y.service.yaml": "kind: Service\n",
}


def _written(out: Path, files: dict, previous=None, racy_after=0, disk=None) -> tuple[dict, int]:
    """outdir.write, returning what it recorded (the cache's record of OUT)."""
    kept = {}

    def meanwhile(records, now):
        kept.update(records=records, now=now)
        return []

    outdir.write(out, files, previous=previous, racy_after=racy_after, meanwhile=meanwhile, disk=disk)
    return kept["records"], kept["now"]


def _inodes(out: Path) -> dict[str, int]:
    return {str(p.relative_to(out)): p.stat().st_ino for p in [out, *out.rglob("*")]}


def _tree(out: Path) -> dict[str, str]:
    return {str(p.relative_to(out)): p.read_text() for p in out.rglob("*") if p.is_file()}


def test_the_folders_that_change_are_named_when_the_disk_is_as_recorded(tmp_path):
    out = tmp_path / "out"
    records, now = _written(out, FILES)
    disk = changed.on_disk(str(out), records, now)
    assert disk.top and disk.same == {"a", "b"} == disk.folders
    assert changed.changed_folders(FILES, records, disk) == set()
    assert changed.changed_folders({**FILES, "b/y.service.yaml": "kind: Service\n# new\n"}, records, disk) == {"b"}
    # A change at OUT's top (a folder added or gone), or a path deeper than one folder: not one folder's.
    assert changed.changed_folders({**FILES, "kustomization.yaml": "resources:\n- a\n"}, records, disk) is None
    assert changed.changed_folders({**FILES, "b/deep/z.yaml": "x\n"}, records, disk) is None


def test_a_hand_edit_a_stray_file_or_a_symlinked_folder_is_seen(tmp_path):
    out = tmp_path / "out"
    records, now = _written(out, FILES)
    (out / "a" / "x.service.yaml").write_text("kind: Service\n# by hand\n")
    (out / "b" / "stray.yaml").write_text("x\n")
    disk = changed.on_disk(str(out), records, now)
    assert disk.top and disk.same == set()
    assert changed.changed_folders({**FILES, "b/y.service.yaml": "kind: Service\n# new\n"}, records, disk) is None
    (out / "stray").mkdir()
    assert not changed.on_disk(str(out), records, now).top
    os.rmdir(out / "stray")
    os.rename(out / "b", tmp_path / "b-real")
    os.symlink(tmp_path / "b-real", out / "b")
    assert "b" not in changed.on_disk(str(out), records, now).folders  # never exchanged, never trusted


def test_a_racy_file_is_trusted_only_if_its_digest_still_matches(tmp_path):
    out = tmp_path / "out"
    records, _ = _written(out, FILES)
    st = (out / "a" / "x.service.yaml").stat()
    (out / "a" / "x.service.yaml").write_text("kind: Servic!\n")  # same size
    os.utime(out / "a" / "x.service.yaml", ns=(st.st_atime_ns, st.st_mtime_ns))
    records = {**records, "a/x.service.yaml": Record(stat_text((out / "a" / "x.service.yaml").stat()),
                                                     records["a/x.service.yaml"].sha)}
    assert "a" not in changed.on_disk(str(out), records, 0).same  # racy_after 0: every file is racy
    assert "a" in changed.on_disk(str(out), records, st.st_mtime_ns + 1).same  # out of the window: stat only


def test_one_changed_folder_is_exchanged_alone_and_the_result_is_a_fresh_write(tmp_path):
    out = tmp_path / "out"
    records, now = _written(out, FILES)
    before = _inodes(out)
    new = {**FILES, "b/y.service.yaml": "kind: Service\n# new\n"}
    records2, _ = _written(out, new, previous=records, racy_after=now)
    after = _inodes(out)
    assert _tree(out) == new
    assert {p for p in after if after[p] != before[p]} == {"b", "b/y.service.yaml"}  # b's kustomization: linked
    assert set(records2) == set(new) and records2["a/x.service.yaml"] == records["a/x.service.yaml"]
    assert not list(tmp_path.glob(".out.kserve-compiler-*"))  # the old folder is gone
    assert {p.stat().st_nlink for p in out.rglob("*") if p.is_file()} == {1}


def test_a_stale_look_at_out_is_taken_again_when_out_changed_since(tmp_path):
    """Another build may swap OUT between the look (in a child, while compiling) and the write: OUT's own
    stat tells, and the disk is looked at again under the lock."""
    out = tmp_path / "out"
    records, now = _written(out, FILES)
    stale = changed.on_disk(str(out), records, now)
    (out / "a" / "x.service.yaml").write_text("kind: Service\n# by hand\n")
    (out / "extra").mkdir()  # OUT's top changed: its mtime with it
    os.rmdir(out / "extra")
    assert changed.identity(str(out)) != stale.identity
    new = {**FILES, "b/y.service.yaml": "kind: Service\n# new\n"}
    _written(out, new, previous=records, racy_after=now, disk=lambda: stale)
    assert _tree(out) == new  # the hand edit in a/ is gone: OUT was replaced whole


def test_a_few_written_files_are_flushed_one_by_one_and_many_with_one_syncfs(tmp_path, monkeypatch):
    """syncfs flushes the whole file system: right after a cold build, its 43,000 files' write-back too. A
    warm rebuild writes a handful of files and links the rest: those few are fsynced, with their folders."""
    from compiler.emit import fill as fill_mod
    calls = {"syncfs": 0, "fsync": 0}
    real_fsync = os.fsync

    def syncfs(fd):
        calls["syncfs"] += 1
        return 0

    def fsync(fd):
        calls["fsync"] += 1
        real_fsync(fd)

    monkeypatch.setattr(fill_mod.os, "fsync", fsync)
    many = {f"ns/{n}.yaml": f"n: {n}\n" for n in range(fill_mod.FSYNC_EACH_AT_MOST + 1)}
    (tmp_path / "cold").mkdir()
    records = fill_mod.fill(str(tmp_path / "cold"), str(tmp_path / "none"), many, None, syncfs)
    assert calls == {"syncfs": 1, "fsync": 0}
    (tmp_path / "warm").mkdir()
    edited = {**many, "ns/0.yaml": "n: zero\n"}
    fill_mod.fill(str(tmp_path / "warm"), str(tmp_path / "cold"), edited, records, syncfs, racy_after=1 << 62)
    assert calls == {"syncfs": 1, "fsync": 3}  # ns/0.yaml, then ns/ and the folder itself
    assert (tmp_path / "warm" / "ns" / "0.yaml").read_text() == "n: zero\n"
    assert (tmp_path / "warm" / "ns" / "1.yaml").stat().st_ino == (tmp_path / "cold" / "ns" / "1.yaml").stat().st_ino
