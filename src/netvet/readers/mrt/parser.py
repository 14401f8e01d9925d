"""MRT routing dumps (RFC 6396) as route evidence: a streamed, exact parser of netvet's own.

Covered: TABLE_DUMP (IPv4/IPv6), TABLE_DUMP_V2 (PEER_INDEX_TABLE, RIB_IPV4/IPV6 UNICAST/MULTICAST, their
ADD-PATH variants of RFC 8050, RIB_GENERIC for IPv4/IPv6 unicast/multicast), BGP4MP and BGP4MP_ET
(MESSAGE, MESSAGE_AS4, *_LOCAL, *_ADDPATH, STATE_CHANGE, STATE_CHANGE_AS4), OpenBGPD's legacy
BGP4MP_ENTRY RIB records and the deprecated MRT type BGP (5). 2- and 4-byte AS numbers, AS4_PATH /
AS4_AGGREGATOR merging (RFC 6793), AS_SET and confederation segments, MP_REACH/MP_UNREACH (any
IPv4/IPv6 unicast/multicast family over any session), records of any size, gzip/bz2/xz/zstd input.

Reading is streamed: the file is decompressed in chunks and never held whole. Damage is reported,
not fatal: a truncated file yields every route before the damage plus a problem naming the byte
offset (in the decompressed stream) and the record; a record whose body cannot be decoded is
reported and skipped; when a record header is not valid (a lying length, garbage between records)
the reader scans forward for the next valid header and goes on. Records of unknown or undecoded
types, routes of other address families (VPN, flowspec ...) and non-UPDATE BGP messages are counted
in :class:`MrtStats` and reported as warnings, never dropped silently.

**Counts** (``ReadStats``, unit ``record``): ``read`` counts MRT records, and each stretch of damaged data
as one record: garbage the reader skipped to reach the next valid header, a header or record cut off by
the end of the input, a stream ended by a decompression error. Every record counted in ``read`` is exactly
one of: decoded (its routes, state changes or peer table are used), ``malformed`` (the damaged stretches and
the records whose body could not be decoded; one count per record however many problems it has) or
``skipped`` (records of unknown MRT types and of types or subtypes netvet counts but does not decode). So
``malformed + skipped <= read`` always, and ``read - malformed - skipped`` records were decoded. Errors
inside a record whose routes are still read (a bad RIB entry among good ones, bytes after the BGP message,
an entry naming a peer the index lacks) are counted in ``damaged``, not ``malformed``. Routes or entries
of other address families are counted per reason in :attr:`MrtStats.skipped` (warnings), not in
``ReadStats.skipped``, whose unit is the record.

Entry points: :func:`iter_routes` / :func:`read_routes` (per-route :class:`RouteRecord` objects) and
:func:`read_route_table` (a columnar :class:`RouteTable`, faster and leaner for large RIBs).
"""

from __future__ import annotations

import gc
import socket
import struct
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from ...model import InputError, ReadStats
from ...model.route import (
    AS_CONFED_SEQUENCE,
    AS_CONFED_SET,
    AS_SEQUENCE,
    AS_SET,
    MrtType,
    PathAttributes,
    RouteKind,
    RouteRecord,
    RouteTable,
    flatten_segments,
)
from .sinks import RecordSink, TableSink
from .stream import InputBuffer, ReadAhead, open_stream
from .wire import (
    AS_TRANS,
    ASN_STRUCTS,
    ATTR_CACHE_MAX,
    BGP_MARKER,
    BGP_MSG_NAMES,
    ET_TYPES,
    FORMAT,
    HEADER,
    IP_SAFIS,
    MAX_CLOCK_JUMP,
    MAX_RECORD,
    RESYNC,
    RIB_ENTRY,
    RIB_ENTRY_ADDPATH,
    ROUTING_TYPES,
    SAFI_NAMES,
    TYPE_NAMES,
    U16,
    U32,
    BadRecord,
    next_hop_text,
    ntoa6,
    record_name,
)


# ----------------------------------------------------------------------------- statistics
@dataclass
class MrtStats:
    """What the reader did with one MRT file (``stats`` holds the problems, with byte offsets)."""

    stats: ReadStats
    records: Counter = field(default_factory=Counter)  # "TYPE/SUBTYPE" -> records read
    routes: Counter = field(default_factory=Counter)  # "A" / "B" / "W" / "STATE" -> routes produced
    rib_entries: int = 0  # TABLE_DUMP_V2 / TABLE_DUMP / BGP4MP_ENTRY entries seen (routes + skipped)
    bgp_messages: Counter = field(default_factory=Counter)  # BGP message type name -> count
    skipped: Counter = field(default_factory=Counter)  # reason -> routes/entries deliberately not produced
    undecoded: Counter = field(default_factory=Counter)  # "TYPE/SUBTYPE" -> records counted, not decoded
    unknown_records: int = 0  # records of MRT types netvet does not know (counted in stats.skipped)
    bytes_read: int = 0  # decompressed bytes consumed
    truncated: bool = False
    _capped: Counter = field(default_factory=Counter)

    @property
    def damaged(self) -> bool:
        """True when the file has damage: a malformed or truncated record, garbage, a decompression error."""
        return self.stats.malformed > 0 or self.stats.damaged > 0 or self.truncated

    @property
    def total_routes(self) -> int:
        return sum(v for k, v in self.routes.items() if k != "STATE")

    def problem(self, reason: str, offset: int | None, category: str = "") -> None:
        """Count a malformed record; describe at most 50 per category (a summary covers the rest)."""
        key = category or reason
        self._capped[key] += 1
        if self._capped[key] <= 50:
            self.stats.problem(reason, offset=offset)
        else:
            self.stats.malformed += 1

    def damage(self, reason: str, offset: int | None, category: str = "") -> None:
        """Count an error inside a record whose routes are still read (``stats.damaged``); capped like
        :meth:`problem`."""
        key = "d:" + (category or reason)
        self._capped[key] += 1
        if self._capped[key] <= 50:
            self.stats.damage(reason, offset=offset)
        else:
            self.stats.damaged += 1

    def warn(self, reason: str, offset: int | None = None, category: str = "") -> None:
        key = "w:" + (category or reason)
        self._capped[key] += 1
        if self._capped[key] <= 20:
            self.stats.warn(reason, offset=offset)

    def finish(self) -> None:
        """Add summary warnings (capped messages, skipped routes, undecoded records)."""
        for key, n in sorted(self._capped.items()):
            limit = 20 if key.startswith("w:") else 50
            if n > limit:
                self.stats.warn(f"{n - limit} more like: {key.removeprefix('w:').removeprefix('d:')}")
        for reason, n in sorted(self.skipped.items()):
            self.stats.warn(f"{n} skipped: {reason}")
        for name, n in sorted(self.undecoded.items()):
            self.stats.warn(f"{n} {name} record(s) counted but not decoded (no routes in them for netvet)")
        self.stats.skipped = sum(self.undecoded.values()) + self.unknown_records

    def to_dict(self) -> dict:
        return {
            **self.stats.to_dict(),
            "records": dict(sorted(self.records.items())),
            "routes": dict(sorted(self.routes.items())),
            "rib_entries": self.rib_entries,
            "bgp_messages": dict(sorted(self.bgp_messages.items())),
            "skipped_by_reason": dict(sorted(self.skipped.items())),
            "undecoded": dict(sorted(self.undecoded.items())),
            "bytes_read": self.bytes_read,
            "truncated": self.truncated,
            "has_damage": self.damaged,  # "damaged" (from ReadStats) counts errors inside records read
        }


