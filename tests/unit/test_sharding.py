"""A large build compiles its InferenceServices in shards, one per core (compiler/per_service.py, fork.py):
what a user gets must be exactly what one process gives. Here every golden case (errors and all) and the
examples are compiled both ways with shards of one InferenceService, and the report, the exit code and
every output byte compared; and a child that dies is replaced by the parent's own work."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from compiler import fork, per_service, pipeline
from compiler.settings import Settings
REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden"
CASES = sorted(p for p in GOLDEN.iterdir() if (p / "input").is_dir())


def read_tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def shards_of_one(monkeypatch):
    """Shards of a single InferenceService, three processes: every golden case is then sharded."""
    monkeypatch.setattr(per_service, "SHARD_MIN", 1)
    monkeypatch.setenv(fork.JOBS_ENV, "3")


def _build(run_cli, case: Path, out: Path, jobs: str) -> tuple[int, str, dict]:
    args_file = case / "args"
    extra = args_file.read_text().split() if args_file.exists() else []
    result = run_cli("build", str(case / "input"), "-o", str(out), *extra, env={fork.JOBS_ENV: jobs})
    return result.exit_code, result.stdout, read_tree(out) if out.exists() else {}


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_sharded_build_equals_one_process(case, tmp_path, run_cli, shards_of_one, monkeypatch):
    monkeypatch.chdir(case)  # the report names files as the golden case does
    serial = _build(run_cli, case, tmp_path / "serial", "1")
    sharded = _build(run_cli, case, tmp_path / "sharded", "3")
    assert sharded == serial


def test_a_sharded_summary_lists_every_resolution_as_one_process_does(tmp_path, run_cli, shards_of_one):
    """build's children send lean parts (no services or resolutions) unless --summary needs them."""
    summaries = {}
    for jobs in ("1", "3"):
        summary = tmp_path / f"summary-{jobs}.md"
        result = run_cli("build", str(REPO / "examples" / "repo"), "-o", str(tmp_path / f"out-{jobs}"),
                         "--summary", str(summary), env={fork.JOBS_ENV: jobs})
        assert result.exit_code == 0, result.output
        summaries[jobs] = summary.read_text()
    assert summaries["3"] == summaries["1"] and summaries["1"].count("iris") >= 1


def test_sharded_result_equals_one_process(shards_of_one, monkeypatch):
    """Not only what build prints: the Result explain, diff and fix read (diagnostics in their order, the
    services, each resolution and the objects) is the same, with documents and runtimes the parent's own."""
    settings = Settings(sources=(str(REPO / "examples" / "repo"),))
    monkeypatch.setenv(fork.JOBS_ENV, "1")
    serial = pipeline.compile(settings)
    monkeypatch.setenv(fork.JOBS_ENV, "3")
    sharded = pipeline.compile(settings)
    assert len(sharded.services) == len(serial.services) >= 3
    assert sharded.diagnostics == serial.diagnostics
    assert [(s.namespace, s.name) for s in sharded.services] == [(s.namespace, s.name) for s in serial.services]
    assert sharded.generated == serial.generated
    assert [_resolution(r) for r in sharded.resolutions] == [_resolution(r) for r in serial.resolutions]
    documents = {id(d) for d in sharded.documents}
    runtimes = {id(r) for r in sharded.runtimes}
    assert all(id(s.doc) in documents for s in sharded.services)
    assert all(r.runtime is None or id(r.runtime) in runtimes for r in sharded.resolutions)
    assert all(r.isvc in sharded.services for r in sharded.resolutions)


def test_shards_render_no_yaml_when_none_is_wanted(shards_of_one, monkeypatch):
    """diff, explain and fix read objects only (Settings.render=False): no shard renders their YAML. A
    child that did would fail here, and the parent, taking its share over, would fail the test."""
    from compiler.emit import dump as emit_dump

    def refused(*args, **kwargs):
        raise AssertionError("rendered a text nobody reads")

    monkeypatch.setattr(emit_dump, "dump", refused)
    result = pipeline.compile(Settings(sources=(str(REPO / "examples" / "repo"),), render=False))
    assert len(result.generated) > 3 and not result.failed()


def _resolution(r) -> tuple:
    return (r.isvc.name, r.component.kind, r.runtime.name if r.runtime else None, r.how, r.protocol,
            [(p.runtime.name, p.reason, p.detail) for p in r.passed_over], r.diagnostics)


def test_a_child_that_fails_is_replaced_by_the_parents_own_work():
    parent = os.getpid()

    def job(k: int) -> list[int]:
        if os.getpid() != parent and k == 1:
            raise RuntimeError("a child's bug")
        if os.getpid() != parent and k == 2:
            os.kill(os.getpid(), signal.SIGKILL)
        return [k] * 3

    assert fork.run(4, job, dumps=repr_bytes, loads=eval_bytes) == [[0] * 3, [1] * 3, [2] * 3, [3] * 3]


def test_a_result_that_does_not_load_is_recomputed():
    parent = os.getpid()
    assert fork.run(2, lambda k: ("child" if os.getpid() != parent else "parent", k),
                    dumps=lambda value: b"not python", loads=eval_bytes) == [("parent", 0), ("parent", 1)]


