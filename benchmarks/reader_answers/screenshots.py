"""Screenshot check of the web chat on newsqa-dev (reader-style answers): a paraphrase, a "when" and an
unanswerable question asked in headless Chromium; PNGs and the reply texts written to OUT.
PYTHONPATH=. python benchmarks/reader_answers/screenshots.py OUT_DIR"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTICLES = ROOT.parent / "shared" / "benchmarks" / "newsqa-dev" / "articles"
QUESTIONS = [
    ("paraphrase", "Do a lot of the children at Heckmondwike regularly miss school?"),
    ("when", "When did Ceredigion receive the formal challenge?"),
    ("unanswerable", "How much does it cost to fix a single pothole?"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(out: str) -> int:
    from playwright.sync_api import sync_playwright

    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix="qa-shots-"))
    shutil.copytree(ARTICLES, base / "corpus")
    port = free_port()
    env = dict(os.environ, QA_CORPUS_DIR=str(base / "corpus"), QA_INDEX_DIR=str(base / "index"),
               GRADIO_ANALYTICS_ENABLED="False", PYTHONUNBUFFERED="1", PYTHONPATH=str(ROOT))
    log = open(base / "server.log", "w+")
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port)], cwd=base, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                print(log.read())
                return 1
            time.sleep(0.5)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
            for kind, question in QUESTIONS:
                page = browser.new_page(viewport={"width": 1280, "height": 1100})
                page.goto(url, wait_until="domcontentloaded")
                box = page.locator("#question textarea")
                box.fill(question)
                box.press("Enter")
                page.wait_for_function(
                    "() => { const b = document.querySelectorAll('#answers [data-testid=\"bot\"]')[0];"
                    " return b && /Sources|do not answer|Cannot answer/.test(b.innerText); }", timeout=90_000)
                page.wait_for_timeout(500)
                page.screenshot(path=str(out_dir / f"reader-{kind}.png"), full_page=False)
                reply = page.locator("#answers [data-testid='bot']").nth(0).inner_text()
                (out_dir / f"reader-{kind}.txt").write_text(f"Q: {question}\n\n{reply}\n")
                print(f"{kind}: {reply[:300]!r}")
                page.close()
            browser.close()
        log.seek(0)
        text = log.read()
        print("server log:", text[-600:])
        return 0
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        log.close()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