# ----------------------------------------------------------------------------- the parser
class MrtParser:
    """Streamed MRT parser; one instance reads one file once (see :func:`iter_routes`)."""

    # hook for the fast engine (mrt.fast): a callable (input, pos) -> None, or (pos, records, last record
    # start) after consuming plain records at ``pos`` exactly as the record loop would
    _batch = None
    # the one size rule of the attribute block caches (the compiled engines' caches follow it too)
    attr_cache_max = ATTR_CACHE_MAX
    # decompress on a second thread (stream.ReadAhead): the same bytes, read beside the decoding
    read_ahead = False

    def __init__(self, path: str | Path, name: str | None = None) -> None:
        self.path = Path(path)
        self.name = name or str(path)
        self.mstats = MrtStats(ReadStats(self.name, FORMAT, unit="record"))
        self._peers: list[tuple[str, int]] | None = None
        self._attr_cache: dict[tuple[bytes, int, bool, bool], tuple] = {}
        # TDv2 attribute block -> cache slot [attrs, next hop, path index, origin]
        self._rib_cache: dict[bytes, list] = {}
        self._rib_norm_cache: dict[tuple[bytes, bytes, bytes], list] = {}
        self._full_mp_in_rib = False  # RIB entries with a whole MP_REACH (NLRI included) were seen
        self._ip4: dict[bytes, str] = {}
        self._ip6: dict[bytes, str] = {}
        self._off = 0  # offset of the record being decoded
        self._last_ts: int | None = None

    # -- public -------------------------------------------------------------------------------------
    def routes(self) -> Iterator[RouteRecord]:
        """Every route and state change, in file order (lazily)."""
        sink = RecordSink()
        with closing(self._steps(sink)) as steps:
            for _ in steps:
                if sink.out:
                    yield from sink.out
                    sink.out.clear()

    def table(self) -> RouteTable:
        """All routes as a :class:`RouteTable` (no per-route objects are made)."""
        sink = TableSink()
        gc_on = gc.isenabled()
        gc.disable()
        try:
            for _ in self._run(sink):
                pass
            return sink.builder.build()
        finally:
            if gc_on:
                gc.enable()

    @property
    def stats(self) -> MrtStats:
        return self.mstats

    # -- record loop --------------------------------------------------------------------------------
    def _steps(self, sink) -> Iterator[None]:
        """:meth:`_run` one step (input buffer) at a time, with the garbage collector off while the parser runs
        and as it was between steps (the parser makes no reference cycles; full collections only cost time)."""
        gc_on = gc.isenabled()
        run = self._run(sink)
        try:
            while True:
                gc.disable()
                try:
                    next(run)
                except StopIteration:
                    return
                finally:
                    if gc_on:
                        gc.enable()
                yield
        finally:
            run.close()

    def _count_batch(self, records: int, entries: int, recs, msgs, kinds, last_ts: int | None, last: int) -> int:
        """Count what a compiled engine decoded in one batch (``records`` records, ``entries`` RIB entries;
        ``(type, subtype, n)`` records, ``(message type, n)`` BGP messages, ``(kind letter code, n)`` routes;
        ``last``: the offset of its last record) as the record loop would have; the number of routes."""
        st = self.mstats
        for typ, sub, n in recs:
            st.records[record_name(typ, sub)] += n
        st.stats.read += records
        st.rib_entries += entries
        for mtype, n in msgs:
            st.bgp_messages[BGP_MSG_NAMES.get(mtype, f"type {mtype}")] += n
        routes = 0
        for kind, n in kinds:
            st.routes[chr(kind)] += n
            routes += n
        self._last_ts = last_ts
        self._off = last
        return routes

    def _run(self, sink) -> Iterator[None]:
        st = self.mstats
        fh = ReadAhead(open_stream(self.path, 1 << 20)) if self.read_ahead else open_stream(self.path)
        inp = InputBuffer(fh)
        try:
            yield from self._loop(inp, sink)
        finally:
            fh.close()
            st.finish()

    def _header(self, inp: InputBuffer, pos: int) -> tuple[int, int, int, int, int, int | None] | None:
        """(ts, type, subtype, body length, header length, microseconds) at ``pos``; None if input ends."""
        if not inp.ensure(pos + 12):
            return None
        ts, typ, sub, length = HEADER.unpack_from(inp.data, pos - inp.base)
        if typ in ET_TYPES:
            if not inp.ensure(pos + 16):
                return None
            usec = U32.unpack_from(inp.data, pos + 12 - inp.base)[0]
            return ts, typ, sub, length - 4, 16, usec
        return ts, typ, sub, length, 12, None

    def _sane(self, h, known_only: bool, clock: bool = False) -> bool:
        """A header that can be believed: decoded type (``known_only``), sane length and subtype; with
        ``clock`` (when looking for a record after damage) also a time close to the last good record."""
        ts, typ, sub, length, _hl, usec = h
        if length < 0 or length > MAX_RECORD or sub > 64:
            return False
        if known_only and typ not in ROUTING_TYPES:
            return False
        if usec is not None and usec > 999_999:
            return False
        return not clock or self._last_ts is None or abs(ts - self._last_ts) <= MAX_CLOCK_JUMP

    def _valid_at(self, inp: InputBuffer, pos: int, depth: int, known_only: bool = True) -> bool:
        """A plausible record starts at ``pos`` (and, for ``depth`` > 0, another one right after it)."""
        if not inp.ensure(pos + 1):
            return pos == inp.end and inp.error is None  # exactly at a clean end of input
        h = self._header(inp, pos)
        if h is None or not self._sane(h, known_only, clock=True):
            return False
        nxt = pos + h[4] + h[3]
        if not inp.ensure(nxt):
            return False
        if depth == 0:
            return True
        if h[1] in ROUTING_TYPES and _consistent(h[1], h[2], inp.data[pos + h[4] - inp.base : nxt - inp.base]):
            return True  # a record whose content fits its length exactly needs no further witness
        return self._valid_at(inp, nxt, depth - 1)

    def _resync(self, inp: InputBuffer, bad: int, scan_from: int, h) -> int | None:
        """Find the next valid record at or after ``scan_from``; report the damage found at ``bad``."""
        st = self.mstats
        what = f"type {h[1]}, subtype {h[2]}, length {h[3] + h[4] - 12}" if h else "incomplete"
        inp.keep = min(inp.keep, scan_from)
        pos = scan_from
        while True:
            inp.ensure(pos + (1 << 20))
            base0, data0 = inp.base, inp.data  # absolute offsets stay valid: nothing before pos is dropped
            for m in RESYNC.finditer(data0, max(pos - base0 + 4, 0)):
                cand = base0 + m.start() - 4
                if cand != bad and self._valid_at(inp, cand, 2):
                    st.stats.read += 1  # the damaged stretch counts as one record, malformed
                    st.problem(
                        f"invalid MRT record header at byte offset {bad} ({what}); resumed at the next "
                        f"valid record, byte offset {cand}",
                        bad,
                        "resync",
                    )
                    return cand
            scanned_to = base0 + len(data0)
            if inp.eof and scanned_to >= inp.end:
                break
            pos = max(pos, scanned_to - 16)
            inp.keep = pos
        st.stats.read += 1
        st.problem(
            f"invalid MRT record header at byte offset {bad} ({what}); no valid record follows "
            f"({inp.end - bad} bytes skipped)",
            bad,
            "resync",
        )
        return None

    def _loop(self, inp: InputBuffer, sink) -> Iterator[None]:
        st = self.mstats
        pos = 0
        index = 0
        prev: tuple[int, int] | None = None  # (start, header length) of the previous record
        bad_start = False  # the data does not start with a valid record
        while True:
            if self._batch is not None:
                got = self._batch(inp, pos)
                if got is not None:
                    pos, done, last = got
                    index += done
                    prev = (last, 12)
            inp.keep = prev[0] if prev else pos
            h = self._header(inp, pos)
            if h is None:
                rem = inp.end - pos
                if rem > 0 and pos == 0 and inp.error is None:
                    raise InputError(self.name, f"not an MRT file: {rem} byte(s), shorter than one MRT record header")
                if rem > 0:
                    st.truncated = True
                    st.stats.read += 1
                    st.problem(
                        f"truncated MRT header at byte offset {pos}: the input ends {rem} byte(s) after "
                        f"record {index - 1}",
                        pos,
                        "truncated",
                    )
                break
            ts, typ, sub, length, hl, usec = h
            if not self._sane(h, known_only=True):
                # an unknown type with an intact length, followed by a valid record, is just unknown
                if (
                    typ not in ROUTING_TYPES
                    and self._sane(h, known_only=False, clock=True)
                    and self._valid_at(inp, pos + hl + length, 1)
                ):
                    name = record_name(typ, sub)
                    st.records[name] += 1
                    st.stats.read += 1
                    if typ in TYPE_NAMES:
                        st.undecoded[name] += 1
                    else:
                        st.warn(
                            f"record {index} at byte offset {pos}: unknown MRT type {typ} (subtype {sub}, "
                            f"{length} bytes) counted and skipped",
                            pos,
                            "unknown type",
                        )
                        st.skipped[f"records of unknown MRT type {typ}"] += 1
                        st.unknown_records += 1
                    prev = (pos, hl)
                    index += 1
                    pos += hl + length
                    continue
                if pos == 0:
                    bad_start = True
                scan_from = prev[0] + prev[1] if prev else pos + 1
                nxt = self._resync(inp, pos, scan_from, h)
                if nxt is None:
                    break
                pos = nxt
                prev = None
                continue
            if not inp.ensure(pos + hl + length):
                st.truncated = True
                st.stats.read += 1
                avail = max(inp.end - pos - hl, 0)
                why = f" ({inp.error})" if inp.error else ""
                st.problem(
                    f"record {index} ({record_name(typ, sub)}) at byte offset {pos} is truncated: it "
                    f"declares {length} bytes, {avail} remain{why}",
                    pos,
                    "truncated",
                )
                break
            self._last_ts = ts
            start = pos + hl - inp.base
            body = inp.data[start : start + length]
            name = record_name(typ, sub)
            st.records[name] += 1
            st.stats.read += 1
            self._off = pos
            try:
                self._dispatch(sink, ts, usec, typ, sub, body)
            except (BadRecord, struct.error, IndexError, ValueError, OSError) as exc:
                reason = str(exc) if isinstance(exc, BadRecord) else f"record too short ({exc})"
                st.problem(f"record {index} ({name}) at byte offset {pos}: {reason}", pos, f"bad {name}")
            yield None
            prev = (pos, hl)
            index += 1
            pos += hl + length
        if inp.error and not st.truncated:
            if inp.end == 0:
                raise InputError(self.name, f"cannot decompress: {inp.error}")
            st.truncated = True
            st.stats.read += 1
            st.problem(f"decompression failed after {inp.end} bytes: {inp.error}", inp.end, "decompress")
        st.bytes_read = inp.end
        if bad_start and not st.records:
            raise InputError(self.name, f"not an MRT file: no valid MRT record in its {inp.end} bytes")
        if inp.end == 0:
            st.warn("the file is empty")

    # -- dispatch -----------------------------------------------------------------------------------
    def _dispatch(self, sink, ts: int, usec: int | None, typ: int, sub: int, body: bytes) -> None:
        if typ == 13:
            if sub in (2, 3, 4, 5, 8, 9, 10, 11):
                self._rib(sink, ts, sub, body)
            elif sub == 1:
                self._peer_index(body)
            elif sub in (6, 12):
                self._rib_generic(sink, ts, sub, body)
            else:
                self.mstats.undecoded[record_name(typ, sub)] += 1
        elif typ == 16 or typ == 17:
            if sub in (1, 4, 6, 7, 8, 9, 10, 11):
                self._bgp4mp_message(sink, ts, usec, sub, body)
            elif sub == 0 or sub == 5:
                self._state_change(sink, ts, usec, sub, body)
            elif sub == 2:
                self._bgp4mp_entry(sink, ts, usec, body)
            else:
                self.mstats.undecoded[record_name(typ, sub)] += 1
        elif typ == 12:
            self._table_dump(sink, ts, sub, body)
        elif typ == 5:
            self._legacy_bgp(sink, ts, sub, body)
        else:
            self.mstats.undecoded[record_name(typ, sub)] += 1

    # -- attributes ---------------------------------------------------------------------------------
    def _attrs(self, data: bytes, asn_size: int, addpath: bool, rib: bool) -> tuple:
        """(PathAttributes, mp_reach, mp_unreach) for an attribute block, cached by its bytes.

        ``mp_reach``: None or (afi, safi, next hop text, NLRI list); ``mp_unreach``: None or
        (afi, safi, NLRI list). In RIB entries MP_REACH is usually the abbreviated form (next hop only).
        """
        key = (data, asn_size, addpath, rib)
        got = self._attr_cache.get(key)
        if got is None:
            if len(self._attr_cache) > self.attr_cache_max:
                self._attr_cache.clear()
            got = self._attr_cache[key] = self._parse_attrs(data, asn_size, addpath, rib)
        return got

    def _parse_attrs(self, data: bytes, asn_size: int, addpath: bool, rib: bool) -> tuple:
        n = len(data)
        p = 0
        origin = next_hop = local_pref = med = aggregator = as4_aggregator = None
        segments = as4_segments = None
        communities: tuple = ()
        large: tuple = ()
        atomic = False
        unknown: list[int] = []
        seen: set[int] = set()
        mp_reach = mp_unreach = None
        structs = ASN_STRUCTS[asn_size]
        while p < n:
            if p + 3 > n:
                raise BadRecord(f"path attribute header truncated ({n - p} bytes left)")
            flags = data[p]
            typ = data[p + 1]
            if flags & 0x10:
                if p + 4 > n:
                    raise BadRecord("path attribute header truncated")
                alen = (data[p + 2] << 8) | data[p + 3]
                p += 4
            else:
                alen = data[p + 2]
                p += 3
            end = p + alen
            if end > n:
                raise BadRecord(f"path attribute {typ} declares {alen} bytes, {n - p} remain")
            if typ in seen:
                self.mstats.warn(
                    f"record at byte offset {self._off}: duplicate path attribute {typ} ignored",
                    self._off,
                    "duplicate attribute",
                )
                p = end
                continue
            seen.add(typ)
            if typ == 2:
                # one AS_SEQUENCE: the usual case; an empty AS_PATH (iBGP) goes through _segments
                if alen > 2 and alen == 2 + data[p + 1] * asn_size and data[p] == AS_SEQUENCE:
                    segments = ((AS_SEQUENCE, structs[data[p + 1]].unpack_from(data, p + 2)),)
                else:
                    segments = self._segments(data, p, end, asn_size)
            elif typ == 1:
                if alen != 1:
                    raise BadRecord(f"ORIGIN attribute of length {alen}")
                origin = data[p]
            elif typ == 3:
                if alen != 4:
                    raise BadRecord(f"NEXT_HOP attribute of length {alen}")
                next_hop = self._v4(data[p:end])
            elif typ == 4:
                if alen != 4:
                    raise BadRecord(f"MULTI_EXIT_DISC attribute of length {alen}")
                med = U32.unpack_from(data, p)[0]
            elif typ == 5:
                if alen != 4:
                    raise BadRecord(f"LOCAL_PREF attribute of length {alen}")
                local_pref = U32.unpack_from(data, p)[0]
            elif typ == 6:
                atomic = True
            elif typ == 7:
                if alen == 6:
                    aggregator = (U16.unpack_from(data, p)[0], self._v4(data[p + 2 : end]))
                elif alen == 8:
                    aggregator = (U32.unpack_from(data, p)[0], self._v4(data[p + 4 : end]))
                else:
                    raise BadRecord(f"AGGREGATOR attribute of length {alen}")
            elif typ == 8:
                if alen % 4:
                    raise BadRecord(f"COMMUNITIES attribute of length {alen}")
                vals = struct.unpack_from(f">{alen // 2}H", data, p)
                communities = tuple(zip(vals[0::2], vals[1::2], strict=True))
            elif typ == 14:
                mp_reach = self._mp_reach(data, p, end, addpath, rib)
            elif typ == 15:
                mp_unreach = self._mp_unreach(data, p, end, addpath)
            elif typ == 17:
                as4_segments = self._segments(data, p, end, 4)
            elif typ == 18:
                if alen != 8:
                    raise BadRecord(f"AS4_AGGREGATOR attribute of length {alen}")
                as4_aggregator = (U32.unpack_from(data, p)[0], self._v4(data[p + 4 : end]))
            elif typ == 32:
                if alen % 12:
                    raise BadRecord(f"LARGE_COMMUNITY attribute of length {alen}")
                vals = struct.unpack_from(f">{alen // 4}I", data, p)
                large = tuple(zip(vals[0::3], vals[1::3], vals[2::3], strict=True))
            else:
                unknown.append(typ)
            p = end
        if asn_size == 2:
            segments, aggregator = self._merge_as4(segments, as4_segments, aggregator, as4_aggregator)
        if mp_reach is not None and mp_reach[0] is not None and rib:
            self._full_mp_in_rib = True
        flat = segments[0][1] if segments and len(segments) == 1 and segments[0][0] == AS_SEQUENCE else None
        attrs = PathAttributes(
            origin,
            segments,
            next_hop,
            local_pref,
            med,
            communities,
            large,
            atomic,
            aggregator,
            tuple(unknown),
            flatten_segments(segments) if flat is None else flat,
        )
        return attrs, mp_reach, mp_unreach

    def _v4(self, b: bytes) -> str:
        s = self._ip4.get(b)
        if s is None:
            if len(self._ip4) > 100_000:
                self._ip4.clear()
            s = self._ip4[b] = socket.inet_ntoa(b)
        return s

    def _v6(self, b: bytes) -> str:
        s = self._ip6.get(b)
        if s is None:
            if len(self._ip6) > 100_000:
                self._ip6.clear()
            s = self._ip6[b] = ntoa6(b)
        return s

    def _segments(self, data: bytes, p: int, end: int, asn_size: int):
        try:
            return _decode_segments(data, p, end, asn_size)
        except BadRecord as first:
            other = 6 - asn_size
            try:
                segs = _decode_segments(data, p, end, other)
            except BadRecord:
                raise first from None
            self.mstats.warn(
                f"record at byte offset {self._off}: AS path decoded with {other}-byte AS numbers "
                f"(the record type says {asn_size})",
                self._off,
                "asn size",
            )
            return segs

    def _merge_as4(self, segments, as4_segments, aggregator, as4_aggregator):
        """RFC 6793 §4.2.3: rebuild the 4-byte path of a 2-byte session from AS_PATH and AS4_PATH."""
        if as4_aggregator is not None and aggregator is not None:
            if aggregator[0] != AS_TRANS:
                return segments, aggregator  # AS4_AGGREGATOR and AS4_PATH are both ignored
            aggregator = as4_aggregator
        if as4_segments is None or segments is None:
            return segments, aggregator
        if any(t in (AS_CONFED_SEQUENCE, AS_CONFED_SET) for t, _ in as4_segments):
            self.mstats.warn(
                f"record at byte offset {self._off}: confederation segments in AS4_PATH ignored",
                self._off,
                "as4 confed",
            )
            as4_segments = tuple(s for s in as4_segments if s[0] in (AS_SEQUENCE, AS_SET))
        count = _path_count(segments)
        count4 = _path_count(as4_segments)
        if count < count4:
            return segments, aggregator
        need = count - count4
        merged: list = []
        for seg_type, asns in segments:
            if seg_type in (AS_CONFED_SEQUENCE, AS_CONFED_SET):
                if not any(t in (AS_SEQUENCE, AS_SET) for t, _ in merged):
                    merged.append((seg_type, asns))
                continue
            if need <= 0:
                break
            if seg_type == AS_SET:
                merged.append((seg_type, asns))
                need -= 1
            else:
                take = asns[:need]
                merged.append((seg_type, take))
                need -= len(take)
        merged.extend(as4_segments)
        return tuple(merged), aggregator

    def _mp_reach(self, data: bytes, p: int, end: int, addpath: bool, rib: bool):
        if rib and p < end and data[p] != 0:
            # RFC 6396 §4.3.4: in RIB entries only the next hop length and next hop are kept
            nhlen = data[p]
            if p + 1 + nhlen > end:
                raise BadRecord("MP_REACH_NLRI next hop truncated")
            return None, None, next_hop_text(data[p + 1 : p + 1 + nhlen]), []
        if p + 5 > end:
            raise BadRecord("MP_REACH_NLRI too short")
        afi = (data[p] << 8) | data[p + 1]
        safi = data[p + 2]
        nhlen = data[p + 3]
        q = p + 4 + nhlen
        if q + 1 > end:
            raise BadRecord("MP_REACH_NLRI next hop truncated")
        nh = next_hop_text(data[p + 4 : q])
        snpa = data[q]
        q += 1
        for _ in range(snpa):  # RFC 2858 SNPAs (obsolete; length in semi-octets)
            if q >= end:
                raise BadRecord("MP_REACH_NLRI SNPA truncated")
            q += 1 + (data[q] + 1) // 2
        if rib:
            return afi, safi, nh, []
        if afi not in (1, 2) or safi not in IP_SAFIS:
            return afi, safi, nh, _count_nlri(data, q, end, addpath)
        return afi, safi, nh, _nlri(data, q, end, afi, addpath)

    def _mp_unreach(self, data: bytes, p: int, end: int, addpath: bool):
        if p + 3 > end:
            raise BadRecord("MP_UNREACH_NLRI too short")
        afi = (data[p] << 8) | data[p + 1]
        safi = data[p + 2]
        if afi not in (1, 2) or safi not in IP_SAFIS:
            return afi, safi, _count_nlri(data, p + 3, end, addpath)
        return afi, safi, _nlri(data, p + 3, end, afi, addpath)

    def _skip_family(self, afi: int, safi: int, n: int, what: str) -> None:
        if not n:
            return
        fam = {1: "IPv4", 2: "IPv6"}.get(afi, f"AFI {afi}")
        self.mstats.skipped[
            f"{what} of {fam} {SAFI_NAMES.get(safi, f'SAFI {safi}')} (AFI {afi}, SAFI {safi}): "
            "not IP unicast/multicast routes"
        ] += n

    # -- TABLE_DUMP_V2 ------------------------------------------------------------------------------
    def _peer_index(self, body: bytes) -> None:
        vlen = U16.unpack_from(body, 4)[0]
        p = 6 + vlen
        count = U16.unpack_from(body, p)[0]
        p += 2
        peers = []
        for _ in range(count):
            ptype = body[p]
            p += 5  # type + peer BGP ID
            if ptype & 1:
                ip = self._v6(body[p : p + 16])
                p += 16
            else:
                ip = socket.inet_ntoa(body[p : p + 4])
                p += 4
            if ptype & 2:
                asn = U32.unpack_from(body, p)[0]
                p += 4
            else:
                asn = U16.unpack_from(body, p)[0]
                p += 2
            peers.append((ip, asn))
        if p > len(body):
            raise BadRecord(f"PEER_INDEX_TABLE of {count} peers needs {p} bytes, has {len(body)}")
        if p < len(body):
            self.mstats.damage(
                f"record at byte offset {self._off}: {len(body) - p} bytes after the PEER_INDEX_TABLE",
                self._off,
                "peer index trailing",
            )
        self._peers = peers

    def _rib(self, sink, ts: int, sub: int, body: bytes) -> None:
        afi = 1 if sub in (2, 3, 8, 9) else 2
        safi = 1 if sub in (2, 4, 8, 10) else 2
        plen = body[4]
        if plen > (32 if afi == 1 else 128):
            raise BadRecord(f"prefix length {plen}")
        p = 5 + ((plen + 7) >> 3)
        pbytes = body[5:p]
        if len(pbytes) != p - 5:
            raise BadRecord("prefix truncated")
        self._rib_entries(sink, ts, body, p, afi, safi, pbytes, plen, sub >= 8)

    def _rib_generic(self, sink, ts: int, sub: int, body: bytes) -> None:
        afi = U16.unpack_from(body, 4)[0]
        safi = body[6]
        plen = body[7]
        p = 8 + ((plen + 7) >> 3)
        if p > len(body):
            raise BadRecord("RIB_GENERIC NLRI truncated")
        if afi not in (1, 2) or safi not in IP_SAFIS:
            count = U16.unpack_from(body, p)[0]
            self.mstats.rib_entries += count
            self._skip_family(afi, safi, count, "RIB_GENERIC entries")
            return
        if plen > (32 if afi == 1 else 128):
            raise BadRecord(f"prefix length {plen}")
        self._rib_entries(sink, ts, body, p, afi, safi, body[8:p], plen, sub == 12)

    def _rib_entries(self, sink, ts, body, p, afi, safi, pbytes, plen, addpath) -> None:
        peers = self._peers
        if peers is None:
            raise BadRecord("RIB record before any PEER_INDEX_TABLE")
        count = U16.unpack_from(body, p)[0]
        p += 2
        n = len(body)
        st = self.mstats
        st.rib_entries += count
        off = self._off
        cache = self._rib_cache
        get = cache.get
        npeers = len(peers)
        unpack = (RIB_ENTRY_ADDPATH if addpath else RIB_ENTRY).unpack_from
        esize = 12 if addpath else 8
        pidxs: list[int] = []
        pids: list[int | None] = []
        slots: list[list] = []
        try:
            for i in range(count):
                if p + esize > n:
                    raise BadRecord(f"entry {i} of {count} truncated")
                if addpath:
                    pidx, _orig, path_id, alen = unpack(body, p)
                else:
                    pidx, _orig, alen = unpack(body, p)
                    path_id = None
                p += esize
                end = p + alen
                if end > n:
                    raise BadRecord(f"entry {i} of {count}: attributes declare {alen} bytes, {n - p} remain")
                blob = body[p:end]
                p = end
                slot = get(blob)
                if slot is None:
                    slot = self._rib_slot(blob, sink, i, count)
                    if slot is None:
                        continue
                if pidx >= npeers:
                    st.damage(
                        f"record at byte offset {off}: entry {i} refers to peer {pidx}, the peer index "
                        f"table has {npeers}",
                        off,
                        "peer index",
                    )
                    continue
                pidxs.append(pidx)
                pids.append(path_id)
                slots.append(slot)
        finally:
            if pidxs:
                sink.rib(ts, afi, safi, pbytes, plen, off, pidxs, pids, slots, peers)
                st.routes["B"] += len(pidxs)
        if p != n:
            raise BadRecord(
                f"{n - p} bytes after the {count} RIB entries (the record length does not match its content)"
            )

    def _rib_slot(self, blob: bytes, sink, i: int, count: int) -> list | None:
        """The cache slot [attrs, next hop, path index, origin] of a RIB attribute block not seen yet."""
        cache = self._rib_cache
        norm_cache = self._rib_norm_cache
        # RIB writers that keep the whole MP_REACH (with the prefix in its NLRI) make every block unique:
        # look the block up again without that NLRI before parsing it
        nkey = mp_free_key(blob) if self._full_mp_in_rib else None
        slot = norm_cache.get(nkey) if nkey is not None else None
        if slot is None:
            try:
                attrs, mp_reach, _ = self._parse_attrs(blob, 4, False, True)
            except (BadRecord, struct.error, IndexError, ValueError, OSError) as exc:
                self.mstats.damage(
                    f"record at byte offset {self._off}: entry {i} of {count}: {exc}", self._off, "bad rib entry"
                )
                return None
            nh = mp_reach[2] if mp_reach is not None else attrs.next_hop
            slot = [attrs, nh, -1, 0]
            sink.new_slot(slot)
            if nkey is not None:
                if len(norm_cache) > self.attr_cache_max:
                    norm_cache.clear()
                norm_cache[nkey] = slot
        if len(cache) > self.attr_cache_max:
            cache.clear()
        cache[blob] = slot
        return slot

    # -- TABLE_DUMP (v1) ----------------------------------------------------------------------------
    def _table_dump(self, sink, ts: int, sub: int, body: bytes) -> None:
        if sub not in (1, 2):
            self.mstats.undecoded[record_name(12, sub)] += 1
            return
        asz = 16 if sub == 2 else 4
        p = 4
        pbytes = body[p : p + asz]
        p += asz
        plen = body[p]
        if plen > asz * 8:
            raise BadRecord(f"prefix length {plen}")
        p += 6  # prefix length, status, originated time
        peer_b = body[p : p + asz]
        if len(peer_b) != asz:
            raise BadRecord("record too short")
        peer_ip = self._v6(peer_b) if asz == 16 else self._v4(peer_b)
        p += asz
        peer_as, alen = struct.unpack_from(">HH", body, p)
        p += 4
        if p + alen != len(body):
            raise BadRecord(f"attributes declare {alen} bytes, the record holds {len(body) - p}")
        self.mstats.rib_entries += 1
        attrs, mp_reach, _ = self._attrs(body[p:], 2, False, True)
        nh = mp_reach[2] if mp_reach is not None and mp_reach[2] else attrs.next_hop
        nbytes = (plen + 7) >> 3
        sink.route(
            MrtType.TABLE_DUMP,
            ts,
            None,
            RouteKind.RIB,
            peer_ip,
            peer_as,
            1 if asz == 4 else 2,
            1,
            pbytes[:nbytes],
            plen,
            None,
            attrs,
            nh,
            False,
            False,
            self._off,
        )
        self.mstats.routes["B"] += 1

    # -- BGP4MP -------------------------------------------------------------------------------------
    def _bgp4mp_peer(self, body: bytes, as4: bool) -> tuple[str, int, int]:
        """(peer ip text, peer AS, offset after the header) of a BGP4MP message/state header."""
        if as4:
            peer_as = U32.unpack_from(body, 0)[0]
            p = 8
        else:
            peer_as = U16.unpack_from(body, 0)[0]
            p = 4
        afi = U16.unpack_from(body, p + 2)[0]
        p += 4
        if afi == 1:
            ip_b = body[p : p + 4]
            if len(ip_b) != 4:
                raise BadRecord("record too short")
            return self._v4(ip_b), peer_as, p + 8
        if afi == 2:
            ip_b = body[p : p + 16]
            if len(ip_b) != 16:
                raise BadRecord("record too short")
            return self._v6(ip_b), peer_as, p + 32
        raise BadRecord(f"unknown address family {afi} in the BGP4MP header")

    def _state_change(self, sink, ts: int, usec: int | None, sub: int, body: bytes) -> None:
        peer_ip, peer_as, p = self._bgp4mp_peer(body, sub == 5)
        if p + 4 != len(body):
            raise BadRecord(f"state change of {len(body)} bytes, expected {p + 4}")
        old, new = struct.unpack_from(">HH", body, p)
        sink.state(MrtType.BGP4MP, ts, usec, peer_ip, peer_as, old, new, self._off)
        self.mstats.routes["STATE"] += 1

    def _bgp4mp_message(self, sink, ts: int, usec: int | None, sub: int, body: bytes) -> None:
        as4 = sub in (4, 7, 9, 11)
        local = sub in (6, 7, 10, 11)
        addpath = sub >= 8
        peer_ip, peer_as, p = self._bgp4mp_peer(body, as4)
        msg_len = len(body) - p
        if msg_len < 19:
            raise BadRecord(f"BGP message of {msg_len} bytes is shorter than the 19-byte BGP header")
        if body[p : p + 16] != BGP_MARKER:
            raise BadRecord("BGP message without the all-ones marker")
        blen = U16.unpack_from(body, p + 16)[0]
        mtype = body[p + 18]
        if blen > msg_len:
            raise BadRecord(f"BGP message declares {blen} bytes, the record holds {msg_len}")
        if blen < 19:
            raise BadRecord(f"BGP message length {blen} is below the 19-byte minimum")
        self.mstats.bgp_messages[BGP_MSG_NAMES.get(mtype, f"type {mtype}")] += 1
        if mtype == 2:
            routes = self._update(body, p + 19, p + blen, 4 if as4 else 2, addpath)
            self._emit_update(sink, MrtType.BGP4MP, ts, usec, peer_ip, peer_as, routes, local)
        if blen < msg_len:
            self.mstats.damage(
                f"record at byte offset {self._off}: {msg_len - blen} bytes after the BGP "
                f"message (record length does not match its content)",
                self._off,
                "trailing",
            )

    def _update(self, data: bytes, p: int, end: int, asn_size: int, addpath: bool):
        """(withdrawn, attrs, announced, mp_reach, mp_unreach) of one BGP UPDATE."""
        if p + 2 > end:
            raise BadRecord("UPDATE too short")
        wlen = (data[p] << 8) | data[p + 1]
        w_end = p + 2 + wlen
        if w_end + 2 > end:
            raise BadRecord(f"UPDATE withdrawn routes length {wlen} overruns the message")
        withdrawn = _nlri(data, p + 2, w_end, 1, addpath)
        alen = (data[w_end] << 8) | data[w_end + 1]
        a_end = w_end + 2 + alen
        if a_end > end:
            raise BadRecord(f"UPDATE path attribute length {alen} overruns the message")
        attrs, mp_reach, mp_unreach = (
            self._attrs(data[w_end + 2 : a_end], asn_size, addpath, False) if alen else (None, None, None)
        )
        announced = _nlri(data, a_end, end, 1, addpath)
        if announced and attrs is None:
            raise BadRecord("UPDATE announces prefixes without path attributes")
        return withdrawn, attrs, announced, mp_reach, mp_unreach

    def _emit_update(self, sink, rtype, ts, usec, peer_ip, peer_as, parts, local: bool) -> None:
        withdrawn, attrs, announced, mp_reach, mp_unreach = parts
        st = self.mstats
        off = self._off
        route = sink.route

        def emit(kind: RouteKind, afi: int, safi: int, nlri, a, nh) -> int:
            for pid, plen, pb in nlri:
                route(rtype, ts, usec, kind, peer_ip, peer_as, afi, safi, pb, plen, pid, a, nh, local, False, off)
            return len(nlri)

        nw = emit(RouteKind.WITHDRAW, 1, 1, withdrawn, None, None)
        if mp_unreach is not None:
            afi, safi, nlri = mp_unreach
            if isinstance(nlri, int):
                self._skip_family(afi, safi, nlri, "withdrawals")
            else:
                nw += emit(RouteKind.WITHDRAW, afi, safi, nlri, None, None)
        na = emit(RouteKind.ANNOUNCE, 1, 1, announced, attrs, attrs.next_hop) if announced else 0
        if mp_reach is not None and mp_reach[0] is not None:
            afi, safi, nh, nlri = mp_reach
            if isinstance(nlri, int):
                self._skip_family(afi, safi, nlri, "announcements")
            else:
                na += emit(RouteKind.ANNOUNCE, afi, safi, nlri, attrs, nh)
        if nw:
            st.routes["W"] += nw
        if na:
            st.routes["A"] += na

    def _bgp4mp_entry(self, sink, ts: int, usec: int | None, body: bytes) -> None:
        """OpenBGPD's legacy RIB record (BGP4MP_ENTRY, RFC 6396 §4.4.3 of the draft it predates)."""
        peer_ip, peer_as, p = self._bgp4mp_peer(body, False)
        p += 8  # view, status, originated time
        afi, safi, nhlen = struct.unpack_from(">HBB", body, p)
        p += 4
        nh = next_hop_text(body[p : p + nhlen])
        p += nhlen
        plen = body[p]
        nb = (plen + 7) >> 3
        pbytes = body[p + 1 : p + 1 + nb]
        p += 1 + nb
        alen = U16.unpack_from(body, p)[0]
        p += 2
        if p + alen != len(body):
            raise BadRecord(f"attributes declare {alen} bytes, the record holds {len(body) - p}")
        self.mstats.rib_entries += 1
        if afi not in (1, 2) or safi not in IP_SAFIS:
            self._skip_family(afi, safi, 1, "BGP4MP_ENTRY entries")
            return
        if plen > (32 if afi == 1 else 128) or len(pbytes) != nb:
            raise BadRecord(f"prefix length {plen}")
        attrs, _, _ = self._attrs(body[p:], 2, False, True)
        sink.route(
            MrtType.BGP4MP,
            ts,
            usec,
            RouteKind.RIB,
            peer_ip,
            peer_as,
            afi,
            safi,
            pbytes,
            plen,
            None,
            attrs,
            nh or attrs.next_hop,
            False,
            True,
            self._off,
        )
        self.mstats.routes["B"] += 1

    # -- deprecated MRT type BGP (5) ----------------------------------------------------------------
    def _legacy_bgp(self, sink, ts: int, sub: int, body: bytes) -> None:
        if sub == 1:
            peer_as = U16.unpack_from(body, 0)[0]
            peer_ip = self._v4(body[2:6])
            routes = self._update(body, 12, len(body), 2, False)
            self._emit_update(sink, MrtType.BGP, ts, None, peer_ip, peer_as, routes, False)
        elif sub == 3:
            if len(body) != 10:
                raise BadRecord(f"state change of {len(body)} bytes, expected 10")
            peer_as = U16.unpack_from(body, 0)[0]
            old, new = struct.unpack_from(">HH", body, 6)
            sink.state(MrtType.BGP, ts, None, self._v4(body[2:6]), peer_as, old, new, self._off)
            self.mstats.routes["STATE"] += 1
        else:
            self.mstats.undecoded[record_name(5, sub)] += 1


