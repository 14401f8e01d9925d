"""Who is at the far end of each flow: remote endpoint -> origin AS set, published cloud range, DNS entities.

:class:`FlowTables` bundles what attribution needs (the prefix index, cloud ranges, DNS answers and
the address classes, with the user's internal prefixes); it is plain data, so a parallel engine ships
it to every worker once.

Every record has at most two *remote sides*: a record with one external endpoint has one (its remote
party is that endpoint), a record between two external endpoints two, a record with none (internal
traffic, broadcast, multicast) none. :func:`lookup` answers, vectorised, for remote addresses:

* the origin AS set of the longest matching route (``route_set``; 0 = no route covers the address);
* the most specific published cloud range (``cloud_set``) and its provider;
* the DNS group of the address (entities its DNS names belong to) and its DNS address id;
* the *unit* the side is counted under: the cloud provider when a published range is at least as
  specific as the route (the provider's own publication wins a tie), else the origin AS set, combined
  with the DNS group. Units are what the policy engine classifies, once each.

Route answers go through a small per-thread cache keyed by the full address (flows repeat the same
remote addresses heavily), so only addresses not seen recently reach the prefix index; it lives on the run's
:class:`FlowTables` (:class:`RunCaches`), not in the module.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from ..attribution.prefix_index import PrefixIndex
from ..readers.flowlogs.base import FileCache, ReadSession
from . import classes
from .book import AddressBooks
from .cloud import CloudIndex, _lookup_mixed
from .dns import DnsIndex

KEY_OFFSET = 1024  # cloud provider codes are -1 .. -1023
DNS_BITS = 12
HOUR_BITS = 20  # hours since 1970 + 1, up to 2089; 0 = no time
CLASS_BITS = 3
NO_HOUR = np.iinfo(np.int64).min

# record classes (the sixth is the second remote side of a transit record)
CLASSES = ("outbound", "inbound", "transit", "local", "other")
OUTBOUND, INBOUND, TRANSIT, LOCAL, OTHER, TRANSIT_SRC = range(6)
NO_UNIT = 0  # the unit of records without a remote side


def encode_unit(key: np.ndarray, dns: np.ndarray | None) -> np.ndarray:
    """Units of remote sides (``dns`` None: no DNS group for any)."""
    out = key.astype(np.int64)  # a copy: the steps below work in place
    out += KEY_OFFSET
    out <<= DNS_BITS
    if dns is not None:
        out |= dns.astype(np.int64, copy=False)
    return out


def decode_unit(unit: int) -> tuple[int, int]:
    """(key, dns group) of a unit: key > 0 origin set id, 0 unrouted, < 0 cloud provider code."""
    return (unit >> DNS_BITS) - KEY_OFFSET, unit & ((1 << DNS_BITS) - 1)


def encode_cell(unit: np.ndarray, hour_code: np.ndarray, cls: np.ndarray) -> np.ndarray:
    out = unit << (HOUR_BITS + CLASS_BITS)
    out |= hour_code << CLASS_BITS
    out |= cls.astype(np.int64, copy=False)
    return out


def decode_cells(cell: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(unit, hour (NO_HOUR when unknown), class) of packed cells."""
    cls = cell & ((1 << CLASS_BITS) - 1)
    code = (cell >> CLASS_BITS) & ((1 << HOUR_BITS) - 1)
    unit = cell >> (HOUR_BITS + CLASS_BITS)
    return unit, np.where(code == 0, NO_HOUR, code - 1), cls


class RunCaches:
    """What one run keeps between chunks, on its :class:`FlowTables` (so that it lives as long as the run's tables,
    never longer): each worker thread's route cache (and its last chunk's cell count), the run's address books
    (:class:`.book.AddressBooks`) with the kernel's entry caches of them (``kernel.EntryCache``, the most recently
    used first, under ``lock``), and the footers of the run's Parquet files (``files``). ``session`` lends the
    books and the footers to the run's readers.

    A pickled copy starts empty: a Dask run scatters its tables to every worker once, so each worker process holds
    one copy per run, which every task of the run on that worker shares and which is dropped with the run's data
    when the run ends."""

    def __init__(self) -> None:
        self.route = _RouteCache()
        self.lock = threading.Lock()
        self.entries: list = []
        self.books = AddressBooks()
        self.files = FileCache()
        self.session = ReadSession(books=self.books, files=self.files)

    def __reduce__(self):
        return (RunCaches, ())


