"""The columnar form every flow reader produces: a :class:`FlowChunk` of NumPy arrays, one row per flow record.

Columns (all of equal length; only well-formed records reach a chunk):

* ``src_hi``/``src_lo``, ``dst_hi``/``dst_lo`` — endpoint addresses (see :mod:`.addresses`);
* ``bytes``/``packets`` — counted from source to destination; ``rbytes``/``rpackets`` — the reverse
  direction, for bidirectional records (Zeek conn, NSEL, IPFIX biflows), else 0;
* ``flows`` — flows the record stands for (1, or the ``flows`` column of an aggregated table);
* ``start``/``end`` — microseconds since the Unix epoch (UTC), :data:`NO_TIME` when the record has none;
* ``line`` — where the record is in its file: the line number (text) or the 1-based row (Parquet).

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


@dataclass
class FlowChunk:
    src_hi: np.ndarray
    src_lo: np.ndarray
    dst_hi: np.ndarray
    dst_lo: np.ndarray
    bytes: np.ndarray
    packets: np.ndarray
    rbytes: np.ndarray
    rpackets: np.ndarray
    flows: np.ndarray
    start: np.ndarray
    end: np.ndarray
    line: np.ndarray

    def __len__(self) -> int:
        return len(self.src_hi)

    @classmethod
    def build(cls, n: int, **cols: np.ndarray | None) -> FlowChunk:
        """A chunk of ``n`` rows; missing counters are 0, missing flows 1, missing times :data:`NO_TIME`."""
        out = {}
        for name in _U64:
            v = cols.get(name)
            default = 1 if name == "flows" else 0
            out[name] = np.full(n, default, np.uint64) if v is None else np.asarray(v).astype(np.uint64, copy=False)
        for name in _I64:
            v = cols.get(name)
            fill = 0 if name == "line" else NO_TIME
            out[name] = np.full(n, fill, np.int64) if v is None else np.asarray(v).astype(np.int64, copy=False)
        return cls(**out)

    def take(self, rows: np.ndarray) -> FlowChunk:
        return FlowChunk(**{f.name: getattr(self, f.name)[rows] for f in fields(self)})

    @classmethod
    def concat(cls, chunks: list[FlowChunk]) -> FlowChunk:
        if not chunks:
            return cls.build(0)
        return cls(**{f.name: np.concatenate([getattr(c, f.name) for c in chunks]) for f in fields(cls)})


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
