"""Segment files mapped into memory, shared by every process that reads them.

Whoosh keeps each segment's files in one compound ``.seg`` file and, when a
reader opens a segment, maps it and then copies every file it opens out of
the map (``BufferFile`` wraps a ``BytesIO``, which copies its buffer). Each
web worker then holds a private copy of the whole index. ``MappedStorage``
opens ``.seg`` files as a ``MappedFile`` instead: Whoosh's ``CompoundStorage``
asks it for ``subset``s, and each subset is a ``MappedView`` over a slice of
the one read-only map, copying nothing; the pages live in the OS page cache,
shared by all processes and given back under memory pressure.

Each view has its own read position, so threads that open their own files
never share one; positioned reads (``get``) take no position at all, as
Whoosh's ``BufferFile`` does. A map stays valid after its file is deleted
(a rebuild removes the old generation), until the reader that opened it is
closed. POSIX only, as the rest of the index is (``fcntl`` locks).
"""

from __future__ import annotations

import mmap
import os
import weakref

from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import BufferFile

COMPOUND_SUFFIX = ".seg"


class MappedStorage(FileStorage):
    """A Whoosh ``FileStorage`` that maps compound segment files instead of copying them."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._maps: weakref.WeakSet[MappedFile] = weakref.WeakSet()

    def release(self) -> None:
        """Unmap from this process every page of the segment files it has mapped.

        A page read once stays mapped, and the kernel maps a whole run of pages
        around each read (up to megabytes where the page cache holds large
        folios), all of it counted in this process's private memory while no
        other process maps it. The pages stay in the page cache, shared and
        reclaimable, and are mapped again when next read.
        """
        for mapped in list(self._maps):
            mapped.release_all()

    def open_file(self, name, **kwargs):
        """A ``MappedFile`` for a compound segment, an ordinary file for the rest."""
        if not name.endswith(COMPOUND_SUFFIX):
            return super().open_file(name, **kwargs)
        with open(self._fpath(name), "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size == 0:
                return super().open_file(name, **kwargs)
            # The map keeps its own reference to the file; the descriptor can close.
            mapped = MappedFile(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ), name=name)
        self._maps.add(mapped)
        return mapped


class _Cursor:
    """A read position over a memoryview: the file-like part a ``StructFile`` wraps."""

    def __init__(self, buf: memoryview):
        self._buf = buf
        self._pos = 0

    def read(self, n: int = -1) -> bytes:
        # Whoosh reads a few bytes at a time, millions of times a minute: keep it lean.
        start = self._pos
        data = self._buf[start:] if n is None or n < 0 else self._buf[start : start + n]
        self._pos = start + len(data)
        return data.tobytes()

    def readinto(self, b) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def readline(self, limit: int = -1) -> bytes:
        buf, start = self._buf, self._pos
        end = len(buf) if limit is None or limit < 0 else min(start + limit, len(buf))
        for i in range(start, end):
            if buf[i] == 10:
                end = i + 1
                break
        return self.read(end - start)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: len(self._buf)}[whence]
        self._pos = base + offset
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        self._buf.release()


class MappedView(BufferFile):
    """A read-only Whoosh file over a slice of a map, with its own position; copies nothing.

    ``source`` is the map and ``base`` where the view starts in it, for ``release``.
    """

    def __init__(self, buf: memoryview, name=None, onclose=None, source=None, base: int = 0):
        self._buf = buf
        self._name = name
        self.file = _Cursor(buf)
        self.onclose = onclose
        self.is_real = False
        self.is_closed = False
        self._source = source
        self._base = base

    def subset(self, position, length, name=None):
        """A view of ``length`` bytes from ``position``, sharing the map."""
        buf = self._buf[position : position + length]
        return MappedView(buf, name or self._name, source=self._source, base=self._base + position)

    def release(self, position: int, length: int) -> None:
        """Unmap the whole pages of ``length`` bytes from ``position`` from this process.

        Their contents stay in the OS page cache and are mapped again when next
        read; until then they are not counted in this process's memory.
        """
        if self._source is None:
            return
        start = -(-(self._base + position) // mmap.PAGESIZE) * mmap.PAGESIZE
        end = self._base + position + length
        try:
            if end < len(self._source):  # the map's last page may be partly the file's
                end = end // mmap.PAGESIZE * mmap.PAGESIZE
            if end > start:
                self._source.madvise(mmap.MADV_DONTNEED, start, end - start)
        except ValueError:  # the map was closed: nothing is mapped
            pass


class MappedFile(MappedView):
    """A whole compound segment file, mapped; closing it unmaps the file.

    While a view of it is still open the map cannot be unmapped: it is then
    left to be unmapped when the last view goes.
    """

    def __init__(self, source: mmap.mmap, name=None):
        self.source = source
        super().__init__(memoryview(source), name=name, source=source)

    def release_all(self) -> None:
        """Unmap every page of the file from this process (``MappedView.release``)."""
        try:
            size = len(self.source)
        except ValueError:  # closed: nothing is mapped
            return
        self.release(0, size)

    def close(self):
        super().close()
        try:
            self.source.close()
        except BufferError:
            pass
