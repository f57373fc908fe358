"""Load test of the web chat: N concurrent gradio_client users on loopback for S seconds.

    python -m qa.bench.load                      # start app.py on a free port, 20 users, 60 s
    python -m qa.bench.load --users 5 --seconds 10
    python -m qa.bench.load --url http://127.0.0.1:7860/   # an app already running here

Each user is its own ``gradio_client.Client`` asking the chat's ``/chat`` endpoint one
question after another (a fixed mix of answered, unanswered and unusable questions),
with a pause of about ``--think`` seconds between them (a person reading the answer). The run is bounded by time and by a total request
count, and only ever talks to this machine. It prints throughput, p50/p95/max latency
and errors, and exits 1 when there were errors or p95 is over ``--max-p95``.

With ``QA_AUTH=user:password`` set, the app it starts asks for that login and the users
give it; for ``--url`` the same variable (or ``--auth``) supplies it.

``--slow-fetch`` runs the same load while the app fetches a slow page: a server started
here on 127.0.0.1 sends an article one byte every 2 s, and one more client adds it by
address (``/add_address``) again and again; with ``--upload-every S`` another uploads a
one-paragraph article (``/add_documents``) every S seconds, timing each. The app must be
allowed to fetch from this machine (``QA_FETCH_ALLOW_PRIVATE=127.0.0.1``, set for the app
this script starts, which then works on a copy of the corpus so that additions land there).
"""
from __future__ import annotations

import argparse
import html
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from .common import ROOT

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
MAX_USERS = 100
# (question, what a correct reply starts with): a reply that does not is counted as an error.
QUESTIONS = [
    ("When was the improvement notice closed?", '<div class="qa-short">'),
    ("When was the improvement notice issued?", '<div class="qa-short">'),
    ("What did inspectors say about care leavers?", '<div class="qa-short">'),
    ("How often must the improvement board meet?", '<div class="qa-short">'),
    ("Who praised the council's leadership?", '<div class="qa-short">'),
    ("What is the capital of Australia?", '<div class="qa-short">'),
    ("???", "**Cannot answer:**"),
]


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100), linear between the two nearest ranks; nan when there are none."""
    import numpy as np

    return float(np.percentile(values, q)) if values else float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def auth_pair(value: str | None) -> tuple[str, str] | None:
    if not value:
        return None
    user, colon, password = value.partition(":")
    if not colon or not user or not password:
        raise SystemExit("load.py: the login must be user:password")
    return user, password


def wait_until_up(url: str, proc: subprocess.Popen | None, timeout: float) -> None:
    """Poll the app until it answers HTTP (a 401 login page counts as up)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"load.py: the app exited with code {proc.returncode} before it was ready")
        try:
            urllib.request.urlopen(url + "config", timeout=2)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"load.py: {url} did not answer within {timeout:.0f} s")


