"""Where a Milvus store lives, parsed from its URI, and the one client per place.

    milvus:///abs/path/qa.db      Milvus Lite: a local folder, served inside this process
    http://host:19530             a Milvus standalone server or cluster
    https://host:443              the same over TLS
    ...?index=HNSW                an approximate index for a new collection (FLAT by default)

A server's credentials come from ``QA_MILVUS_TOKEN`` (``user:password`` or an API key) and
are never part of a URI, so nothing written into the index folder holds them.

>>> parse_store_uri("http://milvus.internal:19530?index=hnsw")
MilvusTarget(uri='http://milvus.internal:19530', client_uri='http://milvus.internal:19530', index_type='HNSW')
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from ..errors import VectorStoreError

TOKEN_ENV = "QA_MILVUS_TOKEN"
# Index types offered, with the build parameters used for each and the search parameters.
# FLAT reads every vector (exact, the same top k as FAISS's IndexFlatIP); HNSW and IVF_FLAT
# trade a little recall for speed at millions of passages (docs/scaling.md).
INDEX_TYPES = {
    "FLAT": ({}, {}),
    "HNSW": ({"M": 16, "efConstruction": 200}, {"ef": 256}),
    "IVF_FLAT": ({"nlist": 1024}, {"nprobe": 64}),
}

@dataclass(frozen=True)
class MilvusTarget:
    """Where a collection lives, parsed from a store URI (no credentials in it)."""

    uri: str  # as recorded in the manifest: milvus:///abs/path.db or http(s)://host:port
    client_uri: str  # what pymilvus is given: the .db path, or the server URL
    index_type: str = "FLAT"  # for a new collection: ``?index=HNSW`` at the end of the URI

    @property
    def is_lite(self) -> bool:
        return not self.client_uri.startswith(("http://", "https://"))


def parse_store_uri(uri: str) -> MilvusTarget:
    """``milvus:///abs/path/qa.db`` (Milvus Lite) or ``http(s)://host:port`` (a server).

    A relative Lite path (``milvus://qa.db``) is made absolute against the working folder,
    so the manifest names the same file whichever folder later reads it.
    """
    if isinstance(uri, str) and "?" in uri:
        uri, query = uri.split("?", 1)
        options = dict(part.partition("=")[::2] for part in query.split("&") if part)
        unknown = sorted(set(options) - {"index"})
        index_type = options.get("index", "FLAT").upper()
        if unknown or index_type not in INDEX_TYPES:
            raise VectorStoreError(f"a Milvus store URI takes only ?index= with one of {', '.join(INDEX_TYPES)}; "
                                   f"got {query!r}")
        target = parse_store_uri(uri)
        return MilvusTarget(target.uri, target.client_uri, index_type)
    if not isinstance(uri, str) or "://" not in uri:
        raise VectorStoreError(
            f"{uri!r} is not a Milvus store URI; write milvus:///abs/path/qa.db (Milvus Lite) "
            "or http://host:19530 (a Milvus server)"
        )
    scheme, rest = uri.split("://", 1)
    scheme = scheme.lower()
    if scheme == "milvus":
        if not rest or rest.endswith("/"):
            raise VectorStoreError(f"{uri!r} names no file; write milvus:///abs/path/qa.db")
        path = Path(rest).expanduser()
        if path.suffix != ".db":
            raise VectorStoreError(f"Milvus Lite needs a path ending in .db, not {str(path)!r}; "
                                   f"write milvus://{path.with_suffix('.db')}")
        path = path.resolve()
        return MilvusTarget(uri=f"milvus://{path}", client_uri=str(path))
    if scheme in ("http", "https"):
        parsed = urlparse(uri)
        if not parsed.hostname:
            raise VectorStoreError(f"{uri!r} names no host; write http://host:19530")
        if parsed.username or parsed.password:
            raise VectorStoreError(
                f"put the Milvus credentials in {TOKEN_ENV} (user:password), not in the URI, "
                "so that they are never written into the index folder"
            )
        return MilvusTarget(uri=uri.rstrip("/"), client_uri=uri.rstrip("/"))
    raise VectorStoreError(
        f"unknown store scheme {scheme!r} in {uri!r}; use milvus:///abs/path/qa.db or http://host:19530"
    )


_CLIENTS: dict[str, object] = {}


# Milvus Lite databases this process let go of (release): a Lite server started again
# holds every collection released, so the next client_for loads them.
_RELEASED: set[str] = set()


def client_for(target: MilvusTarget):
    """One client per target and process: Milvus Lite serves one process at a time, and
    every client of a path in this process shares its in-process server."""
    client = _CLIENTS.get(target.client_uri)
    if client is not None:
        return client
    try:
        from pymilvus import MilvusClient
    except ImportError as exc:  # pragma: no cover - pinned in pyproject
        raise VectorStoreError("the Milvus store needs pymilvus and milvus-lite; run `pip install -e .`") from exc
    if target.is_lite:
        Path(target.client_uri).parent.mkdir(parents=True, exist_ok=True)
    # Milvus Lite logs a traceback when its file is locked; the error below says what to do.
    lite_log = logging.getLogger("milvus_lite.server_manager")
    level = lite_log.level
    lite_log.setLevel(logging.CRITICAL)
    try:
        client = MilvusClient(uri=target.client_uri, token=os.environ.get(TOKEN_ENV, "") if not target.is_lite else "")
    except Exception as exc:
        if target.is_lite:
            raise VectorStoreError(
                f"Milvus Lite could not open {target.client_uri} ({exc}); another process (a running "
                "`qa serve`, the web app, or `qa index`) probably has it open. Milvus Lite serves one "
                "process at a time: stop the other one, or run a Milvus server (docs/scaling.md)"
            ) from exc
        raise VectorStoreError(
            f"cannot reach Milvus at {target.uri} ({exc}); check that the server runs and that "
            f"{TOKEN_ENV} holds its credentials"
        ) from exc
    finally:
        lite_log.setLevel(level)
    _CLIENTS[target.client_uri] = client
    if target.client_uri in _RELEASED:  # opened again after release(): its collections start released
        _RELEASED.discard(target.client_uri)
        for name in client.list_collections():
            client.load_collection(name)
    return client


def release(uri: str) -> None:
    """Close this process's client for ``uri`` and, for Milvus Lite, stop its in-process
    server so that another process can open the file."""
    target = parse_store_uri(uri)
    client = _CLIENTS.pop(target.client_uri, None)
    if client is not None:
        client.close()
        if target.is_lite:
            _RELEASED.add(target.client_uri)
    if target.is_lite:
        try:
            from milvus_lite.server_manager import server_manager_instance
        except ImportError:  # pragma: no cover
            return
        server_manager_instance.release_server(target.client_uri)


def release_all() -> None:
    """Let go of every Milvus Lite database this process holds (:func:`release` for each), so
    that another process can open them; a store of this process opens its own again when it
    is next used."""
    for client_uri in [uri for uri in _CLIENTS if not uri.startswith(("http://", "https://"))]:
        release(f"milvus://{client_uri}")
