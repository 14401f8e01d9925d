"""AS number → name, organisation and country, from public AS-name datasets.

Formats read (plain or compressed; :func:`load_asnames` sniffs which):

* **pyasn asnames** (``asnames.json(.gz)``, from ``pyasn_util_asnames.py``): one JSON object
  ``{"4134": "CHINANET-BACKBONE No.31,Jin-rong Street, CN", ...}``. The text is the AS name (the first
  word), a description (ARIN-style ``NAME - description`` loses its dash) and, after the last comma,
  the country code. ``ZZ`` (unknown) is read as no country.
* **CAIDA AS Organizations** (``YYYYMMDD.as-org2info.txt(.gz)``): pipe-separated, in two sections each
  introduced by a ``# format:`` comment naming its fields::

      # format:org_id|changed|org_name|country|source
      # format:aut|changed|aut_name|org_id|opaque_id|source

  (columns are taken by the names in the latest ``# format:`` line, so reordered files read correctly).
  The newer JSON-lines edition (``as-org2info.jsonl(.gz)``: objects with ``"type": "Organization"`` or
  ``"type": "ASN"``) is read too.

Malformed entries are counted and described with their line (and, for JSON, byte offset) in ``stats``;
only a file that cannot be read at all raises ``InputError``.
"""

from __future__ import annotations

import json
import lzma
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..model import InputError, ReadStats
from ..util.inputs import open_input

FORMAT_PYASN = "pyasn-asnames"
FORMAT_AS2ORG = "caida-as2org"
FORMAT_AS2ORG_JSONL = "caida-as2org-jsonl"
FORMATS = (FORMAT_PYASN, FORMAT_AS2ORG, FORMAT_AS2ORG_JSONL)

MAX_ASN = 0xFFFFFFFF
_COUNTRY = re.compile(r"[A-Z]{2}")
_UNKNOWN_COUNTRIES = {"ZZ", "EU", "AP"}  # not countries: unknown, and the RIR pseudo-codes for regions


@dataclass(frozen=True, slots=True)
class AsOrg:
    """What a dataset says about one AS."""

    asn: int
    name: str | None  # the AS name (handle), e.g. "CHINANET-BACKBONE"
    org_id: str | None  # the dataset's organisation id (CAIDA), None where the dataset has none
    org_name: str | None  # organisation name (CAIDA) or the AS description (pyasn)
    country: str | None  # ISO 3166-1 alpha-2, None when absent or unknown
    dataset: str  # "<format>:<file name>"

    def to_dict(self) -> dict:
        return {
            "asn": self.asn,
            "name": self.name,
            "org_id": self.org_id,
            "org_name": self.org_name,
            "country": self.country,
            "dataset": self.dataset,
        }


@dataclass
class AsNames:
    """AS → :class:`AsOrg` records from one or more datasets (a later dataset overrides an earlier one)."""

    records: dict[int, AsOrg] = field(default_factory=dict)
    stats: list[ReadStats] = field(default_factory=list)

    def get(self, asn: int) -> AsOrg | None:
        return self.records.get(int(asn))

    def __getitem__(self, asn: int) -> AsOrg:
        return self.records[int(asn)]

    def __contains__(self, asn: object) -> bool:
        return isinstance(asn, int) and asn in self.records

    def __len__(self) -> int:
        return len(self.records)

    def update(self, other: AsNames) -> AsNames:
        self.records.update(other.records)
        self.stats.extend(other.stats)
        return self


# --------------------------------------------------------------------------- helpers
def _parse_asn(text: str) -> int:
    t = text.strip()
    if t.upper().startswith("AS"):
        t = t[2:]
    shown = repr(text) if len(text) <= 40 else f"{text[:40]!r}... ({len(text)} characters)"
    if not (t.isascii() and t.isdigit()):
        raise ValueError(f"bad AS number {shown}")
    if len(t.lstrip("0")) > 10 or int(t) > MAX_ASN:
        raise ValueError(f"AS number {shown} is larger than 4294967295")
    value = int(t)
    return value


def _country(text: str | None) -> str | None:
    c = (text or "").strip().upper()
    return c if _COUNTRY.fullmatch(c) and c not in _UNKNOWN_COUNTRIES else None


