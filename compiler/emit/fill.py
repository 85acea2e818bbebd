"""Filling the temp folder of an atomic write (outdir.py, docs/design.md Decision 4), incrementally when the
cache recorded the previous OUT (issue 17): a file whose path and SHA-256 equal a recorded file of OUT, and
whose OUT copy still has the recorded (inode, size, mtime), is hard-linked from OUT instead of written. The
swap then puts the new folder in place and the old folder is removed, so every file of OUT ends with one
link again: a later edit in OUT never reaches another folder. A link that fails (another file system, no
hard links, too many links) or that finds the OUT file changed (hand-edited, replaced by a symlink,
deleted) falls back to writing the text: the optimisation never fails a build or trusts a changed file.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import os
import pickle
import stat
from typing import Callable, NamedTuple

from compiler import fork


class Record(NamedTuple):
    """What a build recorded of one OUT file right after writing it."""
    stat: str  # "inode size mtime_ns" (kept as text: the record is read and compared, never computed with)
    sha: str   # SHA-256 of its text, hex


def stat_text(st: os.stat_result) -> str:
    return f"{st.st_ino} {st.st_size} {st.st_mtime_ns}"


class Reused(NamedTuple):
    """A file whose text is not loaded: the previous OUT has it (linked), or `text(path)` fetches it (None
    when it cannot: the caller then builds again with every text)."""
    sha: str
    text: Callable[[str], str | None]


class TextUnavailable(Exception):
    """A Reused file could neither be linked nor fetched; nothing was swapped."""


# errno of a link that will fail for every file of this folder: stop trying
_NO_LINKS = {errno.EXDEV, errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS, errno.EACCES}


_O_DIRECTORY, _O_NOFOLLOW, _O_CLOEXEC = (getattr(os, f, 0) for f in ("O_DIRECTORY", "O_NOFOLLOW", "O_CLOEXEC"))


def sha_of(value: str | Reused) -> str:
    return hashlib.sha256(value.encode()).hexdigest() if isinstance(value, str) else value.sha


def fill(tmp: str, out: str, files: dict[str, str | Reused], previous: dict[str, Record] | None,
         syncfs: Callable[[int], int] | None, racy_after: int = 0, *, root: str = "",
         record: bool = True) -> dict[str, Record]:
    """Write `files` into the empty folder tmp, linking from `out` what `previous` recorded unchanged;
    flush them (one syncfs, else an fsync per file); return each file's Record ({} unless `record`: a
    build without the cache skips the digest of every text). `root`: the folder of OUT that tmp stands
    for (every path of `files` lies in it), "" for OUT itself (outdir.py swaps one folder or all).

    A file modified at or after `racy_after` (ns, the file system's time when the previous build had
    written everything) is linked only if its content still has the recorded digest: an edit in the same
    tick of the file system's clock as our write, keeping the size, would leave its stat as recorded
    (git's "racily clean" index entries, and the same cure)."""
    by_folder: dict[str, list[tuple[str, str]]] = {}
    for path in sorted(files):
        folder, _, name = path.rpartition("/")
        by_folder.setdefault(folder, []).append((path, name))
    skip = len(root) + 1 if root else 0  # a folder's path inside tmp: its path in OUT without root/
    for folder in by_folder:
        if folder[skip:]:
            os.makedirs(os.path.join(tmp, folder[skip:]), exist_ok=True)
    sync_each = syncfs is None
    shares = _shares(by_folder, fork.jobs() if len(files) >= PARALLEL_AT_LEAST else 1)
    parent = os.getpid()

    def job(k: int) -> tuple[dict[str, Record], list[tuple[str, str]]]:
        if k and os.getpid() == parent:  # the child that had this share failed: what it wrote goes first
            _unlink_share(tmp, shares[k], by_folder, skip)
        state = {"linking": bool(previous), "record": record or bool(previous), "written": []}  # (folder in tmp, name)
        records: dict[str, Record] = {}
        for folder in shares[k]:
            into = open_folder(_under(tmp, folder[skip:]))
            came = open_folder(_under(out, folder), missing_ok=True) if state["linking"] else None
            try:
                _fill_folder(files, by_folder[folder], into, came, previous or {}, records, state, sync_each,
                             racy_after, folder[skip:])
            finally:
                os.close(into)
                if came is not None:
                    os.close(came)
        return records, state["written"]

    records: dict[str, Record] = {}
    written: list[tuple[str, str]] = []
    for share_records, share_written in fork.run(len(shares), job, dumps=_pickled, loads=pickle.loads):
        records.update(share_records)
        written += share_written
    if sync_each:
        return records
    if len(written) <= FSYNC_EACH_AT_MOST:
        _fsync_written(tmp, written, {folder[skip:] for folder in by_folder} | {""})
        return records
    # One syncfs instead of one fsync per file: 0.3 s instead of 14 s for 40,000 files (ext4, here).
    fd = os.open(tmp, os.O_RDONLY)
    try:
        if syncfs(fd) != 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code), tmp)
    finally:
        os.close(fd)
    return records


