"""What decides a trained reader: every setting of its training, in one record written
beside the weights (``training.json``). No heavy imports, so the command line can show the defaults."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TrainingSettings:
    """Everything that decides the trained weights (written beside them): the layers kept
    of the base model, the articles held out for fitting the answer model, the negatives
    drawn per question, the optimiser's schedule and the seed."""

    layers: int = 6
    held_out_articles: int = 5
    epochs: int = 1
    groups_per_step: int = 4
    hard_negatives: int = 4
    paragraph_negatives: int = 2
    other_article_negatives: int = 1
    hard_pool: int = 16
    learning_rate: float = 4e-5
    warmup_share: float = 0.1
    weight_decay: float = 0.01
    pointwise_weight: float = 0.5
    lowercase_share: float = 0.1
    paraphrase_share: float = 0.0
    frozen_layers: int = 0  # the embeddings and this many lower layers kept as the base model has them
    # Each layer's learning rate is this times the one above it (the head and the top layer
    # at learning_rate, the embeddings lowest): 1.0 trains every layer alike.
    layer_decay: float = 1.0
    context_sentences: int = 0  # 1: the reader also reads the sentence before the candidate
    max_length: int = 96
    seed: int = 13
    # An embedding model whose cosines the reader also learns to rank by ("": none): the
    # softmax of its cosines over a question's group, at this temperature, is a second
    # target (KL divergence, this weight) beside the answer's label.
    teacher: str = ""
    teacher_weight: float = 0.5
    teacher_temperature: float = 0.05


