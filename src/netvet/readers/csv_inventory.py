"""Device inventory as CSV (format ``csv-inventory``).

One device per row, after a header row. Header names are case-insensitive; spaces and hyphens in
them count as underscores. The delimiter is ``,``, ``;``, tab or ``|`` (whichever makes the header
name the most documented columns). Gzip, bz2, xz and zstd inputs are read transparently; a UTF-8
byte-order mark is ignored; blank lines are skipped.

Documented columns (all optional; the header must name at least one):

- ``mac`` -> MAC identifier (MODERATE, field ``csv:mac``) and attribute ``mac``, normalised to
  ``AA:BB:CC:DD:EE:FF``; accepted as ``aa:bb:..``, ``aa-bb-..``, ``aabb.ccdd.eeff``,
  ``aabb-ccdd-eeff`` or 12 bare hex digits;
- ``ip`` -> attribute ``ip`` (IPv4 or IPv6, normalised);
- ``vendor``, ``brand``, ``manufacturer`` -> NAME identifiers (STRONG, fields ``csv:vendor``,
  ``csv:brand``, ``csv:manufacturer``: the operator's declaration) and attributes of the same name;
- ``sys_object_id`` -> OID identifier (STRONG, field ``csv:sys_object_id``) and attribute; a leading
  dot and the prefixes ``enterprises.`` / ``SNMPv2-SMI::enterprises.`` are accepted;
- ``hostname``, ``model``, ``serial`` -> attributes;
- ``role`` -> ``Observation.role``, lower-case with hyphens (``Core Router`` -> ``core-router``);
- ``site`` -> ``Observation.site``;
- ``kind`` -> ``Observation.kind`` (switch, router, camera ...), lower-case; default ``device``;
- ``country_of_production`` -> attribute, upper-cased (a warning unless an ISO 3166-1 alpha-2 code).

Aliases: ``mac_address`` = mac, ``ip_address`` = ip, ``sysobjectid`` = sys_object_id,
``serial_number`` = serial. Any other column is kept as an attribute under its normalised header
name. The values ``-``, ``n/a``, ``na``, ``none``, ``null``, ``unknown`` and ``?`` count as empty.

Problems, each with its line number: a row with the wrong number of columns, an unterminated
quoted field or a line that is not UTF-8 is malformed (no observation). A row with an invalid MAC,
IP address or OID keeps its other fields and gets a warning; if nothing identifying is left
(mac, ip, hostname, vendor, brand, manufacturer, model, serial, sys_object_id) it is malformed.
A file without a recognisable header raises ``InputError``, as does binary data (a NUL byte in the first
4 KiB, e.g. a disk image or UTF-16 text). A line longer than ``max_line_bytes`` (1 MiB, see
``readers.base.Limits``) is one malformed row and is skipped without being held in memory; a quoted field
may span at most 50 lines and ``max_line_bytes`` in all.

Counts, in rows (``stats.unit``; a row, or a line that could not be read as one): ``stats.read`` counts
every non-blank line after the header that starts a record, and unreadable lines before the header;
``read = attributed + unattributed + malformed`` (this reader skips nothing). The file is streamed:
memory does not grow with its size beyond the observations themselves, and at most 1,000 problems are
itemised (``ReadStats``); ``stream`` yields each observation as its row is read (``read`` is its list).
Observation ids are ``<file name>:<line>``, the line where the row starts.
"""

from __future__ import annotations

import csv
import ipaddress
import lzma
import os
import re
import zlib
from collections import deque
from collections.abc import Iterator
from pathlib import Path

from netaddr import EUI, AddrFormatError, mac_unix_expanded

from ..model import Identifier, IdKind, InputError, Observation, ReadStats, SourceRef, Strength
from .base import (
    TEXT_HEAD,
    Progress,
    Reader,
    ReadResult,
    ReadStream,
    input_position,
    limits,
    open_input,
    refuse_binary,
    register,
)

