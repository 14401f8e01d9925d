"""IP address → origin AS: an exact longest-prefix-match index with a vectorised batch API.

Build a :class:`PrefixIndex` from a pyasn IPASN file or a CAIDA pfx2as file (:meth:`PrefixIndex.from_file`),
from columnar evidence (:meth:`PrefixIndex.from_tables` with ``util.prefix_origins.PrefixOrigins`` tables, e.g.
several files merged; :meth:`PrefixIndex.from_arrays` with one origin AS per row, e.g. a RIB's routes)
or from any iterable of ``(prefix, origins)`` pairs (:meth:`PrefixIndex.from_pairs`). Every origin of a
multi-origin prefix is kept: each prefix points at an *origin set* (``index.origin_sets[id]`` is a tuple
of ASNs, first the primary origin); a prefix given more than once keeps the union of its origins.
Problems in the input are counted and described in ``index.stats`` (one ``ReadStats`` per source).

Batch lookups take whole arrays and run without a Python loop per address:

* :meth:`PrefixIndex.lookup_v4` — uint32 addresses (NumPy, Arrow or Polars integer column);
* :meth:`PrefixIndex.lookup_v6` — two uint64 arrays (top and bottom 64 bits), an ``(n, 2)`` uint64
  array, an ``(n, 16)`` uint8 array or an ``S16``/Arrow ``fixed_size_binary(16)`` column of packed
  addresses in network byte order;
* :meth:`PrefixIndex.lookup` — strings (list, NumPy, Arrow or Polars), IPv4 and IPv6 mixed, parsed
  vectorised.

Each returns a :class:`LookupResult` of arrays: ``asn`` (primary origin, uint32, :data:`UNROUTED` = 0
where no prefix covers the address), ``set_id`` (all origins, via ``index.origin_sets``) and
``prefix_len`` (length of the matched prefix, -1 where unrouted). :meth:`PrefixIndex.lookup_one` answers
one address with the matched prefix as text; :meth:`PrefixIndex.expand_origins` lists every origin of
a batch's ``set_id`` vectorised. Threads by what is measured (bench/ip_lookup.py, docs/benchmarks.md): IPv4
batches (one gather, memory bound) run on one thread by default, a second thread gained at most 4% at 10M
addresses and lost up to half the rate on small batches or a busy machine; IPv6 batches (binary searches)
of 2^18 addresses or more on min(2, CPUs) threads (1.6x when idle). ``threads`` > 1 sets both.

How it is fast and exact:

* IPv4: a 2^24-entry gather table indexed by the top 24 bits holds, for each /24, the answer of the
  longest prefix covering all of it; the few /24s split by longer prefixes point instead (top bit set)
  at a 256-entry row of a second-level table. Both are painted level by level, shortest prefixes
  first, so a nested longer prefix always wins. A lookup is two or three array gathers. The table
  takes 64 MiB whatever the prefix count (plus 1 KiB per split /24).
* IPv6: the top 64 bits of the address space are cut into disjoint intervals, each with its most
  specific covering prefix (``np.searchsorted`` finds the interval); a /64 that holds longer prefixes
  gets its own sorted intervals over the bottom 64 bits, searched by a vectorised segmented bisection.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..model import ReadStats
from ..util import ipvec
from ..util.prefix_origins import (
    BadRecord,
    OriginSets,
    PrefixOrigins,
    PrefixOriginsBuilder,
    parse_asn,
    parse_prefix,
    read_prefix_origins,
)

UNROUTED = 0  # the ASN returned for an address no prefix covers (AS0 is never a valid origin)
NO_PREFIX = -1  # the prefix length returned for such an address

_SPLIT = np.uint32(1 << 31)  # table entry flag: "look in the second-level table"
_LOW31 = np.uint32((1 << 31) - 1)
_U64_MAX = np.uint64(0xFFFFFFFFFFFFFFFF)
_THREAD_MIN = 1 << 18  # batches smaller than this run on one thread
_BLOCK = 1 << 16  # addresses per work item: keeps each step's temporaries in cache


@dataclass(frozen=True, eq=False)
class LookupResult:
    """Answers for a batch of addresses, one array element per address."""

    asn: np.ndarray  # uint32: primary origin AS, UNROUTED (0) when no prefix covers the address
    set_id: np.ndarray  # uint32: id of all origins in PrefixIndex.origin_sets (0 = the empty set)
    prefix_len: np.ndarray  # int16: length of the longest matching prefix, NO_PREFIX (-1) when unrouted
    version: np.ndarray  # uint8: 4 or 6, 0 where the input was not an IP address (string input)

    def __len__(self) -> int:
        return len(self.asn)

    @property
    def valid(self) -> np.ndarray:
        return self.version != 0

    @property
    def routed(self) -> np.ndarray:
        return self.asn != UNROUTED


@dataclass(frozen=True)
class PrefixMatch:
    """The answer for one address."""

    address: str
    prefix: str | None  # the longest matching prefix, None when unrouted
    asn: int  # primary origin, UNROUTED when unrouted
    origins: tuple[int, ...]  # every origin of the prefix, primary first

    @property
    def routed(self) -> bool:
        return self.prefix is not None


@dataclass
class _Family:
    """One address family: its unique prefixes (sorted) and its answer table.

    An *answer* is a distinct (origin set, prefix length) pair, packed in a uint64 as
    ``asn | set_id << 32 | (length + 1) << 56``; answer 0 (all zero) is "unrouted". The lookup
    structures map addresses to answer ids, so the final gather reads a small, cache-resident table.
    """

    hi: np.ndarray  # uint64 network, top 64 bits (IPv4: 0)
    lo: np.ndarray  # uint64 network, bottom 64 bits (IPv4: the address)
    length: np.ndarray  # uint8
    set_id: np.ndarray  # uint32
    answer: np.ndarray  # uint32 answer id of each prefix
    answers: np.ndarray  # uint64 packed answers

    def __len__(self) -> int:
        return len(self.hi)


@dataclass
class PrefixIndex:
    """Longest-prefix-match index of IPv4 and IPv6 prefixes to their origin ASes. Build with a ``from_*``."""

    origin_sets: list[tuple[int, ...]]
    stats: list[ReadStats] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    threads: int = 0  # worker threads for large batches; 0: IPv4 one, IPv6 min(2, CPUs) (measured fastest)
    _v4: _Family = field(default=None, repr=False)  # type: ignore[assignment]
    _v4_table: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]
    _v4_sub: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]
    _v6: _Family = field(default=None, repr=False)  # type: ignore[assignment]
    _v6_bounds: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]
    _v6_answer: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]
    _v6_seg: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]
    _v6_sub_bounds: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]
    _v6_sub_answer: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]
    _set_off: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]
    _set_asns: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]

    # ------------------------------------------------------------------ building
    @classmethod
    def from_file(cls, path: str | Path, fmt: str | None = None) -> PrefixIndex:
        """Index a pyasn IPASN file or a CAIDA pfx2as file (plain or compressed; sniffed unless ``fmt``)."""
        return cls.from_tables([read_prefix_origins(path, fmt)])

    @classmethod
    def from_tables(cls, tables: Sequence[PrefixOrigins]) -> PrefixIndex:
        """Index the union of several prefix → origins tables (a prefix in several keeps all origins)."""
        sets: list[tuple[int, ...]] = [()]
        ids: dict[tuple[int, ...], int] = {(): 0}
        cols: dict[str, list[np.ndarray]] = {k: [] for k in ("v4n", "v4l", "v4s", "v6h", "v6o", "v6l", "v6s")}
        for t in tables:
            remap = np.empty(len(t.origin_sets), np.uint32)
            for i, s in enumerate(t.origin_sets):
                sid = ids.get(s)
                if sid is None:
                    sid = ids[s] = len(sets)
                    sets.append(s)
                remap[i] = sid
            cols["v4n"].append(t.v4_net)
            cols["v4l"].append(t.v4_len)
            cols["v4s"].append(remap[t.v4_set])
            cols["v6h"].append(t.v6_hi)
            cols["v6o"].append(t.v6_lo)
            cols["v6l"].append(t.v6_len)
            cols["v6s"].append(remap[t.v6_set])

        def cat(key: str, dtype: Any) -> np.ndarray:
            return np.concatenate(cols[key]).astype(dtype, copy=False) if cols[key] else np.zeros(0, dtype)

        index = cls(origin_sets=sets, stats=[t.stats for t in tables], sources=[t.source for t in tables])
        index._build(
            cat("v4n", np.uint32),
            cat("v4l", np.uint8),
            cat("v4s", np.uint32),
            cat("v6h", np.uint64),
            cat("v6o", np.uint64),
            cat("v6l", np.uint8),
            cat("v6s", np.uint32),
            ids,
        )
        return index

    @classmethod
    def from_arrays(
        cls,
        v4: tuple[Any, Any, Any] | None = None,
        v6: tuple[Any, Any, Any, Any] | None = None,
        source: str = "<arrays>",
    ) -> PrefixIndex:
        """Index route origins given as columns, one origin AS per row (vectorised; for RIBs).

        ``v4`` is ``(network uint32, length, origin)``, ``v6`` is ``(hi uint64, lo uint64, length, origin)``.
        Rows of one prefix with different origins make a multi-origin prefix (first row's origin primary).
        A row with origin 0 or a length out of range is counted in ``stats`` (``line`` = 1-based row).
        """
        stats = ReadStats(file=source, format="arrays")
        empty = (np.zeros(0, np.uint64),) * 4
        parts = []
        for version, cols in ((4, v4), (6, v6)):
            if cols is None:
                parts.append(empty)
                continue
            arrays = [np.asarray(c) for c in cols]
            if version == 4:
                arrays = [np.zeros(len(arrays[0]), np.uint64), *arrays]
            hi, lo, length, origin = (a.astype(np.uint64).reshape(-1) for a in arrays)
            stats.read += len(origin)
            bad = (origin == 0) | (origin > 0xFFFFFFFF) | (length > (32 if version == 4 else 128))
            for row in np.flatnonzero(bad).tolist():
                reason = (
                    f"IPv{version} row {row + 1}: prefix length {int(length[row])} out of range"
                    if length[row] > (32 if version == 4 else 128)
                    else f"IPv{version} row {row + 1}: origin AS{int(origin[row])} is not a valid origin"
                )
                stats.problem(reason, line=row + 1)
            keep = ~bad
            parts.append((hi[keep], lo[keep], length[keep], origin[keep]))
        uniq, inverse = np.unique(np.concatenate((parts[0][3], parts[1][3])), return_inverse=True)
        sets = [()] + [(a,) for a in uniq.tolist()]
        set_id = (inverse.reshape(-1) + 1).astype(np.uint32)
        n4 = len(parts[0][3])
        table = PrefixOrigins(
            v4_net=parts[0][1].astype(np.uint32),
            v4_len=parts[0][2].astype(np.uint8),
            v4_set=set_id[:n4],
            v6_hi=parts[1][0],
            v6_lo=parts[1][1],
            v6_len=parts[1][2].astype(np.uint8),
            v6_set=set_id[n4:],
            origin_sets=sets,
            stats=stats,
            source=source,
        )
        return cls.from_tables([table])

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[Any, Any]], source: str = "<pairs>") -> PrefixIndex:
        """Index ``(prefix, origins)`` pairs.

        ``prefix`` is text (``"192.0.2.0/24"``, ``"2001:db8::/32"``) or ``(family, network_int, length)``
        with family 4 or 6; ``origins`` is one ASN or an iterable of ASNs (primary first). A pair that
        cannot be read is counted in ``stats`` with its position (1-based, as ``line``).
        """
        stats = ReadStats(file=source, format="pairs")
        builder = PrefixOriginsBuilder(stats, OriginSets())
        for number, pair in enumerate(pairs, 1):
            stats.read += 1
            try:
                prefix, origins = pair
                version, net, length, host_bits = _prefix_of(prefix)
                if isinstance(origins, int | str | np.integer):
                    origin_tuple = (parse_asn(str(origins)),)
                else:
                    origin_tuple = tuple(dict.fromkeys(parse_asn(str(a)) for a in origins))
                    if not origin_tuple:
                        raise BadRecord("no origin AS")
            except BadRecord as exc:
                stats.problem(str(exc), line=number)
                continue
            except (TypeError, ValueError) as exc:
                stats.problem(f"not a (prefix, origins) pair: {exc}", line=number)
                continue
            if host_bits:
                stats.warn(
                    f"prefix {prefix} has host bits set; read as the network with them cleared", line=number
                )
            builder.add(version, net, length, origin_tuple)
        return cls.from_tables([builder.build(source)])

    def _build(self, v4n, v4l, v4s, v6h, v6o, v6l, v6s, ids) -> None:
        v4n = v4n & _v4_netmask(v4l)
        order = np.lexsort((v4l, v4n))  # stable: the first-seen origins of a repeated prefix stay first
        v4n, v4l, v4s = v4n[order], v4l[order], v4s[order]
        first, v4s = self._merge_dups(_run_starts(v4n, v4l), v4s, ids)
        v4n, v4l = v4n[first], v4l[first]

        mh, ml = _v6_netmask(v6l)
        v6h, v6o = v6h & mh, v6o & ml
        order = np.lexsort((v6l, v6o, v6h))
        v6h, v6o, v6l, v6s = v6h[order], v6o[order], v6l[order], v6s[order]
        first, v6s = self._merge_dups(_run_starts(v6h, v6o, v6l), v6s, ids)
        v6h, v6o, v6l = v6h[first], v6o[first], v6l[first]

        if len(self.origin_sets) > 1 << 24:
            raise ValueError(f"{len(self.origin_sets)} distinct origin sets; the index holds at most 2^24")
        lengths = np.array([len(s) for s in self.origin_sets], dtype=np.int64)
        self._set_off = np.concatenate(([0], np.cumsum(lengths)))
        self._set_asns = np.fromiter(
            (a for s in self.origin_sets for a in s), dtype=np.uint32, count=int(lengths.sum())
        )
        primary = (
            self._set_asns[np.minimum(self._set_off[:-1], max(len(self._set_asns) - 1, 0))]
            if len(self._set_asns)
            else np.zeros(len(self.origin_sets), np.uint32)
        )
        primary = np.where(lengths > 0, primary, UNROUTED).astype(np.uint64)

        self._v4 = _family(np.zeros(len(v4n), np.uint64), v4n.astype(np.uint64), v4l, v4s, primary)
        self._v4_table, self._v4_sub = _build_v4(v4n, v4l, self._v4.answer)
        self._v6 = _family(v6h, v6o, v6l, v6s, primary)
        (self._v6_bounds, self._v6_answer, self._v6_seg, self._v6_sub_bounds, self._v6_sub_answer) = (
            _build_v6(v6h, v6o, v6l, self._v6.answer)
        )

    def _merge_dups(self, new: np.ndarray, set_ids: np.ndarray, ids: dict) -> tuple[np.ndarray, np.ndarray]:
        """Rows starting each run of equal prefixes, and each run's merged origin set (union, in order)."""
        starts = np.flatnonzero(new)
        merged = set_ids[starts].copy()
        run_of = np.cumsum(new) - 1
        differs = np.flatnonzero(set_ids != merged[run_of])
        for run in np.unique(run_of[differs]).tolist():
            a = starts[run]
            b = starts[run + 1] if run + 1 < len(starts) else len(set_ids)
            union = tuple(dict.fromkeys(x for sid in set_ids[a:b].tolist() for x in self.origin_sets[sid]))
            sid = ids.get(union)
            if sid is None:
                sid = ids[union] = len(self.origin_sets)
                self.origin_sets.append(union)
            merged[run] = sid
        return starts, merged

    # ------------------------------------------------------------------ facts
    @property
    def v4_prefixes(self) -> int:
        return len(self._v4)

    @property
    def v6_prefixes(self) -> int:
        return len(self._v6)

    def __len__(self) -> int:
        return self.v4_prefixes + self.v6_prefixes

    def __repr__(self) -> str:
        return (
            f"PrefixIndex({self.v4_prefixes} IPv4 + {self.v6_prefixes} IPv6 prefixes, "
            f"{len(self.origin_sets) - 1} origin sets, sources={self.sources})"
        )

    def prefix_arrays(self, version: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(hi, lo, length, set_id) of one family's unique prefixes in address order (IPv4 in ``lo``)."""
        fam = self._v4 if version == 4 else self._v6
        return fam.hi, fam.lo, fam.length, fam.set_id

    def prefixes_of(self, asn: int) -> list[str]:
        """Every prefix one of whose origins is ``asn``, IPv4 first, in address order."""
        owner = np.repeat(np.arange(len(self.origin_sets)), np.diff(self._set_off))
        sets = np.unique(owner[self._set_asns == asn])
        out = []
        for fam, version in ((self._v4, 4), (self._v6, 6)):
            for i in np.flatnonzero(np.isin(fam.set_id, sets)).tolist():
                out.append(_prefix_text(version, int(fam.hi[i]), int(fam.lo[i]), int(fam.length[i])))
        return out

    def expand_origins(self, set_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(position, asn) pairs listing every origin of every element of ``set_ids`` (vectorised)."""
        set_ids = np.asarray(set_ids, dtype=np.int64)
        start = self._set_off[set_ids]
        count = self._set_off[set_ids + 1] - start
        total = int(count.sum())
        position = np.repeat(np.arange(len(set_ids)), count)
        within = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
        return position, self._set_asns[np.repeat(start, count) + within]

    # ------------------------------------------------------------------ lookups
    def lookup_v4(self, addrs: Any) -> LookupResult:
        """Longest-prefix match of IPv4 addresses given as unsigned 32-bit integers."""
        a = _as_uint32(addrs)
        return self._batch(self._v4_answer_ids, self._v4.answers, 4, a)

    def lookup_v6(self, hi: Any, lo: Any = None) -> LookupResult:
        """Longest-prefix match of IPv6 addresses: ``(hi, lo)`` uint64 arrays or one packed array."""
        h, low = _as_v6_pair(hi, lo)
        return self._batch(self._v6_answer_ids, self._v6.answers, 6, h, low)

    def lookup(self, addresses: Any) -> LookupResult:
        """Longest-prefix match of address strings (IPv4 and IPv6 mixed; unreadable ones: version 0).

        An integer array or column is taken as IPv4 addresses (see :meth:`lookup_v4`), an Arrow
        ``fixed_size_binary(16)`` column as packed IPv6 addresses (see :meth:`lookup_v6`).
        """
        arrow = ipvec.as_arrow(addresses)
        probe = arrow.type if arrow is not None else getattr(addresses, "dtype", None)
        if probe is not None and _is_integer_type(probe):
            return self.lookup_v4(addresses)
        if arrow is not None and _is_packed_v6_type(probe):
            return self.lookup_v6(addresses)
        version, hi, lo = ipvec.parse_ip_strings(addresses)
        n = len(version)
        asn = np.zeros(n, np.uint32)
        set_id = np.zeros(n, np.uint32)
        plen = np.full(n, NO_PREFIX, np.int16)
        rows4 = np.flatnonzero(version == 4)
        rows6 = np.flatnonzero(version == 6)
        for rows, part in (
            (rows4, self.lookup_v4(lo[rows4].astype(np.uint32))),
            (rows6, self.lookup_v6(hi[rows6], lo[rows6])),
        ):
            asn[rows] = part.asn
            set_id[rows] = part.set_id
            plen[rows] = part.prefix_len
        return LookupResult(asn, set_id, plen, version)

    def lookup_one(self, address: str) -> PrefixMatch:
        """The match for one address string (raises ValueError for text that is not an IP address)."""
        ip = ipaddress.ip_address(address.strip())
        value = int(ip)
        if ip.version == 4:
            r = self.lookup_v4(np.array([value], np.uint32))
        else:
            r = self.lookup_v6(
                np.array([value >> 64], np.uint64), np.array([value & ((1 << 64) - 1)], np.uint64)
            )
        length = int(r.prefix_len[0])
        if length == NO_PREFIX:
            return PrefixMatch(str(ip), None, UNROUTED, ())
        network = ipaddress.ip_network(f"{ip}/{length}", strict=False)
        return PrefixMatch(str(ip), str(network), int(r.asn[0]), self.origin_sets[int(r.set_id[0])])

    def _batch(self, answer_ids, answers: np.ndarray, version: int, *arrays: np.ndarray) -> LookupResult:
        """Run ``answer_ids`` over blocks of the input (on worker threads for big batches) and unpack."""
        n = len(arrays[0])
        asn = np.empty(n, np.uint32)
        set_id = np.empty(n, np.uint32)
        plen = np.empty(n, np.int16)

        def work(a: int) -> None:
            b = min(a + _BLOCK, n)
            packed = answers.take(answer_ids(*(x[a:b] for x in arrays)))
            np.copyto(asn[a:b], packed, casting="unsafe")  # low 32 bits
            np.copyto(set_id[a:b], (packed >> np.uint64(32)) & np.uint64(0xFFFFFF), casting="unsafe")
            np.copyto(plen[a:b], packed >> np.uint64(56), casting="unsafe")
            plen[a:b] -= 1

        threads = self.threads or (min(2, os.cpu_count() or 1) if version == 6 else 1)
        if threads > 1 and n >= _THREAD_MIN:
            with ThreadPoolExecutor(threads) as pool:
                list(pool.map(work, range(0, n, _BLOCK)))
        else:
            for a in range(0, n, _BLOCK):
                work(a)
        return LookupResult(asn, set_id, plen, np.full(n, version, np.uint8))

    def _v4_answer_ids(self, a: np.ndarray) -> np.ndarray:
        ans = self._v4_table.take(a >> np.uint32(8))
        split = np.flatnonzero(ans >= _SPLIT)
        if len(split):
            row = (ans[split] & _LOW31).astype(np.intp) << 8
            ans[split] = self._v4_sub.take(row | (a[split] & np.uint32(0xFF)))
        return ans

    def _v6_answer_ids(self, hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
        ans = self._v6_answer.take(np.searchsorted(self._v6_bounds, hi, side="right") - 1)
        split = np.flatnonzero(ans >= _SPLIT)
        if len(split):
            seg = (ans[split] & _LOW31).astype(np.intp)
            ans[split] = self._v6_sub_answer.take(
                _segmented_search(self._v6_sub_bounds, self._v6_seg[seg], self._v6_seg[seg + 1], lo[split])
            )
        return ans


def _family(
    hi: np.ndarray, lo: np.ndarray, length: np.ndarray, set_id: np.ndarray, primary: np.ndarray
) -> _Family:
    key = (set_id.astype(np.uint64) << np.uint64(8)) | length.astype(np.uint64)
    uniq, inverse = np.unique(key, return_inverse=True)
    u_set = uniq >> np.uint64(8)
    u_len = uniq & np.uint64(0xFF)
    packed = (
        primary[u_set.astype(np.intp)] | (u_set << np.uint64(32)) | ((u_len + np.uint64(1)) << np.uint64(56))
    )
    return _Family(
        hi=hi,
        lo=lo,
        length=length,
        set_id=set_id,
        answer=(inverse.reshape(-1) + 1).astype(np.uint32),
        answers=np.concatenate((np.zeros(1, np.uint64), packed)),
    )


# ---------------------------------------------------------------------- building blocks
def _run_starts(*keys: np.ndarray) -> np.ndarray:
    """True where a row of the sorted ``keys`` differs from the row before (the first row included)."""
    new = np.ones(len(keys[0]), bool)
    if len(new) > 1:
        new[1:] = np.logical_or.reduce([k[1:] != k[:-1] for k in keys])
    return new


def _prefix_of(prefix: Any) -> tuple[int, int, int, bool]:
    if isinstance(prefix, str):
        return parse_prefix(prefix)
    family, net, length = prefix
    bits = {4: 32, 6: 128}.get(int(family))
    if bits is None:
        raise BadRecord(f"address family must be 4 or 6, got {family!r}")
    net, length = int(net), int(length)
    if not 0 <= length <= bits:
        raise BadRecord(f"prefix length {length} out of range for IPv{family}")
    if not 0 <= net < (1 << bits):
        raise BadRecord(f"network {net} out of range for IPv{family}")
    mask = ((1 << bits) - 1) ^ ((1 << (bits - length)) - 1)
    return int(family), net & mask, length, bool(net & ~mask)


def _prefix_text(version: int, hi: int, lo: int, length: int) -> str:
    if version == 4:
        return f"{ipaddress.IPv4Address(lo)}/{length}"
    return f"{ipaddress.IPv6Address((hi << 64) | lo)}/{length}"


def _v4_netmask(length: np.ndarray) -> np.ndarray:
    host = np.uint64(32) - np.minimum(length, 32).astype(np.uint64)
    return (np.uint64(0xFFFFFFFF) ^ ((np.uint64(1) << host) - np.uint64(1))).astype(np.uint32)


def _mask64(bits: np.ndarray) -> np.ndarray:
    """Masks keeping the top ``bits`` (0-64) bits of a uint64."""
    bits = np.clip(bits.astype(np.int64), 0, 64)
    host = (64 - bits).astype(np.uint64)
    low = np.where(host >= 64, _U64_MAX, (np.uint64(1) << np.minimum(host, np.uint64(63))) - np.uint64(1))
    return _U64_MAX ^ low


def _v6_netmask(length: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ln = length.astype(np.int64)
    return _mask64(ln), _mask64(ln - 64)


def _build_v4(net: np.ndarray, length: np.ndarray, answer: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The /24 gather table and the second-level table (256 entries per split /24) of answer ids."""
    table = np.zeros(1, np.uint32)
    for level in range(25):  # shortest prefixes first: longer ones overwrite what they cover
        if level:
            table = np.repeat(table, 2)
        sel = length == level
        if sel.any():
            table[(net[sel] >> np.uint32(32 - level)) if level else np.zeros(1, np.intp)] = answer[sel]
    long_ = length > 24
    blocks = np.unique(net[long_] >> np.uint32(8))
    sub = table[blocks][:, None]
    for level in range(25, 33):
        sub = np.repeat(sub, 2, axis=1)
        sel = length == level
        if sel.any():
            row = np.searchsorted(blocks, net[sel] >> np.uint32(8))
            col = (net[sel] >> np.uint32(32 - level)) & np.uint32((1 << (level - 24)) - 1)
            sub[row, col] = answer[sel]
    table[blocks] = _SPLIT | np.arange(len(blocks), dtype=np.uint32)
    return table, np.ascontiguousarray(sub.reshape(-1))


def _paint(
    seg: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    length: np.ndarray,
    value: np.ndarray,
    base: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Disjoint intervals of a key space cut into segments, each with the value of its most specific prefix.

    Prefix ``i`` covers keys ``start[i]..end[i]`` (inclusive, uint64) of segment ``seg[i]``; ``base[s]``
    is the value of segment ``s`` where no prefix covers it. Returns ``(offsets, bounds, values)``:
    segment ``s`` owns intervals ``offsets[s]:offsets[s+1]``, interval ``j`` starting at key
    ``bounds[j]`` (the first of each segment at 0) with value ``values[j]``; neighbours with equal
    values are merged.
    """
    nseg = len(base)
    has_end = end != _U64_MAX
    b_seg = np.concatenate((np.arange(nseg), seg, seg[has_end]))
    b_key = np.concatenate((np.zeros(nseg, np.uint64), start, end[has_end] + np.uint64(1)))
    order = np.lexsort((b_key, b_seg))
    s_seg, s_key = b_seg[order], b_key[order]
    new = _run_starts(s_seg, s_key)
    uid = np.empty(len(order), np.int64)
    uid[order] = np.cumsum(new) - 1
    bounds, bound_seg = s_key[new], s_seg[new]
    offsets = np.searchsorted(bound_seg, np.arange(nseg + 1))
    n = len(start)
    i0 = uid[nseg : nseg + n]
    i1 = offsets[seg + 1].astype(np.int64)
    i1[has_end] = uid[nseg + n :]
    values = base[bound_seg].astype(np.uint32)
    for level in np.unique(length).tolist():  # shortest first: longer prefixes overwrite
        sel = np.flatnonzero(length == level)
        count = i1[sel] - i0[sel]
        total = int(count.sum())
        idx = np.repeat(i0[sel], count) + (np.arange(total) - np.repeat(np.cumsum(count) - count, count))
        values[idx] = np.repeat(value[sel], count)
    keep = np.ones(len(values), bool)
    keep[1:] = (values[1:] != values[:-1]) | (bound_seg[1:] != bound_seg[:-1])
    kept_offsets = np.concatenate(([0], np.cumsum(keep)))[offsets]
    return kept_offsets, bounds[keep], values[keep]


def _build_v6(hi: np.ndarray, lo: np.ndarray, length: np.ndarray, answer: np.ndarray):
    """Intervals on the top 64 bits, and per-/64 intervals on the bottom 64 bits for each /64 holding
    prefixes longer than /64 (its top-level interval is then ``_SPLIT | segment``)."""
    short = length <= 64
    long_ = ~short
    s_start = hi[short]
    s_end = hi[short] | ~_mask64(length[short])
    s_seg = np.zeros(len(s_start), np.int64)
    top = np.zeros(1, np.uint32)
    _, bounds, values = _paint(s_seg, s_start, s_end, length[short], answer[short], top)
    blocks = np.unique(hi[long_])
    if not len(blocks):
        return bounds, values, np.zeros(1, np.int64), np.zeros(0, np.uint64), np.zeros(0, np.uint32)
    # what each split /64 answers outside its longer prefixes, then make each split /64 its own interval
    block_base = values[np.searchsorted(bounds, blocks, side="right") - 1]
    _, bounds, values = _paint(
        np.concatenate((s_seg, np.zeros(len(blocks), np.int64))),
        np.concatenate((s_start, blocks)),
        np.concatenate((s_end, blocks)),
        np.concatenate((length[short], np.full(len(blocks), 64, np.uint8) + 1)),
        np.concatenate((answer[short], _SPLIT | np.arange(len(blocks), dtype=np.uint32))),
        top,
    )
    seg = np.searchsorted(blocks, hi[long_])
    l_end = lo[long_] | ~_mask64(length[long_].astype(np.int64) - 64)
    seg_off, sub_bounds, sub_values = _paint(seg, lo[long_], l_end, length[long_], answer[long_], block_base)
    return bounds, values, seg_off, sub_bounds, sub_values


def _segmented_search(bounds: np.ndarray, lo: np.ndarray, hi: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """For each key, the last index ``j`` in ``[lo, hi)`` with ``bounds[j] <= key`` (``bounds[lo]`` is 0)."""
    lo = lo.astype(np.int64).copy()
    hi = hi.astype(np.int64).copy()
    while True:
        active = hi - lo > 1
        if not active.any():
            return lo
        mid = (lo + hi) // 2
        go_right = active & (bounds[np.minimum(mid, len(bounds) - 1)] <= keys)
        lo = np.where(go_right, mid, lo)
        hi = np.where(active & ~go_right, mid, hi)


# ---------------------------------------------------------------------- input conversion
def _is_integer_type(t: Any) -> bool:
    if isinstance(t, np.dtype):
        return t.kind in "iu"
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - only without pyarrow
        return False
    return isinstance(t, pa.DataType) and pa.types.is_integer(t)


def _is_packed_v6_type(t: Any) -> bool:
    import pyarrow as pa

    return pa.types.is_fixed_size_binary(t) and t.byte_width == 16


def _to_numpy(values: Any) -> np.ndarray:
    arrow = ipvec.as_arrow(values)
    if arrow is None:
        return np.asarray(values)
    import pyarrow as pa

    if isinstance(arrow, pa.ChunkedArray):
        arrow = arrow.combine_chunks() if arrow.num_chunks != 1 else arrow.chunk(0)
    if arrow.null_count:
        raise ValueError("address column has nulls; drop or fill them first")
    if pa.types.is_fixed_size_binary(arrow.type):
        width = arrow.type.byte_width
        data = arrow.buffers()[1]
        return np.frombuffer(data, np.uint8, count=len(arrow) * width, offset=arrow.offset * width).reshape(
            -1, width
        )
    return arrow.to_numpy(zero_copy_only=False)


def _as_uint32(values: Any) -> np.ndarray:
    a = _to_numpy(values)
    if a.dtype == np.uint32:
        return a.reshape(-1)
    if a.dtype.kind not in "iu":
        raise TypeError(f"IPv4 addresses must be integers, got dtype {a.dtype}")
    if a.size and (a.min() < 0 or a.max() > 0xFFFFFFFF):
        raise ValueError("IPv4 address integers must be in 0..4294967295")
    return a.astype(np.uint32).reshape(-1)


def _as_v6_pair(hi: Any, lo: Any) -> tuple[np.ndarray, np.ndarray]:
    if lo is not None:
        h = _to_numpy(hi).astype(np.uint64, copy=False).reshape(-1)
        low = _to_numpy(lo).astype(np.uint64, copy=False).reshape(-1)
        if len(h) != len(low):
            raise ValueError("hi and lo arrays differ in length")
        return h, low
    a = _to_numpy(hi)
    if a.dtype.kind in "SV" and a.dtype.itemsize == 16:
        a = np.ascontiguousarray(a).view(np.uint8).reshape(-1, 16)
    if a.ndim == 2 and a.shape[1] == 2 and a.dtype.kind in "iu":
        return a[:, 0].astype(np.uint64), a[:, 1].astype(np.uint64)
    if a.ndim == 2 and a.shape[1] == 16 and a.dtype == np.uint8:
        words = np.ascontiguousarray(a).view(">u8")
        return words[:, 0].astype(np.uint64), words[:, 1].astype(np.uint64)
    raise TypeError(
        "IPv6 addresses must be (hi, lo) uint64 arrays, an (n, 2) uint64 array, "
        "an (n, 16) uint8 array or 16-byte packed values"
    )
