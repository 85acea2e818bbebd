"""cProfile of one in-process `build -o` (pipeline.compile, emit_layout.layout, outdir.write_folder).

    python bench/profile_build.py --n 2000 [--top 25]

Generates a repo of N InferenceServices (bench/generate.py) into bench/out/, profiles the build, prints
the top functions by cumulative and by total (own) time, and saves bench/out/profile-N.pstats for
`python -m pstats`.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
import generate  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--work", type=Path, default=HERE / "out")
    args = ap.parse_args(argv)
    work = args.work.resolve()
    repo, out = work / f"repo-{args.n}", work / f"out-{args.n}-profile"
    generate.generate(args.n, repo, args.seed)
    if out.exists():
        shutil.rmtree(out)
    from compiler import pipeline  # imported before profiling: import time is not the build's
    from compiler import settings as settings_mod
    from compiler.emit import layout as emit_layout
    from compiler.emit import outdir
    settings = settings_mod.Settings(sources=(str(repo),), skip=(out,))
    prof = cProfile.Profile()
    result = None
    prof.enable()
    try:
        result = pipeline.compile(settings)
        files, _diags = emit_layout.layout(result.outputs, settings.default_namespace) if not result.failed() else ({}, [])
        if files:
            outdir.write_folder(out, files, force=False)
    except Exception as exc:  # still show where the time went up to the crash
        print(f"the build raised {type(exc).__name__}: {exc}; the profile covers what ran", file=sys.stderr)
    finally:
        prof.disable()
    if result is not None and result.failed():
        print("the build failed; the profile covers the stages that ran", file=sys.stderr)
    dest = work / f"profile-{args.n}.pstats"
    prof.dump_stats(dest)
    if result is not None:
        print(f"N={args.n}: {len(result.outputs)} objects; stage seconds (under the profiler): "
              + ", ".join(f"{k} {v:.2f}" for k, v in result.timings.items()))
    for key in ("cumulative", "tottime"):
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).strip_dirs().sort_stats(key).print_stats(args.top)
        text = buf.getvalue()
        print(f"\n=== top {args.top} by {key} ===")
        print(text[text.index("   ncalls"):] if "   ncalls" in text else text)
    print(f"saved {dest}")
    shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
