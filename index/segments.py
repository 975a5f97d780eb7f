"""Whoosh segments written in bulk: postings gathered per term, written a block at a time.

Whoosh's own ``SegmentWriter`` sends every posting (about 8 million for the
25k-article archive) through a sorting pool, then one ``add_posting`` call
each into the W3 codec's block writer: some 10 µs of Python per posting.
A ``BulkSegmentWriter`` instead gathers a segment's postings as field →
term → (docnums, positions) while documents arrive in docnum order, so each
term's postings are already sorted; only the terms are sorted, once. At the
end it writes each term's blocks whole, in the W3 codec's format, so stock
Whoosh readers (and the searcher's block reads) read them as usual.

The per-document parts (stored fields, field lengths, sortable columns) go
through Whoosh's own per-document writer, unchanged.
"""

from __future__ import annotations

import struct
import zlib
from array import array
from collections import defaultdict
from collections.abc import Iterator
from itertools import accumulate, compress, repeat
from operator import add, itemgetter, neg, not_, sub
from pickle import dumps

from whoosh.analysis import IDTokenizer
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3TermInfo
from whoosh.fields import ID
from whoosh.system import pack_uint, pack_ushort
from whoosh.util.numeric import length_to_byte
from whoosh.writing import SegmentWriter

from .analysis import Stemmer, exact_terms
from .schema import NewsText

BLOCK_POSTINGS = 128  # the W3 codec's default block size
CHUNK_TERMS = 20000  # terms whose postings are written together
COMPRESSION = 1  # zlib level: Whoosh's default is 3 (more time, little space)
# Smaller blocks are stored plain: compressing from 256 bytes cost 4 % more
# time for 7 % less space; compressing none, 10 % less time for 80 % more.
MIN_COMPRESS = 1024
# Whoosh pickles a block with protocol 2, which writes each posting's value
# (bytes) as a call to _codecs.encode: 20 times slower and twice the size of
# protocol 4. Readers unpickle any protocol.
BLOCK_PICKLE = 4

_TERMINFO = W3TermInfo._struct
_BLOCK_LENGTH = struct.Struct("!i")
_EXTENT = struct.Struct("!qi")  # where a term's postings start in the file, their length
_ROW = struct.Struct("!ii")  # a row of the term index: key length, value length


class _OnePosition(dict):
    """position → encoded value of a posting with that single position."""

    def __missing__(self, pos: int) -> bytes:
        value = self[pos] = pack_uint(1) + dumps([pos], 2)
        return value


_ONE = _OnePosition()


def encode_positions(positions: list[int]) -> bytes:
    """Whoosh's ``Positions.encode``: the count, then the pickled deltas."""
    if len(positions) == 1:
        return _ONE[positions[0]]
    return pack_uint(len(positions)) + dumps(list(map(sub, positions, [0, *positions[:-1]])), 2)


def encode_all(positions: list[list[int]], freqs: list[int]) -> list[bytes]:
    """``encode_positions`` of each list (``freqs``: their lengths)."""
    # Most postings have one position: those go through map() without a Python call.
    values = list(map(_ONE.__getitem__, map(itemgetter(0), positions)))
    if freqs.count(1) < len(freqs):
        for i in compress(range(len(freqs)), map((1).__ne__, freqs)):
            # encode_positions, inlined: it runs for a million postings.
            many = positions[i]
            values[i] = pack_uint(len(many)) + dumps(list(map(sub, many, [0, *many[:-1]])), 2)
    return values


def _mini_weights(weights: list[float]):
    # As W3PostingsWriter._mini_weights: None if all 1.0, one float if all equal.
    first = weights[0]
    if weights.count(first) == len(weights):
        return None if first == 1.0 else first
    return tuple(weights)


def _compress(data: bytes) -> bytes:
    # A 4 KB window and little memory: a third of zlib.compress's time for
    # these few-KB blocks, the same size. Any zlib reader inflates it.
    packer = zlib.compressobj(COMPRESSION, zlib.DEFLATED, 12, 4)
    return packer.compress(data) + packer.flush()


