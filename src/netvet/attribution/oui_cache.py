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
import os
import struct
import sys
import tempfile
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path

from ..model import InputIssue, ReadStats
from .oui import KINDS, NO_COUNTRY, LoadReport, MacRegistry, MacSource, _Rows

MAGIC = b"NVMACIX1"
FORMAT_VERSION = 1
_LEN = struct.Struct("<I")
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


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def describe(src: MacSource) -> dict:
    """What identifies a source's content: its spec, size, modification time and SHA-256."""
    st = os.stat(src.path)
    return {**src.to_dict(), "size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": _sha256(Path(src.path))}


def _unchanged(recorded: dict, src: MacSource) -> str | None:
    """None when ``src`` is the file ``recorded`` describes, else why not."""
    if {k: recorded.get(k) for k in ("path", "dataset", "kind", "replace")} != src.to_dict():
        return f"source {src.path} is not the one indexed"
    try:
        st = os.stat(src.path)
    except OSError as exc:
        return f"source {src.path} unreadable ({exc.strerror or exc})"
    if st.st_size == recorded.get("size") and st.st_mtime_ns == recorded.get("mtime_ns"):
        return None
    if st.st_size != recorded.get("size") or _sha256(Path(src.path)) != recorded.get("sha256"):
        return f"source {src.path} changed"
    return None  # touched, same bytes


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
    header = json.dumps({
        "format": FORMAT_VERSION, "sources": sources, "reports": [_report_dict(r) for r in reg.reports],
        "countries": countries, "datasets": datasets, "blocks": len(blocks),
        "payload_bytes": len(payload), "payload_sha256": hashlib.sha256(payload).hexdigest(),
    }, ensure_ascii=False, default=str).encode()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(MAGIC + _LEN.pack(len(header)) + header + payload)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_index(path: Path, sources: Sequence[MacSource]) -> MacRegistry:
    """The registry an index file holds, when it is intact and its sources unchanged; else CorruptIndex."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise CorruptIndex(f"unreadable ({exc.strerror or exc})") from None
    if raw[:len(MAGIC)] != MAGIC:
        raise CorruptIndex("not a netvet MAC index (magic)")
    start = len(MAGIC) + _LEN.size
    if len(raw) < start:
        raise CorruptIndex("truncated header")
    (hlen,) = _LEN.unpack_from(raw, len(MAGIC))
    try:
        header = json.loads(raw[start:start + hlen])
        if header.get("format") != FORMAT_VERSION:
            raise CorruptIndex(f"format {header.get('format')!r}, not {FORMAT_VERSION}")
        recorded = header["sources"]
        if len(recorded) != len(sources):
            raise CorruptIndex("another list of sources")
        for rec, src in zip(recorded, sources, strict=True):
            why = _unchanged(rec, src)
            if why:
                raise CorruptIndex(why)
        payload = memoryview(raw)[start + hlen:]
        if len(payload) != header["payload_bytes"] or hashlib.sha256(payload).hexdigest() != header["payload_sha256"]:
            raise CorruptIndex("payload damaged (length or SHA-256)")
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
