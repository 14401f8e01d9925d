"""The address book: every distinct address string of a run, parsed once, under a dense id.

Flow tables hold the same addresses over and over, and each Parquet row group repeats them in its own
dictionary. The book interns the strings of each dictionary (a compiled hash table in ``_flowagg``)
and parses only those it has not seen; records then carry book ids, so the kernel can attribute each
address once per run too (see :class:`.kernel.EntryCache`). A book that grows past
:data:`MAX_ENTRIES` is replaced by a fresh one (memory stays bounded; caches keyed by it start over).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from . import addresses

try:
    from . import _flowagg
except ImportError:  # without the C extension, dictionaries are parsed chunk by chunk
    _flowagg = None

MAX_ENTRIES = 1 << 21


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
    def __init__(self) -> None:
        self._table = _flowagg.book_new()
        self.lock = threading.Lock()
        self.rows = Grow(ok=bool, hi=np.uint64, lo=np.uint64)

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
            new = np.flatnonzero(ids >= before)  # in order of first appearance: ids before, before + 1, ...
            if len(new):
                fresh = values.take(new)
                ok, hi, lo = addresses.from_distinct_strings(fresh)
                if fresh.null_count:
                    ok &= ~fresh.is_null().to_numpy(zero_copy_only=False)
                self.rows.append(ok=ok, hi=hi, lo=lo)
            size = self.rows.n
            return Lookup(ids, self.rows.view("ok", size), self.rows.view("hi", size), self.rows.view("lo", size),
                          self)


_BOOK: AddressBook | None = None
_BOOK_LOCK = threading.Lock()


def reset() -> None:
    """Start the next run with an empty book (a run in flight keeps the book its chunks refer to)."""
    global _BOOK
    with _BOOK_LOCK:
        _BOOK = None


def current() -> AddressBook | None:
    """This process's book (None without the C extension); replaced when it has grown too big."""
    global _BOOK
    if _flowagg is None:
        return None
    with _BOOK_LOCK:
        if _BOOK is None or len(_BOOK) > MAX_ENTRIES:
            _BOOK = AddressBook()
        return _BOOK
