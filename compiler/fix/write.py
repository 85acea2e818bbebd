"""The edge of `fix`: reading the sources and writing them back. A file is written whole or not at all
(a temp file beside it, then one rename), keeps its permission bits and owner, is written through a symlink
to its target (the link stays a link), and only files the build read as sources are ever written."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from compiler.diagnostics import Diagnostic, UsageError, error
from compiler.settings import Settings
from compiler.sources.walk import SourceFile, collect

# Codes (KSC05x: the fix command)
FIX_STDIN = "KSC051"        # usage: `-` names stdin, which cannot be rewritten
CANNOT_WRITE = "KSC052"     # a source could not be written back (read-only, full, not a regular file)
TOO_LARGE_TO_FIX = "KSC053"  # a source past --max-file-bytes: read by nothing, fixed by nothing

TEMP_MARK = ".kserve-compiler-fix-"


def read_sources(settings: Settings) -> tuple[list[tuple[SourceFile, bytes]], list[Diagnostic]]:
    if "-" in settings.sources:
        raise UsageError("fix rewrites files in place; stdin (-) cannot be rewritten", code=FIX_STDIN,
                         hint="save it to a file, or use `kserve-compiler validate -` to see what fix would do")
    found, diags = collect(list(settings.sources), excludes=settings.excludes, skip=settings.skip)
    files: list[tuple[SourceFile, bytes]] = []
    for source in found:
        try:
            if source.path.stat().st_size > settings.limits.file_bytes:
                diags.append(error(TOO_LARGE_TO_FIX, "file is larger than the limit for one source file; not "
                                   "fixed", file=source.display, hint="raise it with --max-file-bytes"))
                continue
            files.append((source, source.path.read_bytes()))
        except OSError as exc:
            diags.append(error(CANNOT_WRITE, f"cannot read file: {exc.strerror or exc}", file=source.display))
    return files, diags


def write(source: SourceFile, text: str) -> None:
    """Replace the file's content atomically; raises UsageError (exit 2) when that cannot be done."""
    target = Path(os.path.realpath(source.path))
    try:
        info = target.stat()
        if not stat.S_ISREG(info.st_mode):
            raise UsageError(f"cannot write {source.display}: not a regular file", code=CANNOT_WRITE)
        _replace(target, text.encode("utf-8"), info)
    except OSError as exc:
        raise UsageError(f"cannot write {source.display}: {exc.strerror or exc}", code=CANNOT_WRITE,
                         hint="nothing was written to it; the files listed above it were fixed") from None


def _replace(target: Path, data: bytes, info: os.stat_result) -> None:
    temp = target.with_name(f".{target.name}{TEMP_MARK}{secrets.token_hex(4)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fchmod(out.fileno(), stat.S_IMODE(info.st_mode))
            try:
                os.fchown(out.fileno(), info.st_uid, info.st_gid)
            except PermissionError:
                pass  # not ours to give away: the file keeps the writer's owner, as an editor's save would
            os.fsync(out.fileno())
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
