"""IANA Private Enterprise Numbers (PENs) and SNMP sysObjectID parsing.

A device's sysObjectID (1.3.6.1.4.1.<PEN>.<vendor's own arcs>) names the enterprise that defined
it. ``PenRegistry`` loads IANA's ``enterprise-numbers`` text file or Wireshark's ``enterprises.tsv``
(a copy of it); the curated PENs of entities live in the entity registry, so ``bundled()`` is empty.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from ..model import InputError, ReadStats
from .oui import LoadReport, read_registry_text

ENTERPRISES = (1, 3, 6, 1, 4, 1)
PEN_MAX = 2**32 - 1

# Values seen in sysObjectIDs that do not identify a vendor by IANA assignment.
BOGUS_PENS: dict[int, str] = {
    0: "PEN 0 is reserved by IANA and names no enterprise",
    32473: "PEN 32473 is IANA's example number for documentation (RFC 5612), not a vendor",
    PEN_MAX: "PEN 4294967295 (2^32-1) is a placeholder some agents report, not an IANA assignment",
    1004849: "PEN 1004849 was never assigned by IANA (reported by some Dahua devices)",
}

# The registry's own words for a number that names nobody.
_UNASSIGNED = re.compile(r"^(?:-+\s*none\s*-+|unassigned|reserved(?: for .*)?|unknown)$", re.I)


class OidStatus(StrEnum):
    ENTERPRISE = "enterprise"  # under 1.3.6.1.4.1 with a plausible PEN
    BOGUS = "bogus"  # under 1.3.6.1.4.1 but the PEN is a known placeholder or out of range
    NOT_ENTERPRISE = "not-enterprise"  # a well-formed OID outside 1.3.6.1.4.1 (zeroDotZero, mib-2 ...)
    MALFORMED = "malformed"  # not an OID netvet can read


@dataclass(frozen=True, slots=True)
class SysObjectId:
    """A parsed sysObjectID: the PEN and the vendor's arcs after it, or why there is none."""

    text: str  # as given
    status: OidStatus
    oid: str | None = None  # numeric dotted form, e.g. "1.3.6.1.4.1.2011.2.23.96"
    pen: int | None = None
    rest: tuple[int, ...] = ()  # arcs after the PEN, e.g. (2, 23, 96)
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is OidStatus.ENTERPRISE

    def to_dict(self) -> dict:
        return {"text": self.text, "status": str(self.status), "oid": self.oid, "pen": self.pen,
                "rest": list(self.rest), "reason": self.reason}


# Symbolic names net-snmp prints for the arcs on the way to enterprises (and a few siblings).
_SYMBOLS: dict[str, tuple[int, ...]] = {
    "iso": (1,),
    "org": (1, 3),
    "dod": (1, 3, 6),
    "internet": (1, 3, 6, 1),
    "directory": (1, 3, 6, 1, 1),
    "mgmt": (1, 3, 6, 1, 2),
    "mib-2": (1, 3, 6, 1, 2, 1),
    "experimental": (1, 3, 6, 1, 3),
    "private": (1, 3, 6, 1, 4),
    "enterprises": ENTERPRISES,
    "snmpv2": (1, 3, 6, 1, 6),
    "ccitt": (0,),
    "zerodotzero": (0, 0),
    "joint-iso-ccitt": (2,),
}
_ARC = re.compile(r"^(?:([A-Za-z][\w-]*)\((\d+)\)|(\d+)|([A-Za-z][\w-]*))$")


