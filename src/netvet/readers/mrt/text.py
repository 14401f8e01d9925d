"""``bgpdump -m`` text of an MRT file, fast: what ``netvet routes dump --format bgpdump`` writes.

:class:`TextMrtParser` is :class:`~netvet.readers.mrt.MrtParser` whose records become ``bgpdump -m``
lines. Runs of TABLE_DUMP_V2 IPv4/IPv6 unicast and multicast RIB records (the bulk of a RIB dump; the MP_REACH of
an entry abbreviated or whole) and of plain BGP4MP(_ET)
MESSAGE / MESSAGE_AS4 records (update files; IPv4 and IPv6, MP_REACH/MP_UNREACH included) are written in C
(``_mrtfast.RibText``) straight from the input buffer, the text of each attribute block made once; every
other record (ADD-PATH and LOCAL updates, state changes, TABLE_DUMP v1, damage ...), and every attribute block
the C code does not take (warnings, damage, AS4_PATH merges ...), goes
through the Python parser and :class:`~netvet.readers.bgpdump_text.LineFormatter`, so the text, the
problems, the warnings and the statistics are the same as with ``MrtParser.routes()`` + ``LineFormatter``
(the tests compare both on every sample, and with Debian's bgpdump on every shared MRT file).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..bgpdump_text import NO_NEXT_HOP, LineFormatter
from .caches import PENDING, LazyAttrCache, SharedCache
from .parser import MrtParser, mp_free_key
from .sinks import RecordSink

try:
    from .._mrtfast import RibText
except ImportError:  # the optional extension was not built
    RibText = None

HAVE_C = RibText is not None


class _TextRibCache(SharedCache):
    """:class:`SharedCache` whose ``get`` also finds the blocks the C writer has (for the RIB records the parser
    reads itself, e.g. damaged ones): a slot parsed afresh from the sound block, not cached again."""

    __slots__ = ("slot",)

    def get(self, blob, default=None):
        got = dict.get(self, blob, default)
        if got is None and self.builder.has_block(blob):
            got = self.slot(blob)
        return got


class _SharedNormCache(dict):
    """The parser's cache of RIB blocks without their MP_REACH NLRI (``MrtParser._rib_norm_cache``): ``len``
    and ``clear`` also cover the half the C writer keeps (one cache, one rule, as :class:`SharedCache`), and
    ``get`` finds that half's keys (the slot of a sound block of that key, parsed afresh)."""

    __slots__ = ("builder", "slot")

    def __len__(self) -> int:
        return dict.__len__(self) + self.builder.norm_size

    def clear(self) -> None:
        dict.clear(self)
        self.builder.clear_norm()

    def get(self, key, default=None):
        got = dict.get(self, key, default)
        if got is None and self.builder.has_norm(*key):
            got = self.slot(_norm_block(key))
        return got


def _norm_block(key: tuple[bytes, bytes, bytes]) -> bytes:
    """A sound block of a norm key (``mp_free_key``): the MP_REACH whole, without SNPAs and NLRI."""
    a, mp, c = key  # the block before MP_REACH; AFI, SAFI, next hop length and next hop; the rest
    value = mp + b"\x00"
    head = bytes((0x90, 14)) + len(value).to_bytes(2, "big") if len(value) > 255 else bytes((0x80, 14, len(value)))
    return a + head + value + c


