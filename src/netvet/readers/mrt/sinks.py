"""Where the pure-Python parser puts what it decodes: per-route objects or a columnar table."""

from __future__ import annotations

from ...model.route import (
    KIND_ANNOUNCE,
    KIND_RIB,
    KIND_WITHDRAW,
    MrtType,
    PathAttributes,
    RouteKind,
    RouteRecord,
    RouteTableBuilder,
    encode_segments,
)
from .caches import PathIndexCache, PrefixHalvesCache, prefix_halves
from .wire import ATTR_CACHE_MAX, prefix_text


class RecordSink:
    """Collects :class:`RouteRecord` objects."""

    def __init__(self) -> None:
        self.out: list[RouteRecord] = []
        self._pfx: dict[tuple[int, bytes, int], str] = {}

    def route(
        self,
        rtype: MrtType,
        ts: int,
        usec: int | None,
        kind: RouteKind,
        peer_ip: str,
        peer_as: int,
        afi: int,
        safi: int,
        pbytes: bytes,
        plen: int,
        path_id: int | None,
        attrs: PathAttributes | None,
        next_hop: str | None,
        local: bool,
        entry: bool,
        offset: int,
    ) -> None:
        key = (afi, pbytes, plen)
        prefix = self._pfx.get(key)
        if prefix is None:
            if len(self._pfx) > 100_000:
                self._pfx.clear()
            prefix = self._pfx[key] = prefix_text(afi, pbytes, plen)
        self.out.append(
            RouteRecord(
                rtype,
                ts,
                kind,
                peer_ip,
                peer_as,
                prefix,
                attrs,
                next_hop,
                path_id,
                usec,
                local,
                safi,
                None,
                None,
                offset,
                entry,
            )
        )

    def new_slot(self, slot: list) -> None:
        pass

    def rib(self, ts, afi, safi, pbytes, plen, offset, pidxs, pids, slots, peers) -> None:
        """The routes of one TABLE_DUMP_V2 RIB record: parallel lists of peer index, path id, cache slot."""
        prefix = prefix_text(afi, pbytes, plen)
        append = self.out.append
        td2, rib = MrtType.TABLE_DUMP2, RouteKind.RIB
        for pidx, pid, slot in zip(pidxs, pids, slots, strict=True):
            ip, asn = peers[pidx]
            append(
                RouteRecord(
                    td2, ts, rib, ip, asn, prefix, slot[0], slot[1], pid, None, False, safi, None, None, offset, False
                )
            )

    def state(
        self,
        rtype: MrtType,
        ts: int,
        usec: int | None,
        peer_ip: str,
        peer_as: int,
        old: int,
        new: int,
        offset: int,
    ) -> None:
        self.out.append(
            RouteRecord(
                rtype,
                ts,
                RouteKind.STATE,
                peer_ip,
                peer_as,
                microseconds=usec,
                old_state=old,
                new_state=new,
                offset=offset,
                safi=0,
            )
        )


KIND_CODES = {RouteKind.RIB: KIND_RIB, RouteKind.ANNOUNCE: KIND_ANNOUNCE, RouteKind.WITHDRAW: KIND_WITHDRAW}


class TableSink:
    """Appends routes straight into a :class:`RouteTableBuilder` (no per-route objects)."""

    def __init__(self) -> None:
        self.builder = RouteTableBuilder()
        self._attr_paths = PathIndexCache(ATTR_CACHE_MAX)
        self._pfx = PrefixHalvesCache()
        self._peer_src: list | None = None
        self._peer_map: list[int] = []
        self._peer_as: list[int] = []
        self.out: list = []  # unused; keeps the sink interface uniform

    def route(
        self,
        rtype: MrtType,
        ts: int,
        usec: int | None,
        kind: RouteKind,
        peer_ip: str,
        peer_as: int,
        afi: int,
        safi: int,
        pbytes: bytes,
        plen: int,
        path_id: int | None,
        attrs: PathAttributes | None,
        next_hop: str | None,
        local: bool,
        entry: bool,
        offset: int,
    ) -> None:
        b = self.builder
        pidx, origin = self._attr_paths.index(b, attrs)
        hi, lo = self._pfx[(afi, pbytes)]
        b.add(
            KIND_CODES[kind],
            ts,
            usec or 0,
            b.peer(peer_ip, peer_as),
            peer_as,
            4 if afi == 1 else 6,
            hi,
            lo,
            plen,
            safi,
            path_id or 0,
            origin,
            pidx,
            offset,
        )

    def new_slot(self, slot: list) -> None:
        """A new distinct attribute block: give its path an index (and origin) in the table."""
        slot[2], slot[3] = self.builder.path(*encode_segments(slot[0].segments))

    def rib(self, ts, afi, safi, pbytes, plen, offset, pidxs, pids, slots, peers) -> None:
        b = self.builder
        if self._peer_src is not peers:
            self._peer_src = peers
            self._peer_map = [-1] * len(peers)
            self._peer_as = [asn for _ip, asn in peers]
        pm = self._peer_map
        for pidx in dict.fromkeys(pidxs):  # new peers, numbered in order of first appearance
            if pm[pidx] < 0:
                pm[pidx] = b.peer(*peers[pidx])
        c = b.cols
        pas = self._peer_as
        n = len(pidxs)
        c["peer_index"].extend([pm[i] for i in pidxs])
        c["peer_as"].extend([pas[i] for i in pidxs])
        c["path_id"].extend([0] * n if pids[0] is None else pids)
        c["origin_asn"].extend([s[3] for s in slots])
        c["path_index"].extend([s[2] for s in slots])
        hi, lo = prefix_halves(afi, pbytes)
        c["kind"].extend([KIND_RIB] * n)
        c["timestamp"].extend([ts] * n)
        c["microseconds"].extend([0] * n)
        c["family"].extend([4 if afi == 1 else 6] * n)
        c["prefix_hi"].extend([hi] * n)
        c["prefix_lo"].extend([lo] * n)
        c["prefix_len"].extend([plen] * n)
        c["safi"].extend([safi] * n)
        c["offset"].extend([offset] * n)

    def state(self, *args) -> None:
        pass