def _text(value) -> str | None:
    """A JSON value that should be a string: the string, or None (a number, list or object is no name)."""
    return value if isinstance(value, str) and value else None


def _read_text(path: Path, name: str) -> str:
    try:
        with open_input(path) as fh:
            data = fh.read()
    except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
        raise InputError(name, f"cannot read: {exc}") from None
    return data.decode("utf-8", errors="replace")


def split_pyasn_name(text: str) -> tuple[str | None, str | None, str | None]:
    """(AS name, description, country) of a pyasn asnames value ``"NAME description, CC"``."""
    rest, country = text.strip(), None
    head, sep, tail = rest.rpartition(",")
    if sep and _COUNTRY.fullmatch(tail.strip()):
        rest, country = head.strip(), _country(tail)
    name, _, descr = rest.partition(" ")
    descr = descr.strip()
    if descr.startswith("- "):
        descr = descr[2:].strip()
    return name or None, descr or None, country


# --------------------------------------------------------------------------- readers
def read_pyasn_asnames(path: str | Path) -> AsNames:
    """Read pyasn's ``asnames.json`` (plain or gzip)."""
    name = str(path)
    text = _read_text(Path(path), name)
    stats = ReadStats(file=name, format=FORMAT_PYASN)
    dataset = f"{FORMAT_PYASN}:{Path(path).name}"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(name, f"not JSON: {exc.msg}", line=exc.lineno, offset=exc.pos) from None
    except (ValueError, RecursionError) as exc:  # a number of more than 4,300 digits; nesting too deep
        why = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise InputError(name, f"not JSON: {why}"[:300]) from None
    if not isinstance(data, dict):
        raise InputError(name, 'expected a JSON object {asn: "NAME description, CC"}')
    out = AsNames(stats=[stats])
    for key, value in data.items():
        stats.read += 1
        try:
            asn = _parse_asn(key)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"AS {key}: expected a non-empty string, got {json.dumps(value)[:60]}")
        except ValueError as exc:
            line, offset = _locate(text, key)
            stats.problem(str(exc), line=line, offset=offset)
            continue
        as_name, descr, country = split_pyasn_name(value)
        out.records[asn] = AsOrg(asn, as_name, None, descr, country, dataset)
    return out


def _locate(text: str, key: str) -> tuple[int | None, int | None]:
    """Line and character offset of the JSON key ``key`` in ``text`` (first occurrence)."""
    pos = text.find(json.dumps(key))
    if pos < 0:
        return None, None
    return text.count("\n", 0, pos) + 1, pos


def _iter_lines(text: str) -> Iterator[tuple[int, str]]:
    yield from enumerate(text.splitlines(), 1)


def read_as2org(path: str | Path) -> AsNames:
    """Read a CAIDA AS Organizations file (pipe-separated text with ``# format:`` sections)."""
    name = str(path)
    text = _read_text(Path(path), name)
    stats = ReadStats(file=name, format=FORMAT_AS2ORG)
    dataset = f"{FORMAT_AS2ORG}:{Path(path).name}"
    orgs: dict[str, tuple[str | None, str | None]] = {}
    auts: list[tuple[int, int, str | None, str | None]] = []  # line, asn, aut_name, org_id
    columns: list[str] | None = None
    for number, raw in _iter_lines(text):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            body = line[1:].strip()
            if body.lower().startswith("format:"):
                columns = [c.strip() for c in body[len("format:") :].split("|")]
                if "aut" not in columns and "org_id" not in columns:
                    stats.read += 1  # a bad format line counts as one malformed record
                    stats.problem(f"format line names neither 'aut' nor 'org_id': {body[:80]}", line=number)
                    columns = None
            continue
        stats.read += 1
        if columns is None:
            stats.problem("data line before any '# format:' line", line=number)
            continue
        values = raw.rstrip("\r\n").split("|")
        if len(values) != len(columns):
            stats.problem(
                f"expected {len(columns)} '|'-separated fields ({'|'.join(columns)}), got {len(values)}",
                line=number,
            )
            continue
        row = dict(zip(columns, (v.strip() for v in values), strict=True))
        if "aut" in row:
            try:
                asn = _parse_asn(row["aut"])
            except ValueError as exc:
                stats.problem(str(exc), line=number)
                continue
            auts.append((number, asn, row.get("aut_name") or None, row.get("org_id") or None))
        else:
            if not row.get("org_id"):
                stats.problem("organisation line without an org_id", line=number)
                continue
            orgs[row["org_id"]] = (row.get("org_name") or None, _country(row.get("country")))
    return _join(auts, orgs, stats, dataset)


