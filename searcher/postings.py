"""Postings read a block at a time from one Whoosh segment.

Whoosh's matchers visit postings one Python call at a time, and even its
block reads go through a file object a few bytes per call (the block's
header is unpickled from the file) and decode each block's document
numbers with a Python generator. The ``whoosh3`` codec keeps a term's
postings in blocks: a length, a pickled header (count, last id, highest
weight, compression, lengths) and the pickled, maybe compressed, data
(id deltas, weights, values). Here a term's blocks are read as one slice of
the postings file and decoded into numpy arrays, which is several times
faster; this is the one module that knows that format, and each function
falls back to the matcher's public methods for another codec.
"""

from __future__ import annotations

import io
import pickle
import struct
import zlib
from bisect import bisect_left
from itertools import accumulate

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, WHOOSH3_HEADER_MAGIC, W3TermsReader, _lenfield
from whoosh.columns import NumericColumn
from whoosh.util.numeric import byte_to_length

# Whoosh stores each field length as one byte (a lossy float); 0 means none.
_BYTE_LENGTHS = np.array([byte_to_length(b) if b else 0 for b in range(256)], float)
_BLOCK_LENGTH = struct.Struct("!i")
_HEADER = len(WHOOSH3_HEADER_MAGIC)


class _Inlined:
    """A term's postings kept in its term info (Whoosh inlines a term of one posting)."""

    def __init__(self, postings):
        self.ids, self.weights, self.values = postings


def _raw_postings(segment, fieldname: str, text: str):
    """The term's postings in ``segment``: their W3 bytes, an ``_Inlined``, or None
    for another codec (callers then use the matcher)."""
    terms = getattr(segment, "_terms", None)
    if not isinstance(terms, W3TermsReader):
        return None
    info = terms.term_info(fieldname, segment._text_to_bytes(fieldname, text))
    if info.is_inlined():
        return _Inlined(info.inlined_postings())
    offset, length = info.extent()
    if isinstance(length, tuple):  # Whoosh reads it back as a 1-tuple
        length = length[0]
    raw = terms._postfile.get(offset, length)
    return raw if raw[:_HEADER] == WHOOSH3_HEADER_MAGIC else None


def _blocks(raw: bytes):
    """(header, data start, data end) of each block of a term's W3 postings."""
    f = io.BytesIO(raw)
    pos = _HEADER
    while True:
        size = _BLOCK_LENGTH.unpack_from(raw, pos)[0]
        f.seek(pos + _BLOCK_LENGTH.size)
        header = pickle.load(f)
        end = pos + _BLOCK_LENGTH.size + abs(size)
        yield header, f.tell(), end
        if size < 0:  # the last block's length is negative
            return
        pos = end


def _block_data(raw: bytes, header, start: int, end: int):
    """(id deltas, weights, values) of one block."""
    data = raw[start:end]
    if header[3]:  # compressed
        data = zlib.decompress(data)
    return pickle.loads(data)


def _weights_array(weights, count: int) -> np.ndarray:
    """A block's weights: None means all 1.0, one float means all that, else one each."""
    if weights is None:
        return np.ones(count)
    if isinstance(weights, float):
        return np.full(count, weights)
    return np.asarray(weights, np.float64)


def _decoded(raw, with_weights: bool):
    """Ids (and weights) of every posting of a term, as numpy arrays."""
    if isinstance(raw, _Inlined):
        ids = np.asarray(raw.ids, np.int64)
        return ids, np.asarray(raw.weights, np.float64) if with_weights else None
    ids, weights = [], []
    for header, start, end in _blocks(raw):
        deltas, block_weights, _ = _block_data(raw, header, start, end)
        ids.append(np.cumsum(np.asarray(deltas, np.int64)))
        if with_weights:
            weights.append(_weights_array(block_weights, header[0]))
    ids = np.concatenate(ids) if ids else np.zeros(0, np.int64)
    if not with_weights:
        return ids, None
    return ids, np.concatenate(weights) if weights else np.zeros(0)


def block_matcher(segment, fieldname: str, text: str):
    """The term's matcher in ``segment``, unwrapped from the deletion filter."""
    matcher = segment.postings(fieldname, text)
    if type(matcher).__name__ == "FilterMatcher":
        matcher = getattr(matcher, "child", matcher)
    return matcher


def segment_ids(segment, fieldname: str, text: str):
    """The segment's document numbers holding the term, ascending (a list or an array)."""
    if (fieldname, text) not in segment:
        return []
    raw = _raw_postings(segment, fieldname, text)
    if raw is not None:
        return _decoded(raw, with_weights=False)[0]
    matcher = block_matcher(segment, fieldname, text)
    if not hasattr(matcher, "_read_ids"):  # another codec: the slow, general way
        return list(matcher.all_ids())
    ids: list[int] = []
    while matcher.is_active():
        matcher._read_ids()
        ids.extend(matcher._ids[matcher._i :])
        matcher._next_block()
    return ids


def segment_weights(segment, fieldname: str, text: str):
    """Ids and weights (term frequencies) of one term in one segment (lists or arrays).

    Postings of deleted documents are included: callers keep only live ones.
    """
    raw = _raw_postings(segment, fieldname, text)
    if raw is not None:
        return _decoded(raw, with_weights=True)
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
    fmt = segment.schema[fieldname].format
    raw = _raw_postings(segment, fieldname, text)
    if raw is not None and fmt.fixed_value_size() is None:
        yield from _block_positions(raw, fmt.decoder("positions"), docs)
        return
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


def _block_positions(raw, decode, docs: list[int]):
    if isinstance(raw, _Inlined):
        yield from _wanted(list(raw.ids), raw.values, decode, docs)
        return
    j = 0
    for header, start, end in _blocks(raw):
        if j >= len(docs):
            return
        last = header[1]
        if docs[j] > last:
            continue  # no wanted document in this block: not even decompressed
        deltas, _, values = _block_data(raw, header, start, end)
        wanted = []
        while j < len(docs) and docs[j] <= last:
            wanted.append(docs[j])
            j += 1
        yield from _wanted(list(accumulate(deltas)), values, decode, wanted)


def _wanted(ids: list[int], values, decode, docs: list[int]):
    """(docnum, positions) of those ``docs`` among a block's ascending ``ids``."""
    for docnum in docs:
        k = bisect_left(ids, docnum)
        if k < len(ids) and ids[k] == docnum:
            yield docnum, decode(values[k])


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
    return _BYTE_LENGTHS[_length_bytes(column, count)]


def _length_bytes(column, count: int) -> np.ndarray:
    """A segment's length bytes (``LENGTHS_COLUMN``: one unsigned byte a document, then
    the default for documents past the written ones), read at once from the column's
    data: iterating the column costs a Python call a document (7 ms a field at 25,000
    articles, in every fresh ``warta search``)."""
    fixed = isinstance(column, NumericColumn.Reader) and column._typecode == "B"
    if not fixed or column._reverse:
        return np.fromiter(column, np.uint8, count)
    stored = min(column._count, count)
    codes = np.full(count, column._default, np.uint8)
    codes[:stored] = np.frombuffer(bytes(column._dbfile.get(column._basepos, stored)), np.uint8)
    return codes


def as_text(term) -> str:
    """A term as Whoosh's lexicons give it (bytes or str), as text."""
    return term.decode("utf-8") if isinstance(term, bytes) else term


def lexicon(reader, fieldname: str):
    """Every term of a field, as text, in order."""
    return (as_text(term) for term in reader.lexicon(fieldname))
