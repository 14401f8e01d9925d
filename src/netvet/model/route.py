"""BGP route evidence: one record per route (for dumps and tests) and a columnar table (for scale).

A :class:`RouteRecord` is one line of ``bgpdump -m``: a RIB entry (``B``), an announcement (``A``), a
withdrawal (``W``) or a session state change (``STATE``). Records that share their path attributes
share one :class:`PathAttributes` object.

AS paths
    ``PathAttributes.segments`` keeps the AS_PATH exactly as received (after the RFC 6793 merge of
    AS4_PATH): a tuple of ``(segment_type, asns)`` with the RFC 4271/5065 type codes
    (:data:`AS_SET` 1, :data:`AS_SEQUENCE` 2, :data:`AS_CONFED_SEQUENCE` 3, :data:`AS_CONFED_SET` 4).
    ``PathAttributes.as_path`` is the flattened view audits use: AS_SEQUENCE members as ``int``,
    each AS_SET as one ``frozenset``; confederation segments are left out (they are internal to the
    confederation, RFC 5065 §5.3) but stay in ``segments``.

:class:`RouteTable` holds the same routes as NumPy columns. Paths are de-duplicated: route ``i`` has
path ``path_index[i]`` (-1: no path, e.g. a withdrawal), stored CSR-style in ``path_offsets`` /
``path_asns`` with a parallel ``path_marks`` array saying what each ASN is (:data:`MARK_SEQ` ...).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # NumPy is imported where a table is built or compared: not by `import netvet.model`
    import numpy as np

AS_SET = 1
AS_SEQUENCE = 2
AS_CONFED_SEQUENCE = 3
AS_CONFED_SET = 4
SEGMENT_NAMES = {
    AS_SET: "AS_SET",
    AS_SEQUENCE: "AS_SEQUENCE",
    AS_CONFED_SEQUENCE: "AS_CONFED_SEQUENCE",
    AS_CONFED_SET: "AS_CONFED_SET",
}

ORIGIN_NAMES = {0: "IGP", 1: "EGP", 2: "INCOMPLETE"}

# path_marks values in RouteTable
MARK_SEQ = 0  # member of an AS_SEQUENCE
MARK_SET_FIRST = 1  # first member of an AS_SET
MARK_SET_NEXT = 2  # further member of the same AS_SET
MARK_CONFED_SEQ = 3  # member of an AS_CONFED_SEQUENCE
MARK_CONFED_SET_FIRST = 4  # first member of an AS_CONFED_SET
MARK_CONFED_SET_NEXT = 5  # further member of the same AS_CONFED_SET

# RouteTable.kind values
KIND_RIB = 0  # B
KIND_ANNOUNCE = 1  # A
KIND_WITHDRAW = 2  # W
KIND_CODES = {"B": KIND_RIB, "A": KIND_ANNOUNCE, "W": KIND_WITHDRAW}
KIND_LETTERS = {v: k for k, v in KIND_CODES.items()}

Segments = tuple[tuple[int, tuple[int, ...]], ...]
PathElement = int | frozenset[int]


class MrtType(StrEnum):
    """The MRT record family a route came from (the first field of ``bgpdump -m``, without suffixes)."""

    TABLE_DUMP = "TABLE_DUMP"
    TABLE_DUMP2 = "TABLE_DUMP2"
    BGP4MP = "BGP4MP"
    BGP = "BGP"  # the deprecated MRT type 5 (old MRTd update dumps)


class RouteKind(StrEnum):
    RIB = "B"
    ANNOUNCE = "A"
    WITHDRAW = "W"
    STATE = "STATE"


def flatten_segments(segments: Segments | None) -> tuple[PathElement, ...]:
    """The audit view of a path: sequence members as ints, AS_SETs as frozensets, no confed segments."""
    if not segments:
        return ()
    out: list[PathElement] = []
    for seg_type, asns in segments:
        if seg_type == AS_SEQUENCE:
            out.extend(asns)
        elif seg_type == AS_SET:
            out.append(frozenset(asns))
    return tuple(out)


def encode_segments(segments: Segments | None) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(asns, marks) of a path as stored in :class:`RouteTable` (adjacent sequences merge naturally)."""
    if segments and len(segments) == 1 and segments[0][0] == AS_SEQUENCE:
        seq = segments[0][1]
        return tuple(seq), (MARK_SEQ,) * len(seq)
    asns: list[int] = []
    marks: list[int] = []
    for seg_type, seg in segments or ():
        if not seg:
            continue
        if seg_type in (AS_SEQUENCE, AS_CONFED_SEQUENCE):
            mark = MARK_SEQ if seg_type == AS_SEQUENCE else MARK_CONFED_SEQ
            asns.extend(seg)
            marks.extend([mark] * len(seg))
        else:
            first, nxt = (
                (MARK_SET_FIRST, MARK_SET_NEXT) if seg_type == AS_SET else (MARK_CONFED_SET_FIRST, MARK_CONFED_SET_NEXT)
            )
            asns.extend(seg)
            marks.append(first)
            marks.extend([nxt] * (len(seg) - 1))
    return tuple(asns), tuple(marks)


