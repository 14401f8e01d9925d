"""Prefix → origin-AS evidence files: pyasn IPASN databases and CAIDA RouteViews pfx2as files.

Both formats are read into a columnar :class:`PrefixOrigins` table (IPv4 and IPv6 kept apart), which
``attribution.prefix_index.PrefixIndex`` turns into a longest-prefix-match index.

* **pyasn IPASN** (``pyasn_util_convert.py`` output, plain or gzip)::

      ; IP-ASN32-DAT file          <- ';' starts a comment
      1.0.0.0/24<TAB>15169
      192.0.2.0/24<TAB>{64500,64501}   <- an AS_SET origin (pyasn writes sets with --debug-write-sets)

* **CAIDA pfx2as** (``routeviews-rv2-YYYYMMDD-HHMM.pfx2as.gz``)::

      1.0.0.0<TAB>24<TAB>13335
      192.0.2.0<TAB>24<TAB>64500_64501    <- '_' separates the origins of a multi-origin (MOAS) prefix
      198.51.100.0<TAB>24<TAB>64500,64502 <- ',' separates the members of an AS_SET origin

Every origin of a multi-origin prefix is kept, in the order the file gives them; the first is the
*primary* origin. A prefix listed twice keeps the union of its origins. Malformed lines are counted
and described with their line number in ``stats`` (a ``ReadStats``); a prefix written with host bits
set is kept with the host bits cleared and a warning. Only a file that cannot be read at all raises
``InputError``.
"""

from __future__ import annotations

import ipaddress
import lzma
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..model import InputError, ReadStats
from . import ipvec
from .inputs import open_input

FORMAT_IPASN = "ipasn"
FORMAT_PFX2AS = "pfx2as"
FORMATS = (FORMAT_IPASN, FORMAT_PFX2AS)

MAX_ASN = 0xFFFFFFFF
_MASK64 = (1 << 64) - 1


class OriginSets:
    """Interning table of origin-AS tuples: id 0 is the empty tuple (no origin)."""

    def __init__(self) -> None:
        self.sets: list[tuple[int, ...]] = [()]
        self._ids: dict[tuple[int, ...], int] = {(): 0}

    def intern(self, origins: tuple[int, ...]) -> int:
        sid = self._ids.get(origins)
        if sid is None:
            sid = self._ids[origins] = len(self.sets)
            self.sets.append(origins)
        return sid

    def __len__(self) -> int:
        return len(self.sets)


@dataclass
class PrefixOrigins:
    """Columnar prefix → origin-set evidence from one source.

    IPv4 prefixes: ``v4_net`` (uint32 network address), ``v4_len`` (uint8) and ``v4_set`` (uint32 id into
    ``origin_sets``); IPv6 the same with the address split into ``v6_hi``/``v6_lo`` (uint64, the top and
    bottom 64 bits). ``origin_sets[0]`` is the empty tuple.
    """

    v4_net: np.ndarray
    v4_len: np.ndarray
    v4_set: np.ndarray
    v6_hi: np.ndarray
    v6_lo: np.ndarray
    v6_len: np.ndarray
    v6_set: np.ndarray
    origin_sets: list[tuple[int, ...]]
    stats: ReadStats
    source: str = ""

    @property
    def v4_count(self) -> int:
        return len(self.v4_net)

    @property
    def v6_count(self) -> int:
        return len(self.v6_hi)

    def __len__(self) -> int:
        return self.v4_count + self.v6_count

    def prefixes(self) -> Iterator[tuple[str, tuple[int, ...]]]:
        """(prefix text, origins) for every row, IPv4 first (for inspection and tests; not fast)."""
        for net, ln, sid in zip(
            self.v4_net.tolist(), self.v4_len.tolist(), self.v4_set.tolist(), strict=True
        ):
            yield f"{ipaddress.IPv4Address(net)}/{ln}", self.origin_sets[sid]
        for hi, lo, ln, sid in zip(
            self.v6_hi.tolist(), self.v6_lo.tolist(), self.v6_len.tolist(), self.v6_set.tolist(), strict=True
        ):
            yield f"{ipaddress.IPv6Address((hi << 64) | lo)}/{ln}", self.origin_sets[sid]


