"""The process edges of the command line: standard output that cannot be written, and signals.

A stdout on a full disk, a closed pipe or a terminal whose encoding cannot hold the text is the user's
setup, not our bug: exit 2 with "cannot write to standard output", never "internal error" (Decision 6).
Writes are tagged where they happen (a wrapper around the stdout file descriptor), so an OSError from
anywhere else is never mistaken for one. SIGTERM and SIGHUP (what CI runners, Argo CD and a closing
terminal send) are handled like SIGINT: they raise KeyboardInterrupt where the program is, so the
output writer's cleanup runs (the temp folder beside OUT is removed, OUT stays as it was). The writer holds
the signals while it swaps OUT and notes the swap here, so an interrupt after that says OUT holds the new
build instead.
"""

from __future__ import annotations

import io
import os
import signal
import sys

# Codes (KSC0xx: command line)
CANNOT_WRITE = "KSC017"  # standard output cannot be written


class CannotWrite(Exception):
    def __init__(self, what: str, reason: str | None):
        super().__init__(f"cannot write to {what}: {reason or 'unknown error'}")
        self.what, self.reason = what, reason


class Interrupted(KeyboardInterrupt):
    """A SIGTERM or SIGHUP, raised like SIGINT's KeyboardInterrupt."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def install_signal_handlers() -> None:
    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) in (signal.SIG_DFL, None):  # keep a handler the embedding program set
            try:
                signal.signal(signum, _raise_interrupted)
            except ValueError:  # not the main thread (an embedding program's worker): leave signals to it
                return


def _raise_interrupted(signum: int, _frame) -> None:
    signal.signal(signum, signal.SIG_IGN)  # a second one must not interrupt the cleanup
    raise Interrupted(signum)


# The output folders this command has swapped in (outdir.write's `swapped`): an interrupt after that
# must not claim OUT was left as it was.
_replaced: list[str] = []


def replaced(out) -> None:
    _replaced.append(str(out))


def forget_replaced() -> None:
    _replaced.clear()


def interrupted(exc: BaseException) -> int:
    """The message and exit code (128 + the signal's number, as a shell reports it) of an interrupt."""
    signum = getattr(exc, "signum", signal.SIGINT)
    name = signal.Signals(signum).name
    if _replaced:
        _say(f"kserve-compiler: interrupted by {name} after the output folder was written: "
             f"{', '.join(_replaced)} holds the new build, complete")
    else:
        _say(f"kserve-compiler: interrupted by {name}; the output folder (if any) was left as it was")
    return 128 + signum


def cannot_write(exc: CannotWrite) -> int:
    _say(f"kserve-compiler: error {CANNOT_WRITE}: {exc}")
    if exc.what == "standard output" and "codec" in (exc.reason or ""):
        _say("    hint: set PYTHONIOENCODING=utf-8 (or a UTF-8 locale), or write to a file with -o or --report")
    _silence_stdout()
    return 2


def _say(text: str) -> None:
    try:
        print(text, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass  # stderr is gone too: the exit code is all that is left


class _TaggedFd(io.RawIOBase):
    """The stdout file descriptor, with write errors tagged as CannotWrite."""

    def __init__(self, fd: int):
        super().__init__()
        self._fd = fd

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def write(self, data) -> int:
        try:
            return os.write(self._fd, data)
        except OSError as exc:
            raise CannotWrite("standard output", exc.strerror) from None


class _TaggedText(io.TextIOWrapper):
    def write(self, text: str) -> int:
        try:
            return super().write(text)
        except UnicodeEncodeError as exc:
            raise CannotWrite("standard output", f"its encoding cannot hold the text ({exc.reason}, "
                                                 f"'{exc.encoding}' codec)") from None


def guard_stdout() -> None:
    """Replace sys.stdout by the same file descriptor with tagged errors (not when stdout is not a real
    file, e.g. under click's CliRunner)."""
    current = sys.stdout
    try:
        fd = current.fileno()
    except (AttributeError, OSError, ValueError):
        return
    if isinstance(current, _TaggedText):
        return
    current.flush()
    sys.stdout = _TaggedText(io.BufferedWriter(_TaggedFd(fd)), encoding=current.encoding,
                             errors=current.errors, line_buffering=current.line_buffering)


def flush_stdout(code: int) -> int:
    """Flush before exiting, so a failed final write is still ours to report (at interpreter exit it
    would become "Exception ignored" and exit 120)."""
    try:
        sys.stdout.flush()
    except CannotWrite as exc:
        return cannot_write(exc) if code in (0, 1) else code
    except (OSError, ValueError):
        _silence_stdout()
    return code


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's own flush at exit cannot fail again (the recipe
    of Python's signal documentation for a closed pipe)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass
