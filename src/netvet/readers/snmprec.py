"""SNMP agent recordings in snmpsim/LibreNMS ``.snmprec`` form (format ``snmprec``).

One ``OID|type|value`` record per line (the value may itself contain ``|``); blank lines and lines
starting with ``#`` are ignored. Type tags: ``2`` Integer32, ``4`` OCTET STRING, ``4x`` OCTET STRING
written as hex, ``5`` NULL, ``6`` OBJECT IDENTIFIER, ``64`` IpAddress, ``65`` Counter32, ``66``
Gauge32, ``67`` TimeTicks, ``68`` Opaque, ``70`` Counter64; any tag may carry the ``x`` (hex) suffix
and an snmpsim variation module (``65:numeric``), whose value is not checked.

One file is one device: a single observation of kind ``device``, built from

- sysDescr ``1.3.6.1.2.1.1.1.0`` -> attribute ``sys_descr`` (hex-decoded for ``4x``; UTF-8, else
  Latin-1; CR/LF line ends become ``\\n``, trailing blanks and NULs are removed);
- sysObjectID ``1.3.6.1.2.1.1.2.0`` -> OID identifier (STRONG, field ``snmprec:sysObjectID``) and
  attribute ``sys_object_id``; ``0.0`` (zeroDotZero, "none") is ignored with a warning;
- sysContact, sysName, sysLocation (``1.3.6.1.2.1.1.4.0`` / ``.5.0`` / ``.6.0``) -> attributes
  ``sys_contact``, ``hostname``, ``sys_location``;
- only when there is no usable sysObjectID: each private-MIB subtree ``1.3.6.1.4.1.<PEN>.…`` present
  -> OID identifier of its enterprise arc ``1.3.6.1.4.1.<PEN>`` (MODERATE, field
  ``snmprec:private-mib``), in order of first appearance; attribute ``private_mib_records`` counts the
  records under each.

A line that does not parse (no two ``|``, bad OID, unknown type tag, value not matching its
type, bad hex, not UTF-8) is malformed and recorded with its line number; a repeated OID keeps the
first value with a warning. ``stats.read`` counts records. The observation id is
``<file name>:<line>`` with the line of sysObjectID (else sysDescr, else the first record).
"""

from __future__ import annotations

import ipaddress
import lzma
import os
import re
from pathlib import Path

from ..model import Identifier, IdKind, Observation, ReadStats, SourceRef, Strength
from .base import Progress, Reader, ReadResult, input_position, open_input, register

SYS_DESCR = "1.3.6.1.2.1.1.1.0"
SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"
SYS_CONTACT = "1.3.6.1.2.1.1.4.0"
SYS_NAME = "1.3.6.1.2.1.1.5.0"
SYS_LOCATION = "1.3.6.1.2.1.1.6.0"
TEXT_ATTRIBUTES = {SYS_CONTACT: "sys_contact", SYS_NAME: "hostname", SYS_LOCATION: "sys_location"}
ENTERPRISES = "1.3.6.1.4.1."

TYPES = {
    2: "Integer32", 4: "OCTET STRING", 5: "NULL", 6: "OBJECT IDENTIFIER", 64: "IpAddress",
    65: "Counter32", 66: "Gauge32", 67: "TimeTicks", 68: "Opaque", 70: "Counter64",
}
_UNSIGNED = {65: 2**32, 66: 2**32, 67: 2**32, 70: 2**64}
_OID_RE = re.compile(r"^[0-2](?:\.(?:0|[1-9][0-9]*))+$")
_TAG_RE = re.compile(r"^(?P<num>[0-9]+)(?P<hex>x)?(?::(?P<module>[A-Za-z0-9_\-]+))?$")
_SNIFF_RE = re.compile(rb"^\.?[0-9]+(?:\.[0-9]+)+\|[0-9]+x?(?::[A-Za-z0-9_\-]+)?\|")
PROGRESS_EVERY = 20000


def parse_oid(text: str) -> str | None:
    oid = text.strip().removeprefix(".")
    return oid if _OID_RE.match(oid) else None


