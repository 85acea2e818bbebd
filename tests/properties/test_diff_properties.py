"""`diff X X` is empty (issue 16): two copies of one generated repo (bench/generate.py, any size and seed), in
different folders, compile to builds `diff` finds no difference between. A false change here would be noise on
every pull request; the golden cases (tests/golden/diff/) show that real changes are found."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
import generate  # noqa: E402  (bench/generate.py)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(min_value=1, max_value=40), seed=st.integers(min_value=0, max_value=10_000))
def test_diff_of_a_repo_with_its_copy_is_empty(n, seed, run_cli, monkeypatch):
    with tempfile.TemporaryDirectory(prefix="diff-prop-") as tmp:
        root = Path(tmp)
        generate.generate(n, root / "x", seed=seed)
        shutil.copytree(root / "x", root / "elsewhere" / "x-copy")
        monkeypatch.chdir(root)
        result = run_cli("diff", "x", "elsewhere/x-copy", "--exit-code", "--format", "json")
        assert result.exit_code == 0, result.output
        assert '"changed": false' in result.stdout
        assert '"inferenceServices": []' in result.stdout
