"""The ``fast`` MRT engine: netvet's own parser with its hot loop in C, straight into a RouteTable.

:class:`FastMrtParser` is :class:`~netvet.readers.mrt.MrtParser` with three things replaced:

* the sink: the table's columns and its de-duplicated AS paths live in a ``TableBuilder`` (C buffers
  from the optional extension ``netvet.readers._mrtfast``, built by ``pip install``; or
  :class:`PyTableBuilder`, the same interface in Python, when the extension was not built);
* the record loop's hook (``MrtParser._batch``): runs of TABLE_DUMP_V2 RIB records and of BGP4MP(_ET)
  MESSAGE records are consumed in C straight from the input buffer, as long as each record is whole
  and plainly well formed; the Python loop takes over at anything else (other record types, damage,
  a record cut by the buffer, an unknown address family, an AS4_PATH to merge ...);
* the TABLE_DUMP_V2 entry walk of the records the Python loop dispatches.

Attribute blocks: C decodes a block only when the Python parser would find it well formed without a
single warning; any other block goes back to the Python parser (``_rib_slot`` / ``_attrs``), so damage,
problems and warnings are found and worded by the same code, with the same byte offsets, as in the
``python`` engine. The block caches follow the parser's one rule (their size counts every cached
block, C's included), so that even how often a repeated odd block is warned about is the same.

The result is the very same :class:`RouteTable` and :class:`MrtStats` as
:func:`~netvet.readers.mrt.read_route_table` (the tests assert both on every sample, fixture, crafted
edge case and random damage). ``routes()`` (per-route objects) is the Python parser unchanged.
``row_chunks()`` hands the same rows over in bounded pieces (``TableBuilder.take``), for a full table that is
never materialised (``analyses/full_table.py``).
"""

from __future__ import annotations

import gc
from array import array
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ...model.route import KIND_RIB, RouteTable, encode_segments
from .caches import PENDING, LazyAttrCache, PathIndexCache, PrefixHalvesCache, SharedCache
from .parser import MrtParser, MrtStats
from .sinks import KIND_CODES
from .wire import ATTR_CACHE_MAX, U16, BadRecord

try:
    from .._mrtfast import TableBuilder as CTableBuilder
except ImportError:  # the optional extension was not built (no compiler at install time)
    CTableBuilder = None

HAVE_C = CTableBuilder is not None
_EMPTY = RouteTable.empty()
COLS = tuple(_EMPTY.columns())
CODES = {n: getattr(_EMPTY, n).dtype.char for n in COLS}


class PyTableBuilder:
    """The C ``TableBuilder``'s interface in Python: the fallback when the extension is not built.

    It decodes no attribute block itself: every block not in the cache goes to the Python parser.
    """

    def __init__(self) -> None:
        self.cols = {n: array(CODES[n]) for n in COLS}
        self._paths: dict[tuple[tuple[int, ...], tuple[int, ...]], tuple[int, int]] = {}
        self.path_offsets = array("q", [0])
        self.path_asns = array("I")
        self.path_marks = array("B")
        self._peer_map: list[int] = []
        self._peer_as: list[int] = []
        self.decoded_here = 0
        self.handed_back = 0

    def __len__(self) -> int:
        return len(self.cols["kind"])

    @property
    def n_paths(self) -> int:
        return len(self.path_offsets) - 1

    def set_context(self, cache: dict, cache_max: int, fallback, new_peer, bad_peer) -> None:
        self._cache, self._cache_max = cache, cache_max
        self._fallback, self._new_peer, self._bad_peer = fallback, new_peer, bad_peer

    def set_peers(self, peer_asns) -> None:
        self._peer_as = list(peer_asns)
        self._peer_map = [-1] * len(self._peer_as)

    def add(self, *values: int) -> None:
        for n, v in zip(COLS, values, strict=True):
            self.cols[n].append(v)

    def path(self, asns, marks) -> tuple[int, int]:
        from ...model.route import origin_of

        key = (tuple(asns), tuple(marks))
        got = self._paths.get(key)
        if got is None:
            idx = self.n_paths
            self.path_asns.extend(key[0])
            self.path_marks.extend(key[1])
            self.path_offsets.append(len(self.path_asns))
            got = self._paths[key] = (idx, origin_of(*key))
        return got

    def rib(self, body, p, count, addpath, ts, family, safi, hi, lo, plen, offset):
        n = len(body)
        esize = 12 if addpath else 8
        cache = self._cache
        for i in range(count):
            if p + esize > n:
                return p, 1, i, 0, 0
            pidx = (body[p] << 8) | body[p + 1]
            path_id = int.from_bytes(body[p + 6 : p + 10], "big") if addpath else 0
            alen = (body[p + esize - 2] << 8) | body[p + esize - 1]
            p += esize
            if p + alen > n:
                return p, 2, i, alen, n - p
            blob = body[p : p + alen]
            p += alen
            slot = cache.get(blob)
            if slot is None:
                self.handed_back += 1
                slot = self._fallback(blob, i, count, offset)
                if slot is None:
                    continue
            if pidx >= len(self._peer_as):
                self._bad_peer(i, pidx, offset)
                continue
            if self._peer_map[pidx] < 0:
                self._peer_map[pidx] = self._new_peer(pidx)
            self.add(
                KIND_RIB, ts, 0, self._peer_map[pidx], self._peer_as[pidx], family, hi, lo, plen, safi,
                path_id, slot[3], slot[2], offset,
            )  # fmt: skip
        return p, 0, count, 0, 0

    def take(self) -> dict:
        out = {n: bytearray(a.tobytes()) for n, a in self.cols.items()}
        self.cols = {n: array(CODES[n]) for n in COLS}
        return out

    def export(self) -> dict:
        out = {n: bytearray(a.tobytes()) for n, a in self.cols.items()}
        out["path_offsets"] = bytearray(self.path_offsets.tobytes())
        out["path_asns"] = bytearray(self.path_asns.tobytes())
        out["path_marks"] = bytearray(self.path_marks.tobytes())
        return out