DOCUMENTED = (
    "mac", "ip", "hostname", "vendor", "model", "serial", "role", "site", "sys_object_id",
    "kind", "brand", "manufacturer", "country_of_production",
)
ALIASES = {
    "mac_address": "mac",
    "ip_address": "ip",
    "sysobjectid": "sys_object_id",
    "serial_number": "serial",
}
IDENTIFYING = ("mac", "ip", "hostname", "vendor", "brand", "manufacturer", "model", "serial", "sys_object_id")
NAME_COLUMNS = ("vendor", "brand", "manufacturer")
PLACEHOLDERS = frozenset({"-", "n/a", "na", "none", "null", "unknown", "?"})
DELIMITERS = (",", ";", "\t", "|")
MAX_CONTINUATION_LINES = 50  # a quoted field may span at most this many extra lines
PROGRESS_EVERY = 5000  # rows

_MAC_RE = re.compile(
    r"^(?:[0-9a-f]{1,2}(?P<s1>[:-])[0-9a-f]{1,2}(?:(?P=s1)[0-9a-f]{1,2}){4}"
    r"|[0-9a-f]{4}(?P<s2>[.-])[0-9a-f]{4}(?P=s2)[0-9a-f]{4}"
    r"|[0-9a-f]{12})$",
    re.IGNORECASE,
)
_OID_RE = re.compile(r"^[0-2](?:\.(?:0|[1-9][0-9]*))+$")
_OID_PREFIXES = (("snmpv2-smi::enterprises.", "1.3.6.1.4.1."), ("enterprises.", "1.3.6.1.4.1."))


def normalise_header(name: str) -> str:
    key = re.sub(r"[\s\-]+", "_", name.strip().lower())
    return ALIASES.get(key, key)


def normalise_role(text: str) -> str:
    return re.sub(r"[\s_\-]+", "-", text.strip().lower()).strip("-")


def parse_mac(text: str) -> str | None:
    """``AA:BB:CC:DD:EE:FF`` for a 48-bit MAC in a usual notation, else None."""
    if not _MAC_RE.match(text):
        return None
    if len(text) == 17:  # the usual aa:bb:cc:dd:ee:ff / aa-bb-...: nothing to pad
        return text.upper().replace("-", ":")
    try:
        eui = EUI(text, dialect=mac_unix_expanded)
    except (AddrFormatError, ValueError, TypeError, IndexError):
        return None
    return str(eui).upper() if eui.version == 48 else None


def parse_oid(text: str) -> str | None:
    """A dotted numeric OID (leading dot and ``enterprises.`` prefixes accepted), else None."""
    oid = text.strip()
    low = oid.lower()
    for prefix, replacement in _OID_PREFIXES:
        if low.startswith(prefix):
            oid = replacement + oid[len(prefix):]
            break
    oid = oid.removeprefix(".")
    return oid if _OID_RE.match(oid) else None


def _clean(value: str) -> str:
    v = value.strip()
    return "" if v.lower() in PLACEHOLDERS else v


def _pick_delimiter(line: str) -> tuple[str, list[str]]:
    best = (",", [])
    best_score = -1
    for delim in DELIMITERS:
        try:
            cells = next(csv.reader([line], delimiter=delim, strict=True))
        except (csv.Error, StopIteration):
            continue
        score = sum(1 for c in cells if normalise_header(c) in DOCUMENTED)
        if score > best_score:
            best, best_score = (delim, cells), score
    return best


