"""The compiled per-record pass (``_flowagg``) and the chunk processing that chooses it.

:func:`process_chunk` is what every engine calls on a chunk. With the C extension built (the usual
install) it works on *coded* endpoint columns: each side's distinct addresses (a Parquet dictionary, or
the records themselves for a plain column) are classed and attributed once in NumPy, then one compiled
pass over the records classes them and aggregates cells, host rows and evidence in hash tables with
the GIL released. Without the extension, or with ``NETVET_FLOWS_KERNEL=numpy``, coded columns are
expanded and :func:`.aggregate.process_numpy` does the same work in NumPy and Polars. Both give the
same :class:`~.aggregate.Partial` (tests compare them on every fixture).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl

from . import addresses
from .aggregate import _CLASS_OF, _SCHEMAS, KEYS, SUMS, Partial, _merge_aggs, process_numpy
from .attribution import CLASS_BITS, HOUR_BITS, NO_UNIT, TRANSIT_SRC, FlowTables, lookup
from .book import Grow
from .records import HOUR_US, Coded, FlowChunk

try:
    from . import _flowagg
except ImportError:  # no C compiler at install time: the NumPy engine does the work
    _flowagg = None

HAVE_C = _flowagg is not None
NEED_HOSTS, EVIDENCE = 1, 2


class _LastCells(threading.local):
    n = 0  # cells of this thread's last chunk: the next table starts that big


_LAST_CELLS = _LastCells()


def use_c() -> bool:
    """Whether chunks go through the compiled pass (``NETVET_FLOWS_KERNEL=numpy`` forces NumPy)."""
    return HAVE_C and os.environ.get("NETVET_FLOWS_KERNEL", "").lower() != "numpy"


def kernel_name() -> str:
    """``compiled`` or ``numpy``: which per-record pass this process uses."""
    return "compiled" if use_c() else "numpy"


_EVIDENCE_COLS = {"dns_address": np.int64, "cloud_set": np.int64, "route_set": np.int64, "route_len": np.int16,
                  "cloud_len": np.int16}


@dataclass
class Entries:
    """One side's distinct addresses, classed and (where external) attributed; the evidence columns
    (DNS address id, cloud range set, route) are None when the run has neither DNS answers nor cloud ranges."""

    hi: np.ndarray
    lo: np.ndarray
    cls: np.ndarray  # uint8: addresses.EXTERNAL / INTERNAL / SPECIAL
    unit: np.ndarray  # int64, the unit of external entries (NO_UNIT elsewhere)
    resolved: np.ndarray  # uint8: 1 where a route or cloud range covers an external entry
    packed: np.ndarray  # int64: unit << 5 | resolved << 2 | class (the compiled pass reads one word per entry)
    evidence: dict[str, np.ndarray] | None = None

    @classmethod
    def build(cls, tables: FlowTables, hi: np.ndarray, lo: np.ndarray) -> Entries:
        hi, lo = addresses.unmap_nat64(hi, lo)
        classes = tables.classes.classify(hi, lo).astype(np.uint8, copy=False)
        ext = np.flatnonzero(classes == addresses.EXTERNAL)
        remote = lookup(tables, hi[ext], lo[ext])
        unit = np.full(len(hi), NO_UNIT, np.int64)
        unit[ext] = remote.unit
        resolved = np.zeros(len(hi), np.uint8)
        resolved[ext] = remote.key != 0
        evidence = None
        if tables.dns.index is not None or tables.cloud.index is not None:
            evidence = {}
            for name, dtype in _EVIDENCE_COLS.items():
                col = np.zeros(len(hi), dtype)
                col[ext] = getattr(remote, name)
                evidence[name] = col
        return cls(hi, lo, classes, unit, resolved, pack(unit, resolved, classes), evidence)

    def with_flags(self, flags: np.ndarray) -> np.ndarray:
        """The packed entries with their flags (bits 3-4) for the second pass."""
        return self.packed | (flags.astype(np.int64) << 3)

    def flags(self, need: np.ndarray | None) -> np.ndarray:
        """Per entry: NEED_HOSTS where it is external and its unit is in ``need`` (sorted; None: every
        unit), EVIDENCE where a DNS answer or a cloud range decided it."""
        ext = self.cls == addresses.EXTERNAL
        if need is None:
            needed = ext
        elif len(need):
            pos = np.minimum(np.searchsorted(need, self.unit), len(need) - 1)
            needed = ext & (need[pos] == self.unit)
        else:
            needed = np.zeros(len(self.unit), bool)
        f = needed.astype(np.uint8)
        if self.evidence is not None:
            f |= np.where(ext & ((self.evidence["dns_address"] > 0) | (self.evidence["cloud_set"] > 0)), EVIDENCE,
                          0).astype(np.uint8)
        return f


def pack(unit: np.ndarray, resolved: np.ndarray, classes: np.ndarray) -> np.ndarray:
    out = unit << 5
    out |= resolved.astype(np.int64) << 2
    out |= classes
    return out


class EntryCache:
    """Entries of an address book, attributed as the book grows: each address once per run."""

    def __init__(self, book: object, tables: FlowTables) -> None:
        self.book, self.tables = book, tables
        self.lock = threading.Lock()
        cols = {"hi": np.uint64, "lo": np.uint64, "cls": np.uint8, "unit": np.int64, "resolved": np.uint8,
                "packed": np.int64}
        self.with_evidence = tables.dns.index is not None or tables.cloud.index is not None
        if self.with_evidence:
            cols.update(_EVIDENCE_COLS)
        self.rows = Grow(**cols)

    def entries(self, coded: Coded) -> Entries:
        n = len(coded.hi)
        with self.lock:
            if self.rows.n < n:
                e = Entries.build(self.tables, coded.hi[self.rows.n:n], coded.lo[self.rows.n:n])
                self.rows.append(hi=e.hi, lo=e.lo, cls=e.cls, unit=e.unit, resolved=e.resolved, packed=e.packed,
                                 **(e.evidence or {}))
            v = {name: self.rows.view(name, n) for name in self.rows.cols}
        evidence = {name: v[name] for name in _EVIDENCE_COLS} if self.with_evidence else None
        return Entries(v["hi"], v["lo"], v["cls"], v["unit"], v["resolved"], v["packed"], evidence)


_CACHES: list[EntryCache] = []  # the most recently used first
_CACHE_LOCK = threading.Lock()


def _entries(tables: FlowTables, coded: Coded) -> Entries:
    """Entries of a side: from the run's cache when the codes are address-book ids, else built for this chunk."""
    if coded.book is None:
        return Entries.build(tables, coded.hi, coded.lo)
    with _CACHE_LOCK:
        cache = next((c for c in _CACHES if c.book is coded.book and c.tables is tables), None)
        if cache is None:
            cache = EntryCache(coded.book, tables)
            _CACHES.insert(0, cache)
            del _CACHES[4:]  # a text and a binary book of one run, and room for a run beside it
    return cache.entries(coded)


