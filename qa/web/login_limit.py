"""A limit on failed logins per client address, in front of Gradio's ``/login`` route.

Gradio's login (``launch(auth=...)``) answers every attempt as fast as it comes, so a
password can be guessed at thousands a second. :class:`LoginLimitMiddleware` counts the
failed attempts of each client address over the last minute and, past the limit, answers
``429 Too Many Requests`` with a message saying when to try again, without asking Gradio.

* What is counted: failed logins (any answer but success), per address of the peer that
  connected (an IPv6 client per /64 network: one machine usually has a whole one).
  ``X-Forwarded-For`` is believed only from the reverse proxies named in
  ``QA_TRUSTED_PROXIES`` (see :func:`trusted_proxies`); from anyone else, a header that
  claims a fresh address on each try would escape the limit.
* Successful logins are not counted, nor are attempts still being answered: an attempt that
  could take a client past the limit, should those in flight fail, waits until they end
  (20 correct logins at once all succeed; 20 wrong ones at once get 10 answers and 10 429s).
* The table of addresses is bounded: past ``max_clients`` addresses the quietest are
  forgotten first, so a flood of addresses cannot exhaust memory.

Added when the app is launched::

    app.launch(auth=("ann", "secret"), app_kwargs={"middleware": [login_limit_middleware()]})
"""
from __future__ import annotations

import asyncio
import ipaddress
import json
import os
import threading
import time
from collections import OrderedDict, deque
from typing import Callable

MAX_FAILURES = 10  # per client address ...
WINDOW_S = 60.0  # ... within this many seconds
MAX_CLIENTS = 10_000  # addresses remembered at most
SETTLE_S = 10.0  # how long an attempt waits for those in flight before it is refused
LOGIN_PATHS = ("/login", "/login/")
TRUSTED_PROXIES_ENV = "QA_TRUSTED_PROXIES"


def trusted_proxies(value: str | None = None) -> str:
    """The reverse proxies whose ``X-Forwarded-For`` names the client, from
    ``QA_TRUSTED_PROXIES`` (addresses or networks, comma-separated, e.g. ``127.0.0.1`` for a
    proxy on this machine); '' (none) when unset. The web server (uvicorn) takes the
    client's address from the header only when the connection comes from one of them."""
    value = os.environ.get(TRUSTED_PROXIES_ENV, "") if value is None else value
    return ",".join(part.strip() for part in value.split(",") if part.strip())


def client_key(host: str) -> str:
    """What one client is counted as: its address; for IPv6, its /64 network.

    >>> client_key("2001:db8:1:2:aaaa::1"), client_key("192.0.2.7")
    ('2001:db8:1:2::/64', '192.0.2.7')
    """
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if address.version == 6 and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


class LoginLimiter:
    """Failed login attempts per client within a sliding window, for at most
    ``max_clients`` clients. Attempts still being answered are not failures; they are
    counted apart, so that a burst sent at once cannot get more than ``max_failures``
    answers (:meth:`try_start`)."""

    def __init__(self, max_failures: int = MAX_FAILURES, window_s: float = WINDOW_S,
                 max_clients: int = MAX_CLIENTS, clock: Callable[[], float] = time.monotonic):
        self.max_failures = max_failures
        self.window_s = window_s
        self.max_clients = max_clients
        self.clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()  # the least recently failed first
        self._pending: dict[str, int] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """How many clients the table remembers."""
        return len(self._failures)

    def _recent(self, client: str) -> deque[float]:
        times = self._failures.get(client, deque())
        cutoff = self.clock() - self.window_s
        while times and times[0] <= cutoff:
            times.popleft()
        if not times:
            self._failures.pop(client, None)  # forget quiet clients: the table stays small
        return times

    def wait_time(self, client: str) -> float:
        """Seconds until ``client`` may try again, by its failures; 0 when it may now."""
        with self._lock:
            times = self._recent(client)
            if len(times) < self.max_failures:
                return 0.0
            return max(times[0] + self.window_s - self.clock(), 1.0)

    def try_start(self, client: str) -> bool:
        """Note an attempt of ``client`` as in flight, when it stays within the limit even if
        every attempt in flight fails; False (nothing noted) when it must wait for those."""
        with self._lock:
            if len(self._recent(client)) + self._pending.get(client, 0) >= self.max_failures:
                return False
            self._pending[client] = self._pending.get(client, 0) + 1
            return True

    def finish(self, client: str, failed: bool) -> None:
        """The attempt :meth:`try_start` noted has been answered; ``failed``: not a success."""
        with self._lock:
            self._pending[client] = max(self._pending.get(client, 1) - 1, 0)
            if not self._pending[client]:
                del self._pending[client]
            if failed:
                times = self._failures.pop(client, deque())
                times.append(self.clock())
                self._failures[client] = times  # now the most recent
                self._forget_beyond_limit()

    def _forget_beyond_limit(self) -> None:
        if len(self._failures) <= self.max_clients:
            return
        for client in list(self._failures):  # expired entries first
            self._recent(client)
        while len(self._failures) > self.max_clients:
            self._failures.popitem(last=False)  # then the least recently failed


class LoginLimitMiddleware:
    """ASGI middleware: refuse ``POST /login`` from a client with too many recent failures."""

    def __init__(self, app, limiter: LoginLimiter | None = None, root_path: str = ""):
        self.app = app
        self.limiter = limiter or LoginLimiter()
        self.paths = {root_path.rstrip("/") + path for path in LOGIN_PATHS}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") != "POST" or scope.get("path") not in self.paths:
            await self.app(scope, receive, send)
            return
        # The peer's address; the web server put a trusted proxy's client here instead.
        client = client_key((scope.get("client") or ("unknown", 0))[0])
        settle_by = time.monotonic() + SETTLE_S
        while True:
            wait = self.limiter.wait_time(client)
            if wait:
                await _refuse(send, wait, self.limiter)
                return
            if self.limiter.try_start(client):
                break
            if time.monotonic() > settle_by:  # attempts in flight that never end
                await _refuse(send, 1.0, self.limiter)
                return
            await asyncio.sleep(0.02)  # attempts in flight could still use up the allowance
        status = {"code": 500}

        async def send_and_note(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            self.limiter.finish(client, failed=status["code"] >= 400)


async def _refuse(send, wait: float, limiter: LoginLimiter) -> None:
    detail = (f"Too many failed logins from this address ({limiter.max_failures} in "
              f"{limiter.window_s:.0f} seconds); try again in {wait:.0f} seconds.")
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": 429,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"retry-after", str(int(wait + 0.999)).encode())]})
    await send({"type": "http.response.body", "body": body})


def login_limit_middleware(limiter: LoginLimiter | None = None):
    """The Starlette ``Middleware`` entry for ``launch(app_kwargs={"middleware": [...]})``."""
    from starlette.middleware import Middleware

    return Middleware(LoginLimitMiddleware, limiter=limiter or LoginLimiter())
