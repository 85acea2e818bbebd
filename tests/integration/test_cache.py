"""`build --cache DIR` / KSC_CACHE_DIR (issue 17) as a user meets it: a warm build gives what a cold one
gives, a damaged or foreign entry is ignored with a notice (never trusted), the cache is the only extra
place a build writes, it cannot live inside OUT, and it stays bounded.
(That cached and uncached builds are equal after any edits is tests/properties/test_cache_properties.py.)
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import pytest

from compiler import cache as cache_mod
from compiler.emit import fill as fill_mod
from compiler.sources import cache as store_mod
from conftest import EXAMPLES, tree_bytes

REPO = EXAMPLES / "repo"


def _entries(cache: Path) -> list[Path]:
    return sorted(cache.rglob("*.ksc"))


def _build(run_cli, out: Path, *extra: str):
    return run_cli("build", str(REPO), "-o", str(out), "--format", "json", *extra)


def test_warm_build_writes_what_a_cold_one_does(run_cli, tmp_path):
    cold = _build(run_cli, tmp_path / "cold")
    first = _build(run_cli, tmp_path / "warm", "--cache", str(tmp_path / "c"))
    assert _entries(tmp_path / "c")  # it filled the cache
    second = _build(run_cli, tmp_path / "warm", "--cache", str(tmp_path / "c"))
    assert cold.exit_code == first.exit_code == second.exit_code == 0
    assert cold.stdout == first.stdout == second.stdout  # every diagnostic, the cached files' notices too
    assert tree_bytes(tmp_path / "cold") == tree_bytes(tmp_path / "warm") == tree_bytes(EXAMPLES / "rendered")


def test_the_environment_variable_turns_it_on(run_cli, tmp_path):
    result = run_cli("build", str(REPO), "-o", str(tmp_path / "out"), env={"KSC_CACHE_DIR": str(tmp_path / "c")})
    assert result.exit_code == 0
    assert _entries(tmp_path / "c")


def test_damaged_and_foreign_entries_are_ignored_with_a_notice(run_cli, tmp_path):
    cache = tmp_path / "c"
    expected = _build(run_cli, tmp_path / "cold")
    run_cli("build", str(REPO), "--cache", str(cache))  # the stream: entries, and no record of an OUT
    entries = _entries(cache)
    assert len(entries) >= 3
    # One flipped byte in the body; one entry swapped for another's (valid, but for another key); one
    # entry from a future format; one empty file (a torn write).
    body = bytearray(entries[0].read_bytes())
    body[-2] ^= 0x01
    entries[0].write_bytes(bytes(body))
    entries[1].write_bytes(entries[2].read_bytes())
    entries[2].write_bytes(b"kserve-compiler-cache 2 x y\n{}")
    entries[3].write_bytes(b"")
    result = _build(run_cli, tmp_path / "out", "--cache", str(cache))
    assert result.exit_code == 0
    assert tree_bytes(tmp_path / "out") == tree_bytes(tmp_path / "cold")
    for entry, why in ((entries[0], "checksum"), (entries[1], "wrong key"), (entries[2], "not a kserve-compiler"),
                       (entries[3], "not a kserve-compiler")):
        assert f"cache entry {entry} ignored" in result.stdout and why in result.stdout
    assert result.stdout.count("KSC126") == 4
    # The damaged entries were replaced by good ones: the next build is clean and equal to a cold one.
    again = _build(run_cli, tmp_path / "out", "--cache", str(cache))
    assert again.stdout == expected.stdout


def test_the_cache_is_the_only_extra_place_a_build_writes(run_cli, tmp_path):
    src = tmp_path / "src"
    shutil.copytree(REPO, src)
    before = tree_bytes(tmp_path)
    assert run_cli("build", str(src), "-o", str(tmp_path / "out"), "--cache", str(tmp_path / "c")).exit_code == 0
    after = tree_bytes(tmp_path)
    new = {p.split("/")[0] for p in set(after) - set(before)}
    assert new == {"out", "c"}
    assert {p: v for p, v in after.items() if p.startswith("src")} == before


def test_a_cache_inside_out_is_refused(run_cli, tmp_path):
    result = run_cli("build", str(REPO), "-o", str(tmp_path / "out"), "--cache", str(tmp_path / "out" / "c"))
    assert result.exit_code == 2
    assert "KSC032" in result.stderr and "inside the output folder" in result.stderr
    assert not (tmp_path / "out").exists()


def test_the_cache_stays_bounded(run_cli, tmp_path, monkeypatch):
    monkeypatch.setattr(store_mod, "PRUNE_SLACK", 0)
    cache = tmp_path / "c"
    src = tmp_path / "src"
    shutil.copytree(REPO, src)
    run_cli("build", str(src), "-o", str(tmp_path / "out"), "--cache", str(cache))
    per_build = len(_entries(cache))
    for n in range(4):  # each edit of a runtime makes every entry stale: a new set per build
        (src / "bump.yaml").write_text(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bump\n  namespace: "
                                       f"models\ndata:\n  n: \"{n}\"\n")
        assert run_cli("build", str(src), "-o", str(tmp_path / "out"), "--cache", str(cache)).exit_code == 0
    assert len(_entries(cache)) <= 2 * (per_build + 1)


# ---------------------------------------------------------------------------------------------------
# The incremental output folder (compiler/warm.py): OUT built from the previous one, never trusting it


def _edit_one_model(src: Path, n: int) -> None:
    target = src / "models" / "iris-sklearn.yaml"
    target.write_text(target.read_text().replace("metadata:\n", f"metadata:\n  labels: {{edit: \"{n}\"}}\n", 1))


def _links(out: Path) -> set[int]:
    return {p.stat().st_nlink for p in out.rglob("*") if p.is_file()}


def _warm_pair(run_cli, tmp_path: Path, n: int):
    """One cached and one uncached build of the same sources: (cached result, uncached result)."""
    cached = run_cli("build", str(tmp_path / "src"), "-o", str(tmp_path / "out"), "--format", "json",
                     "--cache", str(tmp_path / "c"))
    plain = run_cli("build", str(tmp_path / "src"), "-o", str(tmp_path / f"plain-{n}"), "--format", "json")
    assert cached.exit_code == plain.exit_code == 0, cached.output
    assert cached.stdout == plain.stdout
    assert tree_bytes(tmp_path / "out") == tree_bytes(tmp_path / f"plain-{n}")
    assert _links(tmp_path / "out") == {1}  # no file of OUT shares its inode with the cache or another folder
    return cached, plain


def test_a_warm_build_links_unchanged_files_and_ends_with_one_link_each(run_cli, tmp_path):
    shutil.copytree(REPO, tmp_path / "src")
    _warm_pair(run_cli, tmp_path, 0)
    before = {p: (p.stat().st_ino, p.read_bytes()) for p in (tmp_path / "out").rglob("*.yaml")}
    _edit_one_model(tmp_path / "src", 1)
    _warm_pair(run_cli, tmp_path, 1)
    after = {p: (p.stat().st_ino, p.read_bytes()) for p in (tmp_path / "out").rglob("*.yaml")}
    changed = [p for p in after if p in before and before[p][1] != after[p][1]]
    assert changed and all(before[p][0] != after[p][0] for p in changed)  # new text, new file
    kept = [p for p in after if p in before and before[p][1] == after[p][1]]
    assert kept and all(before[p][0] == after[p][0] for p in kept)  # same text: linked from the previous OUT


def _inodes(out: Path) -> dict[str, int]:
    return {str(p.relative_to(out)): p.stat().st_ino for p in [out, *out.rglob("*")]}


def test_an_edit_in_one_namespace_swaps_in_that_folder_alone(run_cli, tmp_path):
    """The edited model's folder is built beside OUT and exchanged with the old one: OUT itself and every
    other folder and file keep their inodes (nothing there was linked again), and the bytes are a fresh
    build's. A build with nothing to change writes nothing at all."""
    shutil.copytree(REPO, tmp_path / "src")
    out = tmp_path / "out"
    _warm_pair(run_cli, tmp_path, 0)
    before = _inodes(out)
    _edit_one_model(tmp_path / "src", 1)
    _warm_pair(run_cli, tmp_path, 1)
    after = _inodes(out)
    moved = {path for path in after if before.get(path) != after[path]}
    assert "models" in moved and "." not in moved  # the folder is new; OUT is the same folder
    assert not {path for path in moved if not path.startswith("models")}  # _cluster/, default/, the marker
    new_files = {path for path in moved if path.startswith("models/")}
    assert new_files and all(path.startswith("models/iris") for path in new_files)  # the rest: linked
    _warm_pair(run_cli, tmp_path, 2)  # the same sources again
    assert _inodes(out) == after


