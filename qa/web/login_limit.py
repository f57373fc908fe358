"""A limit on failed logins per client address, in front of Gradio's ``/login`` route.

Gradio's login (``launch(auth=...)``) answers every attempt as fast as it comes, so a
password can be guessed at thousands a second. :class:`LoginLimitMiddleware` counts the
failed attempts of each client address over the last minute and, past the limit, answers
``429 Too Many Requests`` with a message saying when to try again, without asking Gradio.
Successful logins are not counted (the load script logs in 20 users at once).

Added when the app is launched::

    app.launch(auth=("ann", "secret"), app_kwargs={"middleware": [login_limit_middleware()]})
"""
from __future__ import annotations

import json
import threading
import time
from collections import deque
from typing import Callable

MAX_FAILURES = 10  # per client address ...
WINDOW_S = 60.0  # ... within this many seconds
LOGIN_PATHS = ("/login", "/login/")


class LoginLimiter:
    """Failed login attempts per client within a sliding window. Attempts still being
    answered count as failures until they finish, so a burst sent at once cannot get more
    than ``max_failures`` answers."""

    def __init__(self, max_failures: int = MAX_FAILURES, window_s: float = WINDOW_S,
                 clock: Callable[[], float] = time.monotonic):
        self.max_failures = max_failures
        self.window_s = window_s
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._pending: dict[str, int] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str) -> deque[float]:
        times = self._failures.setdefault(client, deque())
        cutoff = self.clock() - self.window_s
        while times and times[0] <= cutoff:
            times.popleft()
        if not times and not self._pending.get(client):
            self._failures.pop(client, None)  # forget quiet clients: the table stays small
        return times

    def wait_time(self, client: str) -> float:
        """Seconds until ``client`` may try again; 0 when it may now."""
        with self._lock:
            times = self._recent(client)
            if len(times) + self._pending.get(client, 0) < self.max_failures:
                return 0.0
            if not times:  # only attempts in flight: they finish within a second or two
                return 1.0
            return max(times[0] + self.window_s - self.clock(), 1.0)

    def start(self, client: str) -> None:
        with self._lock:
            self._pending[client] = self._pending.get(client, 0) + 1

    def finish(self, client: str, failed: bool) -> None:
        with self._lock:
            self._pending[client] = max(self._pending.get(client, 1) - 1, 0)
            if not self._pending[client]:
                del self._pending[client]
            if failed:
                self._failures.setdefault(client, deque()).append(self.clock())


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
        client = (scope.get("client") or ("unknown", 0))[0]
        wait = self.limiter.wait_time(client)
        if wait:
            await _refuse(send, wait, self.limiter)
            return
        status = {"code": 500}

        async def send_and_note(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        self.limiter.start(client)
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
