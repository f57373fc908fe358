"""The model as an ONNX file for ONNX Runtime: exported once from torch, then cached.

ONNX Runtime runs all-MiniLM-L6-v2 about twice as fast as torch on a CPU and loads in a
fraction of the time, without importing torch at all. The model package ships only
``model.safetensors``, so the first use exports it with ``torch.onnx.export`` (a few
seconds) into a cache folder keyed by the weights' sha256::

    ~/.cache/qa-news/onnx/<sha256[:16]>-v<EXPORT_VERSION>/model.onnx
    ~/.cache/qa-news/onnx/<sha256[:16]>-v<EXPORT_VERSION>/export.json   (written last)

``QA_CACHE_DIR`` (else ``$XDG_CACHE_HOME/qa-news``) moves the cache. Every export is checked
against torch on sentences of several lengths, padded in one batch, before it is kept:
a graph that does not reproduce the model's vectors is never cached.

``onnx_model(model_dir, weights_sha256)`` gives the path of the cached ``model.onnx``,
exporting it first when there is none; ``onnx_model(..., int8=True)`` an int8 copy of it
(ONNX Runtime's dynamic quantisation of the MatMul weights, per channel), cached beside it
in ``<sha256[:16]>-v<EXPORT_VERSION>-int8/``. The int8 copy is another model: its vectors
are not the float32 ones (cosine about 0.9 for all-mpnet-base-v2), so an index built with
it is searched with it alone (the model's name says which, e.g. ``all-mpnet-base-v2-int8``).
"""
from __future__ import annotations

import contextlib
import inspect
import json
import logging
import os
import warnings
from importlib import metadata
from pathlib import Path

import numpy as np

from ..errors import ModelError

# Bump when the recipe below changes: older exports are then left alone and redone.
EXPORT_VERSION = 1
OPSET = 17
# The exported graph must give the torch model's vectors (cosine), or it is refused.
MIN_COSINE = 0.9999
# An int8 copy is another model, but one whose probe vectors stray this far is a broken copy
# (all-mpnet-base-v2's copy gives 0.81 at the lowest on these probes).
MIN_INT8_COSINE = 0.75
_PROBES = [
    "when was the improvement notice closed?",
    "Ofsted",
    "The improvement notice was issued in 2016 and this has been closed following Ofsted's latest visit.",
    "Inspectors found that children in care were not always seen regularly by their social worker, "
    "and that managers did not check casework closely enough to spot the drift. " * 3,
]


