"""A small thread-safe least-recently-used cache, owned by whichever object creates it."""

from __future__ import annotations

import threading
from collections import OrderedDict


class Lru:
    """A thread-safe least-recently-used cache; ``get`` computes what is missing.

    ``capacity`` bounds the summed ``weight`` of the values (1 each by default).
    """

    def __init__(self, capacity: int, weight=lambda value: 1):
        self.capacity = capacity
        self.weight = weight
        self._items: OrderedDict = OrderedDict()
        self._total = 0
        self._lock = threading.Lock()

    def get(self, key, compute):
        """The value of ``key``, from ``compute()`` when it is not cached yet."""
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
                return value
        value = compute()  # outside the lock: two threads may compute the same thing once
        with self._lock:
            if key not in self._items:
                self._items[key] = value
                self._total += self.weight(value)
            while self._total > self.capacity and len(self._items) > 1:
                self._total -= self.weight(self._items.popitem(last=False)[1])
        return value
