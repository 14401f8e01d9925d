"""IEEE MAC address block registry (MA-L / MA-M / MA-S / IAB): load the public files, look MACs up.

Blocks are kept per size (24, 28 and 36 bits) in dicts keyed by the block's leading bits as an
integer, so a lookup is at most three dict probes (longest prefix first). Sources:

* ``MacRegistry.bundled()``: netaddr's shipped IEEE text files (``oui.txt`` MA-L, ``iab.txt`` IAB), parsed,
  or read from the on-disk index of ``attribution/oui_cache.py`` when a cache is given;
* ``load_ieee_text``: IEEE's text files (oui.txt, mam.txt, oui36.txt, iab.txt);
* ``load_ieee_csv``: IEEE's CSV files (oui.csv, mam.csv, oui36.csv, iab.csv);
* ``load_wireshark_manuf``: Wireshark's ``manuf`` (all three sizes, no addresses, so no country).

Loading more sources merges them: a block seen again replaces the earlier record (later, explicit
sources are newer), and smaller blocks (MA-M/MA-S/IAB) sit under their MA-L parent, typically one
assigned to the "IEEE Registration Authority", which longest-prefix matching steps past.
"""

from __future__ import annotations

import copy
import csv
import gzip
import importlib.util
import io
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from ..model import InputError, ReadStats

if TYPE_CHECKING:  # numpy is imported by the batch lookup only (start-up time of a single lookup)
    import numpy as np

    from .oui_cache import MacIndexCache

SIZES = (36, 28, 24)  # block sizes in bits, most specific first
KINDS = ("MA-L", "MA-M", "MA-S", "IAB")
KIND_BITS = {"MA-L": 24, "MA-M": 28, "MA-S": 36, "IAB": 36}
# IAB (36-bit) blocks were only ever carved out of these two MA-L blocks.
IAB_PARENTS = frozenset({0x0050C2, 0x40D855})
REGISTRATION_AUTHORITY = "IEEE Registration Authority"
PRIVATE = "Private"

# ISO 3166-1 alpha-2 codes (iso-codes 4.15), plus YU, transitionally reserved and still used by
# the IEEE for registrants in Serbia before 2006.
_ISO_CODES = (
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ "
    "BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM "
    "DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS "
    "GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN "
    "KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ "
    "MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM "
    "PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV "
    "SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI "
    "VN VU WF WS YE YT ZA ZM ZW YU"
)
ISO_COUNTRIES = frozenset(_ISO_CODES.split())

# lookup_many codes for addresses that reach no block
NO_BLOCK = -1
LOCAL = -2
MULTICAST = -3
INVALID = -4


# --------------------------------------------------------------------------- data
@dataclass(frozen=True, slots=True)
class MacBlock:
    """One registry assignment: the first ``bits`` bits of a MAC address, held by ``org``."""

    value: int  # the block's leading ``bits`` bits as an integer
    bits: int  # 24 (MA-L), 28 (MA-M), 36 (MA-S, IAB)
    org: str  # organisation name as the registry spells it
    country: str | None  # ISO alpha-2 of the registered address, None when the source has none
    kind: str  # MA-L | MA-M | MA-S | IAB
    dataset: str
    alternatives: tuple[str, ...] = ()  # further organisations the same file lists for this very block

    @property
    def prefix(self) -> str:
        """Colon-separated hex of the block, e.g. ``00:E0:FC`` or ``70:B3:D5:1C:A/36``."""
        return format_prefix(self.value, self.bits)

    @property
    def orgs(self) -> tuple[str, ...]:
        return (self.org, *self.alternatives)

    def to_dict(self) -> dict:
        return {"prefix": self.prefix, "bits": self.bits, "org": self.org, "country": self.country,
                "kind": self.kind, "dataset": self.dataset, "alternatives": list(self.alternatives)}


class MacStatus(StrEnum):
    REGISTERED = "registered"  # a block names an organisation
    PRIVATE = "private"  # the block's holder asked the IEEE to list it as "Private"
    SUBDIVIDED = "subdivided"  # only an IEEE RA parent block is known; its MA-M/MA-S data is not loaded
    UNREGISTERED = "unregistered"  # no loaded block covers it
    LOCAL = "local"  # locally-administered bit set
    MULTICAST = "multicast"  # group bit set
    INVALID = "invalid"  # not a MAC address