def test_a_started_job_runs_in_a_child_and_its_result_comes_back(monkeypatch):
    monkeypatch.setenv(fork.JOBS_ENV, "2")
    parent = os.getpid()
    started = fork.start(lambda: ("child" if os.getpid() != parent else "parent", frozenset({"a", "b"})))
    assert started.result() == ("child", frozenset({"a", "b"}))


@pytest.mark.parametrize("how", ["raise", "kill"])
def test_a_started_job_whose_child_fails_is_computed_here(monkeypatch, how):
    monkeypatch.setenv(fork.JOBS_ENV, "2")
    parent = os.getpid()

    def job():
        if os.getpid() != parent:
            if how == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            raise RuntimeError("a child's bug")
        return "parent"

    assert fork.start(job).result() == "parent"


def test_one_cpu_runs_a_started_job_when_its_result_is_asked_for(monkeypatch):
    monkeypatch.setenv(fork.JOBS_ENV, "1")
    ran = []
    started = fork.start(lambda: ran.append(os.getpid()) or "done")
    assert ran == []  # not yet: nothing runs beside this process
    assert started.result() == "done" and ran == [os.getpid()]


def test_a_cancelled_job_leaves_no_child_behind(monkeypatch):
    monkeypatch.setenv(fork.JOBS_ENV, "2")
    started = fork.start(lambda: signal.pause())  # would never end on its own
    pid = started._child[0]
    started.cancel()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # already reaped: no zombie


def test_a_child_dies_with_its_parent(tmp_path):
    """A parent killed with SIGKILL cannot stop its children: the kernel does (a child filling OUT's temp
    folder must not go on writing where the next build removes it as a leftover)."""
    pids = tmp_path / "pids"
    script = (f"import os, signal, sys; sys.path.insert(0, {str(REPO)!r}); from compiler import fork\n"
              f"os.environ[fork.JOBS_ENV] = '2'\n"
              f"started = fork.start(lambda: signal.pause())\n"
              f"open({str(pids)!r}, 'w').write(f'{{os.getpid()}} {{started._child[0]}}')\n"
              f"signal.pause()\n")
    proc = subprocess.Popen([sys.executable, "-c", script])
    try:
        for _ in range(200):
            if pids.exists() and pids.read_text():
                break
            time.sleep(0.05)
        parent, child = map(int, pids.read_text().split())
        assert os.path.exists(f"/proc/{child}")
        os.kill(parent, signal.SIGKILL)
        proc.wait(timeout=10)
        for _ in range(200):  # gone (or a zombie, waiting for init to reap it)
            if not os.path.exists(f"/proc/{child}") or "\nState:\tZ" in Path(f"/proc/{child}/status").read_text():
                break
            time.sleep(0.05)
        else:
            pytest.fail("the child outlived its parent")
    finally:
        proc.kill()


def repr_bytes(value) -> bytes:
    return repr(value).encode()


def eval_bytes(data: bytes):
    return eval(data.decode())  # noqa: S307 - the test's own repr


def test_jobs_follow_ksc_jobs(monkeypatch):
    monkeypatch.setenv(fork.JOBS_ENV, "1")
    assert fork.jobs() == 1
    monkeypatch.setenv(fork.JOBS_ENV, "64")
    assert fork.jobs() == fork.MAX_JOBS
    monkeypatch.setenv(fork.JOBS_ENV, "lots")  # not a number: the CPUs we may run on
    assert 1 <= fork.jobs() <= fork.MAX_JOBS


@pytest.mark.parametrize("files, cpus", [
    ({"cpu.max": "max 100000\n"}, None),                       # v2, unlimited
    ({"cpu.max": "100000 100000\n"}, 1),                       # v2, one CPU: no fork
    ({"cpu.max": "250000 100000\n"}, 2),                       # v2, 2.5 CPUs: two whole ones
    ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),  # v1, unlimited
    ({"cpu/cpu.cfs_quota_us": "300000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 3),
    ({}, None),                                                  # no cgroup file system
])
def test_a_cgroup_cpu_quota_caps_the_processes(tmp_path, files, cpus):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert fork.cgroup_cpus(str(tmp_path)) == cpus


@pytest.mark.parametrize("n, count", [(2, 2), (3, 3), (10, 10), (11, 10), (1000, 2), (10_000, 2), (10_000, 8)])
def test_shards_cover_every_inference_service_once_the_parents_the_largest(n, count):
    """No shard is ever empty; with real sizes (500 or more per shard) the parent's is the largest, since a
    child also pickles its result."""
    bounds = per_service.shard_bounds(n, count)
    sizes = [bounds[k + 1] - bounds[k] for k in range(count)]
    assert bounds[0] == 0 and bounds[-1] == n and len(sizes) == count
    assert min(sizes) >= 1
    if n >= 1000:  # PARENT_WEIGHT 1.25: 5,556 of 10,000 on two cores
        assert sizes[0] == max(sizes) == round(n * 1.25 / (count + 0.25))