class App:
    """``python app.py`` in its own process group on a free loopback port."""

    def __init__(self, startup_timeout: float, for_uploads: bool = False):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = tempfile.NamedTemporaryFile("w+", prefix="qa-load-app-", suffix=".log", delete=False)
        env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"}
        if for_uploads:  # a copy of the corpus takes the uploads; the page is fetched from this machine
            import shutil

            work = Path(tempfile.mkdtemp(prefix="qa-load-corpus-"))
            shutil.copytree(ROOT / "corpus", work / "corpus")
            env.update(QA_CORPUS_DIR=str(work / "corpus"), QA_INDEX_DIR=str(work / "index"),
                       QA_FETCH_ALLOW_PRIVATE="127.0.0.1")
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            wait_until_up(self.url, self.proc, startup_timeout)
        except BaseException:
            self.stop()
            print(self.log_tail(), file=sys.stderr)
            raise

    def log_tail(self, lines: int = 20) -> str:
        self.log.flush()
        return "\n".join(Path(self.log.name).read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # our own child's group: the app and nothing else
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def run_load(url: str, users: int, seconds: float, max_requests: int, think: float,
             auth: tuple[str, str] | None) -> dict:
    from gradio_client import Client

    print(f"connecting {users} users to {url} ...", file=sys.stderr, flush=True)
    clients: list = [None] * users
    connect_errors: list[str] = []

    def connect(i: int) -> None:
        try:
            clients[i] = Client(url, auth=auth, verbose=False, download_files=False)
        except Exception as exc:  # counted and reported, not raised: the run goes on
            connect_errors.append(f"user {i}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=connect, args=(i,)) for i in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    issued = 0
    start = threading.Barrier(users + 1)

    def user(i: int) -> None:
        nonlocal issued
        client = clients[i]
        rng = random.Random(i)
        start.wait()
        # People do not ask in step: starts are spread over one pause and each pause varies
        # (0.5 to 1.5 times --think), or the users would keep arriving as one burst.
        time.sleep(min(think * i / users, seconds))
        n = i  # users start at different questions
        while client is not None and time.monotonic() < deadline:
            with lock:
                if issued >= max_requests:
                    return
                issued += 1
            question, expected = QUESTIONS[n % len(QUESTIONS)]
            n += 1
            began = time.perf_counter()
            try:
                reply = client.predict(question, api_name="/chat")
                ok = isinstance(reply, str) and reply.startswith(expected)
                problem = None if ok else f"unexpected reply to {question!r}: {str(reply)[:120]!r}"
            except Exception as exc:
                problem = f"{question!r}: {type(exc).__name__}: {exc}"
            elapsed = time.perf_counter() - began
            with lock:
                latencies.append(elapsed)
                if problem:
                    errors.append(problem)
            if think:
                time.sleep(max(0.0, min(think * rng.uniform(0.5, 1.5), deadline - time.monotonic())))

    workers = [threading.Thread(target=user, args=(i,), daemon=True) for i in range(users)]
    for t in workers:
        t.start()
    deadline = time.monotonic() + seconds  # read by every user once the barrier opens
    began = time.perf_counter()
    start.wait()
    for t in workers:
        t.join(timeout=seconds + 120)
    wall = time.perf_counter() - began
    for client in clients:
        if client is not None:
            try:
                client.close()
            except Exception:
                pass
    all_errors = connect_errors + errors
    return {
        "url": url,
        "users": users,
        "seconds": round(wall, 1),
        "think_s": think,
        "requests": len(latencies),
        "errors": len(all_errors),
        "throughput_rps": round(len(latencies) / wall, 2) if wall else 0.0,
        "p50_s": round(percentile(latencies, 50), 3),
        "p95_s": round(percentile(latencies, 95), 3),
        "max_s": round(max(latencies), 3) if latencies else float("nan"),
        "mean_s": round(statistics.fmean(latencies), 3) if latencies else float("nan"),
        "error_examples": all_errors[:5],
    }


SLOW_PAGE = ("<html><head><title>Harbour works delayed</title></head><body><article><h1>Harbour works delayed"
             "</h1>" + "".join(f"<p>Stage {n} of the harbour works was delayed by {n + 2} weeks, the council "
                               f"said.</p>" for n in range(1, 21)) + "</article></body></html>").encode()


def slow_site(seconds: float):
    """A server on 127.0.0.1 whose /slow sends SLOW_PAGE a byte every 2 s (for ``seconds`` at
    most, then the rest); its address, and the server to shut down."""
    import http.server

    class Slow(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n"
                             % len(SLOW_PAGE))
            ends, sent = time.monotonic() + seconds, 0
            try:
                while sent < len(SLOW_PAGE) and time.monotonic() < ends:
                    self.wfile.write(SLOW_PAGE[sent:sent + 1])
                    sent += 1
                    time.sleep(2)
                self.wfile.write(SLOW_PAGE[sent:])
            except OSError:  # the app gave up on it
                pass

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{httpd.server_address[1]}/slow", httpd


def slow_fetch_meanwhile(url: str, auth, seconds: float, upload_every: float) -> dict:
    """While the users ask: add the slow page by address again and again, and (unless
    ``upload_every`` is 0) upload an article every so often; the upload times and how each
    fetch ended."""
    from gradio_client import Client, handle_file

    page, httpd = slow_site(seconds)
    ends = time.monotonic() + seconds
    fetches: list[str] = []
    uploads: list[float] = []

    def fetching():
        client = Client(url, auth=auth, verbose=False, download_files=False)
        while time.monotonic() < ends:
            began = time.perf_counter()
            status = str(client.predict(page, api_name="/add_address")[0])
            fetches.append(f"{time.perf_counter() - began:.1f} s: {' '.join(html.unescape(status).split())[:110]}")

    def uploading():
        client = Client(url, auth=auth, verbose=False, download_files=False)
        folder = Path(tempfile.mkdtemp(prefix="qa-load-uploads-"))
        n = 0
        time.sleep(2)  # the first fetch is under way
        while time.monotonic() < ends:
            n += 1
            article = folder / f"load-upload-{n}.md"
            article.write_text(f"---\ntitle: Ferry notice {n}\n---\n\nFerry number {n} left the harbour at "
                               f"{n} minutes past seven, the operator said.\n")
            began = time.perf_counter()
            client.predict([handle_file(str(article))], api_name="/add_documents")
            uploads.append(time.perf_counter() - began)
            time.sleep(max(0.0, min(upload_every, ends - time.monotonic())))

    side = [threading.Thread(target=fetching, daemon=True)]
    if upload_every:
        side.append(threading.Thread(target=uploading, daemon=True))
    for t in side:
        t.start()
    return {"threads": side, "fetches": fetches, "uploads": uploads, "server": httpd}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Load-test the web chat on loopback with gradio_client users.")
    parser.add_argument("--url", help="an app already running on this machine (default: start app.py)")
    parser.add_argument("--users", type=int, default=20, help="concurrent users (default 20)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to run (default 60)")
    parser.add_argument("--max-requests", type=int, default=50_000, help="stop after this many requests in all")
    parser.add_argument("--think", type=float, default=3.0,
                        help="mean pause of each user between questions, in seconds (default 3; 0 for a stress test)")
    parser.add_argument("--auth", help="user:password for the app's login (default: $QA_AUTH)")
    parser.add_argument("--max-p95", type=float, default=1.0, help="exit 1 when p95 latency is above this (s)")
    parser.add_argument("--startup-timeout", type=float, default=600.0,
                        help="seconds to wait for app.py to build its index and start")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--slow-fetch", action="store_true",
                        help="meanwhile, add (by address) a page that arrives a byte every 2 s, again and again")
    parser.add_argument("--upload-every", type=float, default=0.0, metavar="S",
                        help="with --slow-fetch: also upload an article every S seconds, timing each")
    args = parser.parse_args(argv)
    if not 1 <= args.users <= MAX_USERS:
        parser.error(f"--users must be between 1 and {MAX_USERS}")
    if not 0 < args.seconds <= 600:
        parser.error("--seconds must be between 0 and 600")
    auth = auth_pair(args.auth or os.environ.get("QA_AUTH"))

    app = None
    if args.url:
        url = args.url if args.url.endswith("/") else args.url + "/"
        if urlsplit(url).hostname not in LOOPBACK:
            parser.error("--url must be on this machine (127.0.0.1, localhost or ::1): load tests stay on loopback")
        wait_until_up(url, None, 30)
    else:
        print("starting app.py ...", file=sys.stderr, flush=True)
        app = App(args.startup_timeout, for_uploads=args.slow_fetch)
        url = app.url
    side = None
    try:
        if args.slow_fetch:
            side = slow_fetch_meanwhile(url, auth, args.seconds, args.upload_every)
        result = run_load(url, args.users, args.seconds, args.max_requests, args.think, auth)
        if side is not None:
            for t in side["threads"]:
                t.join(timeout=120)
            side["server"].shutdown()
            uploads = side["uploads"]
            result.update(slow_fetches=side["fetches"], uploads=len(uploads), upload_p50_s=round(percentile(uploads, 50), 3),
                          upload_max_s=round(max(uploads, default=0), 3))
    finally:
        if app is not None:
            app.stop()

    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{result['users']} users, {result['seconds']} s, {result['requests']} requests, "
              f"{result['errors']} errors")
        print(f"throughput {result['throughput_rps']} requests/s; latency p50 {result['p50_s']:.3f} s, "
              f"p95 {result['p95_s']:.3f} s, max {result['max_s']:.3f} s")
        for example in result["error_examples"]:
            print(f"error: {example}")
        if "uploads" in result:
            print(f"meanwhile {result['uploads']} uploads, p50 {result['upload_p50_s']:.3f} s, "
                  f"max {result['upload_max_s']:.3f} s; slow fetches (seconds each, outcome):")
            for fetch in result["slow_fetches"]:
                print(f"  {fetch}")
    return 1 if result["errors"] or not result["requests"] or result["p95_s"] > args.max_p95 else 0


if __name__ == "__main__":
    sys.exit(main())
