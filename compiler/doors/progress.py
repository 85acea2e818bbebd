"""Progress of a long build on a person's terminal: one tqdm bar per stage on stderr, shown only once the
build has run for DELAY seconds and cleared when the stage ends, so a short build prints nothing extra and
the report reads as without it. Never in CI logs (CI, GITHUB_ACTIONS), never when stderr is not a terminal,
never with a machine format or --quiet. The core only calls Settings.progress(stage, done, total).
"""

from __future__ import annotations

import os
import sys
import time

DELAY = 0.5  # seconds of silence before the first bar: a pre-commit run on a few files shows none


def wanted(quiet: bool, fmt: str) -> bool:
    """On a terminal, for a person: not in CI, stderr a TTY, text format, not --quiet."""
    if os.environ.get("CI", "").lower() not in ("", "0", "false") or os.environ.get("GITHUB_ACTIONS") == "true":
        return False
    if quiet or fmt != "text":
        return False
    stream = sys.stderr
    return stream is not None and not stream.closed and stream.isatty()


class Bars:
    """Settings.progress for a terminal: call it as progress(stage, done, total); total 0 means unknown
    (the stage's name alone is shown). close() clears the last bar; call it before the report is printed."""

    def __init__(self) -> None:
        self._start = time.monotonic()
        self._stage: str | None = None
        self._bar = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self._stage:
            self.close()
            self._stage = stage
            self._bar = self._new(stage, total)
        self._bar.update(done - self._bar.n)

    def _new(self, stage: str, total: int):
        from tqdm import tqdm  # lazy: only a terminal session pays its import
        waited = time.monotonic() - self._start
        # tqdm's own delay: the bar shows at its first update once the build has run DELAY seconds.
        return tqdm(total=total or None, desc=f"kserve-compiler: {stage}", file=sys.stderr, leave=False,
                    delay=max(0.0, DELAY - waited), mininterval=0.2, dynamic_ncols=True,
                    bar_format="{desc} {bar} {n_fmt}/{total_fmt} [{elapsed}]" if total else "{desc} ...")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
            self._stage = None


class Silent:
    """What a door holds when nobody watches: the same calls, doing nothing. False, so that
    `bars or None` leaves Settings.progress unset."""

    def __bool__(self) -> bool:
        return False

    def __call__(self, stage: str, done: int, total: int) -> None:
        pass

    def close(self) -> None:
        pass


def for_terminal(quiet: bool, fmt: str) -> Bars | Silent:
    return Bars() if wanted(quiet, fmt) else Silent()
