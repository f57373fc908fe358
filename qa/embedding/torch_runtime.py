"""Running a model's transformer with torch and transformers, for the ``torch`` backend
(and as the fallback when no ONNX export can be made). Imported on first use only.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import ModelError


def torch_runner(model_dir: Path):
    """A callable from token ids and attention mask to the last hidden states, run by torch."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import torch
        from transformers import AutoModel
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        model = AutoModel.from_pretrained(str(model_dir)).eval()
    except Exception as exc:
        raise ModelError(f"cannot load the model in {model_dir} with torch ({type(exc).__name__}: {exc})") from exc
    import inspect

    wants_types = "token_type_ids" in inspect.signature(model.forward).parameters

    def run(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        feeds = {"input_ids": torch.from_numpy(ids), "attention_mask": torch.from_numpy(mask)}
        if wants_types:
            feeds["token_type_ids"] = torch.zeros_like(feeds["input_ids"])
        with torch.inference_mode():
            return model(**feeds).last_hidden_state.numpy()

    return run