@dataclass(frozen=True, slots=True)
class MacLookup:
    """What the registry says about one MAC address."""

    mac: str  # as given
    status: MacStatus
    normalised: str | None = None  # 00:E0:FC:12:34:56
    reason: str | None = None
    block: MacBlock | None = None

    @property
    def found(self) -> bool:
        return self.status is MacStatus.REGISTERED

    @property
    def prefix(self) -> str | None:
        return self.block.prefix if self.block else None

    @property
    def bits(self) -> int | None:
        return self.block.bits if self.block else None

    @property
    def org(self) -> str | None:
        return self.block.org if self.block else None

    @property
    def country(self) -> str | None:
        return self.block.country if self.block else None

    @property
    def kind(self) -> str | None:
        return self.block.kind if self.block else None

    @property
    def dataset(self) -> str | None:
        return self.block.dataset if self.block else None

    def to_dict(self) -> dict:
        return {"mac": self.mac, "normalised": self.normalised, "status": str(self.status),
                "reason": self.reason, "block": self.block.to_dict() if self.block else None}


@dataclass(slots=True)
class LoadReport:
    """What one loader did with one file."""

    file: str
    format: str
    dataset: str
    records: int = 0  # well-formed records read
    added: int = 0  # new blocks (or PENs)
    replaced: int = 0  # records that replaced one loaded earlier from another source
    kept: int = 0  # records not loaded because another source had the block (replace=False)
    duplicates: int = 0  # records repeating a key already seen in this same file
    skipped: int = 0  # well-formed records deliberately not loaded (e.g. IEEE CID rows)
    by_size: dict[int, int] = field(default_factory=dict)  # bits -> records
    stats: ReadStats | None = None

    @property
    def malformed(self) -> int:
        return self.stats.malformed if self.stats else 0

    def counted(self) -> LoadReport:
        """Fill the counts of ``stats`` (unit: one registry record): read = records + malformed + skipped."""
        if self.stats is not None:
            self.stats.unit = "record"
            self.stats.skipped = self.skipped
            self.stats.read = self.records + self.stats.malformed + self.skipped
        return self

    @property
    def issues(self) -> list:
        return self.stats.issues if self.stats else []

    def to_dict(self) -> dict:
        return {"file": self.file, "format": self.format, "dataset": self.dataset, "records": self.records,
                "added": self.added, "replaced": self.replaced, "kept": self.kept,
                "duplicates": self.duplicates, "skipped": self.skipped,
                "by_size": {str(k): v for k, v in sorted(self.by_size.items())},
                "malformed": self.malformed, "issues": [i.to_dict() for i in self.issues]}


# --------------------------------------------------------------------------- MAC text
_CSV_HEADER = ["registry", "assignment", "organization name"]
_HEXDIGITS = frozenset("0123456789abcdefABCDEF")
_SEPARATORS = frozenset(":-. ")


def parse_mac(text: str) -> tuple[int | None, str | None]:
    """``(value, None)`` for a 48-bit MAC in any common spelling, else ``(None, reason)``.

    Accepts ``aa:bb:cc:dd:ee:ff`` (also with ``-``, ``.`` or spaces and one-digit octets such as
    ``0:1b:c5:0:0:1``), ``aabb.ccdd.eeff``, ``aabb-ccdd-eeff``, ``aabbcc-ddeeff`` and bare hex, in
    either case.
    """
    if not isinstance(text, str):
        return None, f"not a text value: {type(text).__name__}"
    s = text.strip()
    if not s:
        return None, "empty MAC address"
    seps = {c for c in s if c in _SEPARATORS}
    bad = sorted({c for c in s if c not in _HEXDIGITS and c not in _SEPARATORS})
    if bad:
        return None, f"not a MAC address: unexpected character(s) {''.join(bad)!r}"
    if len(seps) > 1:
        return None, "not a MAC address: mixed separators " + " ".join(repr(c) for c in sorted(seps))
    if not seps:
        if len(s) != 12:
            return None, f"expected 12 hex digits, got {len(s)}"
        return int(s, 16), None
    parts = s.split(seps.pop())
    widths = [len(p) for p in parts]
    if len(parts) == 6 and all(1 <= w <= 2 for w in widths):
        return int("".join(p.zfill(2) for p in parts), 16), None
    if (len(parts) == 3 and widths == [4, 4, 4]) or (len(parts) == 2 and widths == [6, 6]):
        return int("".join(parts), 16), None
    if len(parts) == 8 and all(1 <= w <= 2 for w in widths):
        return None, "EUI-64 (8 octets), not a 48-bit MAC address"
    return None, f"not a MAC address: {len(parts)} groups of {'/'.join(map(str, widths))} hex digits"


def format_mac(value: int) -> str:
    h = f"{value:012X}"
    return ":".join(h[i:i + 2] for i in range(0, 12, 2))


def format_prefix(value: int, bits: int) -> str:
    """``00:E0:FC`` for 24 bits, ``00:55:DA:5/28`` and ``70:B3:D5:1C:A/36`` for smaller blocks."""
    digits = bits // 4
    h = f"{value:0{digits}X}"
    text = ":".join(h[i:i + 2] for i in range(0, digits, 2))
    return text if bits == 24 else f"{text}/{bits}"


