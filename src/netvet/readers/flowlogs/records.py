"""The columnar form every flow reader produces: a :class:`FlowChunk` of NumPy arrays, one row per flow record.

Columns (all of equal length; only well-formed records reach a chunk):

* ``src_hi``/``src_lo``, ``dst_hi``/``dst_lo`` — endpoint addresses (see :mod:`.addresses`);
* ``bytes``/``packets`` — counted from source to destination; ``rbytes``/``rpackets`` — the reverse
  direction, for bidirectional records (Zeek conn, NSEL, IPFIX biflows), else 0;
* ``flows`` — flows the record stands for (1, or the ``flows`` column of an aggregated table);
  ``rbytes``, ``rpackets`` and ``flows`` are None when the input has no such column (0, 0 and 1 each);
* ``start``/``end`` — microseconds since the Unix epoch (UTC), :data:`NO_TIME` when the record has none;
* ``line`` — where the record is in its file: the line number (text) or the 1-based row (Parquet).

An endpoint column may instead be *coded* (:class:`Coded`): a code per record into its distinct
addresses, as Parquet dictionary pages hold it. Attribution then works once per distinct address;
``src_hi``/``src_lo`` (or ``dst_...``) are None until :meth:`FlowChunk.plain` expands the codes.

:class:`DnsChunk` is the same for DNS answers: one row per (query name, answer address).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime

import numpy as np

NO_TIME = np.iinfo(np.int64).min  # start/end of a record that has no time
US = 1_000_000  # microseconds per second
HOUR_US = 3600 * US

_U64 = ("src_hi", "src_lo", "dst_hi", "dst_lo", "bytes", "packets", "rbytes", "rpackets", "flows")
_I64 = ("start", "end", "line")
_OPTIONAL = ("rbytes", "rpackets", "flows")  # None when the input has no such column


@dataclass
class Coded:
    """A dictionary-encoded endpoint column: ``codes`` (int32, one per record) into ``hi``/``lo``; ``book``
    is the address book the codes are ids of (:mod:`.book`), if any. With ``ids`` (int32), the codes index
    a dictionary instead (a Parquet row group's) and ``ids`` are its values' ids in ``hi``/``lo``."""

    codes: np.ndarray
    hi: np.ndarray
    lo: np.ndarray
    book: object | None = None
    ids: np.ndarray | None = None

    def book_codes(self) -> np.ndarray:
        """Per record, its id in ``hi``/``lo``."""
        return self.codes if self.ids is None else self.ids.take(self.codes)

    def expand(self) -> tuple[np.ndarray, np.ndarray]:
        at = self.book_codes()
        return self.hi.take(at), self.lo.take(at)

    def take(self, rows: np.ndarray) -> Coded:
        return Coded(self.codes[rows], self.hi, self.lo, self.book, self.ids)


@dataclass
class FlowChunk:
    src_hi: np.ndarray | None
    src_lo: np.ndarray | None
    dst_hi: np.ndarray | None
    dst_lo: np.ndarray | None
    bytes: np.ndarray
    packets: np.ndarray
    rbytes: np.ndarray | None
    rpackets: np.ndarray | None
    flows: np.ndarray | None
    start: np.ndarray
    end: np.ndarray
    line: np.ndarray
    src_coded: Coded | None = None
    dst_coded: Coded | None = None

    def __len__(self) -> int:
        return len(self.line)

    @property
    def coded(self) -> bool:
        return self.src_coded is not None or self.dst_coded is not None

    def plain(self) -> FlowChunk:
        """This chunk with coded endpoint columns expanded to addresses per record and every counter as an
        array."""
        if not self.coded and self.rbytes is not None and self.rpackets is not None and self.flows is not None:
            return self
        out = FlowChunk(**{f.name: getattr(self, f.name) for f in fields(self)})
        n = len(self)
        for name in _OPTIONAL:
            if getattr(out, name) is None:
                setattr(out, name, np.full(n, 1 if name == "flows" else 0, np.uint64))
        if self.src_coded is not None:
            out.src_hi, out.src_lo = self.src_coded.expand()
            out.src_coded = None
        if self.dst_coded is not None:
            out.dst_hi, out.dst_lo = self.dst_coded.expand()
            out.dst_coded = None
        return out

    @classmethod
    def build(cls, n: int, src_coded: Coded | None = None, dst_coded: Coded | None = None,
              **cols: np.ndarray | None) -> FlowChunk:
        """A chunk of ``n`` rows; missing counters are 0, missing flows 1, missing times :data:`NO_TIME`;
        the addresses of a coded side stay None."""
        out: dict = {"src_coded": src_coded, "dst_coded": dst_coded}
        for name in _U64:
            v = cols.get(name)
            if v is None and ((name.startswith("src_") and src_coded is not None)
                              or (name.startswith("dst_") and dst_coded is not None) or name in _OPTIONAL):
                out[name] = None
                continue
            default = 1 if name == "flows" else 0
            out[name] = np.full(n, default, np.uint64) if v is None else np.asarray(v).astype(np.uint64, copy=False)
        for name in _I64:
            v = cols.get(name)
            fill = 0 if name == "line" else NO_TIME
            out[name] = np.full(n, fill, np.int64) if v is None else np.asarray(v).astype(np.int64, copy=False)
        return cls(**out)

    def take(self, rows: np.ndarray) -> FlowChunk:
        return FlowChunk(**{f.name: None if (v := getattr(self, f.name)) is None else v.take(rows) if
                            isinstance(v, Coded) else v[rows] for f in fields(self)})

    @classmethod
    def concat(cls, chunks: list[FlowChunk]) -> FlowChunk:
        if not chunks:
            return cls.build(0)
        chunks = [c.plain() for c in chunks]
        return cls(**{f.name: np.concatenate([getattr(c, f.name) for c in chunks]) for f in fields(cls)
                      if not f.name.endswith("_coded")})


@dataclass
class DnsChunk:
    """DNS answers: ``name`` (lower case, no trailing dot) resolved to the address ``hi``/``lo`` at ``ts``."""

    name: list[str]
    hi: np.ndarray
    lo: np.ndarray
    ts: np.ndarray
    line: np.ndarray
    file: str = ""

    def __len__(self) -> int:
        return len(self.name)


def iso_time(us: int | None) -> str | None:
    """Microseconds since the epoch as ISO 8601 UTC (``2015-08-18T13:01:31.705224Z``); None stays None."""
    if us is None:
        return None
    text = datetime.fromtimestamp(us // US, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    frac = us % US
    return f"{text}.{frac:06d}Z" if frac else f"{text}Z"