# ----------------------------------------------------------------------------- helpers
def _decode_segments(data: bytes, p: int, end: int, asn_size: int):
    structs = ASN_STRUCTS[asn_size]
    segs = []
    while p < end:
        if p + 2 > end:
            raise BadRecord("AS_PATH segment header truncated")
        seg_type = data[p]
        count = data[p + 1]
        if seg_type < 1 or seg_type > 4:
            raise BadRecord(f"AS_PATH segment of unknown type {seg_type}")
        q = p + 2 + count * asn_size
        if q > end:
            raise BadRecord(f"AS_PATH segment of {count} ASNs overruns the attribute")
        segs.append((seg_type, structs[count].unpack_from(data, p + 2)))
        p = q
    return tuple(segs)


def _consistent(typ: int, sub: int, body: bytes) -> bool:
    """Does the content of a record of this type end exactly where its length says (resync evidence)?"""
    n = len(body)
    try:
        if typ in (16, 17) and sub in (0, 1, 4, 5, 6, 7, 8, 9, 10, 11):
            asz = 4 if sub in (4, 5, 7, 9, 11) else 2
            afi = U16.unpack_from(body, 2 * asz + 2)[0]
            if afi not in (1, 2):
                return False
            p = 2 * asz + 4 + (8 if afi == 1 else 32)
            if sub in (0, 5):
                return n == p + 4
            return body[p : p + 16] == BGP_MARKER and U16.unpack_from(body, p + 16)[0] == n - p
        if typ == 13 and sub in (2, 3, 4, 5, 8, 9, 10, 11):
            p = 5 + ((body[4] + 7) >> 3)
            count = U16.unpack_from(body, p)[0]
            p += 2
            esize = 12 if sub >= 8 else 8
            for _ in range(count):
                p += esize + U16.unpack_from(body, p + esize - 2)[0]
            return p == n
        if typ == 13 and sub == 1:
            p = 6 + U16.unpack_from(body, 4)[0]
            count = U16.unpack_from(body, p)[0]
            p += 2
            for _ in range(count):
                ptype = body[p]
                p += 5 + (16 if ptype & 1 else 4) + (4 if ptype & 2 else 2)
            return p == n
        if typ == 12 and sub in (1, 2):
            p = 4 + (16 if sub == 2 else 4) + 6 + (16 if sub == 2 else 4) + 2
            return p + 2 + U16.unpack_from(body, p)[0] == n
    except (struct.error, IndexError):
        return False
    return False