# --------------------------------------------------------------------------- file helpers
def read_registry_text(path: str | Path) -> str:
    """The whole file as text (UTF-8, bad bytes replaced; gzip transparently); InputError if unreadable."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise InputError(str(path), "file not found") from None
    except IsADirectoryError:
        raise InputError(str(path), "is a directory, not a file") from None
    except OSError as exc:
        raise InputError(str(path), f"cannot open: {exc.strerror or exc}") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise InputError(str(path), f"cannot decompress gzip: {exc}") from None
    if b"\x00" in raw[:4096]:
        raise InputError(str(path), "binary file, not a text registry")
    return raw.decode("utf-8-sig", errors="replace")


def country_from_address(address: str) -> str | None:
    """The country code inside an IEEE CSV address ("street city state CC postcode"), or None.

    The IEEE joins the address lines with spaces and puts the country code before the postcode,
    which may itself be several tokens ("NL 9723 JP", "GB CB4 0DS", "FR 92324 CEDEX") or missing.
    Among the last six tokens, an ISO code followed by a postcode (first token has a digit, at most
    three tokens) wins; then one ending the address; then one followed by a few words ("HK NT",
    "GB KINGDOM"). Agrees with the country line of the IEEE text files on 99.9% of the 2022 records.
    """
    tokens = address.split()
    best, best_score = None, 0
    for i in range(max(0, len(tokens) - 6), len(tokens)):
        tok = tokens[i]
        if tok not in ISO_COUNTRIES:
            continue
        tail = tokens[i + 1:]
        if not tail:
            if tok == "NA" and i > 0 and tokens[i - 1] in ISO_COUNTRIES:
                continue  # "HK NA": not applicable, not Namibia
            score = 2
        elif any(c.isdigit() for c in tail[0]) and len(tail) <= 3:
            score = 3
        elif len(tail) <= 4:
            score = 1
        else:
            continue
        if score >= best_score:
            best, best_score = tok, score
    return best


@dataclass(frozen=True, slots=True)
class MacSource:
    """One registry file to load, and how: what ``MacRegistry.load_source`` reads and the on-disk index keys on."""

    path: Path
    dataset: str | None = None  # label (default: derived from the file)
    kind: str | None = None  # an IEEE text file's block kind (netaddr's files); None: the format is sniffed
    replace: bool = True  # a block already loaded from an earlier source is replaced (else kept)

    def to_dict(self) -> dict:
        return {"path": str(self.path), "dataset": self.dataset, "kind": self.kind, "replace": self.replace}


def netaddr_sources() -> list[MacSource]:
    """The IEEE text files netaddr ships: ``oui.txt`` (MA-L) and ``iab.txt`` (IAB), labelled with its version."""
    try:
        from importlib.metadata import version
        ver = version("netaddr")
    except Exception:  # pragma: no cover - netaddr is a dependency
        ver = "unknown"
    spec = importlib.util.find_spec("netaddr")  # located, not imported
    folder = Path(spec.origin).parent / "eui" if spec is not None and spec.origin else None
    if folder is None or not folder.is_dir():  # pragma: no cover - a zipped netaddr: through importlib.resources
        folder = Path(str(resources.files("netaddr.eui")))
    return [MacSource(folder / name, f"netaddr-{ver} {name} (IEEE {kind})", kind)
            for name, kind in (("oui.txt", "MA-L"), ("iab.txt", "IAB"))]


# --------------------------------------------------------------------------- registry
class MacRegistry:
    """IEEE MAC blocks of 24, 28 and 36 bits with longest-prefix lookup."""

    def __init__(self) -> None:
        self._blocks: list[MacBlock | None] = []  # None: not built yet from ``_rows`` (see ``block``)
        self._rows: _Rows | None = None  # the columns an on-disk index was read from (oui_cache)
        self._index: dict[int, dict[int, int]] = {bits: {} for bits in SIZES}
        self._arrays: dict[int, tuple[np.ndarray, np.ndarray]] | None = None
        self.reports: list[LoadReport] = []

    # ------------------------------------------------------------- construction
    @classmethod
    def bundled(cls, cache: MacIndexCache | None = None) -> MacRegistry:
        """MA-L and IAB blocks from the IEEE text files netaddr ships (no MA-M/MA-S): parsed, or, with ``cache``,
        read from its on-disk index of them (built on first use, rebuilt when a file changes)."""
        return cls.from_sources(netaddr_sources(), cache)

    @classmethod
    def from_sources(cls, sources: Iterable[MacSource], cache: MacIndexCache | None = None) -> MacRegistry:
        """A registry of ``sources`` loaded in order (later sources replace earlier blocks unless told not to):
        parsed, or read from ``cache``'s on-disk index of exactly these files."""
        sources = list(sources)
        if cache is not None:
            return cache.load(sources)
        reg = cls()
        for src in sources:
            reg.load_source(src)
        return reg

    def copy(self) -> MacRegistry:
        """An independent registry with the same blocks (blocks themselves are immutable)."""
        other = type(self)()
        other._blocks = list(self._blocks)
        other._rows = self._rows
        other._index = {bits: dict(table) for bits, table in self._index.items()}
        other.reports = [copy.copy(r) for r in self.reports]
        return other

    def load_netaddr(self) -> list[LoadReport]:
        return [self.load_source(src) for src in netaddr_sources()]

    def load_source(self, src: MacSource) -> LoadReport:
        """Load one :class:`MacSource` (an IEEE text file of a stated kind, else a sniffed format)."""
        if src.kind is not None:
            return self.load_ieee_text(src.path, src.dataset, kind=src.kind, replace=src.replace)
        return self.load(src.path, src.dataset, replace=src.replace)

    def load(self, path: str | Path, dataset: str | None = None, replace: bool = True) -> LoadReport:
        """Load a registry file whose format is recognised from its first lines."""
        fmt = sniff_format(read_registry_text(path)[:8192])
        if fmt == "ieee-csv":
            return self.load_ieee_csv(path, dataset, replace=replace)
        if fmt == "ieee-text":
            return self.load_ieee_text(path, dataset, replace=replace)
        if fmt == "wireshark-manuf":
            return self.load_wireshark_manuf(path, dataset, replace=replace)
        raise InputError(str(path), "not an IEEE MAC registry file (IEEE .txt/.csv or Wireshark manuf)")

    def add(self, block: MacBlock) -> bool:
        """Add a block; returns True if it replaced one of the same prefix and size."""
        table = self._index[block.bits]
        self._arrays = None
        if block.value in table:
            self._blocks[table[block.value]] = block
            return True
        table[block.value] = len(self._blocks)
        self._blocks.append(block)
        return False

    def _ingest(self, report: LoadReport, pending: dict[tuple[int, int], _Pending], label: str,
                replace: bool = True) -> None:
        """Merge the blocks of one file (already de-duplicated within it) into the registry.

        A block already loaded from another source is replaced (``replace=True``: later sources are
        newer) or kept. A replacing record without a country (Wireshark's manuf has none) keeps the
        country of the record it replaces when both name the same organisation."""
        report.dataset = label
        for p in pending.values():
            idx = self._index[p.bits].get(p.value)
            country = p.country
            if idx is not None:
                if not replace:
                    report.kept += 1
                    continue
                old = self.block(idx)
                if country is None and old.country and _squash(old.org) == _squash(p.orgs[0]):
                    country = old.country
            block = MacBlock(p.value, p.bits, p.orgs[0], country, p.kind, label, tuple(p.orgs[1:]))
            if self.add(block):
                report.replaced += 1
            else:
                report.added += 1
        self.reports.append(report)

    @staticmethod
    def _collect(pending: dict[tuple[int, int], _Pending], rec: _Pending, report: LoadReport,
                 line: int) -> None:
        key = (rec.bits, rec.value)
        report.records += 1
        report.by_size[rec.bits] = report.by_size.get(rec.bits, 0) + 1
        first = pending.get(key)
        if first is None:
            pending[key] = rec
            return
        report.duplicates += 1
        org = rec.orgs[0]
        if org not in first.orgs:
            first.orgs.append(org)
        report.stats.warn(f"block {format_prefix(rec.value, rec.bits)} listed again for {org!r}; kept "
                          f"{first.orgs[0]!r} first, the other as an alternative", line)

    # ------------------------------------------------------------- IEEE text
    def load_ieee_text(self, path: str | Path, dataset: str | None = None, kind: str | None = None,
                       replace: bool = True) -> LoadReport:
        """IEEE text format: ``XX-XX-XX (hex) org``, ``XXXXXX (base 16) org`` (or a range
        ``XXX000-XXXFFF`` for MA-M/MA-S/IAB), then address lines whose last one is the country code."""
        text = read_registry_text(path).replace("\r\n", "\n").replace("\r", "\n")
        if not text.endswith("\n"):
            text += "\n"
        stats = ReadStats(str(path), "ieee-text")
        report = LoadReport(str(path), "ieee-text", dataset or "", stats=stats)
        pending: dict[tuple[int, int], _Pending] = {}
        kinds: Counter[str] = Counter()
        first_hex = text.find("(hex)")
        header_end = text.rfind("\n", 0, first_hex) + 1 if first_hex >= 0 else len(text)
        pos, line_no = header_end, text.count("\n", 0, header_end) + 1
        for m in _TEXT_RECORD.finditer(text, header_end):
            if m.start() > pos:
                gap = text[pos:m.start()]
                if gap.strip():
                    _text_gap(gap, line_no, stats)
                line_no += gap.count("\n")
            parsed = _text_block(m, kind)
            if isinstance(parsed, str):
                stats.problem(parsed, line_no)
            else:
                value, bits, k = parsed
                org = m.group(4).strip() or m.group(7).strip()
                country = None
                last = m.group(8).rstrip().rpartition("\n")[2].strip()  # the last non-blank address line
                if _CC_LINE.fullmatch(last):
                    if last in ISO_COUNTRIES:
                        country = last
                    else:
                        stats.warn(f"unknown country code {last!r}", line_no)
                if not org:
                    stats.problem("record without an organisation name", line_no)
                else:
                    kinds[k] += 1
                    self._collect(pending, _Pending(value, bits, [org], country, k), report, line_no)
            line_no += m.group(0).count("\n")
            pos = m.end()
        if pos < len(text):
            _text_gap(text[pos:], line_no, stats)
        if not pending and stats.malformed == 0:
            raise InputError(str(path), "no IEEE '(hex)' records found: not an IEEE registry text file")
        label = dataset or f"{Path(path).name} (IEEE {'/'.join(k for k in KINDS if kinds[k]) or 'MA-L'})"
        self._ingest(report, pending, label, replace)
        return report.counted()

    # ------------------------------------------------------------- IEEE CSV
    def load_ieee_csv(self, path: str | Path, dataset: str | None = None, replace: bool = True) -> LoadReport:
        """IEEE CSV: ``Registry,Assignment,Organization Name,Organization Address`` (oui.csv, mam.csv,
        oui36.csv, iab.csv). CID rows (company IDs, no manufacturer) are skipped and counted."""
        text = read_registry_text(path)
        stats = ReadStats(str(path), "ieee-csv")
        report = LoadReport(str(path), "ieee-csv", dataset or "", stats=stats)
        pending: dict[tuple[int, int], _Pending] = {}
        kinds: Counter[str] = Counter()
        rows = csv.reader(io.StringIO(text, newline=""))
        header_seen = False
        try:
            for row in rows:
                n = rows.line_num
                if not row or all(not c.strip() for c in row):
                    continue
                if not header_seen:
                    if [c.strip().lower() for c in row[:3]] != _CSV_HEADER:
                        raise InputError(str(path), "not an IEEE registry CSV (expected the header "
                                         "'Registry,Assignment,Organization Name,Organization Address')", n)
                    header_seen = True
                    continue
                if len(row) < 3:
                    stats.problem(f"expected 4 columns, got {len(row)}", n)
                    continue
                reg_kind, assignment, org = row[0].strip(), row[1].strip().upper(), row[2].strip()
                address = row[3] if len(row) > 3 else ""
                if reg_kind == "CID":
                    report.skipped += 1
                    continue
                if reg_kind not in KIND_BITS:
                    stats.problem(f"unknown registry {reg_kind!r} (expected one of {', '.join(KINDS)})", n)
                    continue
                bits = KIND_BITS[reg_kind]
                if len(assignment) != bits // 4 or any(c not in _HEXDIGITS for c in assignment):
                    stats.problem(f"assignment {assignment!r} is not {bits // 4} hex digits ({reg_kind})", n)
                    continue
                if not org:
                    stats.problem(f"assignment {assignment} has no organisation name", n)
                    continue
                kinds[reg_kind] += 1
                rec = _Pending(int(assignment, 16), bits, [org], country_from_address(address), reg_kind)
                self._collect(pending, rec, report, n)
        except csv.Error as exc:
            stats.problem(f"CSV syntax error: {exc}; rest of file not read", rows.line_num)
        if not header_seen:
            raise InputError(str(path), "empty file: no IEEE CSV header")
        label = dataset or f"{Path(path).name} (IEEE {'/'.join(k for k in KINDS if kinds[k]) or 'MA-L'})"
        self._ingest(report, pending, label, replace)
        return report.counted()

    # ------------------------------------------------------------- Wireshark manuf
    def load_wireshark_manuf(self, path: str | Path, dataset: str | None = None,
                             replace: bool = True) -> LoadReport:
        """Wireshark ``manuf``: ``00:00:0C<TAB>Cisco<TAB>Cisco Systems, Inc`` and
        ``00:1B:C5:00:00:00/36<TAB>short<TAB>long``; ``#`` comments. The long name is used when
        present (Wireshark re-cases some IEEE names); no addresses, so no country."""
        text = read_registry_text(path)
        stats = ReadStats(str(path), "wireshark-manuf")
        report = LoadReport(str(path), "wireshark-manuf", dataset or "", stats=stats)
        pending: dict[tuple[int, int], _Pending] = {}
        modified: list[str] = []
        for n, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line:
                continue
            if line.startswith("#"):
                m = re.match(r"#\s+Last-Modified:\s+\w+,\s+(\d+)\s+(\w+)\s+(\d{4})", line)
                if m:
                    modified.append(_date(m.group(3), m.group(2), m.group(1)))
                continue
            fields = [f.strip() for f in raw.split("\t")]
            if len(fields) == 2 and re.search(r"\s#\s*\S", fields[1]):
                # the pre-2019 layout: "00:00:0C<TAB>Cisco         # Cisco Systems, Inc"
                short, _, long = fields[1].partition("#")
                fields = [fields[0], short.strip(), long.strip()]
            names = [f for f in fields[1:] if f and not f.startswith("#")]
            addr = fields[0]
            if not names:
                stats.problem(f"no organisation name after {addr!r}", n)
                continue
            parsed = _manuf_prefix(addr)
            if isinstance(parsed, str):
                stats.problem(parsed, n)
                continue
            value, bits = parsed
            if bits == 24:
                kind = "MA-L"
            elif bits == 28:
                kind = "MA-M"
            else:
                kind = "IAB" if (value >> 12) in IAB_PARENTS else "MA-S"
            self._collect(pending, _Pending(value, bits, [names[-1]], None, kind), report, n)
        if report.records == 0 and stats.malformed == 0:
            raise InputError(str(path), "no MAC prefixes found: not a Wireshark manuf file")
        label = dataset or ("Wireshark manuf" + (f" (IEEE data of {max(modified)})" if modified else ""))
        self._ingest(report, pending, label, replace)
        return report.counted()

    # ------------------------------------------------------------- queries
    def __len__(self) -> int:
        return sum(len(t) for t in self._index.values())

    @property
    def blocks(self) -> list[MacBlock]:
        """Every block, indexed as ``lookup_many`` reports them."""
        if self._rows is not None:
            for i in range(len(self._blocks)):
                self.block(i)
            self._rows = None
        return self._blocks

    def block(self, index: int) -> MacBlock:
        block = self._blocks[index]
        if block is None:  # read from an on-disk index: built on first use (a lookup needs one block, not 40,000)
            block = self._blocks[index] = self._rows.block(index)
        return block

    def counts(self) -> dict[int, int]:
        """Number of blocks per size in bits."""
        return {bits: len(self._index[bits]) for bits in sorted(self._index)}

    @property
    def datasets(self) -> list[str]:
        """Labels of the loaded files, in load order."""
        return [r.dataset for r in self.reports]

    @property
    def dataset(self) -> str | None:
        """The loaded files' labels as one string (None when nothing is loaded)."""
        return "; ".join(self.datasets) or None

    def find(self, value: int) -> MacBlock | None:
        """The most specific block containing the 48-bit ``value``."""
        for bits in SIZES:
            idx = self._index[bits].get(value >> (48 - bits))
            if idx is not None:
                return self.block(idx)
        return None

    def get(self, prefix: str) -> MacBlock | None:
        """The block with exactly this prefix (``00:E0:FC``, ``70B3D51CA``, ``00:55:DA:5/28`` ...)."""
        digits = "".join(c for c in prefix.split("/")[0] if c in _HEXDIGITS)
        bits = len(digits) * 4
        if bits not in self._index:
            return None
        idx = self._index[bits].get(int(digits, 16))
        return self.block(idx) if idx is not None else None

    def lookup(self, mac: str) -> MacLookup:
        """What the loaded registry says about ``mac`` (any common spelling); never raises."""
        value, reason = parse_mac(mac)
        if value is None:
            return MacLookup(str(mac), MacStatus.INVALID, reason=reason)
        norm = format_mac(value)
        first = value >> 40
        if value == 0:
            return MacLookup(mac, MacStatus.INVALID, norm,
                             "all-zero address (placeholder), names no manufacturer")
        if first & 0x01:
            why = "broadcast address" if value == 0xFFFFFFFFFFFF else "multicast (group) address"
            return MacLookup(mac, MacStatus.MULTICAST, norm, f"{why}, names no manufacturer")
        if first & 0x02:
            return MacLookup(mac, MacStatus.LOCAL, norm,
                             "locally administered address (randomised/virtual), names no manufacturer")
        block = self.find(value)
        if block is None:
            return MacLookup(mac, MacStatus.UNREGISTERED, norm,
                             f"no block covers {norm[:8]} in the loaded registry data")
        if block.org == REGISTRATION_AUTHORITY and block.bits != 24:
            return MacLookup(mac, MacStatus.UNREGISTERED, norm,
                             f"{block.prefix} is held by the IEEE Registration Authority itself (reserved or "
                             "returned), names no manufacturer", block)
        if block.org == REGISTRATION_AUTHORITY:
            return MacLookup(mac, MacStatus.SUBDIVIDED, norm,
                             f"{block.prefix} belongs to the IEEE Registration Authority, which subdivides "
                             "it into MA-M/MA-S/IAB blocks not in the loaded data (load IEEE mam.csv/"
                             "oui36.csv or Wireshark's manuf)", block)
        if block.org.strip().lower() == PRIVATE.lower():
            return MacLookup(mac, MacStatus.PRIVATE, norm,
                             f"{block.prefix} is listed as 'Private' at the holder's request, names no "
                             "manufacturer", block)
        return MacLookup(mac, MacStatus.REGISTERED, norm, None, block)

    def lookup_many(self, macs: Iterable[str] | np.ndarray) -> np.ndarray:
        """Block index per address (int32): ``>= 0`` into ``blocks``, else NO_BLOCK, LOCAL, MULTICAST
        or INVALID. ``macs`` is a list of strings or an array of 48-bit values (uint64)."""
        import numpy as np

        if isinstance(macs, np.ndarray) and macs.dtype.kind in "ui":
            values = macs.astype(np.uint64, copy=False)
            out = np.full(values.shape, NO_BLOCK, dtype=np.int32)
            valid = (values >> np.uint64(48)) == 0
        else:
            parsed = [parse_mac(m)[0] for m in macs]
            valid = np.fromiter((v is not None for v in parsed), dtype=bool, count=len(parsed))
            values = np.fromiter((v or 0 for v in parsed), dtype=np.uint64, count=len(parsed))
            out = np.full(values.shape, NO_BLOCK, dtype=np.int32)
        first = (values >> np.uint64(40)) & np.uint64(0xFF)
        multicast = valid & ((first & np.uint64(1)) != 0)
        local = valid & ~multicast & ((first & np.uint64(2)) != 0)
        todo = valid & ~multicast & ~local & (values != 0)
        for bits, (keys, idx) in self._sorted_arrays().items():
            if not keys.size or not todo.any():
                continue
            probe = values[todo] >> np.uint64(48 - bits)
            pos = np.searchsorted(keys, probe)
            pos_c = np.minimum(pos, keys.size - 1)
            hit = keys[pos_c] == probe
            where = np.flatnonzero(todo)
            out[where[hit]] = idx[pos_c[hit]]
            todo[where[hit]] = False
        out[~valid | (values == 0)] = INVALID
        out[multicast] = MULTICAST
        out[local] = LOCAL
        return out

    def _sorted_arrays(self) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        import numpy as np

        if self._arrays is None:
            arrays = {}
            for bits in SIZES:  # most specific first
                table = self._index[bits]
                keys = np.fromiter(table.keys(), dtype=np.uint64, count=len(table))
                idx = np.fromiter(table.values(), dtype=np.int32, count=len(table))
                order = np.argsort(keys)
                arrays[bits] = (keys[order], idx[order])
            self._arrays = arrays
        return self._arrays

    def org_block_counts(self) -> dict[str, int]:
        """Registry organisation name -> number of blocks listing it (alternatives included)."""
        counts: Counter[str] = Counter()
        for table in self._index.values():
            for idx in table.values():
                counts.update(self.block(idx).orgs)
        return dict(counts)

    def iter_blocks(self, bits: int | None = None) -> Iterator[MacBlock]:
        for size in SIZES if bits is None else (bits,):
            for idx in self._index[size].values():
                yield self.block(idx)


