"""The output folder's neighbours (docs/design.md Decision 4): the lock that serialises the writers of one OUT,
and the repair of what an interrupted build left beside it (emit/outdir.py writes, this cleans up).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import Iterator

try:
    import fcntl  # POSIX only
except ImportError:  # pragma: no cover - Windows
    fcntl = None

from compiler.diagnostics import Diagnostic, notice, warning

# Codes (KSC6xx: emit)
LEFTOVER = "KSC606"       # notice: a leftover of an interrupted build was removed or restored
LEFTOVER_KEPT = "KSC607"  # warning: a leftover could not be removed

TMP_TAG = ".kserve-compiler-tmp-"
OLD_TAG = ".kserve-compiler-old-"


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """An exclusive flock on the parent folder: a second build of the same OUT waits for the first."""
    if fcntl is None:
        yield  # not POSIX: unlocked
        return
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        yield  # unlocked; the steps that follow report what is wrong with the folder
        return
    try:
        with contextlib.suppress(OSError):  # NFS and friends may refuse; go on unlocked
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def remove(path: Path | None, out: Path, what: str) -> list[Diagnostic]:
    if path is None:
        return []
    try:
        shutil.rmtree(path)
    except OSError as exc:
        return [warning(LEFTOVER_KEPT, f"could not remove {what} at {path}: {exc.strerror}",
                        file=str(out), hint="the next build removes it, or remove it by hand")]
    return []


def repair_leftovers(out: Path) -> list[Diagnostic]:
    """Clean up after a build that was killed: restore OUT from `.<name>.kserve-compiler-old-*` if OUT is
    missing (a crash between the two renames of the fallback swap), remove every other temp or old
    sibling. A temp folder is never restored: it may be incomplete. write_folder does this itself;
    waits while another build writes the same OUT, whose temp folder is no leftover."""
    out = Path(os.path.abspath(out))
    if not out.parent.is_dir():
        return []
    with locked(out.parent):
        return repair(out)


def repair(out: Path) -> list[Diagnostic]:
    tmp_prefix, old_prefix = f".{out.name}{TMP_TAG}", f".{out.name}{OLD_TAG}"
    try:
        entries = [e for e in os.scandir(out.parent) if e.is_dir(follow_symlinks=False)]
    except OSError:
        return []
    tmps = sorted(Path(e.path) for e in entries if e.name.startswith(tmp_prefix))
    olds = sorted(Path(e.path) for e in entries if e.name.startswith(old_prefix))
    diags: list[Diagnostic] = []
    if olds and not os.path.lexists(out):
        newest = max(olds, key=lambda p: (os.lstat(p).st_mtime_ns, p.name))
        try:
            os.rename(newest, out)
        except OSError as exc:
            return [warning(LEFTOVER_KEPT, f"could not restore {out} from {newest.name}, left by an "
                            f"interrupted build: {exc.strerror}", file=str(out),
                            hint=f"rename {newest} to {out.name} by hand")]
        olds.remove(newest)
        diags.append(notice(LEFTOVER, f"restored {out} from {newest.name}, left by an interrupted build",
                            file=str(out)))
    for leftover in tmps + olds:
        kept = remove(leftover, out, "a leftover of an interrupted build")
        diags.extend(kept or [notice(LEFTOVER, f"removed {leftover.name}, left by an interrupted build",
                                     file=str(out))])
    return diags