def parse_sysobjectid(text: str) -> SysObjectId:
    """Read a sysObjectID in the spellings agents and tools print.

    ``1.3.6.1.4.1.2011.2.23.96``, ``.1.3.6.1.4.1...``, ``iso.3.6.1.4.1.9.1.359``,
    ``SNMPv2-SMI::enterprises.9.1.359``, ``enterprises.4294967295``, ``OID: ...``, and the
    ``iso(1).org(3)...`` form. Symbolic vendor names (``CISCO-PRODUCTS-MIB::cisco2811``) need the
    vendor's MIB and are reported as such.
    """
    raw = text if isinstance(text, str) else str(text)
    s = raw.strip().strip('"').strip()
    if s.upper().startswith("OID:"):
        s = s[4:].strip()
    if not s:
        return SysObjectId(raw, OidStatus.MALFORMED, reason="empty sysObjectID (the agent reported none)")
    module = None
    if "::" in s:
        module, _, s = s.partition("::")
    s = s.lstrip(".")
    arcs: list[int] = []
    for i, label in enumerate(s.split(".")):
        m = _ARC.match(label)
        if not m:
            return SysObjectId(raw, OidStatus.MALFORMED, reason=f"not an OID: bad arc {label!r}")
        if m.group(2) or m.group(3):
            arcs.append(int(m.group(2) or m.group(3)))
            continue
        path = _SYMBOLS.get(m.group(4).lower())
        if path is not None and i > 0 and (len(path) != len(arcs) + 1 or tuple(arcs) != path[:-1]):
            return SysObjectId(raw, OidStatus.MALFORMED,
                               reason=f"not an OID: {m.group(4)!r} cannot follow {'.'.join(map(str, arcs))}")
        if path is None:
            where = f"{module}::{m.group(4)}" if module and i == 0 else m.group(4)
            return SysObjectId(raw, OidStatus.MALFORMED,
                               reason=f"symbolic name {where!r} needs its MIB to resolve; give the numeric "
                                      "OID (e.g. snmpget -On)")
        if i == 0:
            arcs.extend(path)
        else:
            arcs.append(path[-1])
    oid = ".".join(map(str, arcs))
    if tuple(arcs) == (0, 0):
        return SysObjectId(raw, OidStatus.NOT_ENTERPRISE, oid,
                           reason="zeroDotZero: the agent reports no sysObjectID")
    if tuple(arcs[:6]) != ENTERPRISES:
        return SysObjectId(raw, OidStatus.NOT_ENTERPRISE, oid,
                           reason="not under 1.3.6.1.4.1 (enterprises), so it names no vendor")
    if len(arcs) == 6:
        return SysObjectId(raw, OidStatus.MALFORMED, oid, reason="no enterprise number after 1.3.6.1.4.1")
    pen, rest = arcs[6], tuple(arcs[7:])
    if pen > PEN_MAX:
        return SysObjectId(raw, OidStatus.BOGUS, oid, pen, rest,
                           reason=f"PEN {pen} is above 2^32-1, outside the range IANA assigns")
    if pen in BOGUS_PENS:
        return SysObjectId(raw, OidStatus.BOGUS, oid, pen, rest, reason=BOGUS_PENS[pen])
    return SysObjectId(raw, OidStatus.ENTERPRISE, oid, pen, rest)


@dataclass(frozen=True, slots=True)
class PenRecord:
    pen: int
    org: str | None  # None when the registry lists the number as unassigned
    dataset: str
    contact: str | None = None
    email: str | None = None  # as IANA writes it ('&' for '@')
    note: str | None = None  # e.g. Wireshark's "formerly 'Allen-Bradley Company'"

    def to_dict(self) -> dict:
        return {"pen": self.pen, "org": self.org, "dataset": self.dataset, "contact": self.contact,
                "email": self.email, "note": self.note}