def _side(chunk: FlowChunk, side: str) -> Coded:
    coded = getattr(chunk, f"{side}_coded")
    if coded is not None:
        return coded
    hi, lo = getattr(chunk, f"{side}_hi"), getattr(chunk, f"{side}_lo")
    return Coded(np.arange(len(hi), dtype=np.int32), hi, lo)


_CELL_COLS = ("records", "flows", "to_bytes", "from_bytes", "to_packets", "from_packets", "first", "last", "ref")


def _rows(raw: bytes, width: int) -> np.ndarray:
    return np.frombuffer(raw, np.int64).reshape(-1, width)


def process_chunk(chunk: FlowChunk, tables: FlowTables, file: str, file_index: int,
                  hosts_for: Callable[[np.ndarray], np.ndarray] | None = None,
                  on_units: Callable[[np.ndarray], None] | None = None) -> Partial:
    """Attribute and aggregate one chunk (see :func:`.aggregate.process_numpy` for ``hosts_for`` and
    ``on_units``), by the compiled pass when it is available."""
    if not use_c() or len(chunk) == 0:
        return process_numpy(chunk.plain(), tables, file, file_index, hosts_for, on_units)
    s_c, d_c = _side(chunk, "src"), _side(chunk, "dst")
    s = _entries(tables, s_c)
    d = _entries(tables, d_c)
    s_codes = np.ascontiguousarray(s_c.codes, np.int32)
    d_codes = np.ascontiguousarray(d_c.codes, np.int32)
    counts = [None if a is None else np.ascontiguousarray(a) for a in
              (chunk.bytes, chunk.packets, chunk.rbytes, chunk.rpackets, chunk.flows)]
    times = [np.ascontiguousarray(a) for a in (chunk.start, chunk.end, chunk.line)]
    raw, k, attributed, unresolved, skipped = _flowagg.cells(
        s_codes, d_codes, s.packed, d.packed, _CLASS_OF, *counts, *times,
        file_index, HOUR_US, HOUR_BITS, CLASS_BITS, TRANSIT_SRC, NO_UNIT, _LAST_CELLS.n)
    _LAST_CELLS.n = k
    rows = _rows(raw, 11)
    p = Partial()
    cols = {"cell": pl.Series("cell", rows[:, 0])}
    for i, name in enumerate(_CELL_COLS):
        v = rows[:, 2 + i]
        cols[name] = pl.Series(name, v.view(np.uint64) if name in SUMS else v)
    p.cells = pl.DataFrame(cols)  # the columns in the schema's order and types
    p.files[file] = [attributed, unresolved, skipped]

    units = p.units()
    if on_units is not None and len(units):
        on_units(units)
    need = None if hosts_for is None else hosts_for(units)
    s_flag = s.flags(need)
    same = s_c.book is not None and s_c.book is d_c.book and len(s.unit) == len(d.unit)
    d_flag = s_flag if same else d.flags(need)
    if s_flag.any() or d_flag.any():
        s_packed = s.with_flags(s_flag)
        d_packed = s_packed if same else d.with_flags(d_flag)
        h_raw, _nh, e_raw, _ne = _flowagg.sides(s_codes, d_codes, s_packed, d_packed, *counts, same)
        _hosts(p, _rows(h_raw, 8), s, d, same)
        _evidence(p, _rows(e_raw, 4), s, d)
    return p