def read_as2org_jsonl(path: str | Path) -> AsNames:
    """Read the JSON-lines edition of CAIDA's AS Organizations dataset."""
    name = str(path)
    text = _read_text(Path(path), name)
    stats = ReadStats(file=name, format=FORMAT_AS2ORG_JSONL)
    dataset = f"{FORMAT_AS2ORG}:{Path(path).name}"
    orgs: dict[str, tuple[str | None, str | None]] = {}
    auts: list[tuple[int, int, str | None, str | None]] = []
    for number, raw in _iter_lines(text):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        stats.read += 1
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            stats.problem(f"not JSON: {exc.msg}", line=number)
            continue
        except (ValueError, RecursionError) as exc:  # a number of more than 4,300 digits; nesting too deep
            stats.problem("not JSON: " + ("nested too deeply" if isinstance(exc, RecursionError) else
                                          str(exc)[:200]), line=number)
            continue
        kind = obj.get("type") if isinstance(obj, dict) else None
        if kind == "ASN":
            try:
                asn = _parse_asn(str(obj.get("asn", "")))
            except ValueError as exc:
                stats.problem(str(exc), line=number)
                continue
            auts.append((number, asn, _text(obj.get("name")), _text(obj.get("organizationId"))))
        elif kind == "Organization":
            if not _text(obj.get("organizationId")):
                stats.problem("organisation without an organizationId", line=number)
                continue
            orgs[obj["organizationId"]] = (_text(obj.get("name")), _country(_text(obj.get("country"))))
        else:
            stats.problem(f"unknown record type {kind!r} (expected 'ASN' or 'Organization')", line=number)
    return _join(auts, orgs, stats, dataset)


def _join(auts, orgs, stats: ReadStats, dataset: str) -> AsNames:
    out = AsNames(stats=[stats])
    for number, asn, aut_name, org_id in auts:
        org_name, country = orgs.get(org_id, (None, None)) if org_id else (None, None)
        if org_id and org_id not in orgs:
            stats.warn(f"AS{asn} names organisation {org_id!r}, which the file does not define", line=number)
        out.records[asn] = AsOrg(asn, aut_name, org_id, org_name, country, dataset)
    return out


def sniff(head: bytes) -> str | None:
    """The format of an AS-names file from its first (decompressed) bytes, or None."""
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    stripped = text.lstrip()
    if stripped.startswith("{"):
        first = stripped.splitlines()[0]
        try:
            obj = json.loads(first)
        except (ValueError, RecursionError):  # not JSON, a 4,300-digit number, nesting too deep: the reader says so
            return FORMAT_PYASN
        return FORMAT_AS2ORG_JSONL if isinstance(obj, dict) and "type" in obj else FORMAT_PYASN
    if "# format:" in text or re.search(r"^[^#\n]*\|[^\n]*\|", text, re.M):
        return FORMAT_AS2ORG
    return None


_READERS = {
    FORMAT_PYASN: read_pyasn_asnames,
    FORMAT_AS2ORG: read_as2org,
    FORMAT_AS2ORG_JSONL: read_as2org_jsonl,
}


def load_asnames(path: str | Path, fmt: str | None = None) -> AsNames:
    """Read an AS-names file of any supported format (``fmt`` names it; sniffed otherwise)."""
    name = str(path)
    if fmt is None:
        try:
            with open_input(Path(path)) as fh:
                head = fh.read(4096)
        except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
            raise InputError(name, f"cannot read: {exc}") from None
        fmt = sniff(head)
        if fmt is None:
            raise InputError(name, "not a pyasn asnames JSON file nor a CAIDA as2org file")
    if fmt not in _READERS:
        raise InputError(name, f"unknown AS-names format {fmt!r} (known: {', '.join(FORMATS)})")
    return _READERS[fmt](path)