def _block(ids, weights, values, lengths, last: bool) -> tuple[bytes, int, int, float]:
    """One W3 block: its bytes, shortest and longest field length, highest weight."""
    maxweight = max(weights)
    minlength, maxlength = min(lengths), max(lengths)
    if not minlength:  # the codec ignores zero lengths
        minlength = min([x for x in lengths if x], default=None)
    deltas = tuple(map(sub, ids, [0, *ids[:-1]]))  # each block starts from 0
    data = dumps((deltas, _mini_weights(weights), tuple(values)), BLOCK_PICKLE)
    compressed = COMPRESSION if len(data) >= MIN_COMPRESS else 0
    if compressed:
        data = _compress(data)
    info = dumps(
        (
            len(ids),
            ids[-1],
            maxweight,
            compressed,
            length_to_byte(minlength),
            length_to_byte(maxlength),
        ),
        2,
    )
    size = len(info) + len(data)
    return (
        _BLOCK_LENGTH.pack(-size if last else size) + info + data,
        minlength,
        maxlength,
        maxweight,
    )


def postings_bytes(ids, weights, values, lengths) -> tuple[bytes, bytes]:
    """One term's postings as W3 blocks; and its term info without their place.

    ``ids`` are sorted docnums; ``lengths`` the field length of each (0 when
    the field keeps none). Blocks of fewer than ``MIN_COMPRESS`` bytes are not
    compressed (each block says whether it is).
    """
    if len(ids) <= BLOCK_POSTINGS:
        data, minlength, maxlength, maxweight = _block(ids, weights, values, lengths, True)
        data = WHOOSH3_HEADER_MAGIC + data
    else:
        data, minlength, maxlength, maxweight = _blocks(ids, weights, values, lengths)
    info = _TERMINFO.pack(
        0,
        sum(weights),
        len(ids),
        0 if minlength is None else length_to_byte(minlength),
        length_to_byte(maxlength),
        maxweight,
        ids[0],
        ids[-1],
    )
    return data, info


def _blocks(ids, weights, values, lengths) -> tuple[bytes, int | None, int, float]:
    """``_block``s of ``BLOCK_POSTINGS`` postings each, after the header; their bounds."""
    chunks, minlength, maxlength, maxweight = [WHOOSH3_HEADER_MAGIC], None, 0, 0
    n = len(ids)
    for i in range(0, n, BLOCK_POSTINGS):
        j = i + BLOCK_POSTINGS
        block = _block(ids[i:j], weights[i:j], values[i:j], lengths[i:j], j >= n)
        chunks.append(block[0])
        if block[1] is not None and (minlength is None or block[1] < minlength):
            minlength = block[1]
        maxlength, maxweight = max(maxlength, block[2]), max(maxweight, block[3])
    return b"".join(chunks), minlength, maxlength, maxweight


class _LengthBytes(dict):
    """field length → Whoosh's one-byte approximation (0 for none)."""

    def __missing__(self, length: int) -> int:
        found = self[length] = length_to_byte(length or None)
        return found


_LENGTH_BYTE = _LengthBytes()
_NONE_IF_ONE = {1.0: None}  # a weight of 1.0 is left out of a block


def single_postings(ids, weights, values, lengths) -> tuple[list[bytes], list[bytes]]:
    """``postings_bytes`` of many terms that have one posting each (half a segment's terms).

    ``ids``, ``weights``, ``values`` and ``lengths`` hold that posting of each
    term; built with ``map`` and ``zip``, no Python code runs per term. Blocks
    this small are never compressed.
    """
    datas = list(
        map(
            dumps,
            zip(zip(ids), map(_NONE_IF_ONE.get, weights, weights), zip(values), strict=True),
            repeat(BLOCK_PICKLE),
        )
    )
    length_bytes = list(map(_LENGTH_BYTE.__getitem__, lengths))
    infos = list(
        map(dumps, zip(repeat(1), ids, weights, repeat(0), length_bytes, length_bytes), repeat(2))
    )
    sizes = map(neg, map(add, map(len, infos), map(len, datas)))
    heads = repeat(WHOOSH3_HEADER_MAGIC)
    blocks = list(
        map(b"".join, zip(heads, map(_BLOCK_LENGTH.pack, sizes), infos, datas, strict=False))
    )
    pack = _TERMINFO.pack
    infos = list(
        map(pack, repeat(0), weights, repeat(1), length_bytes, length_bytes, weights, ids, ids)
    )
    return blocks, infos