def origin_of(asns: tuple[int, ...], marks: tuple[int, ...]) -> int:
    """Origin AS of an encoded path: the last sequence ASN, the member of a one-member AS_SET, else 0.

    Confederation members never count as origin; an AS_SET of several members gives 0 (ambiguous;
    the members stay in the path).
    """
    i = len(asns) - 1
    while i >= 0 and marks[i] >= MARK_CONFED_SEQ:
        i -= 1
    if i < 0:
        return 0
    if marks[i] == MARK_SEQ:
        return asns[i]
    if marks[i] == MARK_SET_FIRST:
        return asns[i]
    return 0  # last element is a multi-member AS_SET


class PathAttributes(NamedTuple):
    """The BGP path attributes of a route (shared by every route that carries the same attributes).

    A named tuple: immutable, cheap to create (parsers make one per distinct attribute block).
    """

    origin: int | None = None  # 0 IGP, 1 EGP, 2 INCOMPLETE; None when the attribute is absent
    segments: Segments | None = None  # None: no AS_PATH attribute at all
    next_hop: str | None = None  # the NEXT_HOP attribute (IPv4); MP next hops are on the route
    local_pref: int | None = None
    med: int | None = None
    communities: tuple[tuple[int, int], ...] = ()  # (high 16 bits, low 16 bits)
    large_communities: tuple[tuple[int, int, int], ...] = ()
    atomic_aggregate: bool = False
    aggregator: tuple[int, str] | None = None  # (AS, address), after the AS4_AGGREGATOR merge
    unknown: tuple[int, ...] = ()  # type codes of attributes netvet keeps but does not decode
    as_path: tuple[PathElement, ...] = ()  # flattened view of ``segments`` (see module docstring)

    @property
    def origin_name(self) -> str | None:
        return None if self.origin is None else ORIGIN_NAMES.get(self.origin, str(self.origin))

    @property
    def origin_asn(self) -> int:
        return origin_of(*encode_segments(self.segments))


