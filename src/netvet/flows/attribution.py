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
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..attribution.prefix_index import PrefixIndex
from . import addresses
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


def encode_unit(key: np.ndarray, dns: np.ndarray) -> np.ndarray:
    return ((key.astype(np.int64) + KEY_OFFSET) << DNS_BITS) | dns.astype(np.int64)


def decode_unit(unit: int) -> tuple[int, int]:
    """(key, dns group) of a unit: key > 0 origin set id, 0 unrouted, < 0 cloud provider code."""
    return (unit >> DNS_BITS) - KEY_OFFSET, unit & ((1 << DNS_BITS) - 1)


def encode_cell(unit: np.ndarray, hour_code: np.ndarray, cls: np.ndarray) -> np.ndarray:
    return (unit << (HOUR_BITS + CLASS_BITS)) | (hour_code << CLASS_BITS) | cls.astype(np.int64)


def decode_cells(cell: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(unit, hour (NO_HOUR when unknown), class) of packed cells."""
    cls = cell & ((1 << CLASS_BITS) - 1)
    code = (cell >> CLASS_BITS) & ((1 << HOUR_BITS) - 1)
    unit = cell >> (HOUR_BITS + CLASS_BITS)
    return unit, np.where(code == 0, NO_HOUR, code - 1), cls


@dataclass
class FlowTables:
    """Everything the per-chunk attribution needs; picklable."""

    routes: PrefixIndex | None = None
    cloud: CloudIndex = field(default_factory=lambda: CloudIndex.build([]))
    dns: DnsIndex = field(default_factory=DnsIndex.empty)
    internal: tuple[tuple[int, int, int], ...] = ()
    classes: addresses.AddressClasses | None = None

    def __post_init__(self) -> None:
        if len(self.dns.groups) >= 1 << DNS_BITS:
            raise ValueError(f"{len(self.dns.groups)} distinct DNS entity groups; at most {1 << DNS_BITS} supported")
        if len(self.cloud.providers) >= KEY_OFFSET:
            raise ValueError(f"{len(self.cloud.providers)} cloud providers; at most {KEY_OFFSET - 1} supported")
        if self.classes is None:
            self.classes = addresses.AddressClasses.build(self.internal)

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


def lookup(tables: FlowTables, hi: np.ndarray, lo: np.ndarray) -> Remote:
    """Attribute remote addresses (see the module docstring)."""
    n = len(hi)
    if tables.routes is not None:
        _v, route_set, route_len = _lookup_mixed(tables.routes, hi, lo)
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
        group = dns_address = np.zeros(n, np.int64)
    return Remote(key, encode_unit(key, group), route_set, route_len, cloud_set, cloud_len, dns_address)
