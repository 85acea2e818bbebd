"""A large output folder is written by two processes, each creating the files of its own folders (emit/fill.py,
issue 17: creating a file is kernel time that two cores spend side by side). What lands in the temp folder
must be exactly what one process writes, the records must describe the files as they are, and a writing
child that dies is replaced by the parent, which writes that child's share again."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from compiler import fork
from compiler.emit import fill as fill_mod, outdir


def many_files(folders: int = 6, each: int = 25) -> dict[str, str]:
    files = {f"ns-{f}/obj-{i}.deployment.yaml": f"kind: Deployment\nname: obj-{i}\nfolder: {f}\n"
             for f in range(folders) for i in range(each)}
    files["kustomization.yaml"] = "resources:\n" + "".join(f"- ns-{f}\n" for f in range(folders))
    return files


def read_tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def two_writers(monkeypatch, tmp_path):
    """Every fill shared between two processes; each writer notes its pid in a folder of its own."""
    monkeypatch.setattr(fill_mod, "PARALLEL_AT_LEAST", 1)
    monkeypatch.setenv(fork.JOBS_ENV, "2")
    seen = tmp_path / "writers"
    seen.mkdir()
    real = fill_mod._write_file

    def noting(name, dir_fd, data, *, sync):
        (seen / str(os.getpid())).touch()
        return real(name, dir_fd, data, sync=sync)

    monkeypatch.setattr(fill_mod, "_write_file", noting)
    return seen


def _fill(tmp_path: Path, files: dict[str, str], record: bool) -> tuple[Path, dict]:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    records = fill_mod.fill(str(tmp), str(tmp_path / "out"), files, None, outdir._SYNCFS, record=record)
    return tmp, records


@pytest.mark.parametrize("record", [False, True], ids=["plain", "recorded"])
def test_two_processes_write_what_one_writes(tmp_path, two_writers, record):
    files = many_files()
    tmp, records = _fill(tmp_path, files, record)
    assert read_tree(tmp) == files
    assert len(list(two_writers.iterdir())) == 2  # both processes wrote some of them
    if record:  # each record is the file as it is now, whichever process wrote it
        assert set(records) == set(files)
        for path, rec in records.items():
            assert rec.stat == fill_mod.stat_text(os.stat(tmp / path))
            assert rec.sha == fill_mod.sha_of(files[path])
    else:
        assert records == {}


def test_a_writer_that_dies_midway_is_replaced_by_the_parent(tmp_path, monkeypatch):
    monkeypatch.setattr(fill_mod, "PARALLEL_AT_LEAST", 1)
    monkeypatch.setenv(fork.JOBS_ENV, "2")
    parent, real = os.getpid(), fill_mod._write_file
    count = {"n": 0}

    def dying(name, dir_fd, data, *, sync):
        count["n"] += 1
        if os.getpid() != parent and count["n"] == 10:  # the child, with part of its share written
            os._exit(9)
        return real(name, dir_fd, data, sync=sync)

    monkeypatch.setattr(fill_mod, "_write_file", dying)
    files = many_files()
    tmp, records = _fill(tmp_path, files, record=True)
    assert read_tree(tmp) == files
    assert all(rec.stat == fill_mod.stat_text(os.stat(tmp / path)) for path, rec in records.items())
    assert set(records) == set(files)


def test_a_small_fill_stays_in_one_process(tmp_path, monkeypatch):
    monkeypatch.setenv(fork.JOBS_ENV, "2")
    real, counts = fork.run, []

    def counted(count, *args, **kwargs):
        counts.append(count)
        return real(count, *args, **kwargs)

    monkeypatch.setattr(fork, "run", counted)
    files = many_files(folders=2, each=3)  # far below PARALLEL_AT_LEAST
    tmp, _ = _fill(tmp_path, files, record=False)
    assert read_tree(tmp) == files and counts == [1]


def test_shares_hold_whole_folders_of_about_as_many_files():
    folders = {"": ["m"], "a": list(range(50)), "b": list(range(30)), "c": list(range(25)), "d": list(range(5))}
    shares = fill_mod._shares(folders, 2)
    assert sorted(f for share in shares for f in share) == sorted(folders)  # each folder once, whole
    sizes = sorted(sum(len(folders[f]) for f in share) for share in shares)
    assert sizes == [55, 56]
    assert all(share == sorted(share) for share in shares)
    assert fill_mod._shares({"a": [1]}, 2) == [["a"]]  # no empty share: nothing to fork for