# --------------------------------------------------------------------------- helpers
@dataclass(frozen=True, slots=True)
class _Rows:
    """The columns of the blocks an on-disk index holds (``oui_cache``), turned into MacBlocks one at a time."""

    values: Sequence[int]
    bits: Sequence[int]
    kinds: Sequence[int]  # index into KINDS
    countries: Sequence[int]  # index into ``country_names``; NO_COUNTRY for none
    datasets: Sequence[int]  # index into ``dataset_names``
    orgs: Sequence[str | list[str]]  # the name, or the name then its alternatives
    country_names: Sequence[str]
    dataset_names: Sequence[str]

    def block(self, i: int) -> MacBlock:
        org = self.orgs[i]
        first, alternatives = (org, ()) if isinstance(org, str) else (org[0], tuple(org[1:]))
        c = self.countries[i]
        return MacBlock(self.values[i], self.bits[i], first, None if c == NO_COUNTRY else self.country_names[c],
                        KINDS[self.kinds[i]], self.dataset_names[self.datasets[i]], alternatives)


NO_COUNTRY = 0xFFFF


@dataclass(slots=True)
class _Pending:
    """A block read from a file, before the file's dataset label is known."""

    value: int
    bits: int
    orgs: list[str]
    country: str | None
    kind: str


_CC_LINE = re.compile(r"[A-Z]{2}")
_NON_ALNUM = re.compile(r"[\W_]+")


