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

from ..readers.flowlogs.records import HOUR_US, Coded, FlowChunk
from . import classes as addr_classes
from .aggregate import _CLASS_OF, _SCHEMAS, KEYS, SUMS, Partial, _merge_aggs, process_numpy
from .attribution import CLASS_BITS, HOUR_BITS, NO_UNIT, TRANSIT_SRC, FlowTables, lookup
from .book import Grow

try:
    from . import _flowagg
except ImportError:  # no C compiler at install time: the NumPy engine does the work
    _flowagg = None

HAVE_C = _flowagg is not None
NEED_HOSTS, EVIDENCE = 1, 2


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
    cls: np.ndarray  # uint8: addr_classes.EXTERNAL / INTERNAL / SPECIAL
    unit: np.ndarray  # int64, the unit of external entries (NO_UNIT elsewhere)
    resolved: np.ndarray  # uint8: 1 where a route or cloud range covers an external entry
    packed: np.ndarray  # int64: unit << 5 | resolved << 2 | class (the compiled pass reads one word per entry)
    evidence: dict[str, np.ndarray] | None = None

    @classmethod
    def build(cls, tables: FlowTables, hi: np.ndarray, lo: np.ndarray) -> Entries:
        hi, lo = addr_classes.unmap_nat64(hi, lo)
        classes = tables.classes.classify(hi, lo).astype(np.uint8, copy=False)
        ext = np.flatnonzero(classes == addr_classes.EXTERNAL)
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
        ext = self.cls == addr_classes.EXTERNAL
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
        self._need: object = False  # the `need` the cached flags were computed for (False: none yet)
        self._flags = np.zeros(0, np.uint8)
        self._flagged_packed = np.zeros(0, np.int64)

    def flagged(self, e: Entries, need: np.ndarray | None) -> tuple[np.ndarray, bool]:
        """(packed entries with their flags, whether any entry has a flag) of ``e`` (a view of this cache)
        for ``need``: computed for the entries added since the last call while ``need`` stays the same
        array (the classifier makes a new one when a party is flagged)."""
        n = len(e.unit)
        with self.lock:
            have = len(self._flags) if self._need is need else 0
            if have < n:
                part = _slice(e, have, n)
                f = part.flags(need)
                packed = part.with_flags(f)
                if have:
                    f, packed = np.concatenate((self._flags, f)), np.concatenate((self._flagged_packed, packed))
                self._need, self._flags, self._flagged_packed = need, f, packed
            flags, packed = self._flags[:n], self._flagged_packed[:n]
        return packed, bool(flags.any())

    def entries(self, coded: Coded) -> Entries:
        n = len(coded.hi)
        with self.lock:
            if self.rows.n < n:
                e = Entries.build(self.tables, coded.hi[self.rows.n:n], coded.lo[self.rows.n:n])
                self.rows.append(hi=e.hi, lo=e.lo, cls=e.cls, unit=e.unit, resolved=e.resolved, packed=e.packed,
                                 **(e.evidence or {}))
        return self.current(n)

    def current(self, n: int | None = None) -> Entries:
        """The first ``n`` entries (default: all so far)."""
        with self.lock:
            v = {name: self.rows.view(name, n) for name in self.rows.cols}
        evidence = {name: v[name] for name in _EVIDENCE_COLS} if self.with_evidence else None
        return Entries(v["hi"], v["lo"], v["cls"], v["unit"], v["resolved"], v["packed"], evidence)


def _slice(e: Entries, a: int, b: int) -> Entries:
    ev = None if e.evidence is None else {k: v[a:b] for k, v in e.evidence.items()}
    return Entries(e.hi[a:b], e.lo[a:b], e.cls[a:b], e.unit[a:b], e.resolved[a:b], e.packed[a:b], ev)


