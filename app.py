"""Start the web chat: ``python app.py [--port 7860] [--host 127.0.0.1]``.

The corpus and index come from ``QA_CORPUS_DIR`` / ``QA_INDEX_DIR`` (default ``corpus/``
and ``index/``); the index is built or updated first if it is missing or stale.
"""
import sys

from qa.web import main

if __name__ == "__main__":
    sys.exit(main())