@dataclass(slots=True)
class RouteRecord:
    """One route (or session state change) read from an MRT file or from ``bgpdump -m`` text."""

    type: MrtType
    timestamp: int
    kind: RouteKind
    peer_ip: str
    peer_as: int
    prefix: str | None = None  # "192.0.2.0/24" (host bits kept exactly as in the input); None for STATE
    attrs: PathAttributes | None = None  # None for withdrawals and state changes
    next_hop: str | None = None  # the next hop of this route (MP_REACH next hop for MP routes)
    path_id: int | None = None  # ADD-PATH path identifier (RFC 7911 / RFC 8050)
    microseconds: int | None = None  # BGP4MP_ET records
    local: bool = False  # *_LOCAL subtypes: a message the collector sent, the peer is the receiver
    safi: int = 1  # 1 unicast, 2 multicast (0: unknown, e.g. read from bgpdump text)
    old_state: int | None = None  # STATE records: BGP FSM states (1 Idle ... 6 Established)
    new_state: int | None = None
    offset: int = -1  # byte offset of the MRT record in the (decompressed) file; -1 unknown
    entry: bool = False  # from an OpenBGPD BGP4MP_ENTRY (legacy RIB) record

    @property
    def family(self) -> int:
        return 6 if self.prefix and ":" in self.prefix else 4

    @property
    def as_path(self) -> tuple[PathElement, ...]:
        return self.attrs.as_path if self.attrs else ()

    @property
    def origin(self) -> int | None:
        return self.attrs.origin if self.attrs else None

    @property
    def origin_asn(self) -> int:
        return self.attrs.origin_asn if self.attrs else 0

    @property
    def local_pref(self) -> int | None:
        return self.attrs.local_pref if self.attrs else None

    @property
    def med(self) -> int | None:
        return self.attrs.med if self.attrs else None

    @property
    def communities(self) -> tuple[tuple[int, int], ...]:
        return self.attrs.communities if self.attrs else ()

    @property
    def atomic_aggregate(self) -> bool:
        return bool(self.attrs and self.attrs.atomic_aggregate)

    @property
    def aggregator(self) -> tuple[int, str] | None:
        return self.attrs.aggregator if self.attrs else None

    @property
    def label(self) -> str:
        """The first field of ``bgpdump -m``: TABLE_DUMP2_AP, BGP4MP_ET_LOCAL_AP, ..."""
        if self.type == MrtType.TABLE_DUMP2:
            return "TABLE_DUMP2_AP" if self.path_id is not None else "TABLE_DUMP2"
        if self.type == MrtType.BGP4MP:
            if self.entry:
                return "BGP4MP_ENTRY"
            label = "BGP4MP_ET" if self.microseconds is not None else "BGP4MP"
            if self.kind == RouteKind.STATE:
                return label
            if self.local:
                label += "_LOCAL"
            return label + "_AP" if self.path_id is not None else label
        return str(self.type)

    def to_dict(self) -> dict:
        a = self.attrs
        d: dict = {
            "type": self.label,
            "timestamp": self.timestamp,
            "microseconds": self.microseconds,
            "kind": str(self.kind),
            "peer_ip": self.peer_ip,
            "peer_as": self.peer_as,
        }
        if self.kind == RouteKind.STATE:
            d.update(old_state=self.old_state, new_state=self.new_state)
        else:
            d.update(prefix=self.prefix, path_id=self.path_id, safi=self.safi)
        if a is not None:
            d.update(
                as_path=[sorted(e) if isinstance(e, frozenset) else e for e in a.as_path],
                segments=[{"type": SEGMENT_NAMES.get(t, str(t)), "asns": list(s)} for t, s in a.segments or ()],
                origin=a.origin_name,
                next_hop=self.next_hop,
                local_pref=a.local_pref,
                med=a.med,
                communities=[f"{hi}:{lo}" for hi, lo in a.communities],
                large_communities=[f"{x}:{y}:{z}" for x, y, z in a.large_communities],
                atomic_aggregate=a.atomic_aggregate,
                aggregator={"asn": a.aggregator[0], "address": a.aggregator[1]} if a.aggregator else None,
            )
        d["offset"] = self.offset if self.offset >= 0 else None
        return d


_U = {
    "kind": "B",
    "timestamp": "I",
    "microseconds": "I",
    "peer_index": "I",
    "peer_as": "I",
    "family": "B",
    "prefix_hi": "Q",
    "prefix_lo": "Q",
    "prefix_len": "B",
    "safi": "B",
    "path_id": "I",
    "origin_asn": "I",
    "path_index": "i",
    "offset": "q",
}
_NP = {"B": "uint8", "I": "uint32", "Q": "uint64", "i": "int32", "q": "int64"}  # NumPy dtype names
ROUTE_COLUMNS = tuple(_U)


def _zeros(n: int, dtype: str) -> np.ndarray:
    import numpy as np

    return np.zeros(n, dtype)


