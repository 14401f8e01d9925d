"""The on-disk index of the IEEE MAC registry: its text files parsed once, read back in milliseconds.

Parsing netaddr's ``oui.txt`` and ``iab.txt`` (or the IEEE/Wireshark files of ``netvet data``) takes about a second;
:class:`MacIndexCache` writes what the parse produced (every block and every load report) to one file per list of
sources, under a directory the caller gives (the CLI: ``datasets.store.netvet_cache()``: ``$NETVET_CACHE`` or
``~/.cache/netvet``), and reads it back instead of parsing when the sources are unchanged.

File layout (little-endian)::

    b"NVMACIX1"  u32 header length  header (JSON)  payload

The header names the format version, each source (path, label, kind, replace flag, size, modification time in
nanoseconds, SHA-256 of its bytes), the load reports, the country and dataset names, the number of blocks and the
payload's length and SHA-256. The payload is the blocks' columns in registry order: values (u64), sizes in bits
(u8), kinds (u8, index into ``oui.KINDS``), countries (u16, index; 0xFFFF none), datasets (u16, index), then the
organisation names as JSON (a name, or a list: the name and its alternatives).

A source whose size and modification time are those recorded is taken as unchanged; otherwise its SHA-256
decides (a ``touch`` does not force a rebuild, an edit does). A file that is stale, truncated, corrupt (payload
hash), of another format version or unreadable is never trusted: the sources are parsed again and the file
rewritten (to a temporary file, then ``os.replace``, so concurrent writers never leave a half-written index).
When the directory cannot be written, the parse is used without an index.
"""

from __future__ import annotations

import hashlib
import json
import sys
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path

from ..model import InputIssue, ReadStats
from ..util.framed_file import FramedFileError, check_payload, file_changed, file_record, read_framed, write_framed
from .oui import KINDS, NO_COUNTRY, LoadReport, MacRegistry, MacSource, _Rows

MAGIC = b"NVMACIX1"
FORMAT_VERSION = 1
_COLUMNS = (("values", "Q", 8), ("bits", "B", 1), ("kinds", "B", 1), ("countries", "H", 2), ("datasets", "H", 2))


class CorruptIndex(ValueError):
    """An index file that cannot be trusted (why, in the message)."""


@dataclass
class MacIndexCache:
    """On-disk indexes of MAC registries under ``directory``, one per list of sources.

    ``last`` says what the latest :meth:`load` did: ``hit``, ``built`` (no index yet), ``rebuilt: <why>``, or
    ``parsed: <why>`` when the index could not be written."""

    directory: Path
    last: str = ""
    history: list[str] = field(default_factory=list)  # every ``last``, in order

    def path_for(self, sources: Sequence[MacSource]) -> Path:
        """The index file of exactly these sources (paths, labels, kinds and order)."""
        key = json.dumps([s.to_dict() for s in sources], sort_keys=True).encode()
        return Path(self.directory) / f"mac-index-{hashlib.sha256(key).hexdigest()[:20]}.bin"

    def load(self, sources: Sequence[MacSource]) -> MacRegistry:
        """The registry of ``sources``: read from the index when it is valid, else parsed (and the index written)."""
        sources = list(sources)
        path = self.path_for(sources)
        why = "built"
        if path.exists():
            try:
                reg = read_index(path, sources)
            except CorruptIndex as exc:
                why = f"rebuilt: {exc}"
            else:
                self._note("hit")
                return reg
        try:  # before the parse: a file that changes meanwhile is seen by the next load
            described = [describe(s) for s in sources]
        except OSError as exc:  # the parse below says which file, as an InputError
            described, why = None, f"parsed: a source is unreadable ({exc.strerror or exc})"
        reg = MacRegistry()
        for src in sources:
            reg.load_source(src)
        if described is not None:
            try:
                write_index(path, reg, described)
            except OSError as exc:
                why = f"parsed: index not written ({exc.strerror or exc})"
        self._note(why)
        return reg

    def _note(self, what: str) -> None:
        self.last = what
        self.history.append(what)


def describe(src: MacSource) -> dict:
    """What identifies a source's content: its spec, size, modification time and SHA-256."""
    return {**file_record(src.path), **src.to_dict()}


def _unchanged(recorded: dict, src: MacSource) -> str | None:
    """None when ``src`` is the file ``recorded`` describes, else why not."""
    if {k: recorded.get(k) for k in ("path", "dataset", "kind", "replace")} != src.to_dict():
        return f"source {src.path} is not the one indexed"
    return file_changed(recorded, src.path, f"source {src.path}")


# --------------------------------------------------------------------------- reports
def _report_dict(r: LoadReport) -> dict:
    out = {f.name: getattr(r, f.name) for f in fields(LoadReport) if f.name != "stats"}
    out["by_size"] = {str(k): v for k, v in r.by_size.items()}
    if r.stats is not None:
        st = {f.name: getattr(r.stats, f.name) for f in fields(ReadStats) if f.name != "issues"}
        st["issues"] = [{f.name: getattr(i, f.name) for f in fields(InputIssue)} for i in r.stats.issues]
        out["stats"] = st
    return out


