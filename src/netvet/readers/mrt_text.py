"""``bgpdump -m`` text of an MRT file, fast: what ``netvet routes dump --format bgpdump`` writes.

:class:`TextMrtParser` is :class:`~netvet.readers.mrt.MrtParser` whose records become ``bgpdump -m``
lines. Runs of TABLE_DUMP_V2 IPv4/IPv6 unicast RIB records (the bulk of a RIB dump) and of plain BGP4MP(_ET)
MESSAGE / MESSAGE_AS4 records (update files; IPv4 and IPv6, MP_REACH/MP_UNREACH included) are written in C
(``_mrtfast.RibText``) straight from the input buffer, the text of each attribute block made once; every
other record (ADD-PATH and LOCAL updates, state changes, TABLE_DUMP v1, damage ...), and every attribute block
the C code does not take (warnings, RIB blocks with the whole MP_REACH, AS4_PATH merges ...), goes
through the Python parser and :class:`~netvet.readers.bgpdump_text.LineFormatter`, so the text, the
problems, the warnings and the statistics are the same as with ``MrtParser.routes()`` + ``LineFormatter``
(the tests compare both on every sample, and with Debian's bgpdump on every shared MRT file).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

from .bgpdump_text import _NO_NEXT_HOP, LineFormatter
from .mrt import _ATTR_CACHE_MAX, BGP_MSG_NAMES, MrtParser, _RecordSink, ntoa6, record_name
from .mrt_fast import _PENDING, _LazyAttrCache, _SharedCache

try:
    from ._mrtfast import RibText
except ImportError:  # the optional extension was not built
    RibText = None

HAVE_C = RibText is not None


class TextMrtParser(MrtParser):
    """:class:`MrtParser` whose :meth:`text` yields ``bgpdump -m`` text as UTF-8 bytes, in chunks of whole lines."""

    def __init__(self, path: str | Path, name: str | None = None, use_c: bool = True) -> None:
        super().__init__(path, name)
        self.fmt = LineFormatter()
        self.lines = 0  # lines written (routes and state changes)
        self._use_c = use_c and HAVE_C
        self._rt = None
        self._peer_src = None
        self._sink: _RecordSink | None = None
        self._chunks: list[bytes] = []
        self._slot_text: dict[int, tuple[list, str]] = {}

    def text(self) -> Iterator[bytes]:
        sink = self._sink = _RecordSink()
        chunks = self._chunks
        if self._use_c:
            rt = self._rt = RibText()
            shared = _SharedCache()
            shared.builder = rt
            self._rib_cache = shared
            rt.set_context(shared, _ATTR_CACHE_MAX, self._fallback)
            lazy = _LazyAttrCache()
            lazy.parse = self._parse_attrs
            self._attr_cache = lazy
            rt.set_update_context(lazy, _PENDING, self._peer_text)
            self._batch = self._text_batch
        gc_on = gc.isenabled()
        run = self._run(sink)
        try:
            while True:
                gc.disable()
                try:
                    next(run)
                except StopIteration:
                    break
                finally:
                    if gc_on:
                        gc.enable()
                self._flush()
                if chunks:
                    yield from chunks
                    chunks.clear()
        finally:
            run.close()
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
            if len(self._slot_text) > _ATTR_CACHE_MAX:
                self._slot_text.clear()
            head, tail = self.fmt._attr_parts(slot[0])
            got = self._slot_text[id(slot)] = (slot, f"{head}|{slot[1] or _NO_NEXT_HOP}|{tail}")
        return got[1]

    def _peer_text(self, ip: bytes, asn: int) -> bytes:
        return f"{self._v4(ip) if len(ip) == 4 else ntoa6(ip)}|{asn}|".encode()

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
        st = self.mstats
        for typ, sub, n in recs:
            st.records[record_name(typ, sub)] += n
        st.stats.read += records
        st.rib_entries += entries
        for mtype, n in msgs:
            st.bgp_messages[BGP_MSG_NAMES.get(mtype, f"type {mtype}")] += n
        lines = 0
        for kind, n in kinds:
            st.routes[chr(kind)] += n
            lines += n
        if lines:
            self._chunks.append(text)
            self.lines += lines
        self._last_ts = last_ts
        self._off = base + last
        return base + end, records, base + last


def iter_text(path: str | Path, name: str | None = None, use_c: bool = True) -> Iterator[bytes]:
    """The ``bgpdump -m`` text of an MRT file (UTF-8), in chunks of whole lines."""
    return TextMrtParser(path, name, use_c).text()