@dataclass
class RouteTable:
    """Routes as columns (one row per A/B/W route; state changes are not routes).

    Columns (NumPy arrays of equal length): ``kind`` (0 B, 1 A, 2 W), ``timestamp``, ``microseconds``,
    ``peer_index`` (into ``peer_ips``/``peer_asns``), ``peer_as``, ``family`` (4/6), ``prefix_hi`` /
    ``prefix_lo`` (the 128-bit start address for IPv6; for IPv4 ``prefix_hi`` is 0 and ``prefix_lo``
    the 32-bit address), ``prefix_len``, ``safi`` (1 unicast, 2 multicast, 0 unknown), ``path_id``
    (ADD-PATH, 0 when absent), ``origin_asn`` (0 when none or an ambiguous AS_SET), ``path_index``
    (-1: no path) and ``offset`` (byte offset of the MRT record, -1 unknown).
    """

    kind: np.ndarray
    timestamp: np.ndarray
    microseconds: np.ndarray
    peer_index: np.ndarray
    peer_as: np.ndarray
    family: np.ndarray
    prefix_hi: np.ndarray
    prefix_lo: np.ndarray
    prefix_len: np.ndarray
    safi: np.ndarray
    path_id: np.ndarray
    origin_asn: np.ndarray
    path_index: np.ndarray
    offset: np.ndarray
    peer_ips: list[str] = field(default_factory=list)
    peer_asns: np.ndarray = field(default_factory=lambda: _zeros(0, "uint32"))
    path_offsets: np.ndarray = field(default_factory=lambda: _zeros(1, "int64"))
    path_asns: np.ndarray = field(default_factory=lambda: _zeros(0, "uint32"))
    path_marks: np.ndarray = field(default_factory=lambda: _zeros(0, "uint8"))

    def __len__(self) -> int:
        return len(self.kind)

    @property
    def n_paths(self) -> int:
        return len(self.path_offsets) - 1

    @classmethod
    def empty(cls) -> RouteTable:
        return RouteTableBuilder().build()

    def path(self, index: int) -> tuple[PathElement, ...]:
        """The flattened path (as :attr:`PathAttributes.as_path`) of unique path ``index``."""
        if index < 0:
            return ()
        lo, hi = int(self.path_offsets[index]), int(self.path_offsets[index + 1])
        asns = self.path_asns[lo:hi].tolist()
        marks = self.path_marks[lo:hi].tolist()
        out: list[PathElement] = []
        current: list[int] | None = None
        for asn, mark in zip(asns, marks, strict=True):
            if mark != MARK_SET_NEXT and current is not None:
                out.append(frozenset(current))
                current = None
            if mark == MARK_SEQ:
                out.append(asn)
            elif mark == MARK_SET_FIRST:
                current = [asn]
            elif mark == MARK_SET_NEXT and current is not None:
                current.append(asn)
        if current is not None:
            out.append(frozenset(current))
        return tuple(out)

    def route_path(self, row: int) -> tuple[PathElement, ...]:
        return self.path(int(self.path_index[row]))

    def prefix(self, row: int) -> str:
        """The prefix of row ``row`` as text (for inspection; not fast)."""
        import ipaddress

        hi, lo, ln = int(self.prefix_hi[row]), int(self.prefix_lo[row]), int(self.prefix_len[row])
        if self.family[row] == 4:
            return f"{ipaddress.IPv4Address(lo)}/{ln}"
        return f"{ipaddress.IPv6Address((hi << 64) | lo)}/{ln}"

    def columns(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in ROUTE_COLUMNS}

    def equals(self, other: RouteTable, ignore: Iterable[str] = ()) -> bool:
        """Same rows, peers and paths (columns named in ``ignore`` are not compared)."""
        import numpy as np

        skip = set(ignore)
        for name in ROUTE_COLUMNS:
            if name not in skip and not np.array_equal(getattr(self, name), getattr(other, name)):
                return False
        return (
            self.peer_ips == other.peer_ips
            and np.array_equal(self.peer_asns, other.peer_asns)
            and np.array_equal(self.path_offsets, other.path_offsets)
            and np.array_equal(self.path_asns, other.path_asns)
            and np.array_equal(self.path_marks, other.path_marks)
        )

    def differences(self, other: RouteTable, ignore: Iterable[str] = ()) -> list[str]:
        """Names of the columns that differ (for test messages)."""
        import numpy as np

        skip = set(ignore)
        out = [n for n in ROUTE_COLUMNS if n not in skip and not np.array_equal(getattr(self, n), getattr(other, n))]
        if self.peer_ips != other.peer_ips or not np.array_equal(self.peer_asns, other.peer_asns):
            out.append("peers")
        for n in ("path_offsets", "path_asns", "path_marks"):
            if not np.array_equal(getattr(self, n), getattr(other, n)):
                out.append(n)
        return out

    def to_polars(self):
        """A ``polars.DataFrame`` of the route columns plus ``peer_ip`` (Arrow-backed)."""
        import polars as pl

        df = pl.DataFrame(self.columns())
        peers = pl.Series("peer_ip", self.peer_ips, dtype=pl.String)
        return df.with_columns(peers.gather(df["peer_index"]).alias("peer_ip"))

    def to_arrow(self):
        """A ``pyarrow.Table`` of the route columns plus ``peer_ip`` (needs polars and pyarrow)."""
        return self.to_polars().to_arrow()

    @classmethod
    def concat(cls, tables: list[RouteTable]) -> RouteTable:
        """Concatenate tables, re-numbering peers and paths (first appearance order is kept)."""
        import numpy as np

        if not tables:
            return cls.empty()
        if len(tables) == 1:
            return tables[0]
        b = RouteTableBuilder()
        cols: dict[str, list[np.ndarray]] = {n: [] for n in ROUTE_COLUMNS}
        for t in tables:
            peer_map = np.array(
                [b.peer(ip, int(asn)) for ip, asn in zip(t.peer_ips, t.peer_asns.tolist(), strict=True)],
                dtype=np.uint32,
            )
            path_map = np.empty(t.n_paths + 1, dtype=np.int32)
            path_map[-1] = -1
            offs = t.path_offsets.tolist()
            asns, marks = t.path_asns.tolist(), t.path_marks.tolist()
            for i in range(t.n_paths):
                path_map[i] = b.path_key(tuple(asns[offs[i] : offs[i + 1]]), tuple(marks[offs[i] : offs[i + 1]]))
            for n in ROUTE_COLUMNS:
                col = getattr(t, n)
                if n == "peer_index":
                    col = peer_map[col] if len(col) else col
                elif n == "path_index":
                    col = path_map[col] if len(col) else col
                cols[n].append(col)
        out = b.build()
        for n in ROUTE_COLUMNS:
            setattr(out, n, np.concatenate(cols[n]).astype(_NP[_U[n]], copy=False))
        return out