class TextMrtParser(MrtParser):
    """:class:`MrtParser` whose :meth:`text` yields ``bgpdump -m`` text as UTF-8 bytes, in chunks of whole lines."""

    def __init__(self, path: str | Path, name: str | None = None, use_c: bool = True) -> None:
        super().__init__(path, name)
        self.fmt = LineFormatter()
        self.lines = 0  # lines written (routes and state changes)
        self._use_c = use_c and HAVE_C
        self._rt = None
        self._peer_src = None
        self._sink: RecordSink | None = None
        self._chunks: list[bytes] = []
        self._slot_text: dict[int, tuple[list, str]] = {}

    @property
    def _full_mp_in_rib(self) -> bool:
        """The parser's flag (a RIB entry with the whole MP_REACH was read), kept by the C writer while it runs."""
        rt = self.__dict__.get("_rt")
        return rt.full_mp if rt is not None else self.__dict__.get("_full_mp", False)

    @_full_mp_in_rib.setter
    def _full_mp_in_rib(self, value: bool) -> None:
        rt = self.__dict__.get("_rt")
        if rt is not None:
            rt.full_mp = value
        self.__dict__["_full_mp"] = value

    def text(self) -> Iterator[bytes]:
        sink = self._sink = RecordSink()
        chunks = self._chunks
        if self._use_c:
            rt = RibText()
            rt.full_mp = self._full_mp_in_rib
            self._rt = rt
            shared = _TextRibCache()
            shared.builder = rt
            shared.slot = self._sound_slot
            self._rib_cache = shared
            norm = _SharedNormCache(self._rib_norm_cache)
            norm.builder = rt
            norm.slot = self._sound_slot
            self._rib_norm_cache = norm
            rt.set_context(shared, self.attr_cache_max, self._fallback, norm)
            lazy = LazyAttrCache()
            lazy.parse = self._parse_attrs
            self._attr_cache = lazy
            rt.set_update_context(lazy, PENDING, self._peer_text)
            self._batch = self._text_batch
        steps = self._steps(sink)
        try:
            for _ in steps:
                self._flush()
                if chunks:
                    yield from chunks
                    chunks.clear()
        finally:
            steps.close()
            self._batch = None
        self._flush()
        yield from chunks
        chunks.clear()

    def _flush(self) -> None:
        """The records the Python parser produced so far, as lines (in order, before any C text)."""
        out = self._sink.out
        if out:
            fmt = self.fmt
            self._chunks.append("".join([fmt(r) + "\n" for r in out]).encode())
            self.lines += len(out)
            out.clear()

    def _fallback(self, blob: bytes, i: int, count: int, off: int) -> str | None:
        """The text of a RIB attribute block the C code did not take (the parser's cache, then the parser)."""
        slot = self._rib_cache.get(blob)
        if slot is None:
            self._off = off
            slot = self._rib_slot(blob, self._sink, i, count)
            if slot is None:
                return None
        got = self._slot_text.get(id(slot))
        if got is None or got[0] is not slot:
            if len(self._slot_text) > self.attr_cache_max:
                self._slot_text.clear()
            head, tail = self.fmt.attr_parts(slot[0])
            got = self._slot_text[id(slot)] = (slot, f"{head}|{slot[1] or NO_NEXT_HOP}|{tail}")
        return got[1]

    def _sound_slot(self, blob: bytes) -> list:
        """The cache slot of a block the C writer has: parsed afresh, from the block's norm key when its MP_REACH
        is whole (the block may be one the norm cache let through, with a damaged SNPA), so it warns about nothing."""
        key = mp_free_key(blob)
        attrs, mp_reach, _ = self._parse_attrs(blob if key is None else _norm_block(key), 4, False, True)
        return [attrs, mp_reach[2] if mp_reach is not None else attrs.next_hop, -1, 0]

    def _peer_text(self, ip: bytes, asn: int) -> bytes:
        return f"{self._v4(ip) if len(ip) == 4 else self._v6(ip)}|{asn}|".encode()

    def _text_batch(self, inp, pos: int) -> tuple[int, int, int] | None:
        rt = self._rt
        if self._peers is not None and self._peer_src is not self._peers:
            self._peer_src = self._peers
            rt.set_peers([f"{ip}|{asn}|".encode() for ip, asn in self._peers])
        base = inp.base
        end, records, last, last_ts, entries, recs, msgs, kinds, text = rt.run(inp.data, pos - base, base)
        if not records:
            return None
        self._flush()
        lines = self._count_batch(records, entries, recs, msgs, kinds, last_ts, base + last)
        if lines:
            self._chunks.append(text)
            self.lines += lines
        return base + end, records, base + last


def iter_text(path: str | Path, name: str | None = None, use_c: bool = True) -> Iterator[bytes]:
    """The ``bgpdump -m`` text of an MRT file (UTF-8), in chunks of whole lines."""
    return TextMrtParser(path, name, use_c).text()