class BulkSegmentWriter(SegmentWriter):
    """A lock-free sub-writer that builds one segment for a parent writer to commit.

    ``add_document`` takes the same fields as Whoosh's; text fields of type
    ``NewsText`` are analysed by ``NewsText.terms`` with ``stemmer`` (which
    must stem with the schema's protected words) and their position lists
    kept until the segment is written.
    """

    def __init__(self, index, stemmer: Stemmer):
        for name, field in index.schema.items():
            _check_field(name, field, stemmer)
        super().__init__(index, _lk=False, codec=W3Codec(compression=COMPRESSION))
        self.stemmer = stemmer
        self._postings: dict[str, _Postings] = {}
        self._ids = {
            name
            for name, field in self.schema.items()
            if type(field) is ID and type(field.analyzer) is IDTokenizer
        }
        # A title and its exact twin are one string analysed in turn: split it once.
        self._last_exact: tuple[str, dict[str, list[int]]] = ("", {})
        # Stored fields (title and body text) compressed at zlib level 1, not 3:
        # any level reads the same.
        self.perdocwriter._colwriters["_stored"]._child._level = COMPRESSION

    def add_document(self, **fields):
        self._check_state()
        doc_writer = self.perdocwriter
        docnum = self.docnum
        doc_writer.start_doc(docnum)
        try:
            for name in sorted(fields):
                value = fields[name]
                if value is None:
                    continue
                field = self.schema[name]
                length = self._index(name, field, value, docnum) if field.indexed else 0
                doc_writer.add_field(name, field, value if field.stored else None, length)
                if field.column_type:
                    doc_writer.add_column_value(
                        name, field.column_type, field.to_column_value(value)
                    )
        except Exception:
            doc_writer.cancel_doc()
            raise
        doc_writer.finish_doc()
        self._added = True
        self.docnum += 1

    def _index(self, name: str, field, value, docnum: int) -> int:
        """Gather one field's postings; its length (0 if the field keeps none)."""
        postings = self._postings.get(name)
        if postings is None:
            postings = self._postings[name] = _Postings(field)
        if isinstance(value, str):
            if isinstance(field, NewsText):
                return postings.add_terms(docnum, field.terms(self._exact(value), self.stemmer))
            if name in self._ids:  # what ID.index gives, without its analyzer
                return postings.add_items(docnum, [(value.encode("utf-8"), 1, 1.0, b"")])
        return postings.add_items(docnum, field.index(value))

    def _exact(self, text: str) -> dict[str, list[int]]:
        last_text, terms = self._last_exact
        if last_text is not text:
            terms = exact_terms(text)
            self._last_exact = (text, terms)
        return terms

    def _flush_segment(self):
        self.perdocwriter.close()
        fieldwriter = self.fieldwriter
        for name in sorted(self._postings):
            fieldwriter.start_field(name, self.schema[name])
            for terms, blocks, infos in self._postings.pop(name).blocks(self.docnum):
                _write_field(fieldwriter, terms, blocks, infos)
            fieldwriter.finish_field()
        fieldwriter.close()
        self._postings = {}


def _check_field(name: str, field, stemmer: Stemmer) -> None:
    """Refuse a field this writer cannot write, or would stem with other protected words."""
    if field.vector or field.separate_spelling():
        raise ValueError(f"BulkSegmentWriter cannot write field {name!r}")
    if isinstance(field, NewsText) and field.stemmed and field.protected != stemmer.protected:
        raise ValueError(f"The stemmer's protected words are not those of field {name!r}")


def _write_field(fieldwriter, terms: list[bytes], blocks: list[bytes], infos: list[bytes]):
    """Write postings of a field's next terms and their rows of the term index, at once.

    What ``W3FieldWriter`` and its ``OrderedHashWriter`` do term by term
    (``add``), in a few calls: the terms are sorted and each block is known.
    """
    postfile = fieldwriter._postfile
    sizes = list(map(len, blocks))
    offsets = accumulate(sizes[:-1], initial=postfile.tell())
    postfile.write(b"".join(blocks))
    infos = list(map(add, infos, map(_EXTENT.pack, offsets, sizes)))
    keys = list(map(pack_ushort(fieldwriter._fieldid).__add__, terms))
    _add_rows(fieldwriter._tindex, keys, infos)


def _add_rows(term_index, keys: list[bytes], infos: list[bytes]) -> None:
    """Append rows (key, term info) to Whoosh's ``OrderedHashWriter``, with its hashes."""
    if keys[0] <= term_index.lastkey:
        raise ValueError(f"Keys must increase: {term_index.lastkey!r}..{keys[0]!r}")
    rows = list(
        map(
            b"".join, zip(map(_ROW.pack, map(len, keys), map(len, infos)), keys, infos, strict=True)
        )
    )
    dbfile = term_index.dbfile
    places = list(accumulate(map(len, rows[:-1]), initial=dbfile.tell()))
    dbfile.write(b"".join(rows))
    buckets = term_index.buckets
    for key_hash, place in zip(map(term_index.hashfn, keys), places, strict=True):
        buckets[key_hash & 255].append((key_hash, place))
    place_index = term_index.index
    try:
        array(place_index.array.typecode, places[-1:])
    except OverflowError:
        place_index._retype(places[-1])
    place_index.array.extend(places)
    term_index.lastkey = keys[-1]