def _squash(name: str) -> str:
    """Case- and punctuation-blind form of a name, to see that two sources spell one organisation."""
    return _NON_ALNUM.sub("", name.casefold())


_TEXT_RECORD = re.compile(
    r"^[ \t]*([0-9A-Fa-f]{2})-([0-9A-Fa-f]{2})-([0-9A-Fa-f]{2})[ \t]+\(hex\)[ \t]*([^\n]*)\n"
    r"[ \t]*([0-9A-Fa-f]{6})(?:-([0-9A-Fa-f]{6}))?[ \t]+\(base 16\)[ \t]*([^\n]*)\n"
    # address lines: anything up to an empty line (whitespace-only lines are blank address lines)
    r"((?:(?![^\n]*\(hex\))[^\n]*\S[^\n]*\n|[ \t]+\n)*)",
    re.M,
)


def _text_block(m: re.Match, kind: str | None) -> tuple[int, int, str] | str:
    """``(value, bits, kind)`` of an IEEE text record, or the reason it is malformed."""
    oui = int("".join(m.group(1, 2, 3)), 16)
    lo, hi = m.group(5), m.group(6)
    if hi is None:
        if int(lo, 16) != oui:
            return f"'(base 16)' value {lo} differs from the '(hex)' prefix {format_prefix(oui, 24)}"
        return oui, 24, kind or "MA-L"
    lo_i, hi_i = int(lo, 16), int(hi, 16)
    span = hi_i - lo_i + 1
    if span == 1 << 20 and lo_i & 0xFFFFF == 0:
        bits = 28
    elif span == 1 << 12 and lo_i & 0xFFF == 0:
        bits = 36
    else:
        return f"range {lo}-{hi} is not a 28- or 36-bit block"
    guessed = "MA-M" if bits == 28 else "IAB" if oui in IAB_PARENTS else "MA-S"
    return (oui << (bits - 24)) | (lo_i >> (48 - bits)), bits, kind or guessed