class FastSink:
    """Routes into a TableBuilder (the same interface as the python engine's table sink)."""

    def __init__(self, builder) -> None:
        self.b = builder
        self.peer_ips: list[str] = []
        self.peer_asns: list[int] = []
        self._peers: dict[tuple[str, int], int] = {}
        self._attr_paths = PathIndexCache(ATTR_CACHE_MAX)
        self._pfx = PrefixHalvesCache()
        self.peer_src: list | None = None
        self.out: list = []  # unused; keeps the sink interface uniform

    def peer(self, ip: str, asn: int) -> int:
        key = (ip, asn)
        idx = self._peers.get(key)
        if idx is None:
            idx = self._peers[key] = len(self.peer_ips)
            self.peer_ips.append(ip)
            self.peer_asns.append(asn)
        return idx

    def route(self, rtype, ts, usec, kind, peer_ip, peer_as, afi, safi, pbytes, plen, path_id, attrs, next_hop,
              local, entry, offset) -> None:  # fmt: skip
        b = self.b
        pidx, origin = self._attr_paths.index(b, attrs)
        hi, lo = self._pfx[(afi, pbytes)]
        b.add(
            KIND_CODES[kind], ts, usec or 0, self.peer(peer_ip, peer_as), peer_as, 4 if afi == 1 else 6, hi, lo,
            plen, safi, path_id or 0, origin, pidx, offset,
        )  # fmt: skip

    def prefix(self, afi: int, pbytes: bytes) -> tuple[int, int]:
        return self._pfx[(afi, pbytes)]

    def new_slot(self, slot: list) -> None:
        slot[2], slot[3] = self.b.path(*encode_segments(slot[0].segments))

    def state(self, *args) -> None:
        pass

    def build(self) -> RouteTable:
        raw = self.b.export()
        cols = {n: np.frombuffer(raw[n], dtype=CODES[n]) for n in COLS}
        return RouteTable(
            **cols,
            peer_ips=list(self.peer_ips),
            peer_asns=np.array(self.peer_asns, dtype=np.uint32),
            path_offsets=np.frombuffer(raw["path_offsets"], dtype=np.int64),
            path_asns=np.frombuffer(raw["path_asns"], dtype=np.uint32),
            path_marks=np.frombuffer(raw["path_marks"], dtype=np.uint8),
        )