class PenRegistry:
    """PEN -> organisation, from the IANA registry or Wireshark's copy of it."""

    def __init__(self) -> None:
        self._records: dict[int, PenRecord] = {}
        self.reports: list[LoadReport] = []

    @classmethod
    def bundled(cls) -> PenRegistry:
        """Empty: the PENs netvet curates belong to entities in the entity registry."""
        return cls()

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, pen: int) -> bool:
        return pen in self._records

    def lookup(self, pen: int) -> str | None:
        """The organisation holding ``pen``, or None (unknown or unassigned)."""
        rec = self._records.get(pen)
        return rec.org if rec else None

    def record(self, pen: int) -> PenRecord | None:
        return self._records.get(pen)

    @property
    def datasets(self) -> list[str]:
        """Labels of the loaded files, in load order."""
        return [r.dataset for r in self.reports]

    @property
    def dataset(self) -> str | None:
        """The loaded files' labels as one string (None when nothing is loaded)."""
        return "; ".join(self.datasets) or None

    def max_pen(self) -> int | None:
        return max(self._records) if self._records else None

    def load(self, path: str | Path, dataset: str | None = None) -> LoadReport:
        """Load either format, recognised from the content."""
        text = read_registry_text(path)
        if re.search(r"^\d+[ \t]+\S", text[:65536], re.M):
            return self.load_wireshark_tsv(path, dataset, _text=text)
        return self.load_iana(path, dataset, _text=text)

    def _add(self, report: LoadReport, seen: dict[int, int], rec: PenRecord, line: int) -> None:
        report.records += 1
        if rec.pen in seen:
            report.duplicates += 1
            report.stats.warn(f"PEN {rec.pen} listed again (first at line {seen[rec.pen]}); the later entry "
                              "is used", line)
        seen[rec.pen] = line
        if rec.pen in self._records:
            report.replaced += 1
        else:
            report.added += 1
        self._records[rec.pen] = rec

    # ------------------------------------------------------------- IANA text
    def load_iana(self, path: str | Path, dataset: str | None = None, *,
                  _text: str | None = None) -> LoadReport:
        """IANA's ``enterprise-numbers``: a header, then per PEN a number line and indented
        organisation, contact and email lines (indentation varies; '---none---' marks gaps)."""
        text = read_registry_text(path) if _text is None else _text
        stats = ReadStats(str(path), "iana-enterprise-numbers")
        report = LoadReport(str(path), "iana-enterprise-numbers", "", stats=stats)
        updated = _last_updated(text)
        label = dataset or "IANA enterprise-numbers" + (f" (last updated {updated})" if updated else "")
        seen: dict[int, int] = {}
        cur: list | None = None  # [pen, line, [org, contact, email]]
        started = ended = skipping = False

        def finish() -> None:
            if cur is None:
                return
            pen, line, fields = cur
            if not fields:
                stats.problem(f"PEN {pen} has no organisation line", line)
                return
            org = fields[0]
            self._add(report, seen, PenRecord(pen, None if _UNASSIGNED.match(org) else org, label,
                                              _field(fields, 1), _field(fields, 2)), line)

        for n, line in enumerate(text.splitlines(), 1):
            stripped = line.strip()
            if not stripped:
                continue
            if "end of document" in stripped.lower():
                finish()
                cur, ended = None, True
                continue
            if re.fullmatch(r"\d+", stripped) and line[0].isdigit():
                finish()
                started = True
                pen = _number(stripped)
                cur, skipping = None, pen > PEN_MAX
                if skipping:
                    stats.problem(f"PEN {_shown(stripped)} is above 2^32-1", n)
                else:
                    cur = [pen, n, []]
                continue
            if not started or ended or (skipping and line[0].isspace()):
                continue  # header and trailer prose; the lines of a rejected record
            skipping = False
            if cur is None:
                stats.problem("text outside a PEN record", n)
            elif not line[0].isspace():
                stats.problem(f"unindented line in PEN {cur[0]}'s record", n)
            elif len(cur[2]) >= 3:
                stats.warn(f"extra line in PEN {cur[0]}'s record ignored", n)
            else:
                cur[2].append(stripped)
        finish()
        if not started:
            raise InputError(str(path), "no PEN records: not IANA's enterprise-numbers file")
        report.dataset = label
        self.reports.append(report)
        return report.counted()

    # ------------------------------------------------------------- Wireshark TSV
    def load_wireshark_tsv(self, path: str | Path, dataset: str | None = None, *,
                           _text: str | None = None) -> LoadReport:
        """Wireshark's ``enterprises.tsv``: ``number<whitespace>name`` with an optional
        ``<TAB># comment``; ``#`` comment lines."""
        text = read_registry_text(path) if _text is None else _text
        stats = ReadStats(str(path), "wireshark-enterprises")
        report = LoadReport(str(path), "wireshark-enterprises", "", stats=stats)
        updated = _last_updated(text)
        label = dataset or ("Wireshark enterprises.tsv" + (f" (IANA data of {updated})" if updated else ""))
        seen: dict[int, int] = {}
        for n, line in enumerate(text.splitlines(), 1):
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            m = re.match(r"^(\d+)(?:[ \t]+(.*))?$", stripped)
            if not m:
                stats.problem("expected 'number<TAB>name'", n)
                continue
            pen = _number(m.group(1))
            if pen > PEN_MAX:
                stats.problem(f"PEN {_shown(m.group(1))} is above 2^32-1", n)
                continue
            name, _, note = (m.group(2) or "").partition("\t#")
            name = name.strip()
            if not name:
                stats.problem(f"PEN {pen} has no name", n)
                continue
            if pen > PEN_MAX:
                stats.problem(f"PEN {pen} is above 2^32-1", n)
                continue
            org = None if _UNASSIGNED.match(name) else name
            self._add(report, seen, PenRecord(pen, org, label, note=note.strip() or None), n)
        if report.records == 0 and stats.malformed == 0:
            raise InputError(str(path), "no PEN entries: not a Wireshark enterprises.tsv file")
        report.dataset = label
        self.reports.append(report)
        return report.counted()


def _number(digits: str) -> int:
    """A decimal number of the file; past 12 digits (beyond any PEN, and int() refuses 4,301 digits) a value
    above PEN_MAX stands for it."""
    return int(digits) if len(digits.lstrip("0")) <= 12 else PEN_MAX + 1


def _shown(digits: str) -> str:
    return digits if len(digits) <= 20 else f"{digits[:20]}... ({len(digits)} digits)"


def _field(fields: list[str], i: int) -> str | None:
    if i >= len(fields) or _UNASSIGNED.match(fields[i]):
        return None
    return fields[i]


def _last_updated(text: str) -> str | None:
    m = re.search(r"\(last updated (\d{4}-\d{2}-\d{2})\)", text[:4096])
    return m.group(1) if m else None