def _hosts(p: Partial, rows: np.ndarray, s: Entries, d: Entries, one_book: bool) -> None:
    """Host rows from the pass's (unit, side << 32 | entry) sums; with one book for both sides an entry is
    one address, so the rows are already one per (unit, host)."""
    if not len(rows):
        return
    if one_book:
        entry = rows[:, 1]
        cols = {"unit": rows[:, 0], "host_hi": s.hi.take(entry), "host_lo": s.lo.take(entry),
                **{name: rows[:, 2 + i].view(np.uint64) for i, name in enumerate(SUMS)}}
        p.hosts = pl.DataFrame(cols)
        return
    side = rows[:, 1] >> 32
    entry = rows[:, 1] & 0xFFFFFFFF
    hi = np.where(side == 1, d.hi.take(np.where(side == 1, entry, 0)), s.hi.take(np.where(side == 0, entry, 0)))
    lo = np.where(side == 1, d.lo.take(np.where(side == 1, entry, 0)), s.lo.take(np.where(side == 0, entry, 0)))
    df = pl.DataFrame({"unit": rows[:, 0], "host_hi": hi, "host_lo": lo,
                       **{name: rows[:, 2 + i].view(np.uint64) for i, name in enumerate(SUMS)}})
    p.hosts = df.group_by(KEYS["hosts"]).agg(_merge_aggs("hosts")).select(list(_SCHEMAS["hosts"]))


def _evidence(p: Partial, rows: np.ndarray, s: Entries, d: Entries) -> None:
    """DNS and cloud-range rows from the per-entry sums (every attribute is a function of the entry)."""
    if not len(rows):
        return
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("unit", "address", "cloud_set", "route_set", "route_len",
                                                         "cloud_len", "bytes", "flows")}
    for side_no, e in ((0, s), (1, d)):
        mine = rows[rows[:, 0] == side_no]
        if not len(mine) or e.evidence is None:
            continue
        at = mine[:, 1]
        cols["unit"].append(e.unit[at])
        cols["address"].append(e.evidence["dns_address"][at])
        for name in ("cloud_set", "route_set", "route_len", "cloud_len"):
            cols[name].append(e.evidence[name][at])
        cols["bytes"].append(mine[:, 2].view(np.uint64))
        cols["flows"].append(mine[:, 3].view(np.uint64))
    if not cols["unit"]:
        return
    df = pl.DataFrame({k: np.concatenate(v) for k, v in cols.items()})
    dns = df.filter(pl.col("address") > 0)
    if len(dns):
        p.dns = dns.group_by(KEYS["dns"]).agg(_merge_aggs("dns")).select(list(_SCHEMAS["dns"]))
    cloud = df.filter(pl.col("cloud_set") > 0)
    if len(cloud):
        p.cloud = cloud.group_by(KEYS["cloud"]).agg(_merge_aggs("cloud")).select(list(_SCHEMAS["cloud"]))
