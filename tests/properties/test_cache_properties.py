"""The warm-rebuild cache (issue 17) changes nothing a user can see: after any sequence of edits, `build`
with `--cache DIR` gives the same exit code, the same OUT (every byte), the same YAML stream and the same
report (every diagnostic, in json) as a build without it. Edits: an InferenceService file rewritten,
added, moved or deleted, a runtime added or changed, a file made unreadable YAML, a file rewritten with the
same bytes. Errors, duplicates and runtime changes are drawn on purpose: they are where a cache goes wrong.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import yaml
from hypothesis import given
from hypothesis import strategies as st

import strategies as S
from compiler.constants import OUTPUT_MARKER
from test_build_properties import cli, examples, tree

EDITS = ("replace", "add", "delete", "move", "runtime", "garbage", "same", "ignore", "twin")
TAMPER = (None, None, "edit", "delete", "symlink", "stray")


def _build(src: Path, work: Path, *extra: str) -> tuple:
    """(exit code, OUT tree, json report, stream, stream's stderr) of one build, cached or not."""
    out = work / "out"
    code, report, summary = cli("build", str(src), "-o", str(out), "--format", "json", "-v", *extra, cwd=src)
    stream_code, stream, stream_err = cli("build", str(src), *extra, cwd=src)
    return code, tree(out) if out.exists() else {}, report, summary, stream_code, stream, stream_err


@st.composite
def edit(draw, runtimes: list[dict]) -> tuple:
    kind = draw(st.sampled_from(EDITS))
    if kind in ("replace", "add", "ignore"):
        return kind, draw(S.service_docs(runtimes, st.integers(1, 2))), draw(st.integers(0, 99))
    if kind == "runtime":
        return kind, draw(S.runtime_docs(st.integers(1, 2))), draw(st.integers(0, 99))
    return kind, [], draw(st.integers(0, 99))


def _apply(src: Path, step: tuple, n: int) -> None:
    kind, docs, pick = step
    files = sorted(p for p in src.rglob("*.yaml"))
    target = files[pick % len(files)] if files else src / "f.yaml"
    if kind == "ignore":  # a per-object annotation, which the cache must carry with the file's notices
        docs[0]["metadata"].setdefault("annotations", {})["kserve-compiler/ignore"] = "KSC230,KSC430"
    if kind in ("replace", "ignore") or (kind == "runtime" and pick % 2):
        target.write_text(S.dump_all(docs))
    elif kind in ("add", "runtime"):
        (src / f"new-{n}.yaml").write_text(S.dump_all(docs))
    elif kind == "delete" and len(files) > 1:
        target.unlink()
    elif kind == "move":
        target.rename(src / f"moved-{n}.yaml")
    elif kind == "garbage":
        target.write_text("apiVersion: v1\nkind: [unclosed\n")
    elif kind == "same":
        target.write_bytes(target.read_bytes())
    elif kind == "twin":  # a Knative Service named as an InferenceService's predictor Service
        isvcs = [d for f in files for d in _documents(f) if isinstance(d, dict)
                 and d.get("kind") == "InferenceService" and isinstance(d.get("metadata"), dict)]
        if isvcs:
            meta = isvcs[pick % len(isvcs)]["metadata"]
            twin = {"apiVersion": "serving.knative.dev/v1", "kind": "Service",
                    "metadata": {"name": f"{meta.get('name')}-predictor",
                                 "namespace": meta.get("namespace", "default")}}
            (src / f"twin-{n}.yaml").write_text(yaml.safe_dump(twin))


def _documents(path: Path) -> list:
    try:
        return list(yaml.safe_load_all(path.read_text()))
    except yaml.YAMLError:  # a file made garbage by an earlier step
        return []


def _tamper(out: Path, how: str | None, pick: int) -> None:
    """Change OUT by hand before the next build (not its marker: without it OUT is not ours, and
    any build refuses it)."""
    files = sorted(p for p in out.rglob("*") if p.is_file() and p.name != OUTPUT_MARKER) if out.exists() else []
    if how is None or not files:
        return
    target = files[pick % len(files)]
    if how == "edit":
        target.write_bytes(target.read_bytes() + b"# by hand\n")
    elif how == "delete":
        target.unlink()
    elif how == "symlink":
        target.unlink()
        target.symlink_to(files[(pick + 1) % len(files)] if len(files) > 1 else out)
    elif how == "stray":
        (target.parent / "stray.yaml").write_text("kind: Stray\n")


@examples(8)
@given(repo=S.repos(max_runtimes=3, max_services=4), data=st.data())
def test_cached_builds_equal_uncached_after_random_edits(repo, data):
    steps = data.draw(st.lists(edit(repo.runtimes), min_size=1, max_size=4))
    with tempfile.TemporaryDirectory(prefix="ksc-cache-prop-") as tmp:
        root = Path(tmp)
        src = root / "src"
        repo.write(src, data.draw(S.layouts(repo)))
        cache = str(root / "cache")
        assert _build(src, root / "cached", "--cache", cache) == _build(src, root / "plain")  # cold: fills it
        for n, step in enumerate(steps):
            _apply(src, step, n)
            if n % 3 == 2:  # now and then from an empty OUT, else over the previous output
                for name in ("cached", "plain"):
                    shutil.rmtree(root / name / "out", ignore_errors=True)
            tamper = data.draw(st.sampled_from(TAMPER))
            for name in ("cached", "plain"):  # both: a build that fails leaves OUT as it was, tampered
                _tamper(root / name / "out", tamper, step[2])
            assert _build(src, root / "cached", "--cache", cache) == _build(src, root / "plain"), (step, tamper)
            out = root / "cached" / "out"
            assert all(p.stat().st_nlink == 1 for p in out.rglob("*") if p.is_file() and not p.is_symlink()), \
                "a file of OUT is shared"