@dataclass
class PrefixOriginsBuilder:
    """Collects (prefix, origins) rows one by one and produces a :class:`PrefixOrigins`."""

    stats: ReadStats
    sets: OriginSets = field(default_factory=OriginSets)
    _v4: list[tuple[int, int, int]] = field(default_factory=list)
    _v6: list[tuple[int, int, int]] = field(default_factory=list)

    def add(self, version: int, net: int, length: int, origins: tuple[int, ...]) -> None:
        sid = self.sets.intern(origins)
        (self._v4 if version == 4 else self._v6).append((net, length, sid))

    def build(self, source: str = "") -> PrefixOrigins:
        v4 = np.array(self._v4, dtype=np.uint64).reshape(-1, 3)
        v6_net = [r[0] for r in self._v6]
        return PrefixOrigins(
            v4_net=v4[:, 0].astype(np.uint32),
            v4_len=v4[:, 1].astype(np.uint8),
            v4_set=v4[:, 2].astype(np.uint32),
            v6_hi=np.array([n >> 64 for n in v6_net], dtype=np.uint64),
            v6_lo=np.array([n & _MASK64 for n in v6_net], dtype=np.uint64),
            v6_len=np.array([r[1] for r in self._v6], dtype=np.uint8),
            v6_set=np.array([r[2] for r in self._v6], dtype=np.uint32),
            origin_sets=self.sets.sets,
            stats=self.stats,
            source=source,
        )


# --------------------------------------------------------------------------- field parsers
class BadRecord(ValueError):
    """A field that cannot be understood; the message is the reason given to the user."""


def parse_asn(text: str) -> int:
    """An AS number in asplain (``4134``) or asdot (``1.10``) notation; AS0 is refused as an origin."""
    t = text.strip()
    if t.upper().startswith("AS"):
        t = t[2:]
    if "." in t:
        high, _, low = t.partition(".")
        if not (_digits(high, 5) and _digits(low, 5)) or int(high) > 0xFFFF or int(low) > 0xFFFF:
            raise BadRecord(f"bad AS number {_short(text)}")
        value = (int(high) << 16) | int(low)
    elif t.isdigit() and t.isascii():
        if not _digits(t, 10):
            raise BadRecord(f"AS number {_short(text)} is larger than 4294967295")
        value = int(t)
    else:
        raise BadRecord(f"bad AS number {_short(text)}")
    if value == 0:
        raise BadRecord("AS0 is not a valid origin (RFC 7607)")
    if value > MAX_ASN:
        raise BadRecord(f"AS number {_short(text)} is larger than 4294967295")
    return value


def _digits(text: str, most: int) -> bool:
    """ASCII digits only, at most ``most`` of them after leading zeros (``int()`` of a 5,000-digit text
    raises ValueError, and such a number is out of range anyway)."""
    return text.isascii() and text.isdigit() and len(text.lstrip("0")) <= most


def _short(text: str) -> str:
    """A bad value as a message quotes it: at most 40 characters."""
    return repr(text) if len(text) <= 40 else f"{text[:40]!r}... ({len(text)} characters)"


def _unique(origins: Iterable[int]) -> tuple[int, ...]:
    return tuple(dict.fromkeys(origins))


def parse_origins_ipasn(text: str) -> tuple[int, ...]:
    """pyasn origin field: one ASN, or an AS_SET written ``{a,b}`` (also ``{a, b}`` and ``set([a, b])``)."""
    t = text.strip()
    if t.startswith("set([") and t.endswith("])"):
        t = "{" + t[5:-2] + "}"
    if t.startswith("{") and t.endswith("}"):
        parts = [p for p in t[1:-1].split(",")]
        if not parts or any(not p.strip() for p in parts):
            raise BadRecord(f"bad origin AS set {_short(text)}")
        return _unique(parse_asn(p) for p in parts)
    if not t:
        raise BadRecord("empty origin AS field")
    return (parse_asn(t),)


