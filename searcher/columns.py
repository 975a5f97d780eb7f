"""Per-document columns of one open generation as compact numpy arrays.

A generation's searcher needs, for every document, its copy group, story,
outlet, month and publication instant. Read as Python values (a ``str`` or an
``int`` a document, in lists) they took about 120 MB of a worker's private
memory at 250,000 articles, most of it the strings of article ids that name
copy groups and stories, and more than a second of CPU at each refresh. Here
a text column becomes one small integer a document (``Coded``: the codes,
and each code's value as bytes, sorted), and the instants one ``int64`` a
document, read straight from the column's bytes in the mapped segment: no
Python object per document is made or kept.

Whoosh's ``VarBytesColumn`` (what a sortable ``ID`` field writes) keeps the
values of a segment one after another, then their lengths (and maybe their
offsets); its ``NumericColumn`` keeps big-endian fixed-size numbers. This
module reads those two layouts directly and falls back to iterating the
column's values for any other.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np
from whoosh.columns import NumericColumn, VarBytesColumn


@dataclass(frozen=True)
class Coded:
    """A text column: ``codes[docnum]`` indexes ``values`` (sorted bytes; b"" for none)."""

    codes: np.ndarray  # int32, one a document
    values: np.ndarray  # numpy bytes strings ("S" dtype), ascending, distinct

    def text(self, code: int) -> str:
        """The value of one code, as text."""
        return bytes(self.values[code]).decode("utf-8")

    def counts(self) -> np.ndarray:
        """How many documents hold each value."""
        return np.bincount(self.codes, minlength=len(self.values))


def has_column(reader, name: str) -> bool:
    """Whether the index keeps a column for ``name``."""
    return name in reader.schema and reader.has_column(name)


def coded_column(reader, name: str) -> Coded:
    """The text column ``name`` of every document of ``reader`` (caller checks ``has_column``)."""
    parts = [_segment_bytes(leaf, name) for leaf, _ in reader.leaf_readers()]
    if not parts:
        return Coded(np.zeros(0, np.int32), np.array([b""]))
    width = max(1, max(p.dtype.itemsize for p in parts))
    return _coded(np.concatenate([p.astype(f"S{width}") for p in parts]))


def _coded(joined: np.ndarray) -> Coded:
    """``np.unique(joined, return_inverse=True)`` as a ``Coded``: a stable sort of the
    bytes is two to three times faster than ``np.unique``'s on a column of ids."""
    order = np.argsort(joined, kind="stable")
    ordered = joined[order]
    first = np.ones(len(joined), bool)
    first[1:] = ordered[1:] != ordered[:-1]
    codes = np.empty(len(joined), np.int32)
    codes[order] = np.cumsum(first) - 1
    return Coded(codes, ordered[first])


def numeric_column(reader, name: str) -> np.ndarray:
    """The raw numbers of column ``name`` of every document (int64)."""
    parts = [_segment_numbers(leaf, name) for leaf, _ in reader.leaf_readers()]
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


def _segment_bytes(leaf, name: str) -> np.ndarray:
    """One segment's values of a text column, as a numpy bytes array."""
    count = leaf.doc_count_all()
    # A segment where no document has a value keeps no column file: Whoosh's reader
    # then gives the default (b"") for each document.
    if type(leaf.schema[name].column_type) is VarBytesColumn and leaf.has_column(name):
        return _var_bytes(leaf.column_reader(name, column=_VAR_BYTES, translate=False), count)
    column = leaf.column_reader(name, translate=False)
    return np.array([bytes(v or b"") for v in column], dtype="S")[:count]


@dataclass(frozen=True)
class _VarBytesArrays:
    """Where a segment's ``VarBytesColumn`` keeps its values: the data's file and start,
    and each document's length and offset there."""

    dbfile: object
    basepos: int
    lengths: np.ndarray  # int64
    offsets: np.ndarray  # int64


class _VarBytesLayout:
    """Opens a ``VarBytesColumn`` as ``_VarBytesArrays`` (what ``column_reader`` calls).

    Whoosh's own reader derives the offsets of a segment of up to 32,768
    documents (it writes none) in a Python loop; here they are a cumulative sum.
    """

    def reader(self, dbfile, basepos: int, length: int, doccount: int) -> _VarBytesArrays:
        # The column ends with the lengths' typecode, or with "X" after both typecodes
        # when the offsets were written (``VarBytesColumn.Writer.finish``).
        last = basepos + length - 1
        lengths_code = chr(dbfile.get_byte(last))
        offsets = None
        if lengths_code == "X":
            lengths_code, offsets_code = (
                chr(dbfile.get_byte(last - 2)),
                chr(dbfile.get_byte(last - 1)),
            )
            last = (last - 2) - doccount * struct.calcsize(offsets_code)
            offsets = _stored_array(dbfile, last, offsets_code, doccount)
        start = last - doccount * struct.calcsize(lengths_code)
        lengths = _stored_array(dbfile, start, lengths_code, doccount)
        if offsets is None:
            offsets = np.cumsum(lengths) - lengths
        return _VarBytesArrays(dbfile, basepos, lengths, offsets)


_VAR_BYTES = _VarBytesLayout()


def _stored_array(dbfile, position: int, typecode: str, count: int) -> np.ndarray:
    """An array Whoosh wrote (``write_array``), as int64."""
    found = dbfile.get_array(position, typecode, count)
    return np.frombuffer(found, dtype=np.dtype(found.typecode)).astype(np.int64)


def _var_bytes(column: _VarBytesArrays, count: int) -> np.ndarray:
    """A ``VarBytesColumn``'s values as fixed-width bytes, each value's bytes copied
    from the data to its row at once (index arrays as long as the values' bytes)."""
    lengths, offsets = column.lengths[:count], column.offsets[:count]
    width = int(lengths.max()) if len(lengths) else 0
    if width == 0:
        return np.zeros(count, "S1")
    end = int((offsets + lengths).max())
    data = np.frombuffer(bytes(column.dbfile.get(column.basepos, end)), np.uint8)
    starts = np.cumsum(lengths) - lengths  # where each value starts if they follow each other
    total = int(lengths.sum())
    cells = np.zeros(count * width, np.uint8)
    if np.array_equal(offsets, starts):  # as Whoosh writes them: byte j goes to j + its row's shift
        cells[np.arange(total) + np.repeat(np.arange(count) * width - starts, lengths)] = data[
            :total
        ]
    else:
        within = np.arange(total) - np.repeat(starts, lengths)
        rows = np.repeat(np.arange(count) * width, lengths)
        cells[rows + within] = data[np.repeat(offsets, lengths) + within]
    return cells.view(f"S{width}")


def _segment_numbers(leaf, name: str) -> np.ndarray:
    """One segment's raw numbers of a numeric column."""
    count = leaf.doc_count_all()
    column = leaf.column_reader(name, translate=False)
    if isinstance(column, NumericColumn.Reader) and not column._reverse:
        stored = min(column._count, count)
        raw = bytes(column._dbfile.get(column._basepos, stored * column._fixedlen))
        numbers = np.full(count, _int64(column._default), np.int64)
        # An unsigned number past the int64 range wraps to a negative one: no real instant.
        numbers[:stored] = np.frombuffer(raw, ">" + column._typecode).astype(np.int64)
        return numbers
    return np.fromiter((_int64(v) for v in column), np.int64, count)


def _int64(value) -> int:
    """A column's number as int64 (-1 for one past its range, never a real instant)."""
    value = int(value)
    return value if -(2**63) <= value < 2**63 else -1
