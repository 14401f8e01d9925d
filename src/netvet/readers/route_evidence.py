"""Route evidence as routes and as AS observations: MRT, ``bgpdump -m`` text, AS-path lists, IPASN/pfx2as.

Two uses:

* :func:`load_routes` turns any route evidence file into a columnar :class:`RouteTable` (plus the
  reader's ``ReadStats``) for ``netvet routes audit`` / ``dependency``. It reuses the parsers of
  ``readers.mrt`` / ``readers.mrt_bgpdump`` (MRT), ``readers.bgpdump_text`` (``bgpdump -m`` text and
  AS-path syntax) and ``readers.ipasn`` (prefix → origin files); this module only adds the plain
  AS-path list format and the conversions.
* The registered readers (``mrt``, ``bgpdump-text``, ``as-path-list``, ``ipasn``, ``pfx2as``) make the
  same files usable by ``netvet audit`` / ``netvet compare``: each returns one :class:`Observation` per
  distinct AS seen (kind ``as``, an ``IdKind.ASN`` identifier; attributes ``routes``, ``positions``,
  ``prefixes_originated`` and the address space originated).

**AS-path list** (``as-path-list``): one route per line, ``[PREFIX] PATH``; the path is written as
bgpdump writes it (``3356 174 {4134,4809}``: AS_SETs in braces, confederation segments in ``()``/``[]``),
asplain numbers only; ``#`` starts a comment. Without a prefix the route's destination is its origin AS
(shown as ``AS<n>``). The first AS is taken as the peer.

Every file is sniffed by exactly one of these readers: MRT is binary; ``bgpdump -m`` lines start with a
known record type and have a ``B``/``A``/``W``/``STATE`` third field; an IPASN/pfx2as file has only
``prefix origin`` / ``address length origin`` lines; an AS-path list has at least one line that is a
bare path or a prefix followed by two or more path elements.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path

import numpy as np

from ..model import (
    Identifier,
    IdKind,
    InputError,
    Observation,
    ReadStats,
    SourceRef,
    Strength,
)
from ..model.route import (
    AS_SEQUENCE,
    KIND_RIB,
    RouteTable,
    RouteTableBuilder,
    encode_segments,
)
from .base import Progress, Reader, ReadResult, open_input, read_head, register

FORMAT_MRT = "mrt"
FORMAT_BGPDUMP = "bgpdump-text"
FORMAT_AS_PATHS = "as-path-list"
FORMAT_IPASN = "ipasn"
FORMAT_PFX2AS = "pfx2as"
ROUTE_FORMATS = (FORMAT_MRT, FORMAT_BGPDUMP, FORMAT_AS_PATHS, FORMAT_IPASN, FORMAT_PFX2AS)
ENGINES = ("auto", "python", "fast", "bgpdump")

_LABEL = re.compile(r"^(TABLE_DUMP2?|BGP4MP(?:_ET|_ENTRY)?|BGP)(?:_LOCAL)?(?:_AP)?$")
_PATH_TOKEN = re.compile(r"^(?:\d+|[{(\[][\d, ]*[})\]])$")
_MAX_ASN = 0xFFFFFFFF


# ----------------------------------------------------------------------------- sniffing
def _text_lines(head: bytes) -> list[str] | None:
    """Complete, non-comment lines of a text head; None when the head is not text."""
    if b"\x00" in head:
        return None
    text = head.decode("utf-8", errors="replace")
    lines = text.splitlines()
    if len(head) >= 4096 and lines and not text.endswith("\n"):
        lines = lines[:-1]
    return [s.strip() for s in lines if s.strip() and not s.lstrip().startswith(("#", ";"))]


def is_bgpdump_line(line: str) -> bool:
    f = line.split("|")
    return len(f) >= 6 and bool(_LABEL.match(f[0])) and f[2] in ("B", "A", "W", "STATE")


def _path_tokens(text: str) -> list[str] | None:
    """The elements of an AS path text (sets kept whole), or None if it is not one."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c in "{([":
            j = text.find({"{": "}", "(": ")", "[": "]"}[c], i)
            if j < 0:
                return None
            out.append(text[i:j + 1])
            i = j + 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in "{([":
                j += 1
            out.append(text[i:j])
            i = j
    return out if out and all(_PATH_TOKEN.match(t) for t in out) else None


def _split_path_line(line: str) -> tuple[str | None, list[str] | None]:
    """(prefix or None, path elements or None) of an AS-path list line."""
    first, _, rest = line.partition(" ") if " " in line.split("\t")[0] else line.partition("\t")
    if "/" in first:
        try:
            ipaddress.ip_network(first, strict=False)
        except ValueError:
            return first, None
        return first, _path_tokens(rest)
    return None, _path_tokens(line)


def sniff_as_path_list(lines: list[str]) -> bool:
    if not lines:
        return False
    decisive = False
    for line in lines:
        prefix, path = _split_path_line(line)
        if path is None:
            return False
        if prefix is None or len(path) >= 2:
            decisive = True
    return decisive


def sniff_format(head: bytes) -> str | None:
    """The route evidence format of a file head (decompressed), or None. Exactly one answer per file."""
    from .ipasn import sniff as sniff_prefix_origins
    from .mrt import sniff as sniff_mrt

    lines = _text_lines(head)
    if lines is None:
        return FORMAT_MRT if sniff_mrt(head) else None
    if lines and is_bgpdump_line(lines[0]):
        return FORMAT_BGPDUMP
    if sniff_as_path_list(lines):
        return FORMAT_AS_PATHS
    return sniff_prefix_origins(head)


def detect_route_format(path: str | Path) -> str:
    p = Path(path)
    fmt = sniff_format(read_head(p))
    if fmt is None:
        from .atlas_traceroute import sniff as sniff_atlas

        if sniff_atlas(read_head(p)):
            return "atlas-traceroute"
        raise InputError(str(path), "not route evidence: expected an MRT dump, bgpdump -m text, an AS-path "
                                    "list, a pyasn IPASN or CAIDA pfx2as file, or RIPE Atlas traceroutes")
    return fmt


# ----------------------------------------------------------------------------- loading
UNITS = {FORMAT_MRT: "record", FORMAT_BGPDUMP: "line", FORMAT_AS_PATHS: "route", FORMAT_IPASN: "prefix",
         FORMAT_PFX2AS: "prefix"}


def load_routes(path: str | Path, fmt: str | None = None, engine: str = "auto") -> tuple[RouteTable, ReadStats]:
    """Routes of one route evidence file as a :class:`RouteTable` and its reading statistics (``unit``: see
    :data:`UNITS`; ``read`` = records turned into routes + ``malformed`` + ``skipped``).

    The registered readers make one observation per AS, not per record: for them the pipeline's
    attributed/unattributed counts (per observation) do not add up to ``read``.

    ``engine`` chooses the MRT decoder (``python``: netvet's parser, exact, damage with byte offsets;
    ``fast``: the same parser with its hot loop in C, identical results; ``bgpdump``: Debian's bgpdump plus
    Polars; ``auto``: fast when the extension is built, else bgpdump, else python). IPASN/pfx2as files
    give one origin-only route (path = the origin) per prefix and origin.
    """
    p = Path(path)
    fmt = fmt or detect_route_format(p)
    table, stats = _load_routes(p, fmt, engine)
    stats.unit = UNITS.get(fmt, stats.unit)
    return table, stats


def _load_routes(p: Path, fmt: str, engine: str) -> tuple[RouteTable, ReadStats]:
    path = p
    if fmt == FORMAT_MRT:
        from .mrt_bgpdump import auto_engine, bgpdump_route_table

        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r}")
        if engine == "auto":
            engine = auto_engine()
        if engine == "bgpdump":
            stats = ReadStats(str(path), FORMAT_MRT)
            return bgpdump_route_table(p, stats), stats
        if engine == "fast":
            from .mrt_fast import read_route_table_fast

            table, mstats = read_route_table_fast(p)
        else:
            from .mrt import read_route_table

            table, mstats = read_route_table(p)
        return table, mstats.stats
    if fmt == FORMAT_BGPDUMP:
        from .bgpdump_text import read_text_table

        stats = ReadStats(str(path), FORMAT_BGPDUMP)
        return read_text_table(p, stats), stats
    if fmt == FORMAT_AS_PATHS:
        return read_as_path_list(p)
    if fmt in (FORMAT_IPASN, FORMAT_PFX2AS):
        from .ipasn import read_prefix_origins

        po = read_prefix_origins(p, fmt)
        return prefix_origin_routes(po), po.stats
    raise InputError(str(path), f"{fmt} is not route evidence netvet can turn into routes")


def read_as_path_list(path: str | Path) -> tuple[RouteTable, ReadStats]:
    """An AS-path list (see the module docstring) as a table of RIB-like routes."""
    from .bgpdump_text import BadLine, parse_as_path

    name = str(path)
    stats = ReadStats(name, FORMAT_AS_PATHS)
    b = RouteTableBuilder()
    with open_input(path) as fh:
        try:
            data = fh.read()
        except (OSError, EOFError) as exc:
            raise InputError(name, f"cannot read: {exc}") from None
    for n, raw in enumerate(data.decode("utf-8", errors="replace").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        stats.read += 1
        prefix, tokens = _split_path_line(line)
        if tokens is None:
            stats.problem(f"not an AS path: {line[:80]!r}", line=n)
            continue
        text = line[len(prefix):].strip() if prefix else line
        try:
            segments = parse_as_path(text)
        except (BadLine, ValueError) as exc:
            stats.problem(f"bad AS path {text[:80]!r}: {exc}", line=n)
            continue
        asns_all = [a for _, seg in segments for a in seg]
        if any(a < 0 or a > _MAX_ASN for a in asns_all):
            stats.problem(f"AS number out of range in {text[:80]!r}", line=n)
            continue
        asns, marks = encode_segments(segments)
        path_index, origin = b.path(asns, marks)
        peer_as = segments[0][1][0] if segments and segments[0][0] == AS_SEQUENCE and segments[0][1] else 0
        peer = b.peer("", peer_as)
        if prefix is not None:
            net = ipaddress.ip_network(prefix, strict=False)
            if str(net) != prefix and net.with_prefixlen != prefix:
                stats.warn(f"prefix {prefix} has host bits set; read as {net}", line=n)
            value = int(net.network_address)
            fam, hi, lo = net.version, (value >> 64) if net.version == 6 else 0, value & ((1 << 64) - 1)
            b.add(KIND_RIB, 0, 0, peer, peer_as, fam, hi, lo, net.prefixlen, 0, 0, origin, path_index, -1)
        else:
            b.add(KIND_RIB, 0, 0, peer, peer_as, 0, 0, origin, 0, 0, 0, origin, path_index, -1)
    return b.build(), stats


def prefix_origin_routes(po) -> RouteTable:
    """One origin-only route per (prefix, origin) of a :class:`~netvet.readers.ipasn.PrefixOrigins`."""
    b = RouteTableBuilder()
    peer = b.peer("", 0)
    path_of: dict[int, int] = {}
    for fam, hi_arr, lo_arr, ln_arr, set_arr in (
        (4, np.zeros(po.v4_count, np.uint64), po.v4_net.astype(np.uint64), po.v4_len, po.v4_set),
        (6, po.v6_hi, po.v6_lo, po.v6_len, po.v6_set),
    ):
        for hi, lo, ln, sid in zip(hi_arr.tolist(), lo_arr.tolist(), ln_arr.tolist(), set_arr.tolist(), strict=True):
            for asn in po.origin_sets[sid]:
                pi = path_of.get(asn)
                if pi is None:
                    pi = path_of[asn] = b.path((asn,), (0,))[0]
                b.add(KIND_RIB, 0, 0, peer, 0, fam, hi, lo, ln, 0, 0, asn, pi, -1)
    return b.build()


def table_prefix_origins(table: RouteTable, source: str = ""):
    """Prefix → origin ASes of a route table (every origin any route gives), as ``PrefixOrigins`` for
    ``attribution.prefix_index.PrefixIndex.from_tables`` (an IP → ASN index built from a RIB)."""
    from .ipasn import OriginSets, PrefixOrigins

    rows = np.flatnonzero((table.path_index >= 0) & (table.origin_asn > 0) & (table.family > 0))
    fam, hi, lo, ln, org = (table.family[rows], table.prefix_hi[rows], table.prefix_lo[rows],
                            table.prefix_len[rows], table.origin_asn[rows])
    stack = np.stack((fam.astype(np.uint64), hi, lo, ln.astype(np.uint64), org.astype(np.uint64)))
    uniq = np.unique(stack, axis=1) if len(rows) else stack
    sets = OriginSets()
    cols: dict[int, list] = {4: [], 6: []}
    # group by prefix: uniq is sorted by (fam, hi, lo, len, origin)
    key = uniq[:4]
    new = np.ones(uniq.shape[1], bool)
    if uniq.shape[1] > 1:
        new[1:] = np.any(key[:, 1:] != key[:, :-1], axis=0)
    starts = np.flatnonzero(new).tolist() + [uniq.shape[1]]
    origins = uniq[4].tolist()
    for a, b in zip(starts[:-1], starts[1:], strict=True):
        f = int(uniq[0, a])
        cols[f].append((int(uniq[1, a]), int(uniq[2, a]), int(uniq[3, a]), sets.intern(tuple(origins[a:b]))))
    v4 = np.array(cols[4], dtype=np.uint64).reshape(-1, 4)
    v6 = np.array(cols[6], dtype=np.uint64).reshape(-1, 4)
    stats = ReadStats(source or "<routes>", "routes")
    stats.read = uniq.shape[1]
    return PrefixOrigins(
        v4_net=v4[:, 1].astype(np.uint32), v4_len=v4[:, 2].astype(np.uint8), v4_set=v4[:, 3].astype(np.uint32),
        v6_hi=v6[:, 0], v6_lo=v6[:, 1], v6_len=v6[:, 2].astype(np.uint8), v6_set=v6[:, 3].astype(np.uint32),
        origin_sets=sets.sets, stats=stats, source=source,
    )


def prefix_origins_of(path: str | Path, engine: str = "auto"):
    """Prefix -> origin ASes of a RIB (MRT or bgpdump text), AS-path list, IPASN or pfx2as file."""
    fmt = detect_route_format(path)
    if fmt in (FORMAT_IPASN, FORMAT_PFX2AS):
        from .ipasn import read_prefix_origins

        return read_prefix_origins(path, fmt)
    if fmt in (FORMAT_MRT, FORMAT_BGPDUMP, FORMAT_AS_PATHS):
        table, stats = load_routes(path, fmt, engine)
        po = table_prefix_origins(table, str(path))
        po.stats = stats
        return po
    raise InputError(str(path), f"{fmt} cannot serve as an IP -> ASN database")


def load_prefix_index(paths: str | Path | list, engine: str = "auto"):
    """An IP -> origin AS index from one or several RIB (MRT or bgpdump text), IPASN or pfx2as files (merged:
    a prefix in several keeps every origin)."""
    from ..attribution.prefix_index import PrefixIndex

    files = paths if isinstance(paths, list | tuple) else [paths]
    return PrefixIndex.from_tables([prefix_origins_of(p, engine) for p in files])


# ----------------------------------------------------------------------------- AS observations
def as_observations(table: RouteTable, file: str) -> list[Observation]:
    """One observation per distinct AS on the routes of ``table`` (kind ``as``), in AS number order.

    Attributes: ``asn``, ``routes`` (routes whose path holds the AS, or whose peer it is), ``positions``
    (origin/transit/peer), ``prefixes_originated`` and the address space originated
    (``address_space_ipv4`` addresses, ``address_space_ipv6_48`` /48s; see ``analyses.carrier``).
    """
    from ..analyses.carrier import audit_rows, path_positions, position_names, union_space, unique_prefixes

    rows = audit_rows(table)
    if not len(rows):
        return []
    offs = table.path_offsets
    pos = path_positions(offs, table.path_asns, table.path_marks)
    # (path, asn) -> bits, then routes per asn via path counts
    n_paths = len(offs) - 1
    pid = np.repeat(np.arange(n_paths), np.diff(offs))
    keep = pos > 0
    key = np.unique((pid[keep].astype(np.uint64) << np.uint64(32)) | table.path_asns[keep].astype(np.uint64))
    k_pid = (key >> np.uint64(32)).astype(np.int64)
    k_asn = (key & np.uint64(0xFFFFFFFF)).astype(np.int64)
    routes_per_path = np.bincount(table.path_index[rows], minlength=n_paths)
    elem_bits = np.zeros(len(key), np.uint8)
    full_key = (pid[keep].astype(np.uint64) << np.uint64(32)) | table.path_asns[keep].astype(np.uint64)
    np.bitwise_or.at(elem_bits, np.searchsorted(key, full_key), pos[keep])
    used = routes_per_path[k_pid] > 0
    asn_u, inv = np.unique(k_asn[used], return_inverse=True)
    routes = np.bincount(inv, weights=routes_per_path[k_pid[used]], minlength=len(asn_u)).astype(np.int64)
    bits = np.zeros(len(asn_u), np.uint8)
    np.bitwise_or.at(bits, inv, elem_bits[used])
    # peers not on their paths
    peer_u, peer_n = np.unique(table.peer_as[rows].astype(np.int64), return_counts=True)
    info: dict[int, list[int]] = {int(a): [int(r), int(b)] for a, r, b in zip(asn_u, routes, bits, strict=True)}
    for a, n in zip(peer_u.tolist(), peer_n.tolist(), strict=True):
        if a == 0:
            continue
        cur = info.setdefault(a, [0, 0])
        cur[1] |= 4
        cur[0] = max(cur[0], n)
    # originated prefixes and their address space
    prefix_id, prefixes = unique_prefixes(table, rows)
    origin = table.origin_asn[rows].astype(np.int64)
    o_u, o_inv = np.unique(origin, return_inverse=True)
    pairs = np.unique(np.stack((o_inv.astype(np.int64), prefix_id)), axis=1)
    real = prefixes.family[pairs[1]] > 0
    n_orig = np.bincount(pairs[0][real], minlength=len(o_u))
    space = union_space(pairs[0], pairs[1], prefixes, len(o_u))
    originated = {int(a): (int(n_orig[i]), space[i]) for i, a in enumerate(o_u.tolist())}
    out: list[Observation] = []
    src = SourceRef(file)
    for asn in sorted(info):
        n_routes, b = info[asn]
        n_pfx, sp = originated.get(asn, (0, None))
        attrs = {"asn": str(asn), "routes": str(n_routes), "positions": ",".join(position_names(b)),
                 "prefixes_originated": str(n_pfx),
                 "address_space_ipv4": str(sp.ipv4 if sp else 0),
                 "address_space_ipv6_48": str(sp.ipv6_48 if sp else 0)}
        out.append(Observation(id=f"{file}#AS{asn}", kind="as", source=SourceRef(src.file, pointer=f"AS{asn}"),
                               identifiers=[Identifier(IdKind.ASN, f"AS{asn}", "route:as-path", Strength.STRONG)],
                               attributes=attrs))
    return out


class _RouteReader(Reader):
    """Base of the route evidence readers: load routes, then one observation per AS."""

    route_format: str = ""

    def sniff(self, path: Path, head: bytes) -> bool:
        return sniff_format(head) == self.route_format

    def read(self, path: Path, progress: Progress | None = None) -> ReadResult:
        table, stats = load_routes(path, self.route_format)
        observations = as_observations(table, str(path))
        return ReadResult(observations, audit_counts(path, table, stats, observations))


def audit_counts(path: Path, table: RouteTable, stats: ReadStats, observations: list[Observation]) -> ReadStats:
    """Route evidence read for an audit: counted per AS (the observations), the record counts kept beside; a file
    that yields no route at all is an input error, never an empty, clean-looking input."""
    if len(table) == 0:
        first = next((i.reason for i in stats.issues if i.severity == "error"), None)
        raise InputError(str(path), "no routes in this input" + (f" (first problem: {first})" if first else ""))
    return stats.per_observation(len(observations), "AS")


@register
class MrtReader(_RouteReader):
    format = FORMAT_MRT
    route_format = FORMAT_MRT
    description = "MRT routing dump (RIB or updates; TABLE_DUMP, TABLE_DUMP_V2, BGP4MP): one observation per AS"
    extensions = (".mrt", ".bz2", ".gz")


@register
class BgpdumpTextReader(_RouteReader):
    format = FORMAT_BGPDUMP
    route_format = FORMAT_BGPDUMP
    description = "bgpdump -m text: one observation per AS on the routes"


@register
class AsPathListReader(_RouteReader):
    format = FORMAT_AS_PATHS
    route_format = FORMAT_AS_PATHS
    description = "AS-path list ([prefix] path per line): one observation per AS"


@register
class IpasnReader(_RouteReader):
    format = FORMAT_IPASN
    route_format = FORMAT_IPASN
    priority = 80  # "prefix asn" lines: a loose shape, after the specific formats
    description = "pyasn IPASN file (prefix -> origin AS): one observation per origin AS"


@register
class Pfx2asReader(_RouteReader):
    format = FORMAT_PFX2AS
    route_format = FORMAT_PFX2AS
    priority = 80  # "address length asn" lines: a loose shape, after the specific formats
    description = "CAIDA RouteViews pfx2as file (prefix -> origin ASes): one observation per origin AS"
