"""Route evidence as routes and as AS observations: MRT, ``bgpdump -m`` text, AS-path lists, IPASN/pfx2as.

Two uses:

* :func:`load_routes` turns any route evidence file into a columnar :class:`RouteTable` (plus the
  reader's ``ReadStats``) for ``netvet routes audit`` / ``dependency``. It reuses the parsers of
  ``readers.mrt`` (MRT), ``readers.bgpdump_text`` (``bgpdump -m`` text and
  AS-path syntax) and ``readers.ipasn`` (prefix → origin files); this module only adds the plain
  AS-path list format and the conversions.
* The registered readers (``mrt``, ``bgpdump-text``, ``as-path-list``, ``ipasn``, ``pfx2as``) make the
  same files usable by ``netvet audit`` / ``netvet compare``: each yields the file's routes
  (``ReadResult.routes``), which the pipeline turns into one :class:`Observation` per distinct AS seen
  (``analyses.route_observations``: kind ``as``, an ``IdKind.ASN`` identifier; attributes ``routes``,
  ``positions``, ``prefixes_originated`` and the address space originated).

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

from ..model import InputError, ReadStats
from ..model.route import (
    AS_SEQUENCE,
    KIND_RIB,
    RouteTable,
    RouteTableBuilder,
    encode_segments,
)
from .base import Progress, Reader, ReadResult, open_input, register

FORMAT_MRT = "mrt"
FORMAT_BGPDUMP = "bgpdump-text"
FORMAT_AS_PATHS = "as-path-list"
FORMAT_IPASN = "ipasn"
FORMAT_PFX2AS = "pfx2as"
ROUTE_FORMATS = (FORMAT_MRT, FORMAT_BGPDUMP, FORMAT_AS_PATHS, FORMAT_IPASN, FORMAT_PFX2AS)

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


ROUTES = frozenset({"routes"})


def detect_route_format(path: str | Path) -> str:
    """The format of a route evidence file, sniffed by the registered readers that yield routes."""
    from .base import detect

    try:
        return detect(path, yields=ROUTES).format
    except InputError as exc:
        if exc.issue.reason.startswith("unrecognised input format"):
            raise InputError(str(path), "not route evidence: expected an MRT dump, bgpdump -m text, an AS-path "
                                        "list, a pyasn IPASN or CAIDA pfx2as file, or RIPE Atlas traceroutes") from None
        raise


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
    from .base import READERS

    p = Path(path)
    fmt = fmt or detect_route_format(p)
    reader = READERS.get(fmt)
    if not isinstance(reader, type) or not issubclass(reader, _RouteReader):
        raise InputError(str(path), f"{fmt} is not route evidence netvet can turn into routes")
    table, stats = reader().table(p, engine)
    stats.unit = UNITS.get(fmt, stats.unit)
    return table, stats


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
    ``attribution.prefix_index.PrefixIndex.from_tables`` (an IP → ASN index built from a RIB;
    ``pipeline.load_prefix_index``)."""
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


class _RouteReader(Reader):
    """Base of the route evidence readers: they yield routes (``ReadResult.routes``, the record counts in
    ``stats``); the pipeline turns them into one observation per AS (``analyses.route_observations``)."""

    yields = frozenset({"routes"})
    route_format: str = ""

    def sniff(self, path: Path, head: bytes) -> bool:
        return sniff_format(head) == self.route_format

    def read(self, path: Path, progress: Progress | None = None) -> ReadResult:
        table, stats = load_routes(path, self.route_format)
        return ReadResult(stats=stats, routes=table)

    def table(self, path: Path, engine: str = "auto") -> tuple[RouteTable, ReadStats]:
        """The file's routes as a :class:`RouteTable` and its reading statistics (``engine``: MRT only)."""
        raise NotImplementedError




@register
class MrtReader(_RouteReader):
    format = FORMAT_MRT
    route_format = FORMAT_MRT
    description = "MRT routing dump (RIB or updates; TABLE_DUMP, TABLE_DUMP_V2, BGP4MP): one observation per AS"
    extensions = (".mrt", ".bz2", ".gz")

    def table(self, path: Path, engine: str = "auto") -> tuple[RouteTable, ReadStats]:
        from .mrt.engines import read_table

        return read_table(path, engine)


@register
class BgpdumpTextReader(_RouteReader):
    format = FORMAT_BGPDUMP
    route_format = FORMAT_BGPDUMP
    description = "bgpdump -m text: one observation per AS on the routes"

    def table(self, path: Path, engine: str = "auto") -> tuple[RouteTable, ReadStats]:
        from .bgpdump_text import read_text_table

        stats = ReadStats(str(path), FORMAT_BGPDUMP)
        return read_text_table(path, stats), stats


@register
class AsPathListReader(_RouteReader):
    format = FORMAT_AS_PATHS
    route_format = FORMAT_AS_PATHS
    description = "AS-path list ([prefix] path per line): one observation per AS"

    def table(self, path: Path, engine: str = "auto") -> tuple[RouteTable, ReadStats]:
        return read_as_path_list(path)


class _PrefixOriginReader(_RouteReader):
    """A prefix -> origin AS file: one route per prefix and origin (``prefix_origin_routes``)."""

    def table(self, path: Path, engine: str = "auto") -> tuple[RouteTable, ReadStats]:
        from .ipasn import read_prefix_origins

        po = read_prefix_origins(path, self.format)
        return prefix_origin_routes(po), po.stats


@register
class IpasnReader(_PrefixOriginReader):
    format = FORMAT_IPASN
    route_format = FORMAT_IPASN
    priority = 80  # "prefix asn" lines: a loose shape, after the specific formats
    description = "pyasn IPASN file (prefix -> origin AS): one observation per origin AS"


@register
class Pfx2asReader(_PrefixOriginReader):
    format = FORMAT_PFX2AS
    route_format = FORMAT_PFX2AS
    priority = 80  # "address length asn" lines: a loose shape, after the specific formats
    description = "CAIDA RouteViews pfx2as file (prefix -> origin ASes): one observation per origin AS"