class _Postings:
    """One field's postings in a segment: term → [docnum, positions (or value), docnum, ...]."""

    def __init__(self, field):
        self.boost = field.format.field_boost
        self.scorable = field.scorable
        self.flat: defaultdict[str | bytes, list] = defaultdict(list)
        self.weights: dict[bytes, list[float]] = {}
        self.lengths: dict[int, int] = {}

    def add_terms(self, docnum: int, terms: dict[str, list[int]]) -> int:
        """Add one document's term → positions; its field length."""
        # A million postings a segment: add them without a Python loop.
        pairs = zip(repeat(docnum), terms.values())
        any(map(list.extend, map(self.flat.__getitem__, terms), pairs))
        length = sum(map(len, terms.values()))
        self.lengths[docnum] = length
        return length

    def add_items(self, docnum: int, items) -> int:
        """Add Whoosh's (term bytes, frequency, weight, value) of one document."""
        length = 0
        for term, freq, weight, value in items:
            self.flat[term] += (docnum, value or b"")
            self.weights.setdefault(term, []).append(weight)
            length += freq
        if not self.scorable:
            return 0
        self.lengths[docnum] = length
        return length

    def _weights_values(self, positions: list[list[int]]) -> tuple[list[float], list[bytes]]:
        freqs = list(map(len, positions))
        boost = float(self.boost)
        weights = list(map(float, freqs) if boost == 1.0 else map(boost.__mul__, freqs))
        return weights, encode_all(positions, freqs)

    def blocks(self, doc_count: int) -> Iterator[tuple[list[bytes], list[bytes], list[bytes]]]:
        """Chunks of terms in order: the terms, their postings bytes and term infos.

        Each chunk's postings are dropped once it is made, so memory peaks
        with the gathered postings, not with them and all their bytes.
        """
        lengths = [0] * doc_count
        for docnum, length in self.lengths.items():
            lengths[docnum] = length
        order = sorted((t.encode("utf-8") if isinstance(t, str) else t, t) for t in self.flat)
        for start in range(0, len(order), CHUNK_TERMS):
            chunk = order[start : start + CHUNK_TERMS]
            names = list(map(itemgetter(1), chunk))
            yield list(map(itemgetter(0), chunk)), *self._chunk(names, lengths)
            for name in names:
                del self.flat[name]

    def _chunk(self, names: list, lengths: list[int]) -> tuple[list[bytes], list[bytes]]:
        get_length = lengths.__getitem__
        flats = list(map(self.flat.__getitem__, names))
        blocks, infos = [b""] * len(names), [b""] * len(names)
        single = list(compress(range(len(names)), map((2).__eq__, map(len, flats))))
        if single:
            picked = [names[i] for i in single], [flats[i] for i in single]
            self._single_blocks(single, *picked, lengths, blocks, infos)
        for i in compress(range(len(names)), map(not_, blocks)):
            ids, positions = flats[i][0::2], flats[i][1::2]
            if names[i] in self.weights:
                weights, values = self.weights[names[i]], positions
            else:
                weights, values = self._weights_values(positions)
            blocks[i], infos[i] = postings_bytes(ids, weights, values, list(map(get_length, ids)))
        return blocks, infos

    def _single_blocks(self, where, names, flats, lengths, blocks, infos) -> None:
        """Fill ``blocks`` and ``infos`` at ``where`` for terms with one posting."""
        ids = list(map(itemgetter(0), flats))
        positions = list(map(itemgetter(1), flats))
        if self.weights:
            weights = list(map(itemgetter(0), map(self.weights.__getitem__, names)))
            values = positions
        else:
            weights, values = self._weights_values(positions)
        found = single_postings(ids, weights, values, list(map(lengths.__getitem__, ids)))
        for i, block, info in zip(where, *found, strict=True):
            # A long position list needs compressing: the general path does it.
            if len(block) < MIN_COMPRESS:
                blocks[i], infos[i] = block, info
