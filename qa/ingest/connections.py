"""The connections a fetch opens: only to addresses the :class:`~qa.ingest.addresses.AddressPolicy`
allows, and shut when the fetch's :class:`Deadline` passes.

A socket time-out bounds one read; a server that sends a byte every few seconds never
trips it, and kept ``qa add URL`` busy for minutes. A :class:`Deadline` bounds the whole
fetch (connecting, every redirect, headers and body): when it passes, every socket opened
under it is shut down, which ends whatever read is waiting on it.

urllib opens connections through handlers; :func:`handlers` gives the two (http, https)
that open them this way, for ``urllib.request.build_opener``.
"""
from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
import urllib.request
from functools import partial

from .addresses import AddressPolicy


class Deadline:
    """The moment a fetch (or a whole feed run) must be over. Sockets given to :meth:`watch`
    are shut down when it passes; :attr:`expired` says whether it has. Ends by :meth:`close`
    (or ``with``)."""

    def __init__(self, seconds: float, within: "Deadline | None" = None):
        now = time.monotonic()
        self.ends = now + seconds if within is None else min(now + seconds, within.ends)
        self.seconds = max(0.0, self.ends - now)  # what this fetch has: its own, or what the run has left
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(self.seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        return max(0.0, self.ends - time.monotonic())

    def passed(self) -> bool:
        """Whether the deadline has passed (its sockets may not be shut yet)."""
        return self.expired or time.monotonic() >= self.ends

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if not self.expired:
                return
        _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)

    def close(self) -> None:
        self._timer.cancel()
        with self._lock:
            self._sockets.clear()

    def __enter__(self) -> "Deadline":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # closed already, or not yet connected
        sock.shutdown(socket.SHUT_RDWR)


class _Checked:
    """What a connection needs besides its host: the address policy, the deadline and the
    time-out for one read."""

    def __init__(self, policy: AddressPolicy, deadline: Deadline, read_timeout: float):
        self.policy, self.deadline, self.read_timeout = policy, deadline, read_timeout

    def open_socket(self, address, timeout=None, source_address=None) -> socket.socket:
        """``socket.create_connection`` to a checked address of ``address``'s host."""
        host, port = address
        problem: OSError | None = None
        for family, kind, proto, _name, sockaddr in self.policy.resolve(host, port):
            sock = socket.socket(family, kind, proto)
            self.deadline.watch(sock)
            sock.settimeout(max(0.001, min(self.read_timeout, self.deadline.remaining())))
            try:
                sock.connect(sockaddr)
                return sock
            except OSError as exc:
                sock.close()
                problem = exc
        raise problem or OSError(f"{host} has no address to connect to")


class CheckedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host, checked: _Checked, **options):
        super().__init__(host, **options)
        self._create_connection = checked.open_socket


class CheckedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, checked: _Checked, **options):
        super().__init__(host, **options)
        self._create_connection = checked.open_socket
        self._checked = checked

    def connect(self):
        # As http.client's, with the handshake after the TLS socket is watched: a server
        # that dribbles its certificate is cut off at the deadline too.
        http.client.HTTPConnection.connect(self)
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self.host, do_handshake_on_connect=False)
        self._checked.deadline.watch(self.sock)
        self.sock.do_handshake()


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, checked: _Checked):
        super().__init__()
        self._checked = checked

    def http_open(self, req):
        return self.do_open(partial(CheckedHTTPConnection, checked=self._checked), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, checked: _Checked):
        super().__init__(context=ssl.create_default_context())
        self._checked = checked

    def https_open(self, req):
        return self.do_open(partial(CheckedHTTPSConnection, checked=self._checked), req, context=self._context)


def handlers(policy: AddressPolicy, deadline: Deadline, read_timeout: float) -> list[urllib.request.BaseHandler]:
    """urllib handlers whose connections go only to addresses ``policy`` allows, are shut
    when ``deadline`` passes, and wait at most ``read_timeout`` for one read. No proxy from
    the environment is used: the address checked must be the address connected to."""
    checked = _Checked(policy, deadline, read_timeout)
    return [urllib.request.ProxyHandler({}), _HTTPHandler(checked), _HTTPSHandler(checked)]