@register
class CsvInventoryReader(Reader):
    format = "csv-inventory"
    priority = 90  # any CSV with a header: the generic fallback
    description = "Device inventory as CSV (mac, ip, hostname, vendor, model, serial, sys_object_id ...)"
    extensions = (".csv",)

    def sniff(self, path: Path, head: bytes) -> bool:
        text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
        for line in text.splitlines():
            if line.strip():
                _, cells = _pick_delimiter(line)
                return sum(1 for c in cells if normalise_header(c) in DOCUMENTED) >= 2
        return False

    def read(self, path: Path, progress: Progress | None = None) -> ReadResult:
        stream = self.stream(path, progress)
        return ReadResult(list(stream), stream.stats)

    def stream(self, path: Path, progress: Progress | None = None) -> ReadStream:
        """The rows as they are read: the header is read (or the input refused with ``InputError``) before this
        returns, each observation is yielded as its row is parsed, ``stats`` are final at the end."""
        path = Path(path)
        file = str(path)
        stats = ReadStats(file=file, format=self.format, unit="row")
        fh = open_input(path)
        try:
            lines = _Lines(fh, file)
            header_line = None
            for lineno, text, error in lines:
                if text is None:
                    stats.read += 1  # a line that could not be read: a record, malformed
                    stats.problem(error or "unreadable line", line=lineno)
                elif text.strip():
                    header_line = (lineno, text)
                    break
            if header_line is None:
                raise InputError(file, "empty CSV inventory: no header row")
            delimiter, cells = _pick_delimiter(header_line[1])
            header = [normalise_header(c) for c in cells]
            if not any(h in DOCUMENTED for h in header):
                raise InputError(file, "no recognisable CSV inventory header (expected columns such as "
                                       "mac, ip, hostname, vendor, model, serial, sys_object_id)",
                                 line=header_line[0])
        except BaseException:
            fh.close()
            raise
        seen: dict[str, int] = {}
        for i, h in enumerate(header):
            if not h:
                continue  # an unnamed column (e.g. a trailing delimiter) carries nothing usable
            if h in seen:
                stats.warn(f"duplicate column {cells[i].strip()!r}: only the first is used", line=header_line[0])
            else:
                seen[h] = i
        return ReadStream(self._observations(path, fh, lines, delimiter, seen, len(header), stats, progress), stats)

    def _observations(self, path: Path, fh, lines: _Lines, delimiter: str, columns: dict[str, int], width: int,
                      stats: ReadStats, progress: Progress | None) -> Iterator[Observation]:
        total = os.path.getsize(path) if path.is_file() else 0
        try:
            for lineno, row in self._records(lines, delimiter, width, stats):
                stats.read += 1
                obs = self._row(path, lineno, row, columns, width, stats) if row is not None else None
                if progress and stats.read % PROGRESS_EVERY == 0:
                    progress(min(input_position(fh) or 0, total), total)
                if obs is not None:
                    yield obs
        finally:
            fh.close()
        if progress:
            progress(total, total)

    # ------------------------------------------------------------------ records
    def _records(self, lines: _Lines, delimiter: str, width: int, stats: ReadStats
                 ) -> Iterator[tuple[int, list[str] | None]]:
        """(start line, cells) per record, cells None for a malformed one (already recorded).

        A quoted field may span lines; a stray quote cannot swallow the rest of the file."""
        for lineno, text, error in lines:
            if text is None:
                stats.problem(error or "unreadable line", line=lineno)
                yield lineno, None
                continue
            if not text.strip():
                continue
            if '"' not in text and "\r" not in text and "\0" not in text:
                yield lineno, text.split(delimiter)  # no quoting: what csv would make of it, faster
                continue
            try:
                yield lineno, next(csv.reader([text], delimiter=delimiter, strict=True))
                continue
            except csv.Error as exc:
                if "unexpected end of data" not in str(exc):
                    stats.problem(f"malformed CSV: {exc}", line=lineno)
                    yield lineno, None
                    continue
            # an open quote: try to complete the record with the following lines. The record can only
            # end on a line that makes the number of quotes even: the buffer is parsed only then, so a
            # stray quote costs one pass over at most MAX_CONTINUATION_LINES lines, not a parse per line.
            taken: list[tuple[int, str | None, str | None]] = []
            buf = text
            quotes = text.count('"')
            cells = None
            while len(taken) < MAX_CONTINUATION_LINES and len(buf) <= lines.max_line:
                nxt = lines.next()
                if nxt is None:
                    break
                taken.append(nxt)
                if nxt[1] is None:
                    break
                buf += "\n" + nxt[1]
                quotes += nxt[1].count('"')
                if quotes % 2:
                    continue
                try:
                    cells = next(csv.reader([buf], delimiter=delimiter, strict=True))
                    break
                except csv.Error as exc:
                    if "unexpected end of data" not in str(exc):
                        break
            if cells is not None and len(cells) == width:
                yield lineno, cells
                continue
            stats.problem("unterminated quoted field (stray quote)", line=lineno)
            lines.push_back(taken)
            yield lineno, None

    def _row(self, path: Path, lineno: int, row: list[str], columns: dict[str, int], width: int,
             stats: ReadStats) -> Observation | None:
        if len(row) != width:
            stats.problem(f"wrong number of columns: {len(row)}, the header has {width}", line=lineno)
            return None
        values = {name: _clean(row[i]) for name, i in columns.items()}
        idents: list[Identifier] = []
        attrs: dict[str, str] = {}
        usable = False
        warnings: list[str] = []
        for name, value in values.items():
            if not value:
                continue
            if name == "mac":
                mac = parse_mac(value)
                if mac is None:
                    warnings.append(f"invalid MAC address {value!r}")
                    continue
                idents.append(Identifier(IdKind.MAC, mac, "csv:mac", Strength.MODERATE))
                attrs["mac"] = mac
            elif name == "ip":
                try:
                    attrs["ip"] = str(ipaddress.ip_address(value))
                except ValueError:
                    warnings.append(f"invalid IP address {value!r}")
                    continue
            elif name == "sys_object_id":
                oid = parse_oid(value)
                if oid is None:
                    warnings.append(f"invalid OID {value!r}")
                    continue
                idents.append(Identifier(IdKind.OID, oid, "csv:sys_object_id", Strength.STRONG))
                attrs["sys_object_id"] = oid
            elif name in NAME_COLUMNS:
                idents.append(Identifier(IdKind.NAME, value, f"csv:{name}", Strength.STRONG))
                attrs[name] = value
            elif name == "country_of_production":
                country = value.upper()
                if not (len(country) == 2 and country.isalpha() and country.isascii()):
                    warnings.append(f"country_of_production {value!r} is not an ISO 3166-1 alpha-2 code")
                    country = value
                attrs[name] = country
            elif name in ("role", "site", "kind"):
                continue
            else:
                attrs[name] = value
            if name in IDENTIFYING:
                usable = True
        if not usable:
            reason = "row has no usable field"
            if warnings:
                reason += ": " + "; ".join(warnings)
            stats.problem(reason, line=lineno)
            return None
        for w in warnings:
            stats.warn(w, line=lineno)
        return Observation(
            id=f"{path.name}:{lineno}",
            kind=values.get("kind", "").lower() or "device",
            source=SourceRef(file=str(path), line=lineno),
            identifiers=idents,
            attributes=attrs,
            role=normalise_role(values["role"]) if values.get("role") else None,
            site=values.get("site") or None,
        )


