"""Which folders of OUT a build changes, read from the cache's record of OUT (issue 17). When it is one
namespace folder (a warm rebuild after one InferenceService file changed), outdir.py swaps in that folder
alone: one atomic rename, as the whole-folder swap, without a new OUT of 43,000 hard links and the removal
of the old one's 43,000 names.

That is byte-identical to a fresh build only if OUT on disk is what the record says outside that folder.
So `on_disk` checks every recorded file as fill.py checks a file before linking it (a regular file with
the recorded inode, size and mtime; its digest too when it was written in the previous build's last clock
tick), and that OUT and each folder hold exactly the recorded names. It reads only OUT and the record, so
the warm rebuild runs it in a child process while it compiles (compiler/warm.py); outdir.py looks at it
again if OUT itself changed meanwhile (another build swapped something in). A hand edit, a stray file, a
missing or symlinked folder: the caller writes the whole folder, as a build without a record does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from compiler.emit.fill import Record, Reused, as_recorded, open_folder, sha_of


@dataclass(frozen=True)
class OnDisk:
    """OUT as found, against the record."""
    top: bool                # OUT holds exactly the recorded files and folders, its own files as recorded
    same: frozenset[str]     # folders holding exactly the recorded files, each as recorded
    folders: frozenset[str]  # recorded folders that are folders (not symlinks) in OUT
    identity: tuple          # OUT's own stat when it was looked at (outdir.py compares it under its lock)


def identity(out: str) -> tuple:
    """What changes when anything is added to, removed from or renamed in OUT's top, or OUT is replaced."""
    try:
        st = os.stat(out, follow_symlinks=False)
    except OSError:
        return ()
    return st.st_dev, st.st_ino, st.st_mtime_ns, st.st_ctime_ns


def on_disk(out: str, previous: dict[str, Record], racy_after: int) -> OnDisk:
    """Compare OUT with the record `previous` ({path: Record}, racy_after as fill.fill)."""
    seen = identity(out)
    names: dict[str, list[str]] = {"": []}
    for path in previous:
        folder, sep, name = path.partition("/")
        names.setdefault(folder if sep else "", []).append(name if sep else path)
    fd = open_folder(out, missing_ok=True)
    if fd is None:
        return OnDisk(False, frozenset(), frozenset(), seen)
    same, folders = set(), set()
    try:
        top = _holds(fd, "", names[""], previous, racy_after, also=[f for f in names if f])
        for folder, inside in names.items():
            if not folder:
                continue
            sub = open_folder(folder, missing_ok=True, dir_fd=fd)  # a symlinked folder is not ours: None
            if sub is None:
                continue
            folders.add(folder)
            try:
                if _holds(sub, folder + "/", inside, previous, racy_after):
                    same.add(folder)
            finally:
                os.close(sub)
    finally:
        os.close(fd)
    return OnDisk(top, frozenset(same), frozenset(folders), seen)


def _holds(fd: int, prefix: str, names: list[str], previous: dict[str, Record], racy_after: int,
           also: list[str] = ()) -> bool:
    """The folder open at fd holds exactly `names` (the recorded files, each as recorded) and `also`."""
    try:
        if sorted(os.listdir(fd)) != sorted([*names, *also]):
            return False
        return all(as_recorded(name, fd, previous[prefix + name], racy_after) for name in names)
    except OSError:
        return False


def changed_folders(files: dict[str, str | Reused], previous: dict[str, Record], disk: OnDisk) -> set[str] | None:
    """The folders of OUT (first path components) whose files differ between the record `previous` and
    `files`, when OUT holds exactly the recorded files outside them (`disk`); None when a file at OUT's
    top (kustomization.yaml, the marker) changes, a path lies deeper than one folder, or OUT is not as
    recorded. An empty set: OUT already holds `files`."""
    changed: set[str] = set()
    for path, value in files.items():
        folder, sep, name = path.partition("/")
        old = previous.get(path)
        if old is not None and old.sha == sha_of(value) and "/" not in name:
            continue
        if not sep or "/" in name:
            return None
        changed.add(folder)
    for path in previous.keys() - files.keys():
        folder, sep, _ = path.partition("/")
        if not sep:
            return None
        changed.add(folder)
    # Every top file is unchanged here, so OUT's folders are the recorded ones: those changed must be real
    # folders (they are exchanged), the others as recorded.
    recorded = {path.partition("/")[0] for path in previous if "/" in path}
    if not disk.top or not changed <= disk.folders or not recorded - changed <= disk.same:
        return None
    return changed