def clean_text(raw: bytes) -> str:
    """Decode an OCTET STRING for display: UTF-8 (else Latin-1), CR/LF -> LF, trailing blanks removed."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    text = text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


class _Record:
    __slots__ = ("line", "oid", "tag", "hexed", "value")

    def __init__(self, line: int, oid: str, tag: int, hexed: bool, value: str):
        self.line, self.oid, self.tag, self.hexed, self.value = line, oid, tag, hexed, value

    def octets(self) -> bytes:
        return bytes.fromhex(self.value) if self.hexed else self.value.encode("utf-8")


def _check_value(tag: int, hexed: bool, value: str) -> str | None:
    """Why ``value`` does not fit ``tag``, or None."""
    if hexed:
        try:
            raw = bytes.fromhex(value)
        except ValueError:
            return f"value is not hex: {value[:40]!r}"
        if tag == 64 and len(raw) != 4:
            return "IpAddress must be 4 octets"
        return None
    if tag == 2:
        if not re.fullmatch(r"-?[0-9]+", value) or not -(2**31) <= int(value) < 2**31:
            return f"not an Integer32: {value[:40]!r}"
    elif tag in _UNSIGNED:
        if not re.fullmatch(r"[0-9]+", value) or int(value) >= _UNSIGNED[tag]:
            return f"not a {TYPES[tag]}: {value[:40]!r}"
    elif tag == 6:
        if parse_oid(value) is None:
            return f"not an OBJECT IDENTIFIER: {value[:40]!r}"
    elif tag == 64:
        try:
            ipaddress.IPv4Address(value)
        except ValueError:
            return f"not an IpAddress: {value[:40]!r}"
    elif tag == 5 and value:
        return "NULL with a value"
    return None


@register
class SnmprecReader(Reader):
    format = "snmprec"
    description = "SNMP walk recording in snmpsim/LibreNMS .snmprec form (OID|type|value)"
    extensions = (".snmprec",)

    def sniff(self, path: Path, head: bytes) -> bool:
        for line in head.splitlines():
            if line.strip() and not line.startswith(b"#"):
                return bool(_SNIFF_RE.match(line))
        return path.name.lower().endswith(self.extensions)

    def read(self, path: Path, progress: Progress | None = None) -> ReadResult:
        path = Path(path)
        file = str(path)
        stats = ReadStats(file=file, format=self.format)
        records: dict[str, _Record] = {}
        first_line: int | None = None
        total = os.path.getsize(path) if path.is_file() else 0
        with open_input(path) as fh:
            lineno = 0
            while True:
                try:
                    raw = fh.readline()
                except (OSError, EOFError, lzma.LZMAError) as exc:
                    stats.problem(f"cannot decompress the rest of the file: {exc}", line=lineno + 1)
                    break
                if not raw:
                    break
                lineno += 1
                if progress and lineno % PROGRESS_EVERY == 0:
                    progress(min(input_position(fh) or 0, total), total)
                rec = self._parse_line(raw, lineno, stats)
                if rec is None:
                    continue
                if first_line is None:
                    first_line = lineno
                if rec.oid in records:
                    stats.warn(f"OID {rec.oid} repeated (first on line {records[rec.oid].line}); "
                               "keeping the first value", line=lineno)
                    continue
                records[rec.oid] = rec
        if progress:
            progress(total, total)
        observations = []
        if records:
            observations.append(self._device(path, records, first_line or 1, stats))
        else:
            stats.warn("no valid SNMP records: no device observation")
        return ReadResult(observations, stats)

    @staticmethod
    def _parse_line(raw: bytes, lineno: int, stats: ReadStats) -> _Record | None:
        try:
            text = raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError as exc:
            stats.read += 1
            stats.problem(f"not valid UTF-8 (byte {exc.start + 1} of the line)", line=lineno)
            return None
        if not text.strip() or text.startswith("#"):
            return None
        stats.read += 1
        parts = text.split("|", 2)
        if len(parts) != 3:
            stats.problem("not an OID|type|value record", line=lineno)
            return None
        oid_text, tag_text, value = parts
        oid = parse_oid(oid_text)
        if oid is None:
            stats.problem(f"invalid OID {oid_text[:60]!r}", line=lineno)
            return None
        m = _TAG_RE.match(tag_text.strip())
        if not m or int(m["num"]) not in TYPES:
            stats.problem(f"unknown type tag {tag_text[:20]!r}", line=lineno)
            return None
        tag, hexed = int(m["num"]), bool(m["hex"])
        if not m["module"]:
            why = _check_value(tag, hexed, value)
            if why:
                stats.problem(f"OID {oid}: {why}", line=lineno)
                return None
        elif hexed:
            hexed = False  # variation modules define their own value syntax
        return _Record(lineno, oid, tag, hexed, value)

    @staticmethod
    def _device(path: Path, records: dict[str, _Record], first_line: int, stats: ReadStats) -> Observation:
        idents: list[Identifier] = []
        attrs: dict[str, str] = {}
        line = first_line
        descr = records.get(SYS_DESCR)
        if descr is not None:
            attrs["sys_descr"] = clean_text(descr.octets())
            line = descr.line
        for oid, name in TEXT_ATTRIBUTES.items():
            rec = records.get(oid)
            if rec is not None and (value := clean_text(rec.octets())):
                attrs[name] = value
        sysoid = records.get(SYS_OBJECT_ID)
        have_sysoid = False
        if sysoid is not None:
            value = parse_oid(sysoid.octets().decode("utf-8", errors="replace")) if sysoid.tag == 6 else None
            if value is None:
                stats.warn(f"sysObjectID has type {sysoid.tag}, not 6 (OBJECT IDENTIFIER)", line=sysoid.line)
            elif value == "0.0":
                stats.warn("sysObjectID is 0.0 (zeroDotZero): the agent names no vendor", line=sysoid.line)
            else:
                idents.append(Identifier(IdKind.OID, value, "snmprec:sysObjectID", Strength.STRONG))
                attrs["sys_object_id"] = value
                line = sysoid.line
                have_sysoid = True
        if not have_sysoid:
            pens: dict[str, int] = {}
            for oid in records:
                if oid.startswith(ENTERPRISES):
                    arc = ENTERPRISES + oid[len(ENTERPRISES):].split(".", 1)[0]
                    pens[arc] = pens.get(arc, 0) + 1
            for arc in pens:
                idents.append(Identifier(IdKind.OID, arc, "snmprec:private-mib", Strength.MODERATE))
            if pens:
                attrs["private_mib_records"] = ", ".join(f"{arc}: {n}" for arc, n in pens.items())
            if not pens and descr is None:
                stats.warn("no sysObjectID, sysDescr or private MIB: nothing names the device's maker")
        return Observation(
            id=f"{path.name}:{line}",
            kind="device",
            source=SourceRef(file=str(path), line=line),
            identifiers=idents,
            attributes=attrs,
        )