@dataclass
class FlowTables:
    """Everything the per-chunk attribution needs; picklable (``caches`` travel empty)."""

    routes: PrefixIndex | None = None
    cloud: CloudIndex = field(default_factory=lambda: CloudIndex.build([]))
    dns: DnsIndex = field(default_factory=DnsIndex.empty)
    internal: tuple[tuple[int, int, int], ...] = ()
    classes: classes.AddressClasses | None = None
    caches: RunCaches = field(default_factory=lambda: RunCaches(), repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.dns.groups) >= 1 << DNS_BITS:
            raise ValueError(f"{len(self.dns.groups)} distinct DNS entity groups; at most {1 << DNS_BITS} supported")
        if len(self.cloud.providers) >= KEY_OFFSET:
            raise ValueError(f"{len(self.cloud.providers)} cloud providers; at most {KEY_OFFSET - 1} supported")
        if self.classes is None:
            self.classes = classes.AddressClasses.build(self.internal)

    @property
    def key_space(self) -> int:
        """Number of distinct keys + KEY_OFFSET: size of a table indexed by key + KEY_OFFSET."""
        return KEY_OFFSET + (len(self.routes.origin_sets) if self.routes is not None else 1)


@dataclass
class Remote:
    """Attribution of remote addresses (one element per address looked up)."""

    key: np.ndarray  # int64: origin set id, 0 unrouted, -provider code
    unit: np.ndarray  # int64
    route_set: np.ndarray
    route_len: np.ndarray
    cloud_set: np.ndarray  # 0 where no published range decided
    cloud_len: np.ndarray
    dns_address: np.ndarray  # 0 where no DNS answer named the address

    @property
    def use_cloud(self) -> np.ndarray:
        return self.cloud_set > 0


CACHE_BITS = 18  # slots of each thread's route cache (remote addresses repeat heavily across flows)
_MUL_HI = np.uint64(0x9E3779B97F4A7C15)
_MUL_LO = np.uint64(0xC2B2AE3D27D4EB4F)


class _RouteCache(threading.local):
    """A direct-mapped cache of route answers per worker thread, keyed by the full 128-bit address (so
    a hit is exact); a slot holds the last address that hashed to it."""

    def __init__(self) -> None:
        self.routes = None
        self.last_cells = 0  # cells of this thread's last chunk (kernel.process_chunk: the next table's size)

    def reset(self, routes) -> None:
        size = 1 << CACHE_BITS
        self.routes = routes
        self.filled = np.zeros(size, bool)
        self.hi = np.zeros(size, np.uint64)
        self.lo = np.zeros(size, np.uint64)
        self.set_id = np.zeros(size, np.int64)
        self.plen = np.zeros(size, np.int16)



def _routes_cached(c: _RouteCache, routes, hi: np.ndarray, lo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(set id, length in IPv6 terms) of each address, as :func:`.cloud._lookup_mixed`, through the
    thread's cache ``c`` (the run's): only the addresses not cached are looked up in the prefix index."""
    if c.routes is not routes:
        c.reset(routes)
    slot = ((hi * _MUL_HI) ^ (lo * _MUL_LO)) >> np.uint64(64 - CACHE_BITS)
    slot = slot.astype(np.intp)
    c_hi = c.hi.take(slot)
    hit = c.filled.take(slot) & (c_hi == hi) & (c.lo.take(slot) == lo)
    set_id = c.set_id.take(slot)
    plen = c.plen.take(slot)
    miss = np.flatnonzero(~hit)
    if len(miss):
        m_hi, m_lo = hi[miss], lo[miss]
        _v, s, ln = _lookup_mixed(routes, m_hi, m_lo)
        set_id[miss] = s
        plen[miss] = ln
        ms = slot[miss]
        c.hi[ms] = m_hi
        c.lo[ms] = m_lo
        c.set_id[ms] = s
        c.plen[ms] = ln
        c.filled[ms] = True
    return set_id, plen


def lookup(tables: FlowTables, hi: np.ndarray, lo: np.ndarray) -> Remote:
    """Attribute remote addresses (see the module docstring)."""
    n = len(hi)
    if tables.routes is not None:
        route_set, route_len = _routes_cached(tables.caches.route, tables.routes, hi, lo)
    else:
        route_set = np.zeros(n, np.int64)
        route_len = np.full(n, -1, np.int16)
    key = route_set
    cloud_set = np.zeros(n, np.int64)
    cloud_len = np.full(n, -1, np.int16)
    if tables.cloud.index is not None:
        provider, cset, clen = tables.cloud.lookup(hi, lo)
        use = (provider > 0) & (clen >= route_len)
        key = np.where(use, -provider, route_set)
        cloud_set = np.where(use, cset, 0)
        cloud_len = np.where(use, clen, -1).astype(np.int16)
    if tables.dns.index is not None:
        group, dns_address = tables.dns.lookup(hi, lo)
    else:
        group, dns_address = None, np.zeros(n, np.int64)
    return Remote(key, encode_unit(key, group), route_set, route_len, cloud_set, cloud_len, dns_address)
