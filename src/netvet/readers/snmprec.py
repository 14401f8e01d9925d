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

from ..model import Identifier, IdKind, Observation, ReadStats, SourceRef, Strength, TextContext
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
        if not re.fullmatch(r"-?[0-9]{1,11}", value) or not -(2**31) <= int(value) < 2**31:
            return f"not an Integer32: {value[:40]!r}"
    elif tag in _UNSIGNED:
        if not re.fullmatch(r"[0-9]{1,20}", value) or int(value) >= _UNSIGNED[tag]:
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
        stats = ReadStats(file=file, format=self.format, unit="device")
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
            stats.read = 1
            observations.append(self._device(path, records, first_line or 1, stats))
        elif stats.damaged:
            stats.read = 1
            stats.problem("no valid SNMP record: the device could not be read", line=1)
        else:
            stats.warn("no SNMP records: no device observation")
        return ReadResult(observations, stats)

    @staticmethod
    def _parse_line(raw: bytes, lineno: int, stats: ReadStats) -> _Record | None:
        try:
            text = raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError as exc:
            stats.damage(f"not valid UTF-8 (byte {exc.start + 1} of the line)", line=lineno)
            return None
        if not text.strip() or text.startswith("#"):
            return None
        parts = text.split("|", 2)
        if len(parts) != 3:
            stats.damage("not an OID|type|value record", line=lineno)
            return None
        oid_text, tag_text, value = parts
        oid = parse_oid(oid_text)
        if oid is None:
            stats.damage(f"invalid OID {oid_text[:60]!r}", line=lineno)
            return None
        m = _TAG_RE.match(tag_text.strip())
        if not m or len(m["num"]) > 4 or int(m["num"]) not in TYPES:
            stats.damage(f"unknown type tag {tag_text[:20]!r}", line=lineno)
            return None
        tag, hexed = int(m["num"]), bool(m["hex"])
        if not m["module"]:
            why = _check_value(tag, hexed, value)
            if why:
                stats.damage(f"OID {oid}: {why}", line=lineno)
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
            if attrs["sys_descr"]:
                idents.append(Identifier(IdKind.TEXT, attrs["sys_descr"], "snmprec:sysDescr", Strength.STRONG,
                                         TextContext.SYS_DESCR))
        for oid, name in TEXT_ATTRIBUTES.items():
            rec = records.get(oid)
            if rec is not None and (value := clean_text(rec.octets())):
                attrs[name] = value
        sysoid = records.get(SYS_OBJECT_ID)
        own_arc = None
        if sysoid is not None:
            value = parse_oid(sysoid.octets().decode("utf-8", errors="replace")) if sysoid.tag == 6 else None
            if value is None:
                stats.warn(f"sysObjectID has type {sysoid.tag}, not 6 (OBJECT IDENTIFIER)", line=sysoid.line)
            elif value == "0.0":
                stats.warn("sysObjectID is 0.0 (zeroDotZero): the agent names no vendor", line=sysoid.line)
            else:
                idents.append(Identifier(IdKind.OID, value, "snmprec:sysObjectID", Strength.STRONG,
                                         TextContext.SYS_OBJECT_ID))
                attrs["sys_object_id"] = value
                line = sysoid.line
                if value.startswith(ENTERPRISES):
                    own_arc = ENTERPRISES + value[len(ENTERPRISES):].split(".", 1)[0]
        pens: dict[str, int] = {}
        for oid in records:
            if oid.startswith(ENTERPRISES):
                arc = ENTERPRISES + oid[len(ENTERPRISES):].split(".", 1)[0]
                pens[arc] = pens.get(arc, 0) + 1
        for arc in pens:
            if arc != own_arc:
                idents.append(Identifier(IdKind.OID, arc, "snmprec:private-mib", Strength.MODERATE))
        if pens:
            attrs["private_mib_records"] = ", ".join(f"{arc}: {n}" for arc, n in pens.items())
        idents.extend(_entity_mib(records, attrs))
        idents.extend(_lldp_local(records, attrs))
        idents.extend(_interface_macs(records, attrs))
        if not idents:
            stats.warn("no sysObjectID, sysDescr, ENTITY-MIB, LLDP or interface MAC: nothing names the device's "
                       "maker")
        return Observation(
            id=f"{path.name}:{line}",
            kind="device",
            source=SourceRef(file=str(path), line=line),
            identifiers=idents,
            attributes=attrs,
        )


ENT_PHYSICAL = "1.3.6.1.2.1.47.1.1.1.1."  # entPhysicalEntry
_ENT_COLUMNS = {2: "descr", 4: "contained_in", 5: "class", 7: "name", 11: "serial", 12: "mfg_name", 13: "model_name"}
ENT_CHASSIS = "3"  # PhysicalClass chassis(3)
MAX_ENT_ENTRIES = 4  # chassis-level entries whose names are used for the device
LLDP_LOC = "1.0.8802.1.1.2.1.3."  # lldpLocalSystemData: 1 chassis id subtype, 2 chassis id, 3 sys name, 4 sys descr
IF_PHYS_ADDRESS = "1.3.6.1.2.1.2.2.1.6."  # ifPhysAddress.<ifIndex>
MAX_MACS = 32  # distinct interface MACs used per device (they share a few blocks)