def parse_origins_pfx2as(text: str) -> tuple[int, ...]:
    """CAIDA origin field: MOAS origins joined by ``_``, AS_SET members by ``,`` (both may combine)."""
    t = text.strip()
    if not t:
        raise BadRecord("empty origin AS field")
    parts = [p for chunk in t.split("_") for p in chunk.split(",")]
    if any(not p for p in parts):
        raise BadRecord(f"bad origin AS list {_short(text)}")
    return _unique(parse_asn(p) for p in parts)


def parse_network(address: str, length: int | str) -> tuple[int, int, int, bool]:
    """(version, network as int, length, host_bits_were_set) of ``address``/``length``."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        raise BadRecord(f"bad IP address {_short(address.strip())}") from None
    if isinstance(length, str):
        length = length.strip()
        if not _digits(length, 3):
            raise BadRecord(f"bad prefix length {_short(length)}")
        length = int(length)
    bits = 32 if ip.version == 4 else 128
    if not 0 <= length <= bits:
        raise BadRecord(f"prefix length {length} out of range for IPv{ip.version}")
    value = int(ip)
    mask = ((1 << bits) - 1) ^ ((1 << (bits - length)) - 1)
    return ip.version, value & mask, length, bool(value & ~mask)


def parse_prefix(text: str) -> tuple[int, int, int, bool]:
    """(version, network, length, host_bits_were_set) of ``"a.b.c.d/len"`` or ``"x::/len"``."""
    address, slash, length = text.strip().partition("/")
    if not slash:
        raise BadRecord(f"bad prefix {_short(text.strip())} (no '/length')")
    return parse_network(address, length)


# --------------------------------------------------------------------------- file readers
def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def sniff(head: bytes) -> str | None:
    """``ipasn``, ``pfx2as`` or None, from the first bytes of a (decompressed) file."""
    text = head.decode("utf-8", errors="replace")
    lines = text.splitlines()
    if len(head) >= 4096 and lines:
        lines = lines[:-1]  # the last line may be cut
    for line in lines:
        s = line.strip()
        if not s or s.startswith(("#", ";")):
            continue
        fields = s.split()
        if len(fields) == 2 and "/" in fields[0] and _is_address(fields[0].split("/", 1)[0]):
            return FORMAT_IPASN
        if (len(fields) == 3 and fields[1].isascii() and fields[1].isdigit() and "/" not in fields[0]
                and _is_address(fields[0])):
            return FORMAT_PFX2AS
        return None
    if text.startswith("; IP-ASN32-DAT"):
        return FORMAT_IPASN
    return None


def _read_bytes(path: Path, name: str) -> bytes:
    try:
        with open_input(path) as fh:
            return fh.read()
    except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
        raise InputError(name, f"cannot read: {exc}") from None


def _line_bounds(buf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive, without CR/LF) offsets of every line of ``buf``."""
    nl = np.flatnonzero(buf == 10)
    starts = np.concatenate(([0], nl + 1))
    ends = np.concatenate((nl, [len(buf)]))
    if starts[-1] == len(buf):  # file ends with a newline
        starts, ends = starts[:-1], ends[:-1]
    cr = (ends > starts) & (buf[np.maximum(ends - 1, 0)] == 13)
    return starts, ends - cr