def mp_free_key(blob: bytes) -> tuple[bytes, bytes, bytes] | None:
    """A cache key for a RIB attribute block whose MP_REACH carries NLRI: the block without that NLRI."""
    p = 0
    n = len(blob)
    while p + 3 <= n:
        flags = blob[p]
        if flags & 0x10:
            if p + 4 > n:
                return None
            alen = (blob[p + 2] << 8) | blob[p + 3]
            h = 4
        else:
            alen = blob[p + 2]
            h = 3
        if blob[p + 1] == 14:
            v = p + h
            if v + 4 <= n and blob[v] == 0:
                return blob[:p], blob[v : v + 4 + blob[v + 3]], blob[v + alen :]
            return None
        p += h + alen
    return None


def _path_count(segments) -> int:
    n = 0
    for seg_type, asns in segments:
        if seg_type == AS_SEQUENCE:
            n += len(asns)
        elif seg_type == AS_SET:
            n += 1
    return n


def _nlri(data: bytes, p: int, end: int, afi: int, addpath: bool) -> list[tuple[int | None, int, bytes]]:
    """[(path id, prefix length, prefix bytes)] of an NLRI field."""
    maxlen = 32 if afi == 1 else 128
    out = []
    pid = None
    while p < end:
        if addpath:
            if p + 5 > end:
                raise BadRecord("ADD-PATH NLRI truncated")
            pid = U32.unpack_from(data, p)[0]
            p += 4
        plen = data[p]
        if plen > maxlen:
            raise BadRecord(f"NLRI prefix length {plen} exceeds {maxlen}")
        q = p + 1 + ((plen + 7) >> 3)
        if q > end:
            raise BadRecord("NLRI prefix truncated")
        out.append((pid, plen, data[p + 1 : q]))
        p = q
    return out


