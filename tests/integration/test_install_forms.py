"""The same program from every form it is installed in (issue 11): the wheel imported straight from its zip
(zipimport), and the sdist installed by pip; each compiles examples/repo to exactly the bytes of the
console script under test. (The editable tree is the README's test run; the installed wheel is the second
step of .ci/run.) Everything installs from the wheelhouse, offline."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import tomllib

import pytest

from conftest import EXAMPLES, REPO, offline_pip_env, run_entry_point, wheelhouse

# The console script's target, as pip writes it into the script (the zip import calls the same function).
ENTRY_POINT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]["kserve-compiler"]


@pytest.fixture(scope="module")
def expected_stream() -> str:
    proc = run_entry_point("build", str(EXAMPLES / "repo"))
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_the_wheel_runs_as_a_zip_import(tmp_path, expected_stream):
    wheel = next(wheelhouse().glob("kserve_compiler-*.whl"))
    module, function = ENTRY_POINT.split(":")
    # The wheel first on sys.path: every module and every data file comes out of the zip (the
    # dependencies come from this venv).
    code = textwrap.dedent(f"""\
        import sys
        sys.path.insert(0, {str(wheel)!r})
        import compiler
        assert compiler.__file__.startswith({str(wheel)!r}), compiler.__file__
        from {module} import {function} as main
        sys.argv = ["kserve-compiler", *sys.argv[1:]]
        main()
        """)
    proc = subprocess.run([sys.executable, "-c", code, "build", str(EXAMPLES / "repo")], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == expected_stream


def test_the_sdist_installs_and_runs(tmp_path, expected_stream):
    house = wheelhouse()
    sdist = next(house.glob("kserve_compiler-*.tar.gz"), None)
    if sdist is None:
        pytest.fail("the wheelhouse has no sdist (.ci/run copies it there)")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {**os.environ, **offline_pip_env(house)}
    install = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(sdist)], env=env,
                             capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stdout + install.stderr
    proc = subprocess.run([str(venv / "bin" / "kserve-compiler"), "build", str(EXAMPLES / "repo")], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == expected_stream
    catalog = subprocess.run([str(venv / "bin" / "kserve-compiler"), "catalog", "list"], cwd=tmp_path,
                             capture_output=True, text=True, timeout=60)
    assert catalog.returncode == 0 and "kserve-sklearnserver" in catalog.stdout, catalog.stderr
