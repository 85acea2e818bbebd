"""`build --cache DIR` / KSC_CACHE_DIR (issue 17) as a user meets it: a warm build gives what a cold one
gives, a damaged or foreign entry is ignored with a notice (never trusted), the cache is the only extra
place a build writes, it cannot live inside OUT, and it stays bounded.
(That cached and uncached builds are equal after any edits is tests/properties/test_cache_properties.py.)
"""

from __future__ import annotations

import shutil
from pathlib import Path

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