Line = tuple[int, str | None, str | None]  # (line number, text or None, why there is no text)


class _Lines:
    """Numbered, decoded physical lines of a byte stream, with push-back.

    Yields ``(line number, text, None)``, or ``(line number, None, reason)`` for a line that is not
    UTF-8, is longer than ``max_line_bytes`` (read past without being kept) or where decompression
    failed (which ends the stream). Binary data in the first line raises ``InputError``.
    """

    def __init__(self, fh, file: str = ""):
        self._fh = fh
        self._file = file
        self._lineno = 0
        self._pending: deque[Line] = deque()
        self._done = False
        self.max_line = limits().max_line_bytes

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> Line:
        item = self.next()
        if item is None:
            raise StopIteration
        return item

    def push_back(self, items: list[Line]) -> None:
        self._pending.extendleft(reversed(items))

    def next(self) -> Line | None:
        if self._pending:
            return self._pending.popleft()
        if self._done:
            return None
        try:
            raw = self._fh.readline(self.max_line + 1)
            too_long = len(raw) > self.max_line and not raw.endswith(b"\n")
            if self._lineno == 0:
                refuse_binary(self._file, raw[:TEXT_HEAD], "CSV inventory")
            while too_long:  # read past the rest of the line without keeping it
                rest = self._fh.readline(self.max_line)
                if not rest or rest.endswith(b"\n"):
                    break
        except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
            self._done = True
            return self._lineno + 1, None, f"cannot decompress the rest of the file: {exc}"
        if not raw:
            self._done = True
            return None
        self._lineno += 1
        if too_long:
            return self._lineno, None, f"line longer than {self.max_line} bytes (limit max_line_bytes)"
        if self._lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return self._lineno, None, f"not valid UTF-8 (byte {exc.start + 1} of the line)"
        return self._lineno, text.rstrip("\r\n"), None
