"""`build -o OUT --check`: what `outdir.write_folder(out, files)` would write compared with OUT, byte for
byte; writes nothing. Drift is one KSC603 diagnostic per file and a unified diff. Our marker file is never
drift: it changes exactly when another file does, so reporting it would only repeat that file.
"""

from __future__ import annotations

import difflib
import os
import stat
from pathlib import Path

from compiler.constants import OUTPUT_MARKER
from compiler.diagnostics import Diagnostic, error
from compiler.emit.outdir import FOREIGN_OUT, OutputError, checked_files, output_error

DRIFT = "KSC603"  # --check: a file of OUT is not what the sources compile to


def check_folder(out: Path, files: dict[str, str], rebuild: str | None = None
                 ) -> tuple[bool, str, list[Diagnostic]]:
    """Compare what `write_folder(out, files)` would write with OUT, byte for byte, the marker left out.
    Writes nothing. `rebuild` is the command that brings OUT up to date, as the user would type it (the
    door knows how the sources were named). Returns (clean, unified diff from OUT as it is (a/) to what
    a build would make it (b/), one KSC603 error per drifted file). A non-empty OUT without our marker is
    not drift but a folder a build would refuse: the same OutputError (exit 2)."""
    out = Path(out)
    current = _read_tree(out)
    if current and OUTPUT_MARKER not in current:
        raise OutputError(f"output folder {out} was not written by kserve-compiler (it has no {OUTPUT_MARKER} "
                          "file), so it cannot be checked", "build it once with -o (and --force to take the folder "
                          "over), commit the result, then check", code=FOREIGN_OUT)
    current.pop(OUTPUT_MARKER, None)
    wanted = {path: text.encode() for path, text in checked_files(files).items() if path != OUTPUT_MARKER}
    command = rebuild or f"kserve-compiler build -o {out}"
    diffs: list[str] = []
    diags: list[Diagnostic] = []
    for path in sorted(current.keys() | wanted.keys()):
        have, want = current.get(path), wanted.get(path)
        if have is not None and have == want:
            continue
        if path not in current:
            why = "is missing: a build would write it"
        elif want is None:
            why = "is not made from the sources: a build would remove it"
        elif have is None:
            why = "is not a regular file: a build would replace it"
        else:
            why = "differs from what the sources compile to"
        diags.append(error(DRIFT, f"out of date: {path} {why}", file=str(out / path),
                           hint=f"run: {command}; then commit the result"))
        diffs.append(unified(path, have, want))
    return not diags, "".join(diffs), diags


def _read_tree(out: Path) -> dict[str, bytes | None]:
    """{relative POSIX path: bytes} of every file in OUT; None for a symlink or special file."""
    try:
        st = os.lstat(out)
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise output_error(exc, out) from None
    if not stat.S_ISDIR(st.st_mode):
        raise OutputError(f"output folder {out} exists and is not a folder", "choose another -o path")
    tree: dict[str, bytes | None] = {}

    def visit(folder: str, prefix: str) -> None:
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            rel = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                visit(entry.path, rel + "/")
            elif entry.is_file(follow_symlinks=False):
                with open(entry.path, "rb") as handle:
                    tree[rel] = handle.read()
            else:
                tree[rel] = None

    try:
        visit(str(out), "")
    except OSError as exc:
        raise OutputError(f"cannot read the output folder {out}: {exc.strerror} ({exc.filename})") from None
    return tree


def _lines(data: bytes | None) -> list[str]:
    lines = (data or b"").decode("utf-8", "replace").splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines


def unified(path: str, have: bytes | None, want: bytes | None) -> str:
    diff = "".join(difflib.unified_diff(_lines(have), _lines(want), f"a/{path}", f"b/{path}"))
    return diff or f"--- a/{path}\n+++ b/{path}\n"  # e.g. an empty file, or a symlink to replace
