"""A small thread-safe least-recently-used cache, owned by whichever object creates it.

A cache that holds arrays or bitsets is bounded in bytes (``weight`` gives
each value's size, e.g. ``nbytes``), so its memory does not grow with the
archive; one that holds small values may count entries.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict

# What a cached entry costs besides its value: the key, a tuple and the OrderedDict's links.
ENTRY_OVERHEAD = 200


class Lru:
    """A thread-safe least-recently-used cache; ``get`` computes what is missing.

    ``capacity`` bounds the summed ``weight`` of the values (1 each by
    default); the least recently used go first when a new value goes over it.
    A value heavier than the whole capacity is returned but not kept.
    """

    def __init__(self, capacity: int, weight=lambda value: 1):
        self.capacity = capacity
        self.weight = weight
        self._items: OrderedDict = OrderedDict()  # key → (value, its weight)
        self._total = 0
        self.evicted = 0  # how many values went to make room
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    @property
    def total(self) -> int:
        """The summed weight of the values held now (at most ``capacity``)."""
        return self._total

    def get(self, key, compute):
        """The value of ``key``, from ``compute()`` when it is not cached yet."""
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found[0]
        value = compute()  # outside the lock: two threads may compute the same thing once
        weight = self.weight(value)
        if weight > self.capacity:
            return value
        with self._lock:
            if key not in self._items:
                self._items[key] = (value, weight)
                self._total += weight
            while self._total > self.capacity:
                self._total -= self._items.popitem(last=False)[1][1]
                self.evicted += 1
        return value


def object_bytes(value) -> int:
    """What a cached value of a few Python objects costs: its own size and an entry's."""
    return sys.getsizeof(value) + ENTRY_OVERHEAD