# From this many files on, the folders are shared out between the cores (compiler/fork.py): creating a file
# is kernel work (75-500 us each on the 2-core VM of issue 17, where a link costs 10 us) that two processes
# do side by side, each in its own folders. N=10,000, 43,000 files: the write took 5.5-6.2 s instead of
# 12-13.5 s, and a whole build 0.70x the time of one writer (median of 6 paired runs). Below this many, a
# fork costs more than it saves.
PARALLEL_AT_LEAST = 4000


def _shares(by_folder: dict[str, list], count: int) -> list[list[str]]:
    """The folders split into at most `count` shares of about as many files each (each folder whole: files
    created in one folder wait for each other in the kernel), each share in path order."""
    if count < 2:
        return [list(by_folder)]
    shares: list[list[str]] = [[] for _ in range(count)]
    sizes = [0] * count
    for folder in sorted(by_folder, key=lambda f: -len(by_folder[f])):
        k = sizes.index(min(sizes))
        shares[k].append(folder)
        sizes[k] += len(by_folder[folder])
    return [sorted(share) for share in shares if share]


def _unlink_share(tmp: str, folders: list[str], by_folder: dict[str, list], skip: int) -> None:
    """Remove what a failed child may have written of its share, so the parent can write it all again."""
    for folder in folders:
        into = open_folder(_under(tmp, folder[skip:]))
        try:
            for _path, name in by_folder[folder]:
                try:
                    os.unlink(name, dir_fd=into)
                except FileNotFoundError:
                    pass
        finally:
            os.close(into)


def _pickled(value) -> bytes:
    return pickle.dumps(value, pickle.HIGHEST_PROTOCOL)


# Up to this many files written (the rest linked: a warm rebuild), each is flushed on its own, then each
# folder: syncfs flushes the whole file system, and right after a cold build that means waiting for its
# 43,000 files' write-back too (a warm rebuild then took 1.3 s instead of 0.9 s).
FSYNC_EACH_AT_MOST = 256


def _fsync_written(tmp: str, written: list[tuple[str, str]], folders: set[str]) -> None:
    """fsync the files fill wrote (those linked were flushed by the build that wrote them), then each
    folder of tmp, whose names are new, deepest first. `written`: (folder in tmp, name); "" is tmp."""
    for inside, name in written:
        fd = os.open(f"{_under(tmp, inside)}/{name}", os.O_RDONLY | _O_NOFOLLOW | _O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    for inside in sorted(folders, key=len, reverse=True):
        fd = open_folder(_under(tmp, inside))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _under(root: str, folder: str) -> str:
    """The path of `folder` (relative, "" for root itself) under root."""
    return f"{root}/{folder}" if folder else root


def open_folder(path: str, missing_ok: bool = False, dir_fd: int | None = None) -> int | None:
    """A folder's descriptor (names relative to it: half the cost of whole paths); None for a missing,
    unreadable or symlinked old folder, from which nothing is linked."""
    try:
        return os.open(path, os.O_RDONLY | _O_DIRECTORY | _O_NOFOLLOW | _O_CLOEXEC, dir_fd=dir_fd)
    except OSError:
        if missing_ok:
            return None
        raise


def _fill_folder(files, names, into: int, came: int | None, previous: dict[str, Record], records: dict,
                 state: dict, sync_each: bool, racy_after: int, inside: str) -> None:
    for path, name in names:
        value = files[path]
        text = value if type(value) is str else None
        if text is None:
            sha = value.sha
        elif state["record"]:
            sha = hashlib.sha256(text.encode()).hexdigest()
        else:  # nothing to link or to record: no digest
            _write_file(name, into, text.encode(), sync=sync_each)
            state["written"].append((inside, name))
            continue
        old = previous.get(path)
        if old is not None and came is not None and state["linking"] and old.sha == sha:
            try:
                os.link(name, name, src_dir_fd=came, dst_dir_fd=into, follow_symlinks=False)
            except OSError as exc:
                state["linking"] = exc.errno not in _NO_LINKS  # ENOENT (deleted), EMLINK: this file only
            else:
                if as_recorded(name, into, old, racy_after):
                    records[path] = old
                    continue
                os.unlink(name, dir_fd=into)  # changed since we wrote it (or not a file): never trusted
        if text is None:
            text = value.text(path)
            if text is None or sha_of(text) != sha:
                raise TextUnavailable(path)
        st = _write_file(name, into, text.encode(), sync=sync_each)
        state["written"].append((inside, name))
        records[path] = Record(stat_text(st), sha)


def as_recorded(name: str, dir_fd: int, old: Record, racy_after: int) -> bool:
    """The file `name` is still what the build that recorded `old` wrote: a regular file with the recorded
    inode, size and mtime, and, if modified at or after `racy_after`, still the recorded digest."""
    st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    return stat.S_ISREG(st.st_mode) and stat_text(st) == old.stat and (
        st.st_mtime_ns < racy_after or digest_at(name, dir_fd) == old.sha)


def digest_at(name: str, dir_fd: int) -> str | None:
    try:
        fd = os.open(name, os.O_RDONLY | _O_NOFOLLOW | _O_CLOEXEC, dir_fd=dir_fd)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _write_file(name: str, dir_fd: int, data: bytes, *, sync: bool) -> os.stat_result:
    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_CLOEXEC, 0o666, dir_fd=dir_fd)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        if sync:
            os.fsync(fd)
        return os.fstat(fd)
    finally:
        os.close(fd)