def test_without_renameat2_exchange_the_whole_folder_is_swapped(run_cli, tmp_path, monkeypatch):
    from compiler.emit import outdir
    shutil.copytree(REPO, tmp_path / "src")
    _warm_pair(run_cli, tmp_path, 0)
    monkeypatch.setattr(outdir, "_RENAMEAT2", None)  # no exchange: rename-aside, for all of OUT
    before = _inodes(tmp_path / "out")
    _edit_one_model(tmp_path / "src", 1)
    _warm_pair(run_cli, tmp_path, 1)
    after = _inodes(tmp_path / "out")
    assert before["."] != after["."] and before["default"] != after["default"]
    assert before["models/kustomization.yaml"] == after["models/kustomization.yaml"]  # linked, as before


def test_a_hand_edit_in_another_folder_makes_the_build_swap_all_of_out(run_cli, tmp_path):
    shutil.copytree(REPO, tmp_path / "src")
    out = tmp_path / "out"
    _warm_pair(run_cli, tmp_path, 0)
    victim = next(p for p in sorted((out / "default").iterdir()) if p.name != "kustomization.yaml")
    text = victim.read_text()
    victim.write_text(text + "# by hand\n")
    before = _inodes(out)
    _edit_one_model(tmp_path / "src", 1)
    _warm_pair(run_cli, tmp_path, 1)  # every byte as a fresh build
    assert victim.read_text() == text and _inodes(out)["."] != before["."]