class FastMrtParser(MrtParser):
    """:class:`MrtParser` whose :meth:`table` fills a TableBuilder and decodes RIB records in C."""

    def __init__(self, path: str | Path, name: str | None = None, builder: type | None = None) -> None:
        super().__init__(path, name)
        self._builder_type = builder or CTableBuilder or PyTableBuilder
        self.builder = None  # the TableBuilder of the last table() call (its counters are informative)
        self._sink: FastSink | None = None
        self.shell: RouteTable | None = None  # paths and peers after row_chunks() (a table without rows)

    def table(self) -> RouteTable:
        sink = self._start()
        gc_on = gc.isenabled()
        gc.disable()
        try:
            for _ in self._run(sink):
                pass
            return sink.build()
        finally:
            self._batch = None
            if gc_on:
                gc.enable()

    def row_chunks(self, chunk_rows: int = 1 << 20, read_ahead: bool = True) -> Iterator[dict[str, np.ndarray]]:
        """The rows of :meth:`table` in file order, in pieces of about ``chunk_rows`` rows (more when one
        input buffer holds more): ``{column: array}`` per piece, with path and peer indexes of the whole file.
        When the pieces are exhausted, :attr:`shell` is the table's paths and peers (a table without rows).
        ``read_ahead``: decompress on a second thread (:class:`~netvet.readers.mrt.stream.ReadAhead`)."""
        self.read_ahead = read_ahead
        sink = self._start()
        b = sink.b
        self.shell = None
        steps = self._steps(sink)
        try:
            for _ in steps:
                if len(b) >= chunk_rows:
                    yield self._take(b)
            if len(b):
                yield self._take(b)
            self.shell = sink.build()
        finally:
            steps.close()
            self._batch = None

    @staticmethod
    def _take(b) -> dict[str, np.ndarray]:
        raw = b.take()
        return {n: np.frombuffer(raw[n], dtype=CODES[n]) for n in COLS}

    def _start(self) -> FastSink:
        """A new sink and builder, with the parser's caches and hooks wired to it."""
        sink = self._sink = FastSink(self._builder_type())
        b = self.builder = sink.b
        st = self.mstats
        if hasattr(b, "cache_size"):  # the C builder keeps the blocks it decodes: one cache rule for both
            shared = SharedCache()
            shared.builder = b
            self._rib_cache = shared
        if hasattr(b, "run"):
            self._batch = self._run_batch
            lazy = LazyAttrCache()
            lazy.parse = self._parse_attrs
            self._attr_cache = lazy
            b.set_update_context(
                lazy, PENDING, lambda ip, asn: sink.peer(self._v4(ip) if len(ip) == 4 else self._v6(ip), asn)
            )

        def fallback(blob: bytes, i: int, count: int, off: int):
            self._off = off
            return self._rib_slot(blob, sink, i, count)

        def bad_peer(i: int, pidx: int, off: int) -> None:
            st.damage(
                f"record at byte offset {off}: entry {i} refers to peer {pidx}, the peer index table has "
                f"{len(self._peers or ())}",
                off,
                "peer index",
            )

        new_peer = lambda pidx: sink.peer(*self._peers[pidx])  # noqa: E731
        b.set_context(self._rib_cache, self.attr_cache_max, fallback, new_peer, bad_peer)
        return sink

    def _sync_peers(self, sink: FastSink) -> None:
        if sink.peer_src is not self._peers:
            sink.peer_src = self._peers
            sink.b.set_peers([asn for _ip, asn in self._peers])

    def _run_batch(self, inp, pos: int) -> tuple[int, int, int] | None:
        """The record loop's hook: consume the sound TDv2 RIB and plain BGP4MP records at ``pos`` in C."""
        sink = self._sink
        b = sink.b
        if self._peers is not None:
            self._sync_peers(sink)
        base = inp.base
        end, records, last, last_ts, entries, recs, msgs, kinds = b.run(inp.data, pos - base, base)
        if not records:
            return None
        self._count_batch(records, entries, recs, msgs, kinds, last_ts, base + last)
        return base + end, records, base + last

    def _rib_entries(self, sink, ts, body, p, afi, safi, pbytes, plen, addpath) -> None:
        if not isinstance(sink, FastSink):  # routes() and other sinks: the Python walk
            return super()._rib_entries(sink, ts, body, p, afi, safi, pbytes, plen, addpath)
        peers = self._peers
        if peers is None:
            raise BadRecord("RIB record before any PEER_INDEX_TABLE")
        count = U16.unpack_from(body, p)[0]
        p += 2
        st = self.mstats
        st.rib_entries += count
        b = sink.b
        self._sync_peers(sink)
        hi, lo = sink.prefix(afi, pbytes)
        before = len(b)
        try:
            p, err, i, x, y = b.rib(body, p, count, addpath, ts, 4 if afi == 1 else 6, safi, hi, lo, plen, self._off)
        finally:
            added = len(b) - before
            if added:
                st.routes["B"] += added
        if err == 1:
            raise BadRecord(f"entry {i} of {count} truncated")
        if err == 2:
            raise BadRecord(f"entry {i} of {count}: attributes declare {x} bytes, {y} remain")
        n = len(body)
        if p != n:
            raise BadRecord(
                f"{n - p} bytes after the {count} RIB entries (the record length does not match its content)"
            )


def read_route_table_fast(
    path: str | Path, name: str | None = None, builder: type | None = None
) -> tuple[RouteTable, MrtStats]:
    """The routes of an MRT file as a :class:`RouteTable`, by the ``fast`` engine (C when built)."""
    parser = FastMrtParser(path, name, builder)
    return parser.table(), parser.mstats
