"""The tests' network guard: refuse connections beyond this machine, and write down each attempt.

Used in the test process itself (``tests/conftest.py``) and, through ``sitecustomize.py`` in
this folder, in every Python process the tests start (subprocesses, notebook kernels): the
test session puts this folder first on ``PYTHONPATH`` and sets ``GAN_KERAS_NETWORK_GUARD=1``.

A refused connection raises :class:`NetworkGuardError` (a ``ConnectionRefusedError``, so code
under test takes its ordinary "no internet" path) and appends one line to the file named by
``GAN_KERAS_GUARD_LOG``; the test session fails at its end when that file is not empty, so a
download attempt that the code under test swallows is still caught.
"""

from __future__ import annotations

import ipaddress
import os
import socket

GUARD_ENV = "GAN_KERAS_NETWORK_GUARD"
LOG_ENV = "GAN_KERAS_GUARD_LOG"
_INET = {getattr(socket, "AF_INET", None), getattr(socket, "AF_INET6", None)} - {None}


class NetworkGuardError(ConnectionRefusedError):
    """A test (or a process it started) tried to reach beyond this machine."""


def is_local(family, address) -> bool:
    """Return True for loopback addresses, ``localhost`` and non-internet sockets (Unix, netlink)."""
    if family not in _INET or not isinstance(address, tuple) or not address:
        return True
    host = address[0]
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return True
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False  # any other host name would need DNS and the internet


def record(address) -> None:
    """Append one line naming the refused address to the guard's log, if one is set."""
    path = os.environ.get(LOG_ENV)
    if not path:
        return
    try:
        with open(path, "a", encoding="utf-8") as log:
            log.write(f"pid {os.getpid()}: {address!r}\n")
    except OSError:
        pass


def guarded(real_connect, error=NetworkGuardError):
    """Return a ``socket.connect`` (or ``connect_ex``) that refuses non-local addresses."""

    def connect(self, address):
        if not is_local(self.family, address):
            record(address)
            raise error(f"gan_keras tests: network access to {address!r} refused (tests run offline)")
        return real_connect(self, address)

    connect.__wrapped__ = real_connect
    connect.gan_keras_guard = True
    return connect


def install() -> bool:
    """Patch ``socket.socket.connect`` and ``connect_ex`` in this process; return True if newly done."""
    if getattr(socket.socket.connect, "gan_keras_guard", False):
        return False
    socket.socket.connect = guarded(socket.socket.connect)
    socket.socket.connect_ex = guarded(socket.socket.connect_ex)
    return True