def test_out_files_edited_replaced_or_deleted_by_hand_are_written_again(run_cli, tmp_path):
    shutil.copytree(REPO, tmp_path / "src")
    _warm_pair(run_cli, tmp_path, 0)
    out = tmp_path / "out"
    files = sorted(p for p in out.rglob("*.yaml") if p.name != "kustomization.yaml")
    edited, replaced, deleted, same_size = files[0], files[1], files[2], files[3]
    edited.write_text(edited.read_text() + "# by hand\n")
    (tmp_path / "elsewhere.yaml").write_text(replaced.read_text())
    replaced.unlink()
    replaced.symlink_to(tmp_path / "elsewhere.yaml")
    deleted.unlink()
    text = same_size.read_text()  # an in-place edit that keeps the size: the modification time tells
    with open(same_size, "r+") as f:
        f.write(text[:-1] + ("x" if text[-1] != "x" else "y"))
    (out / "stray.yaml").write_text("kind: Stray\n")
    _edit_one_model(tmp_path / "src", 1)
    _warm_pair(run_cli, tmp_path, 1)  # every byte as a fresh build: the hand edits are gone
    assert not replaced.is_symlink()
    assert not (out / "stray.yaml").exists()


def test_a_damaged_or_foreign_record_of_out_is_ignored_with_a_notice(run_cli, tmp_path):
    shutil.copytree(REPO, tmp_path / "src")
    _warm_pair(run_cli, tmp_path, 0)
    key = cache_mod.manifest_key(str(tmp_path / "out"))
    record = tmp_path / "c" / store_mod.STORE / key[:2] / f"{key}.ksc"
    assert record.exists()
    raw = bytearray(record.read_bytes())
    raw[-3] ^= 0x01
    record.write_bytes(bytes(raw))
    _edit_one_model(tmp_path / "src", 1)
    result = run_cli("build", str(tmp_path / "src"), "-o", str(tmp_path / "out"), "--cache", str(tmp_path / "c"))
    assert result.exit_code == 0
    assert f"cache entry {record} ignored" in result.stdout and "the output folder was written in full" in result.stdout
    plain = run_cli("build", str(tmp_path / "src"), "-o", str(tmp_path / "plain"))
    assert tree_bytes(tmp_path / "out") == tree_bytes(tmp_path / "plain")
    # Another OUT's record (valid, but for another key) is refused the same way.
    run_cli("build", str(tmp_path / "src"), "-o", str(tmp_path / "other"), "--cache", str(tmp_path / "c"))
    other_key = cache_mod.manifest_key(str(tmp_path / "other"))
    other = tmp_path / "c" / store_mod.STORE / other_key[:2] / f"{other_key}.ksc"
    record.write_bytes(other.read_bytes())
    result = run_cli("build", str(tmp_path / "src"), "-o", str(tmp_path / "out"), "--cache", str(tmp_path / "c"))
    assert result.exit_code == 0 and "wrong key" in result.stdout
    assert tree_bytes(tmp_path / "out") == tree_bytes(tmp_path / "plain")


