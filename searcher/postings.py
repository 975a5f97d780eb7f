"""Postings read a block at a time from one Whoosh segment.

Whoosh's matchers visit postings one Python call at a time. Its ``whoosh3``
codec keeps them in blocks (ids, weights, values), so reading a whole block
at once is many times faster; this is the one module that knows those
block attributes, and each function falls back to the matcher's public
methods for another codec.
"""

from __future__ import annotations

from bisect import bisect_left

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.util.numeric import byte_to_length

# Whoosh stores each field length as one byte (a lossy float); 0 means none.
_BYTE_LENGTHS = np.array([byte_to_length(b) if b else 0 for b in range(256)], float)


def block_matcher(segment, fieldname: str, text: str):
    """The term's matcher in ``segment``, unwrapped from the deletion filter."""
    matcher = segment.postings(fieldname, text)
    if type(matcher).__name__ == "FilterMatcher":
        matcher = getattr(matcher, "child", matcher)
    return matcher


def segment_ids(segment, fieldname: str, text: str) -> list[int]:
    """The segment's document numbers holding the term, ascending."""
    if (fieldname, text) not in segment:
        return []
    matcher = block_matcher(segment, fieldname, text)
    if not hasattr(matcher, "_read_ids"):  # another codec: the slow, general way
        return list(matcher.all_ids())
    ids: list[int] = []
    while matcher.is_active():
        matcher._read_ids()
        ids.extend(matcher._ids[matcher._i :])
        matcher._next_block()
    return ids


def segment_weights(segment, fieldname: str, text: str) -> tuple[list[int], list[float]]:
    """Ids and weights (term frequencies) of one term in one segment."""
    matcher = block_matcher(segment, fieldname, text)
    ids, weights = [], []
    if not hasattr(matcher, "_read_weights"):  # another codec: the slow, general way
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        return ids, weights
    while matcher.is_active():
        matcher._read_ids()
        matcher._read_weights()
        ids.extend(matcher._ids[matcher._i :])
        weights.extend(matcher._weights[matcher._i :])
        matcher._next_block()
    return ids, weights


def segment_positions(segment, fieldname: str, text: str, docs: list[int]):
    """(docnum, positions) of the term in those of ascending ``docs`` that hold it.

    Blocks without a wanted document are passed over unread, and a wanted
    document is found in its block by bisection rather than by stepping
    through the postings one call at a time.
    """
    matcher = block_matcher(segment, fieldname, text)
    if not hasattr(matcher, "_read_values"):  # another codec: the general way
        yield from _positions_one_by_one(matcher, docs)
        return
    decode = matcher.format.decoder("positions")
    j = 0
    while matcher.is_active() and j < len(docs):
        last = matcher.block_max_id()
        if docs[j] <= last:
            if matcher._ids is None:
                matcher._read_ids()
            ids = matcher._ids
            while j < len(docs) and docs[j] <= last:
                k = bisect_left(ids, docs[j])
                if k < len(ids) and ids[k] == docs[j]:
                    if matcher._values is None:
                        matcher._read_values()
                    yield docs[j], decode(matcher._values[k])
                j += 1
        matcher._next_block()


def _positions_one_by_one(matcher, docs: list[int]):
    for docnum in docs:
        if not matcher.is_active():
            return
        if matcher.id() < docnum:
            matcher.skip_to(docnum)
        if matcher.is_active() and matcher.id() == docnum:
            yield docnum, matcher.value_as("positions")


def segment_lengths(segment, fieldname: str) -> np.ndarray:
    """The length of ``fieldname`` in each document of one segment."""
    count = segment.doc_count_all()
    perdoc = getattr(segment, "_perdoc", None)
    column = None
    if perdoc is not None and hasattr(perdoc, "_cached_reader"):
        column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is None:
        lengths = [segment.doc_field_length(d, fieldname, 0) or 0 for d in range(count)]
        return np.array(lengths, float)
    return _BYTE_LENGTHS[np.fromiter(column, np.uint8, count)]


def as_text(term) -> str:
    """A term as Whoosh's lexicons give it (bytes or str), as text."""
    return term.decode("utf-8") if isinstance(term, bytes) else term


def lexicon(reader, fieldname: str):
    """Every term of a field, as text, in order."""
    return (as_text(term) for term in reader.lexicon(fieldname))
