"""The address book: every distinct address string of a run, parsed once, under a dense id.

Flow tables hold the same addresses over and over, and each Parquet row group repeats them in its own
dictionary. The book interns the strings of each dictionary (a compiled hash table in ``_flowagg``)
and parses only those it has not seen; records then carry book ids, so the kernel can attribute each
address once per run too (see :class:`.kernel.EntryCache`). A run's books (:class:`AddressBooks`) live on its
:class:`.attribution.RunCaches`, never in the module. A book that grows past :data:`MAX_ENTRIES` is replaced by
a fresh one (memory stays bounded; caches keyed by it start over).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from ..readers.flowlogs import addresses
from ..util.ipvec import arrow_rows

try:
    from . import _flowagg
except ImportError:  # without the C extension, dictionaries are parsed chunk by chunk
    _flowagg = None

MAX_ENTRIES = 1 << 21


def pa_array(values: list[str]):
    """An Arrow string array, built from its buffers (``pa.array`` would import pandas the first time)."""
    import pyarrow as pa

    data = [v.encode() for v in values]
    offsets = np.zeros(len(data) + 1, np.int32)
    np.cumsum([len(d) for d in data], out=offsets[1:])
    return pa.Array.from_buffers(pa.string(), len(data), [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(data))])


class Grow:
    """Columns that grow by appending, with capacity doubling; ``view(n)`` are the first n rows."""

    def __init__(self, **dtypes: type) -> None:
        self.cols = {k: np.zeros(1024, t) for k, t in dtypes.items()}
        self.n = 0

    def append(self, **values: np.ndarray) -> None:
        k = len(next(iter(values.values())))
        need = self.n + k
        for name, arr in self.cols.items():
            if need > len(arr):
                bigger = np.zeros(max(need, 2 * len(arr)), arr.dtype)
                bigger[:self.n] = arr[:self.n]
                self.cols[name] = arr = bigger
            arr[self.n:need] = values[name]
        self.n = need

    def view(self, name: str, n: int | None = None) -> np.ndarray:
        return self.cols[name][:self.n if n is None else n]


@dataclass
class Lookup:
    """Ids of a dictionary's values in a book, and the book's addresses so far (ids index them)."""

    ids: np.ndarray  # int32, one per dictionary value
    ok: np.ndarray
    hi: np.ndarray
    lo: np.ndarray
    book: AddressBook


class AddressBook:
    """Strings (``kind`` "text") or fixed-width binary addresses ("binary"); a book holds one kind, so a
    16-character text can never meet a 16-byte binary."""

    def __init__(self, kind: str = "text") -> None:
        self.kind = kind
        self._table = _flowagg.book_new()
        self.lock = threading.Lock()
        self.rows = Grow(ok=bool, hi=np.uint64, lo=np.uint64)
        if kind == "text":  # id 0: the empty text, not an address; values too long to keep get it too
            self.lookup(pa_array([""]))

    def __len__(self) -> int:
        return self.rows.n

    def lookup(self, values) -> Lookup:
        """Ids of Arrow string ``values`` (distinct, e.g. a dictionary); new ones are parsed and added."""
        import pyarrow as pa

        if not pa.types.is_large_string(values.type) and not pa.types.is_string(values.type):
            raise TypeError(f"address book: strings expected, not {values.type}")
        large = pa.types.is_large_string(values.type)
        n = len(values)
        width = 8 if large else 4
        offsets = np.frombuffer(values.buffers()[1], np.int64 if large else np.int32, count=n + 1,
                                offset=values.offset * width)
        data = values.buffers()[2]
        with self.lock:
            raw, before = _flowagg.book_intern(self._table, offsets, data if data is not None else b"", large)
            ids = np.frombuffer(raw, np.int32)
            if (ids < 0).any():
                ids = np.where(ids < 0, 0, ids).astype(np.int32)
            new = np.flatnonzero(ids >= before)  # in order of first appearance: ids before, before + 1, ...
            if len(new):
                fresh = values.take(arrow_rows(new))
                ok, hi, lo = addresses.from_distinct_strings(fresh)
                if fresh.null_count:
                    ok &= ~fresh.is_null().to_numpy(zero_copy_only=False)
                self.rows.append(ok=ok, hi=hi, lo=lo)
            return self._found(ids)

    def _found(self, ids: np.ndarray) -> Lookup:
        size = self.rows.n
        return Lookup(ids, self.rows.view("ok", size), self.rows.view("hi", size), self.rows.view("lo", size), self)

    def lookup_fixed(self, values) -> Lookup:
        """Ids of the values of an Arrow fixed-size binary column (4 or 16 bytes, no nulls), one per value."""
        width = values.type.byte_width
        data = np.frombuffer(values.buffers()[1], np.uint8)[values.offset * width:(values.offset + len(values)) * width]
        with self.lock:
            raw, before = _flowagg.book_intern_fixed(self._table, data, width)
            ids = np.frombuffer(raw, np.int32)
            new = np.flatnonzero(ids >= before)
            if len(new):  # ids are given in order of first appearance: the first row of each, by id
                _u, first = np.unique(ids[new], return_index=True)
                ok, hi, lo = addresses.from_binary(values.take(new[first]))
                self.rows.append(ok=ok, hi=hi, lo=lo)
            return self._found(ids)


class AddressBooks:
    """The address books of one run, by kind, made on first use: ``books(kind)`` is the run's book of that kind (None
    without the C extension), replaced by a fresh one when it has grown past :data:`MAX_ENTRIES`. The run owns it
    (``attribution.RunCaches``) and lends it to its readers (``ReadSession.books``)."""

    def __init__(self) -> None:
        self._books: dict[str, AddressBook] = {}
        self._lock = threading.Lock()

    def __call__(self, kind: str = "text") -> AddressBook | None:
        if _flowagg is None:
            return None
        with self._lock:
            book = self._books.get(kind)
            if book is None or len(book) > MAX_ENTRIES:
                book = self._books[kind] = AddressBook(kind)
            return book
