"""Run a few independent jobs on the machine's cores (issue 17): job 0 in this process, the others in forked
children that send their result back through a pipe, pickled. Used by pipeline.py to compile shards of the
InferenceServices side by side, and by the warm rebuild to check OUT against its record while it compiles
(start()).

Why fork and not multiprocessing: a child inherits every object of the parent (nothing is pickled on the way
in), and a plain fork works where multiprocessing refuses (inside a daemonic pool worker, as `diff` runs one
side). Why job 0 in the parent: on a 2-core machine the parent would otherwise sit idle, and its own share
never crosses a pipe.

A child that fails in any way (an exception, a signal, a result that does not unpickle) is never trusted:
the parent computes that job itself, so a build never depends on the speed-up.
"""

from __future__ import annotations

import gc
import io
import os
import pickle
import signal
from typing import Any, Callable

MAX_JOBS = 8
JOBS_ENV = "KSC_JOBS"  # how many processes a build may use (1: no child); default: the CPUs we may run on


def jobs() -> int:
    """The processes a build may use: KSC_JOBS when set to a positive integer, else the CPUs this process
    may run on (sched_getaffinity sees taskset and cpusets) or its cgroup's CPU quota if lower (a container
    limited to one CPU, such as an Argo CD sidecar, would only lose by forking), at most MAX_JOBS; 1 where
    fork is missing."""
    if not hasattr(os, "fork"):
        return 1
    wanted = os.environ.get(JOBS_ENV, "").strip()
    if wanted.isdigit() and int(wanted) > 0:
        return min(int(wanted), MAX_JOBS)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    quota = cgroup_cpus()
    return max(1, min(cpus, quota or cpus, MAX_JOBS))


def cgroup_cpus(root: str = "/sys/fs/cgroup") -> int | None:
    """Whole CPUs of this cgroup's quota (v2 `cpu.max`, else v1 `cpu.cfs_quota_us`), None when unlimited or
    unknown. Only the cgroup mounted at `root`: a container sees its own there."""
    for quota_file, period_file in (("cpu.max", None), ("cpu/cpu.cfs_quota_us", "cpu/cpu.cfs_period_us")):
        try:
            with open(os.path.join(root, quota_file), encoding="ascii") as f:
                fields = f.read().split()
            if period_file is not None:
                with open(os.path.join(root, period_file), encoding="ascii") as f:
                    fields += f.read().split()
            quota, period = int(fields[0]), int(fields[1])
        except (OSError, ValueError, IndexError):  # "max", missing, unreadable: try the next form
            continue
        return max(1, quota // period) if quota > 0 and period > 0 else None
    return None


def run(count: int, job: Callable[[int], Any], *, dumps: Callable[[Any], bytes],
        loads: Callable[[bytes], Any]) -> list:
    """[job(0), ..., job(count - 1)]: job 0 here, the rest in forked children. `dumps`/`loads` carry a
    child's result to the parent (pipeline.py maps shared objects to references there)."""
    if count <= 1:
        return [job(0)]
    gc.freeze()  # the children's collector never walks (and so never copies) the parent's heap
    children: dict[int, tuple[int, int]] = {}  # job -> (pid, read end of its pipe)
    try:
        for k in range(1, count):
            children[k] = _spawn(k, job, dumps)
        results = [job(0)]
        for k in range(1, count):
            pid, fd = children.pop(k)
            results.append(_collect(pid, fd, loads, lambda k=k: job(k)))
        return results
    finally:
        for pid, fd in children.values():  # only after an exception here (Ctrl-C, SIGTERM): stop the rest
            _stop(pid, fd)
        gc.unfreeze()


class Started:
    """A job started by start(): result() waits for it; cancel() stops it if nobody will ask."""

    def __init__(self, job: Callable[[], Any], child: tuple[int, int] | None):
        self._job, self._child = job, child

    def result(self) -> Any:
        child, self._child = self._child, None
        if child is None:
            return self._job()
        return _collect(*child, pickle.loads, self._job)

    def cancel(self) -> None:
        child, self._child = self._child, None
        if child is not None:
            _stop(*child)


def start(job: Callable[[], Any]) -> Started:
    """job() in a forked child while the caller goes on (its result pickled back). With one CPU, or no
    fork, job() runs when result() is first called instead. As in run(), a child that fails is never
    trusted: result() then computes the job itself."""
    if jobs() < 2:
        return Started(job, None)
    return Started(job, _spawn(1, lambda _k: job(), lambda value: pickle.dumps(value, pickle.HIGHEST_PROTOCOL)))


def _spawn(k: int, job: Callable[[int], Any], dumps) -> tuple[int, int]:
    read, write = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid:
        os.close(write)
        return pid, read
    # The child. It never returns into the caller's stack: os._exit skips atexit handlers and the
    # flushing of stdio buffers it inherited, which belong to the parent.
    status = 70
    try:
        os.close(read)
        _die_with(parent)
        _child_signals()
        data = dumps(job(k))
        view = memoryview(data)
        while view:
            view = view[os.write(write, view):]
        status = 0
    except BaseException:  # noqa: BLE001 - any failure: the parent computes this job itself
        pass
    finally:
        os._exit(status)


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with(parent: int) -> None:
    """Have the kernel kill this child when the parent dies (Linux: prctl PR_SET_PDEATHSIG): a parent killed
    with SIGKILL never stops its children itself, and a child filling the temp folder (emit/fill.py) must
    not go on writing where the next build removes that folder as a leftover."""
    try:
        import ctypes  # lazy: only a child needs it
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError, TypeError):  # not Linux, or no glibc: no such guarantee there
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(70)


def _child_signals() -> None:
    """Default actions for SIGTERM/SIGHUP (the CLI's handler, doors/streams.py, is the parent's: it raises,
    and the child must simply die), Ctrl-C left to the parent, which stops the children itself."""
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _collect(pid: int, fd: int, loads, fallback: Callable[[], Any]) -> Any:
    chunks = []
    try:
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0 or not chunks:
        return fallback()
    try:
        return loads(b"".join(chunks))
    except Exception:  # noqa: BLE001 - a damaged result is never trusted
        return fallback()


def _stop(pid: int, fd: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
    os.close(fd)


def pickler(shared: list) -> tuple[Callable[[Any], bytes], Callable[[bytes], Any]]:
    """dumps/loads that send each object of `shared` (objects both processes hold since the fork: the
    documents, the runtimes) as its index, so the parent gets its own object back, not a copy: the
    pipeline compares documents and runtimes by identity. `persistent_id` is a Python call per pickled
    object: pickle plain data (objects, texts) with pickle.dumps, and only what links to shared objects
    with this."""
    index = {id(obj): n for n, obj in enumerate(shared)}

    class _Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            return index.get(id(obj))

    class _Unpickler(pickle.Unpickler):
        def persistent_load(self, pid):
            return shared[pid]

    def dumps(value: Any) -> bytes:
        buffer = io.BytesIO()
        _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
        return buffer.getvalue()

    def loads(data: bytes) -> Any:
        return _Unpickler(io.BytesIO(data)).load()

    return dumps, loads
