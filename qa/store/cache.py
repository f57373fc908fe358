"""Question vectors kept for questions asked again: the model is the slowest step of an answer.

People ask the same thing twice (a reload, a follow-up that folds in the first question,
several readers of one story); a repeated question then costs only the ranking, well under
a millisecond of model time. Entries are keyed by model name and the exact question text,
so they never go stale: a vector depends on nothing else.

>>> cache = QuestionCache(maxsize=2)
>>> cache.get(("hash:64", "who?")) is None
True
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Hashable

import numpy as np

DEFAULT_SIZE = 1024  # 1,024 x 384 float32 = 1.5 MB


class QuestionCache:
    """A thread-safe least-recently-used map from a key to a read-only vector."""

    def __init__(self, maxsize: int = DEFAULT_SIZE):
        if maxsize < 0:
            raise ValueError("the question cache size must not be negative (0 turns it off)")
        self.maxsize = maxsize
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[Hashable, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable) -> np.ndarray | None:
        with self._lock:
            vector = self._entries.get(key)
            if vector is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return vector

    def put(self, key: Hashable, vector: np.ndarray) -> np.ndarray:
        """Store a read-only copy of ``vector`` and return it."""
        vector = np.array(vector, dtype=np.float32)
        vector.setflags(write=False)  # shared by every later caller: nobody may change it
        if self.maxsize == 0:
            return vector
        with self._lock:
            self._entries[key] = vector
            self._entries.move_to_end(key)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)
        return vector

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0
