"""When the door shows progress (doors/progress.py): only for a person at a terminal. The pty test in
tests/integration/test_build_conveniences.py shows the bars themselves."""

from __future__ import annotations

import io
import types

import pytest

from compiler.doors import progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def terminal(monkeypatch):
    """stderr a terminal, as progress.py sees it (pytest's capture owns the real sys.stderr)."""
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    fake = types.SimpleNamespace(stderr=_Terminal())
    monkeypatch.setattr(progress, "sys", fake)
    return fake.stderr


def test_progress_on_a_terminal_with_text(terminal):
    assert progress.wanted(quiet=False, fmt="text")
    assert isinstance(progress.for_terminal(False, "text"), progress.Bars)


@pytest.mark.parametrize("quiet, fmt", [(True, "text"), (False, "json"), (False, "sarif"), (False, "github")])
def test_no_progress_when_quiet_or_for_a_machine(terminal, quiet, fmt):
    assert not progress.wanted(quiet=quiet, fmt=fmt)


@pytest.mark.parametrize("name, value", [("CI", "true"), ("CI", "1"), ("GITHUB_ACTIONS", "true")])
def test_no_progress_in_ci(terminal, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    assert not progress.wanted(quiet=False, fmt="text")
    assert not progress.for_terminal(False, "text")  # the silent stand-in is false: Settings.progress stays None


def test_no_progress_when_stderr_is_not_a_terminal(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(progress, "sys", types.SimpleNamespace(stderr=io.StringIO()))
    assert not progress.wanted(quiet=False, fmt="text")


def test_bars_write_only_to_stderr_and_clear_themselves(terminal, monkeypatch):
    monkeypatch.setattr(progress, "DELAY", 0.0)
    bars = progress.Bars()
    for done in range(0, 100, 10):
        bars("expand", done, 100)
    bars("emit", 0, 0)
    bars.close()
    shown = terminal.getvalue()
    assert "kserve-compiler: expand" in shown and "/100 [" in shown and "kserve-compiler: emit ..." in shown
    assert shown.endswith("\r") and "\n" not in shown  # the last line is wiped, not left behind