@pytest.mark.parametrize("why", [errno.EXDEV, errno.EPERM, errno.EMLINK])
def test_without_hard_links_the_files_are_written(run_cli, tmp_path, monkeypatch, why):
    shutil.copytree(REPO, tmp_path / "src")
    _warm_pair(run_cli, tmp_path, 0)

    def no_link(*args, **kwargs):
        raise OSError(why, os.strerror(why))

    monkeypatch.setattr(fill_mod.os, "link", no_link)
    _edit_one_model(tmp_path / "src", 1)
    _warm_pair(run_cli, tmp_path, 1)


def test_without_links_or_cached_texts_the_build_compiles_again(run_cli, tmp_path, monkeypatch):
    shutil.copytree(REPO, tmp_path / "src")
    _warm_pair(run_cli, tmp_path, 0)
    monkeypatch.setattr(fill_mod.os, "link", lambda *a, **k: (_ for _ in ()).throw(OSError(errno.EXDEV, "x")))
    key = cache_mod.manifest_key(str(tmp_path / "out"))
    for entry in _entries(tmp_path / "c"):
        if entry.stem != key:
            entry.unlink()  # only the record is left: no output text to fall back on
    _edit_one_model(tmp_path / "src", 1)
    _warm_pair(run_cli, tmp_path, 1)


def test_check_and_the_stream_after_warm_builds(run_cli, tmp_path):
    shutil.copytree(REPO, tmp_path / "src")
    _warm_pair(run_cli, tmp_path, 0)
    _edit_one_model(tmp_path / "src", 1)
    _warm_pair(run_cli, tmp_path, 1)
    for cache in ((), ("--cache", str(tmp_path / "c"))):
        check = run_cli("build", str(tmp_path / "src"), "-o", str(tmp_path / "out"), "--check", *cache)
        assert check.exit_code == 0, check.output
        stream = run_cli("build", str(tmp_path / "src"), *cache)
        assert stream.exit_code == 0 and stream.stdout == run_cli("build", str(tmp_path / "src")).stdout


def test_an_object_that_joins_a_kept_one_under_one_file_name(run_cli, tmp_path):
    """A pass-through object with the kind and name of a generated one (another API group): both file names
    gain the group, as a full layout gives them; and lose it again when it goes."""
    shutil.copytree(REPO, tmp_path / "src")
    _warm_pair(run_cli, tmp_path, 0)
    twin = tmp_path / "src" / "twin.yaml"
    twin.write_text("apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata:\n  name: iris-predictor\n"
                    "  namespace: models\nspec: {}\n")
    _warm_pair(run_cli, tmp_path, 1)
    assert any(".service.serving.knative.dev.yaml" in p.name for p in (tmp_path / "out").rglob("*"))
    _edit_one_model(tmp_path / "src", 2)
    _warm_pair(run_cli, tmp_path, 2)
    twin.unlink()
    _warm_pair(run_cli, tmp_path, 3)


def test_a_racy_edit_that_keeps_size_and_time_is_still_caught(run_cli, tmp_path, monkeypatch):
    """An edit in the same tick of the file system's clock as our write leaves the stat as recorded; a file
    modified at or after the time the build finished writing is linked only if its digest still matches.
    (Simulated: without the build's final touch of its folder, the files written last are in that window;
    the edit puts the modification time back.)"""
    from compiler.emit import outdir
    shutil.copytree(REPO, tmp_path / "src")
    with monkeypatch.context() as m:
        m.setattr(outdir.os, "utime", lambda *a, **k: None)
        _warm_pair(run_cli, tmp_path, 0)
    target = max((p for p in (tmp_path / "out").rglob("*.yaml")), key=lambda p: (p.stat().st_mtime_ns, str(p)))
    st = target.stat()
    text = target.read_text()
    target.write_text(text[:-2] + ("xx" if text[-2:] != "xx" else "yy"))
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert target.stat().st_mtime_ns == st.st_mtime_ns and target.stat().st_ino == st.st_ino
    _edit_one_model(tmp_path / "src", 1)
    _warm_pair(run_cli, tmp_path, 1)
    assert target.read_text() == text