def _nth_sep(pos: np.ndarray, starts: np.ndarray, nlines: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(count per line, first and second position per line) of the separator positions ``pos``."""
    line = np.searchsorted(starts, pos, side="right") - 1
    count = np.bincount(line, minlength=nlines)
    first_idx = np.searchsorted(line, np.arange(nlines))
    pos_ext = np.concatenate((pos, [-1, -1]))
    return count, pos_ext[np.minimum(first_idx, len(pos))], pos_ext[np.minimum(first_idx + 1, len(pos) + 1)]


def _fast_rows(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, pfx2as: bool):
    """Vectorised parse of the ordinary lines; returns (ok, version, hi, lo, length, asn) per line.

    A line not ``ok`` here (comments, AS sets, odd spacing, errors) is left to the line-by-line parser.
    """
    n = len(starts)
    tabs = np.flatnonzero(buf == 9)
    ntab, tab1, tab2 = _nth_sep(tabs, starts, n)
    if pfx2as:
        ok = ntab == 2
        addr_end, len_start, len_end, asn_start = tab1, tab1 + 1, tab2, tab2 + 1
    else:
        slashes = np.flatnonzero(buf == 47)
        nslash, slash1, _ = _nth_sep(slashes, starts, n)
        ok = (ntab == 1) & (nslash == 1) & (slash1 < tab1)
        addr_end, len_start, len_end, asn_start = slash1, slash1 + 1, tab1, tab1 + 1
    ok &= ends > starts
    rows = np.flatnonzero(ok)
    version = np.zeros(n, np.uint8)
    hi = np.zeros(n, np.uint64)
    lo = np.zeros(n, np.uint64)
    length = np.zeros(n, np.uint64)
    asn = np.zeros(n, np.uint64)
    for a in range(0, len(rows), ipvec.CHUNK):
        r = rows[a : a + ipvec.CHUNK]
        mat, long_ = ipvec.field_matrix(buf, starts[r], addr_end[r], ipvec.V6_WIDTH + 1)
        v, h, lw = ipvec.parse_ip_matrix(mat)
        v[long_] = 0
        version[r], hi[r], lo[r] = v, h, lw
        mat, long_ = ipvec.field_matrix(buf, len_start[r], len_end[r], 4)
        ok_len, ln = ipvec.parse_uint_matrix(mat)
        ok[r] &= ok_len & ~long_
        length[r] = ln
        mat, long_ = ipvec.field_matrix(buf, asn_start[r], ends[r], 11)
        ok_asn, asn_r = ipvec.parse_uint_matrix(mat)
        ok[r] &= ok_asn & ~long_
        asn[r] = asn_r
    ok &= version > 0
    ok &= length <= np.where(version == 4, 32, 128).astype(np.uint64)
    ok &= (asn > 0) & (asn <= MAX_ASN)
    # host bits must be clear (else the careful parser warns)
    shift4 = np.minimum(32 - np.minimum(length, 32), 63).astype(np.uint64)
    v4_host = (version == 4) & ((lo & ((np.uint64(1) << shift4) - np.uint64(1))) != 0)
    lo_bits = np.clip(128 - length.astype(np.int64), 0, 64).astype(np.uint64)
    hi_bits = np.clip(64 - length.astype(np.int64), 0, 64).astype(np.uint64)
    ones = np.uint64(_MASK64)
    lo_mask = np.where(lo_bits >= 64, ones, (np.uint64(1) << np.minimum(lo_bits, 63)) - np.uint64(1))
    hi_mask = np.where(hi_bits >= 64, ones, (np.uint64(1) << np.minimum(hi_bits, 63)) - np.uint64(1))
    v6_host = (version == 6) & (((lo & lo_mask) != 0) | ((hi & hi_mask) != 0))
    ok &= ~v4_host & ~v6_host
    return ok, version, hi, lo, length, asn


def _parse_line(s: str, pfx2as: bool) -> tuple[int, int, int, tuple[int, ...], bool, str]:
    """One line, the careful way: (version, network, length, origins, host_bits_set, prefix text)."""
    fields = s.split("\t") if "\t" in s else s.split()
    if pfx2as:
        if len(fields) != 3:
            raise BadRecord(f"expected 3 tab-separated fields (prefix, length, origins), got {len(fields)}")
        version, net, length, host_bits = parse_network(fields[0], fields[1])
        origins = parse_origins_pfx2as(fields[2])
        text = f"{fields[0].strip()}/{fields[1].strip()}"
    else:
        if len(fields) != 2:
            raise BadRecord(f"expected 2 tab-separated fields (prefix, origin), got {len(fields)}")
        version, net, length, host_bits = parse_prefix(fields[0])
        origins = parse_origins_ipasn(fields[1])
        text = fields[0].strip()
    return version, net, length, origins, host_bits, text


def read_prefix_origins(path: str | Path, fmt: str | None = None) -> PrefixOrigins:
    """Read a pyasn IPASN file or a CAIDA pfx2as file (``fmt`` names it; sniffed otherwise).

    Ordinary lines are parsed vectorised; every other line (comments aside) goes through a careful
    line-by-line parser that either reads it (AS sets, odd spacing) or records why it cannot.
    """
    p = Path(path)
    name = str(path)
    data = _read_bytes(p, name)
    if fmt is None:
        fmt = sniff(data[:4096])
        if fmt is None:
            raise InputError(name, "neither a pyasn IPASN file nor a CAIDA pfx2as file")
    if fmt not in FORMATS:
        raise InputError(name, f"unknown prefix-origin format {fmt!r} (known: {', '.join(FORMATS)})")
    pfx2as = fmt == FORMAT_PFX2AS
    stats = ReadStats(file=name, format=fmt)
    buf = np.frombuffer(data, dtype=np.uint8)
    starts, ends = _line_bounds(buf)
    ok, version, hi, lo, length, asn = _fast_rows(buf, starts, ends, pfx2as)

    # single-origin sets of the fast rows: ids 1..k in ASN order
    fast = np.flatnonzero(ok)
    uniq, inverse = np.unique(asn[fast], return_inverse=True)
    sets = OriginSets()
    for a in uniq.tolist():
        sets.intern((a,))
    set_id = np.zeros(len(starts), np.uint32)
    set_id[fast] = inverse.astype(np.uint32) + 1

    # everything else, line by line
    slow_rows = []
    for i in np.flatnonzero(~ok).tolist():
        s = data[starts[i] : ends[i]].decode("utf-8", errors="replace").strip()
        if not s or s[0] in ";#":
            continue
        stats.read += 1
        try:
            v, net, ln, origins, host_bits, text = _parse_line(s, pfx2as)
        except BadRecord as exc:
            stats.problem(str(exc), line=i + 1)
            continue
        if host_bits:
            stats.warn(f"prefix {text} has host bits set; read as the network with them cleared", line=i + 1)
        version[i], hi[i], lo[i], length[i] = v, (net >> 64) & _MASK64, net & _MASK64, ln
        set_id[i] = sets.intern(origins)
        slow_rows.append(i)
    stats.read += len(fast)
    keep = np.sort(np.concatenate((fast, np.array(slow_rows, dtype=np.int64))))
    is4 = keep[version[keep] == 4]
    is6 = keep[version[keep] == 6]
    return PrefixOrigins(
        v4_net=lo[is4].astype(np.uint32),
        v4_len=length[is4].astype(np.uint8),
        v4_set=set_id[is4],
        v6_hi=hi[is6],
        v6_lo=lo[is6],
        v6_len=length[is6].astype(np.uint8),
        v6_set=set_id[is6],
        origin_sets=sets.sets,
        stats=stats,
        source=name,
    )


def read_ipasn(path: str | Path) -> PrefixOrigins:
    """Read a pyasn IPASN file (plain or compressed)."""
    return read_prefix_origins(path, FORMAT_IPASN)


def read_pfx2as(path: str | Path) -> PrefixOrigins:
    """Read a CAIDA RouteViews pfx2as file (plain or compressed)."""
    return read_prefix_origins(path, FORMAT_PFX2AS)