def _count_nlri(data: bytes, p: int, end: int, addpath: bool) -> int:
    """How many NLRI of another address family (length-in-bits encoding) a field holds (best effort)."""
    n = 0
    while p < end:
        if addpath:
            p += 4
        if p >= end:
            break
        p += 1 + ((data[p] + 7) >> 3)
        n += 1
    return n


# ----------------------------------------------------------------------------- entry points
def iter_routes(
    path: str | Path, stats_out: list[MrtStats] | None = None, name: str | None = None
) -> Iterator[RouteRecord]:
    """Stream every route (and state change) of an MRT file; the stats are appended to ``stats_out``."""
    parser = MrtParser(path, name)
    if stats_out is not None:
        stats_out.append(parser.mstats)
    yield from parser.routes()


def read_routes(path: str | Path, name: str | None = None) -> tuple[list[RouteRecord], MrtStats]:
    parser = MrtParser(path, name)
    return list(parser.routes()), parser.mstats


def read_route_table(path: str | Path, name: str | None = None) -> tuple[RouteTable, MrtStats]:
    """The routes of an MRT file as a :class:`RouteTable` (netvet's own parser)."""
    parser = MrtParser(path, name)
    return parser.table(), parser.mstats


def sniff(head: bytes) -> bool:
    """Does ``head`` (the first decompressed bytes) start with a plausible MRT record header?"""
    if len(head) < 12:
        return False
    _ts, typ, sub, length = HEADER.unpack_from(head, 0)
    return typ in ROUTING_TYPES and sub <= 12 and length <= MAX_RECORD
