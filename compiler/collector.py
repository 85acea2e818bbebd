"""Python's cyclic garbage collector, relaxed for a run of the command line.

A build makes millions of small dicts and lists that live until the process ends (the documents, then
~43,000 emitted objects at N=10,000, then their YAML) and almost no cycles. With CPython's default
thresholds (700, 10, 10) the collector runs thousands of times and walks the whole growing heap a dozen
times: a quarter of a build's CPU, to free about 100,000 objects. With a larger first threshold it runs
rarely; it still runs, so a cycle is freed later, never leaked. Nothing observable depends on when the
collector runs (the core has no __del__ and no weak reference).

Set once for the process, at the door, rather than around compile(): thresholds put back after a
compile leave its millions of survivors in the young generations, and the next collections (in emit)
then pay the walks that were skipped.
"""

from __future__ import annotations

import gc

RELAXED = (100_000, 50, 100)  # measured at N=10,000: the CPU of the collector off, the same peak memory


def relax() -> None:
    """Raise the thresholds to at least RELAXED; automatic collection switched off (0) stays off."""
    current = gc.get_threshold()
    if current[0] != 0:
        gc.set_threshold(*(max(have, want) for have, want in zip(current, RELAXED)))