def _text_gap(gap: str, line_no: int, stats: ReadStats) -> None:
    """Report the non-blank lines between IEEE text records: broken records and stray text."""
    in_bad_record = False
    for n, line in enumerate(gap.split("\n"), line_no):
        if not line.strip():
            in_bad_record = in_bad_record and line != ""
            continue
        if "(hex)" in line:
            stats.problem("'(hex)' line not followed by a well-formed '(base 16)' line "
                          "(XXXXXX or XXX000-XXXFFF)" if _HEX_PREFIX.match(line)
                          else "'(hex)' line without an XX-XX-XX prefix", n)
            in_bad_record = True
        elif not in_bad_record:
            stats.problem("text outside a record", n)


_HEX_PREFIX = re.compile(r"[ \t]*[0-9A-Fa-f]{2}-[0-9A-Fa-f]{2}-[0-9A-Fa-f]{2}[ \t]+\(hex\)")


_MONTH_NAMES = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec"
_MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES.split(), 1)}


def _date(year: str, month: str, day: str) -> str:
    return f"{year}-{_MONTHS.get(month[:3].title(), 0):02d}-{int(day):02d}"


def _manuf_prefix(text: str) -> tuple[int, int] | str:
    """``(value, bits)`` of a manuf address field, or a reason string."""
    addr, _, mask = text.partition("/")
    parts = re.split(r"[:.\-]", addr)
    if not all(len(p) == 2 and all(c in _HEXDIGITS for c in p) for p in parts):
        return f"bad MAC prefix {text!r}"
    if mask:
        if not (mask.isascii() and mask.isdigit() and len(mask) <= 3):
            return f"bad mask in {text[:60]!r}"
        bits = int(mask)
    else:
        bits = 8 * len(parts)
    if bits not in (24, 28, 36):
        return f"prefix {text!r} is a {bits}-bit block, not 24/28/36 (well-known address entry)"
    if 8 * len(parts) < bits:
        return f"prefix {text!r} has fewer digits than its /{bits} mask"
    full = int("".join(parts), 16) << (48 - 8 * len(parts))
    value = full >> (48 - bits)
    if (value << (48 - bits)) != full:
        return f"prefix {text!r} has bits set beyond its /{bits} mask"
    return value, bits


def sniff_format(head: str) -> str | None:
    """``ieee-csv``, ``ieee-text``, ``wireshark-manuf`` or None, from the first few KiB of a file."""
    first = head.lstrip("\ufeff").split("\n", 1)[0].strip().lower()
    if first.startswith("registry,assignment"):
        return "ieee-csv"
    if "(hex)" in head and "(base 16)" in head:
        return "ieee-text"
    if re.search(r"^[0-9A-Fa-f]{2}[:\-][0-9A-Fa-f]{2}[:\-][0-9A-Fa-f]{2}\S*\t", head, re.M):
        return "wireshark-manuf"
    return None