def cache_root() -> Path:
    """``QA_CACHE_DIR``, else ``$XDG_CACHE_HOME/qa-news``, else ``~/.cache/qa-news``."""
    env = os.environ.get("QA_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "qa-news"


def export_folder(weights_sha256: str, int8: bool = False) -> Path:
    return cache_root() / "onnx" / f"{weights_sha256[:16]}-v{EXPORT_VERSION}{'-int8' if int8 else ''}"


def onnx_model(model_dir: Path, weights_sha256: str, max_length: int = 256, int8: bool = False) -> Path:
    """The cached ONNX file for the model in ``model_dir``, exported first if there is none;
    with ``int8``, its int8 copy, made first from the float32 export if there is none.

    Two processes starting at once do not both export: the second waits for the first.
    """
    folder = export_folder(weights_sha256, int8)
    if _complete(folder, weights_sha256):
        return folder / "model.onnx"
    source = onnx_model(model_dir, weights_sha256, max_length) if int8 else None
    _make_folder(folder)
    with _lock(folder.with_name(folder.name + ".lock")):
        if not _complete(folder, weights_sha256):
            if source:
                _quantise(source, folder, weights_sha256, Path(model_dir), max_length)
            else:
                _export(Path(model_dir), folder, weights_sha256, max_length)
    return folder / "model.onnx"


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelError(
            f"cannot create the ONNX cache folder {folder} ({exc}); set QA_CACHE_DIR to a writable folder "
            "or use the torch backend (QA_BACKEND=torch)"
        ) from exc


def _complete(folder: Path, weights_sha256: str) -> bool:
    """An export whose record names these weights and whose file has the recorded size.

    The size catches a truncated copy cheaply; a changed file that keeps its size would fail
    to parse in ONNX Runtime, and the embedder then exports again (see ``discard``).
    """
    try:
        record = json.loads((folder / "export.json").read_text(encoding="utf-8"))
        return (record.get("weights_sha256") == weights_sha256
                and record.get("export_version") == EXPORT_VERSION
                and (folder / "model.onnx").stat().st_size == record.get("onnx_bytes"))
    except (OSError, ValueError, AttributeError):
        return False


def discard(weights_sha256: str, int8: bool = False) -> None:
    """Forget a cached export that ONNX Runtime could not load, so the next use redoes it."""
    with contextlib.suppress(OSError):
        (export_folder(weights_sha256, int8) / "export.json").unlink()


def _lock(path: Path):
    """One export at a time per model, across processes; the others wait and reuse it."""
    from filelock import FileLock

    return FileLock(path, preserve_lock_file=True)


def _export(model_dir: Path, folder: Path, weights_sha256: str, max_length: int) -> None:
    try:
        import torch
        from transformers import AutoModel
        from transformers.utils import logging as hf_logging
    except ImportError as exc:
        raise ModelError(
            f"exporting the model to ONNX needs torch and transformers ({exc}); install the project's "
            "dependencies (pip install -e .) or use the torch backend (QA_BACKEND=torch)"
        ) from exc
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    # Eager attention traces to plain MatMul/Softmax nodes that ONNX Runtime fuses on load;
    # the vectors are the same as with the default (SDPA) attention.
    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()
    takes_types = "token_type_ids" in inspect.signature(model.forward).parameters

    class LastHiddenState(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids=None):
            kwargs = {"token_type_ids": token_type_ids} if token_type_ids is not None else {}
            return self.inner(input_ids=input_ids, attention_mask=attention_mask, **kwargs).last_hidden_state

    # Two rows, the second padded: the trace then carries the attention mask's real path.
    ids = torch.tensor([[101, 7592, 2088, 2003, 1037, 3231, 102], [101, 7592, 102, 0, 0, 0, 0]])
    mask = (ids != 0).long()
    inputs = (ids, mask, torch.zeros_like(ids)) if takes_types else (ids, mask)
    names = ["input_ids", "attention_mask", "token_type_ids"][: len(inputs)]
    # A new Module starts in training mode, and the exporter restores each module's mode
    # after tracing: without eval() here the model would be left with dropout switched on.
    wrapper = LastHiddenState(model).eval()
    tmp = folder / f"model.onnx.tmp-{os.getpid()}"
    try:
        with warnings.catch_warnings():
            # The tracer warns about Python-level shape checks in the attention mask code;
            # the check below runs the graph on other shapes and compares with torch.
            warnings.simplefilter("ignore")
            torch.onnx.export(
                wrapper, inputs, str(tmp), dynamo=False, external_data=False,
                input_names=names, output_names=["last_hidden_state"], opset_version=OPSET,
                dynamic_axes={n: {0: "batch", 1: "tokens"} for n in names + ["last_hidden_state"]},
            )
        gap = _check_against_torch(model.eval(), tmp, model_dir, max_length, takes_types)
        os.replace(tmp, folder / "model.onnx")
    except ModelError:
        raise
    except Exception as exc:
        raise ModelError(
            f"exporting {model_dir} to ONNX failed ({type(exc).__name__}: {exc}); "
            "use the torch backend (QA_BACKEND=torch)"
        ) from exc
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    record = {
        "export_version": EXPORT_VERSION,
        "source": str(model_dir),
        "weights_sha256": weights_sha256,
        "onnx_bytes": (folder / "model.onnx").stat().st_size,
        "opset": OPSET,
        "min_cosine_vs_torch": gap,
        "libraries": {d: _version(d) for d in ("torch", "transformers", "onnx", "onnxruntime")},
    }
    _write_record(folder, record)


def _write_record(folder: Path, record: dict) -> None:
    tmp_record = folder / f"export.json.tmp-{os.getpid()}"
    tmp_record.write_text(json.dumps(record, indent=2), encoding="utf-8")
    os.replace(tmp_record, folder / "export.json")


def _quantise(source: Path, folder: Path, weights_sha256: str, model_dir: Path, max_length: int) -> None:
    """The int8 copy of the float32 export ``source``: dynamic quantisation of the MatMul
    weights, per channel, signed (the way that keeps all-mpnet-base-v2's ranking:
    experiments/try_mpnet_int8.py). Kept only when its vectors of the probes stay near the
    float32 ones (:data:`MIN_INT8_COSINE`): a copy that does not is not that model."""
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        raise ModelError(f"an int8 model needs onnxruntime's quantisation tools ({exc}): pip install onnxruntime") from exc
    tmp = folder / f"model.onnx.tmp-{os.getpid()}"
    root = logging.getLogger()
    level = root.level
    try:
        root.setLevel(logging.ERROR)  # the tool logs advice on pre-processing meant for image models
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            quantize_dynamic(str(source), str(tmp), op_types_to_quantize=["MatMul"], per_channel=True,
                             weight_type=QuantType.QInt8)
        feeds, mask = _probes(model_dir, max_length, takes_types=True)
        cosine = float(np.min(np.sum(_pooled(_run(tmp, feeds), mask) * _pooled(_run(source, feeds), mask), axis=1)))
        if not cosine >= MIN_INT8_COSINE:
            raise ModelError(f"the int8 copy of {source} gives vectors too far from the model's (cosine "
                             f"{cosine:.3f} on the probes); use the float32 model (its name without -int8)")
        os.replace(tmp, folder / "model.onnx")
    except ModelError:
        raise
    except Exception as exc:
        raise ModelError(f"quantising {source} to int8 failed ({type(exc).__name__}: {exc}); "
                         "use the float32 model (its name without -int8)") from exc
    finally:
        root.setLevel(level)
        with contextlib.suppress(OSError):
            tmp.unlink()
    _write_record(folder, {
        "export_version": EXPORT_VERSION, "source": str(source), "weights_sha256": weights_sha256,
        "onnx_bytes": (folder / "model.onnx").stat().st_size, "quantisation": "dynamic int8, MatMul, per channel",
        "min_cosine_vs_float32": round(cosine, 4),
        "libraries": {d: _version(d) for d in ("onnx", "onnxruntime")},
    })


def _probes(model_dir: Path, max_length: int, takes_types: bool) -> tuple[dict, np.ndarray]:
    """The probe sentences as one padded batch: the feeds of a run, and the attention mask."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.enable_truncation(max_length)
    tokenizer.enable_padding(pad_id=0)
    batch = tokenizer.encode_batch(_PROBES)
    ids = np.array([e.ids for e in batch], dtype=np.int64)
    mask = np.array([e.attention_mask for e in batch], dtype=np.int64)
    feeds = {"input_ids": ids, "attention_mask": mask}
    if takes_types:
        feeds["token_type_ids"] = np.zeros_like(ids)
    return feeds, mask


def _pooled(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    weights = mask[..., None].astype(np.float32)
    v = (hidden * weights).sum(1) / np.clip(weights.sum(1), 1e-9, None)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _run(onnx_path: Path, feeds: dict) -> np.ndarray:
    import onnxruntime as ort

    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    names = {i.name for i in session.get_inputs()}
    return session.run(None, {k: v for k, v in feeds.items() if k in names})[0]


def _check_against_torch(model, onnx_path: Path, model_dir: Path, max_length: int, takes_types: bool) -> float:
    """Lowest cosine between ONNX Runtime's and torch's mean-pooled vectors over the probes."""
    import torch

    feeds, mask = _probes(model_dir, max_length, takes_types)
    got = _run(onnx_path, feeds)
    with torch.inference_mode():
        want = model(**{k: torch.from_numpy(v) for k, v in feeds.items()}).last_hidden_state.numpy()
    cosine = float(np.min(np.sum(_pooled(got, mask) * _pooled(want, mask), axis=1)))
    if not cosine >= MIN_COSINE:
        raise ModelError(
            f"the ONNX export of {model_dir} gives other vectors than torch (cosine {cosine:.5f}); "
            "use the torch backend (QA_BACKEND=torch)"
        )
    return round(cosine, 6)


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return ""
