"""A pytest plugin that takes the network away from the whole test session (issue 7: "no network is touched").

Loaded with `-p nonetwork` (tests/ must be importable: pyproject's `pythonpath = ["tests"]`). From
`pytest_configure` to `pytest_unconfigure`, every connection to a network address, every name lookup and every
datagram sent to an address raises `NetworkBlocked`, in collection, fixtures and tests alike. Unix-domain sockets
stay usable (they are not a network). Subprocesses are not covered by this patch: the CLI itself is shown to need
no network by tests/hostile/test_security.py (under `unshare -n`, and by tracing its system calls).
"""

from __future__ import annotations

import socket

import pytest

_LOCAL_FAMILIES = {getattr(socket, "AF_UNIX", None)} - {None}
_saved: dict = {}


class NetworkBlocked(RuntimeError):
    """A test (or the code under test) tried to use the network."""


def _blocked(what: str, detail: object) -> NetworkBlocked:
    return NetworkBlocked(f"network access is disabled in the test suite (tests/nonetwork.py): {what}({detail!r})")


def _guard_method(name: str, original):
    def guarded(self, address, *args, **kwargs):
        if self.family in _LOCAL_FAMILIES:
            return original(self, address, *args, **kwargs)
        raise _blocked(f"socket.{name}", address)
    guarded.__name__ = guarded.__qualname__ = name
    guarded.nonetwork = True
    return guarded


def _guard_sendto(original):
    def sendto(self, data, *args):
        if self.family in _LOCAL_FAMILIES:
            return original(self, data, *args)
        raise _blocked("socket.sendto", args[-1] if args else None)
    sendto.nonetwork = True
    return sendto


def _guard_function(name: str):
    def guarded(*args, **kwargs):
        raise _blocked(f"socket.{name}", args[0] if args else None)
    guarded.__name__ = guarded.__qualname__ = name
    guarded.nonetwork = True
    return guarded


def block() -> None:
    if _saved:
        return
    for name in ("connect", "connect_ex"):
        _saved[("socket", name)] = getattr(socket.socket, name)
        setattr(socket.socket, name, _guard_method(name, _saved[("socket", name)]))
    _saved[("socket", "sendto")] = socket.socket.sendto
    socket.socket.sendto = _guard_sendto(_saved[("socket", "sendto")])
    for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr", "create_connection"):
        _saved[("module", name)] = getattr(socket, name)
        setattr(socket, name, _guard_function(name))


def unblock() -> None:
    for (where, name), original in _saved.items():
        setattr(socket.socket if where == "socket" else socket, name, original)
    _saved.clear()


def blocked() -> bool:
    return bool(_saved)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    block()


def pytest_unconfigure(config):
    unblock()


def pytest_report_header(config):
    return "network: disabled for the whole session (tests/nonetwork.py)"