def _entries(tables: FlowTables, coded: Coded) -> tuple[Entries, EntryCache | None]:
    """Entries of a side, and the run's cache they come from when the codes are address-book ids (else
    built for this chunk, without a cache). The caches live on the run's tables (``FlowTables.caches``)."""
    if coded.book is None:
        return Entries.build(tables, coded.hi, coded.lo), None
    run = tables.caches
    with run.lock:
        cache = next((c for c in run.entries if c.book is coded.book), None)
        if cache is None:
            cache = EntryCache(coded.book, tables)
            run.entries.insert(0, cache)
            del run.entries[4:]  # a text and a binary book of one run, and room for more
    return cache.entries(coded), cache


def _flagged(e: Entries, cache: EntryCache | None, need: np.ndarray | None) -> tuple[np.ndarray, bool]:
    if cache is not None:
        return cache.flagged(e, need)
    f = e.flags(need)
    return e.with_flags(f), bool(f.any())


class CellAccumulator:
    """One thread's cells across many chunks, in the compiled pass's own hash table (see
    :func:`process_chunk`); :meth:`frame` gives them as a ``cells`` table."""

    def __init__(self) -> None:
        self.handle = _flowagg.cells_new()
        self.host_caches: tuple[EntryCache, EntryCache] | None = None  # whose ids the kept host rows carry

    def keep_hosts(self, caches: tuple[EntryCache, EntryCache]) -> Partial | None:
        """Keep host rows of chunks whose sides are ids of ``caches``' books; the rows kept for other
        books, if any, come back as a partial."""
        out = None
        if self.host_caches is not None and self.host_caches != caches:
            out = self.take_hosts()
        self.host_caches = caches
        return out

    def take_hosts(self) -> Partial:
        """The host rows kept so far, as a partial; the accumulator starts keeping anew."""
        p = Partial()
        raw, _k = _flowagg.cells_hosts(self.handle)
        if self.host_caches is not None:
            s, d = (c.current() for c in self.host_caches)
            _hosts(p, _rows(raw, 8), s, d, self.host_caches[0] is self.host_caches[1])
        self.host_caches = None
        return p

    def merge(self, other: CellAccumulator) -> None:
        """Add ``other``'s cells to these (as if its chunks had come here), in the compiled table."""
        _flowagg.cells_merge(self.handle, other.handle)

    def frame(self) -> pl.DataFrame:
        raw, _k = _flowagg.cells_rows(self.handle)
        return _cell_frame(_rows(raw, 11))


def _side(chunk: FlowChunk, side: str) -> Coded:
    coded = getattr(chunk, f"{side}_coded")
    if coded is not None:
        return coded
    hi, lo = getattr(chunk, f"{side}_hi"), getattr(chunk, f"{side}_lo")
    return Coded(np.arange(len(hi), dtype=np.int32), hi, lo)


_CELL_COLS = ("records", "flows", "to_bytes", "from_bytes", "to_packets", "from_packets", "first", "last", "ref")


def _rows(raw: bytes, width: int) -> np.ndarray:
    return np.frombuffer(raw, np.int64).reshape(-1, width)


def _cell_frame(rows: np.ndarray) -> pl.DataFrame:
    cols = {"cell": pl.Series("cell", rows[:, 0])}
    for i, name in enumerate(_CELL_COLS):
        v = rows[:, 2 + i]
        cols[name] = pl.Series(name, v.view(np.uint64) if name in SUMS else v)
    return pl.DataFrame(cols)  # the columns in the schema's order and types