def _text(rec: _Record) -> str:
    try:
        return clean_text(rec.octets())
    except ValueError:
        return ""


def _mac_of(rec: _Record) -> str | None:
    """A 6-octet MAC from an OCTET STRING written as hex (``4x``) or as text ``aa:bb:..``."""
    try:
        raw = rec.octets()
    except ValueError:
        return None
    if len(raw) == 6 and rec.hexed:
        return ":".join(f"{b:02X}" for b in raw)
    text = raw.decode("latin-1").strip()
    if re.fullmatch(r"[0-9A-Fa-f]{2}([:\- ]?[0-9A-Fa-f]{2}){5}", text):
        digits = re.sub(r"[^0-9A-Fa-f]", "", text).upper()
        return ":".join(digits[i:i + 2] for i in range(0, 12, 2))
    if len(raw) == 6:
        return ":".join(f"{b:02X}" for b in raw)
    return None


def _entity_mib(records: dict[str, _Record], attrs: dict[str, str]) -> list[Identifier]:
    """ENTITY-MIB entPhysicalTable: the chassis entries (class 3, else the entries contained in nothing) name the
    device's maker (entPhysicalMfgName, STRONG: its own EEPROM) and model (entPhysicalModelName, entPhysicalDescr)."""
    table: dict[str, dict[str, _Record]] = {}
    for oid, rec in records.items():
        if oid.startswith(ENT_PHYSICAL):
            col, _, index = oid[len(ENT_PHYSICAL):].partition(".")
            name = _ENT_COLUMNS.get(int(col)) if col.isdigit() and len(col) < 4 else None
            if name and index:
                table.setdefault(index, {})[name] = rec
    if not table:
        return []
    ordered = sorted(table, key=lambda i: [int(p) if p.isdigit() else 0 for p in i.split(".")][:8])
    chassis = [i for i in ordered if "class" in table[i] and table[i]["class"].value.strip() == ENT_CHASSIS]
    if not chassis:
        chassis = [i for i in ordered if "contained_in" in table[i] and table[i]["contained_in"].value.strip() == "0"]
    chassis = (chassis or ordered[:1])[:MAX_ENT_ENTRIES]
    out: list[Identifier] = []
    for i in chassis:
        row = table[i]
        mfg = _text(row["mfg_name"]) if "mfg_name" in row else ""
        model = _text(row["model_name"]) if "model_name" in row else ""
        descr = _text(row["descr"]) if "descr" in row else ""
        if mfg:
            out.append(Identifier(IdKind.NAME, mfg, "snmprec:entPhysicalMfgName", Strength.STRONG))
            out.append(Identifier(IdKind.TEXT, mfg, "snmprec:entPhysicalMfgName", Strength.STRONG,
                                  TextContext.ENT_MFG_NAME))
            attrs.setdefault("manufacturer", mfg)
        if model:
            out.append(Identifier(IdKind.TEXT, model, "snmprec:entPhysicalModelName", Strength.MODERATE,
                                  TextContext.MODEL))
            attrs.setdefault("model", model)
        if descr:
            out.append(Identifier(IdKind.TEXT, descr, "snmprec:entPhysicalDescr", Strength.MODERATE,
                                  TextContext.ENT_DESCR))
            attrs.setdefault("ent_descr", descr)
        if "serial" in row and (serial := _text(row["serial"])):
            attrs.setdefault("serial", serial)
    return list(dict.fromkeys(out))


def _lldp_local(records: dict[str, _Record], attrs: dict[str, str]) -> list[Identifier]:
    """LLDP-MIB local system data: a MAC chassis id (subtype 4) and the system description the device sends."""
    out: list[Identifier] = []
    subtype = records.get(LLDP_LOC + "1.0")
    chassis = records.get(LLDP_LOC + "2.0")
    if chassis is not None and subtype is not None and subtype.value.strip() == "4":
        mac = _mac_of(chassis)
        if mac:
            out.append(Identifier(IdKind.MAC, mac, "snmprec:lldpLocChassisId", Strength.MODERATE))
            attrs["lldp_chassis_id"] = mac
    descr = records.get(LLDP_LOC + "4.0")
    if descr is not None and (text := _text(descr)):
        out.append(Identifier(IdKind.TEXT, text, "snmprec:lldpLocSysDesc", Strength.STRONG,
                              TextContext.LLDP_SYS_DESCR))
    return out


def _interface_macs(records: dict[str, _Record], attrs: dict[str, str]) -> list[Identifier]:
    """ifPhysAddress: the device's own interface MACs (MODERATE: a MAC names the NIC's maker)."""
    macs: list[str] = []
    for oid, rec in records.items():
        if oid.startswith(IF_PHYS_ADDRESS):
            mac = _mac_of(rec)
            if mac and mac != "00:00:00:00:00:00" and mac not in macs:
                macs.append(mac)
                if len(macs) >= MAX_MACS:
                    break
    if macs:
        attrs["interface_macs"] = str(len(macs))
    return [Identifier(IdKind.MAC, m, "snmprec:ifPhysAddress", Strength.MODERATE) for m in macs]