class RouteTableBuilder:
    """Appends routes row by row (``array`` based, cheap per row) and produces a :class:`RouteTable`."""

    def __init__(self) -> None:
        self.cols: dict[str, array] = {n: array(code) for n, code in _U.items()}
        self.peer_ips: list[str] = []
        self.peer_asns = array("I")
        self._peers: dict[tuple[str, int], int] = {}
        self._paths: dict[tuple[tuple[int, ...], tuple[int, ...]], tuple[int, int]] = {}
        self.path_offsets = array("q", [0])
        self.path_asns = array("I")
        self.path_marks = array("B")

    def peer(self, ip: str, asn: int) -> int:
        key = (ip, asn)
        idx = self._peers.get(key)
        if idx is None:
            idx = self._peers[key] = len(self.peer_ips)
            self.peer_ips.append(ip)
            self.peer_asns.append(asn)
        return idx

    def path_key(self, asns: tuple[int, ...], marks: tuple[int, ...]) -> int:
        return self.path(asns, marks)[0]

    def path(self, asns: tuple[int, ...], marks: tuple[int, ...]) -> tuple[int, int]:
        """(path index, origin ASN) of an encoded path, adding it when new."""
        key = (asns, marks)
        got = self._paths.get(key)
        if got is None:
            idx = len(self.path_offsets) - 1
            self.path_asns.extend(asns)
            self.path_marks.extend(marks)
            self.path_offsets.append(len(self.path_asns))
            got = self._paths[key] = (idx, origin_of(asns, marks))
        return got

    def add(
        self,
        kind: int,
        timestamp: int,
        microseconds: int,
        peer_index: int,
        peer_as: int,
        family: int,
        prefix_hi: int,
        prefix_lo: int,
        prefix_len: int,
        safi: int,
        path_id: int,
        origin_asn: int,
        path_index: int,
        offset: int,
    ) -> None:
        c = self.cols
        c["kind"].append(kind)
        c["timestamp"].append(timestamp)
        c["microseconds"].append(microseconds)
        c["peer_index"].append(peer_index)
        c["peer_as"].append(peer_as)
        c["family"].append(family)
        c["prefix_hi"].append(prefix_hi)
        c["prefix_lo"].append(prefix_lo)
        c["prefix_len"].append(prefix_len)
        c["safi"].append(safi)
        c["path_id"].append(path_id)
        c["origin_asn"].append(origin_asn)
        c["path_index"].append(path_index)
        c["offset"].append(offset)

    def __len__(self) -> int:
        return len(self.cols["kind"])

    def build(self) -> RouteTable:
        import numpy as np

        arrays = {
            n: np.frombuffer(a, dtype=_NP[_U[n]]).copy() if len(a) else np.zeros(0, _NP[_U[n]])
            for n, a in self.cols.items()
        }
        return RouteTable(
            **arrays,
            peer_ips=list(self.peer_ips),
            peer_asns=np.array(self.peer_asns, dtype=np.uint32),
            path_offsets=np.array(self.path_offsets, dtype=np.int64),
            path_asns=np.array(self.path_asns, dtype=np.uint32),
            path_marks=np.array(self.path_marks, dtype=np.uint8),
        )


def iter_table_routes(table: RouteTable) -> Iterator[tuple[str, str, int, tuple[PathElement, ...]]]:
    """(kind letter, prefix, peer AS, path) per row — a slow, readable view for tests and debugging."""
    for i in range(len(table)):
        yield KIND_LETTERS[int(table.kind[i])], table.prefix(i), int(table.peer_as[i]), table.route_path(i)