def process_chunk(chunk: FlowChunk, tables: FlowTables, file: str, file_index: int,
                  hosts_for: Callable[[np.ndarray | None], np.ndarray] | None = None,
                  on_units: Callable[[np.ndarray], None] | None = None,
                  acc: CellAccumulator | None = None) -> Partial:
    """Attribute and aggregate one chunk (see :func:`.aggregate.process_numpy` for ``hosts_for`` and
    ``on_units``), by the compiled pass when it is available.

    With an accumulator (compiled pass only), the chunk's cells are added to it rather than returned;
    ``on_units`` then sees the units new to the accumulator, and ``hosts_for(None)`` must give every
    unit that needs host rows."""
    if not use_c() or len(chunk) == 0:
        if acc is not None and len(chunk):
            raise ValueError("a cell accumulator needs the compiled pass")
        return process_numpy(chunk.plain(), tables, file, file_index, hosts_for, on_units)
    s_c, d_c = _side(chunk, "src"), _side(chunk, "dst")
    s, s_cache = _entries(tables, s_c)
    d, d_cache = _entries(tables, d_c)
    same = s_cache is not None and s_cache is d_cache  # one book: an entry is one address, whichever side
    if same and len(s.unit) != len(d.unit):  # the book grew in between: the longer view holds both
        s = d = s if len(s.unit) > len(d.unit) else d
    s_codes = np.ascontiguousarray(s_c.codes, np.int32)
    d_codes = np.ascontiguousarray(d_c.codes, np.int32)
    counts = [None if a is None else np.ascontiguousarray(a) for a in
              (chunk.bytes, chunk.packets, chunk.rbytes, chunk.rpackets, chunk.flows)]
    times = [np.ascontiguousarray(a) for a in (chunk.start, chunk.end, chunk.line)]

    def flagged(need: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, bool]:
        sf, s_any = _flagged(s, s_cache, need)
        df, d_any = (sf, s_any) if same else _flagged(d, d_cache, need)
        return _local(sf, s_c), _local(df, d_c), s_any or d_any

    need = None
    if acc is not None:  # flags known now go into the pass, which picks the records sides() must see
        need = None if hosts_for is None else hosts_for(None)
        s_pass, d_pass, any_flag = flagged(need)
    else:
        s_pass, d_pass = _local(s.packed, s_c), _local(d.packed, d_c)
    raw, k, attributed, unresolved, skipped, picks = _flowagg.cells(
        s_codes, d_codes, s_pass, d_pass, _CLASS_OF, *counts, *times,
        file_index, HOUR_US, HOUR_BITS, CLASS_BITS, TRANSIT_SRC, NO_UNIT, tables.caches.route.last_cells,
        None if acc is None else acc.handle)
    p = Partial()
    p.files[file] = [attributed, unresolved, skipped]
    if acc is None:
        tables.caches.route.last_cells = k  # this thread's: the next table starts that big
        p.cells = _cell_frame(_rows(raw, 11))
        units = p.units()
    else:
        units = np.sort(np.frombuffer(raw, np.int64))
    if on_units is not None and len(units):
        on_units(units)
    after = None if hosts_for is None else hosts_for(None if acc is not None else units)
    if acc is None or after is not need:
        s_pass, d_pass, any_flag = flagged(after)
    rows = None if picks is None else np.frombuffer(picks, np.int64)
    if any_flag and (rows is None or len(rows)):
        keep = acc is not None and s_cache is not None and d_cache is not None  # host ids stable from chunk to chunk
        if keep:
            earlier = acc.keep_hosts((s_cache, d_cache))
            if earlier is not None:
                p.hosts = earlier.hosts
        h_raw, _nh, e_raw, _ne = _flowagg.sides(s_codes, d_codes, s_pass, d_pass, *counts, same, rows,
                                                  _ids(s_c), _ids(d_c), acc.handle if keep else None)
        if not keep:
            _hosts(p, _rows(h_raw, 8), s, d, same)
        _evidence(p, _rows(e_raw, 4), s, d)
    return p


def _local(packed: np.ndarray, coded: Coded) -> np.ndarray:
    """Packed entries as the side's codes index them (a dictionary's, or the entries themselves)."""
    return packed if coded.ids is None else packed.take(coded.ids)


def _ids(coded: Coded) -> np.ndarray | None:
    return None if coded.ids is None else np.ascontiguousarray(coded.ids, np.int32)


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