def _report_from(d: dict) -> LoadReport:
    d = dict(d)
    st = d.pop("stats", None)
    d["by_size"] = {int(k): v for k, v in d["by_size"].items()}
    rep = LoadReport(**d)
    if st is not None:
        st = dict(st)
        issues = [InputIssue(**i) for i in st.pop("issues")]
        rep.stats = ReadStats(**st)
        rep.stats.issues = issues
    return rep


# --------------------------------------------------------------------------- file
def write_index(path: Path, reg: MacRegistry, sources: list[dict]) -> None:
    """Write the index of ``reg`` (read from ``sources``, as :func:`describe` gives them) atomically."""
    blocks = reg.blocks
    countries = sorted({b.country for b in blocks if b.country})
    datasets = sorted({b.dataset for b in blocks})
    if len(countries) >= NO_COUNTRY or len(datasets) >= NO_COUNTRY:  # pragma: no cover - 0xFFFF names
        raise OSError("too many country or dataset names for the index format")
    c_idx = {c: i for i, c in enumerate(countries)}
    d_idx = {d: i for i, d in enumerate(datasets)}
    cols = {
        "values": array("Q", (b.value for b in blocks)),
        "bits": array("B", (b.bits for b in blocks)),
        "kinds": array("B", (KINDS.index(b.kind) for b in blocks)),
        "countries": array("H", (c_idx[b.country] if b.country else NO_COUNTRY for b in blocks)),
        "datasets": array("H", (d_idx[b.dataset] for b in blocks)),
    }
    for col in cols.values():
        if sys.byteorder != "little":  # pragma: no cover - the file is little-endian everywhere
            col.byteswap()
    names = json.dumps([b.org if not b.alternatives else [b.org, *b.alternatives] for b in blocks],
                       ensure_ascii=False, separators=(",", ":")).encode()
    payload = b"".join(cols[name].tobytes() for name, _, _ in _COLUMNS) + names
    write_framed(path, MAGIC, {
        "format": FORMAT_VERSION, "sources": sources, "reports": [_report_dict(r) for r in reg.reports],
        "countries": countries, "datasets": datasets, "blocks": len(blocks)}, payload)


def read_index(path: Path, sources: Sequence[MacSource]) -> MacRegistry:
    """The registry an index file holds, when it is intact and its sources unchanged; else CorruptIndex."""
    try:
        header, payload = read_framed(path, MAGIC, "MAC index")
    except FramedFileError as exc:
        raise CorruptIndex(str(exc)) from None
    try:
        if header.get("format") != FORMAT_VERSION:
            raise CorruptIndex(f"format {header.get('format')!r}, not {FORMAT_VERSION}")
        recorded = header["sources"]
        if len(recorded) != len(sources):
            raise CorruptIndex("another list of sources")
        for rec, src in zip(recorded, sources, strict=True):
            why = _unchanged(rec, src)
            if why:
                raise CorruptIndex(why)
        try:
            check_payload(header, payload)
        except FramedFileError as exc:
            raise CorruptIndex(str(exc)) from None
        n = header["blocks"]
        cols, pos = {}, 0
        for name, code, width in _COLUMNS:
            col = array(code)
            col.frombytes(payload[pos:pos + n * width])
            if sys.byteorder != "little":  # pragma: no cover
                col.byteswap()
            cols[name] = col
            pos += n * width
        orgs = json.loads(bytes(payload[pos:]))
        if len(orgs) != n or any(len(c) != n for c in cols.values()):
            raise CorruptIndex("column lengths differ")
        countries, datasets = header["countries"], header["datasets"]
        if (max(cols["kinds"], default=0) >= len(KINDS)
                or max(cols["datasets"], default=0) >= max(len(datasets), 1)
                or any(c != NO_COUNTRY and c >= len(countries) for c in set(cols["countries"]))):
            raise CorruptIndex("index out of range")
        reports = [_report_from(r) for r in header["reports"]]
    except CorruptIndex:
        raise
    except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:  # JSON, struct, shapes
        raise CorruptIndex(f"unreadable content ({type(exc).__name__})") from None
    reg = MacRegistry()
    reg._rows = _Rows(cols["values"], cols["bits"], cols["kinds"], cols["countries"], cols["datasets"], orgs,
                      countries, datasets)
    reg._blocks = [None] * n
    index = reg._index
    for i, (value, bits) in enumerate(zip(cols["values"], cols["bits"], strict=True)):
        table = index.get(bits)
        if table is None:
            raise CorruptIndex(f"block size {bits} bits")
        table[value] = i
    reg.reports = reports
    return reg
