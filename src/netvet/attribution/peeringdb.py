"""PeeringDB networks and organisations: AS number -> PeeringDB organisation (id, name, country).

Reads the API answers the ``netvet data`` datasets ``peeringdb-net`` (``/api/net``) and ``peeringdb-org``
(``/api/org``) store, plain or compressed::

    {"data": [{"id": 1390, "org_id": 3152, "name": "China Telecom Backbone", "asn": 4134, "status": "ok", ...}],
     "meta": {}}
    {"data": [{"id": 3152, "name": "China Telecom", "country": "CN", "status": "ok", ...}], "meta": {}}

The reader is strict: a file that is not such an answer, a record without a valid ``asn`` / ``org_id`` / ``id``
or ``name``, and an AS number or organisation id listed twice are input errors naming the file and the line the
record starts on. Records whose ``status`` is not ``ok`` (deleted or pending objects) are skipped and counted.
Other fields are ignored.
"""

from __future__ import annotations

import json
import lzma
import re
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from ..model import InputError, ReadStats
from ..util.inputs import open_input

FORMAT_NET = "peeringdb-net"
FORMAT_ORG = "peeringdb-org"
MAX_ASN = 0xFFFFFFFF
_WS = re.compile(r"[ \t\n\r]*")
_COUNTRY = re.compile(r"[A-Z]{2}")


@dataclass(frozen=True, slots=True)
class PdbNet:
    """One PeeringDB network: its AS number, name and organisation id."""

    asn: int
    name: str | None
    org_id: int
    index: int = 0  # position in the file's data list


@dataclass(frozen=True, slots=True)
class PdbOrg:
    """One PeeringDB organisation."""

    id: int
    name: str
    country: str | None
    index: int = 0  # position in the file's data list


@dataclass
class PeeringDb:
    """Networks by AS number and organisations by id, with the files they came from."""

    nets: dict[int, PdbNet] = field(default_factory=dict)
    orgs: dict[int, PdbOrg] = field(default_factory=dict)
    net_file: str | None = None
    org_file: str | None = None
    stats: list[ReadStats] = field(default_factory=list)

    def asns_by_org(self) -> dict[int, list[int]]:
        """Organisation id -> its networks' AS numbers (ascending)."""
        out: dict[int, list[int]] = {}
        for asn in sorted(self.nets):
            out.setdefault(self.nets[asn].org_id, []).append(asn)
        return out


# --------------------------------------------------------------------------- JSON with record lines
def _load(path: Path, name: str) -> tuple[str, list]:
    """The text of ``path`` and its ``data`` list (InputError when it is not a PeeringDB API answer)."""
    try:
        with open_input(path) as fh:
            raw = fh.read()
    except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
        raise InputError(name, f"cannot read: {exc}") from None
    text = raw.decode("utf-8", errors="replace").lstrip("\ufeff")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(name, f"not JSON: {exc.msg}", line=exc.lineno) from None
    except (ValueError, RecursionError) as exc:  # a number of more than 4,300 digits; nesting too deep
        why = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise InputError(name, f"not JSON: {why}"[:300]) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
        raise InputError(name, 'not a PeeringDB API answer: expected a JSON object {"data": [...]}', line=1)
    return text, doc["data"]


def _record_lines(text: str, key: str = "data") -> list[int]:
    """Line on which each element of the top-level ``key`` array starts (``text`` is known to be valid JSON;
    with duplicate keys the last one counts, as for ``json.loads``)."""
    dec = json.JSONDecoder()
    offsets: list[int] = []
    i = _WS.match(text, 0).end() + 1  # past '{'
    i = _WS.match(text, i).end()
    while text[i] != "}":
        k, i = dec.raw_decode(text, i)
        i = _WS.match(text, _WS.match(text, i).end() + 1).end()  # past ':'
        if k == key and text[i] == "[":
            offsets = []
            i = _WS.match(text, i + 1).end()
            while text[i] != "]":
                offsets.append(i)
                _, i = dec.raw_decode(text, i)
                i = _WS.match(text, i).end()
                if text[i] == ",":
                    i = _WS.match(text, i + 1).end()
            i += 1
        else:
            _, i = dec.raw_decode(text, i)
        i = _WS.match(text, i).end()
        if text[i] == ",":
            i = _WS.match(text, i + 1).end()
    lines, line, last = [], 1, 0
    for off in offsets:
        line += text.count("\n", last, off)
        last = off
        lines.append(line)
    return lines


class _Lines:
    """Line numbers of the records, computed only when the first one is needed (an error)."""

    def __init__(self, text: str):
        self.text = text
        self._lines: list[int] | None = None

    def __call__(self, index: int) -> int | None:
        if self._lines is None:
            self._lines = _record_lines(self.text)
        return self._lines[index] if index < len(self._lines) else None


def _int(rec: dict, key: str, low: int, high: int) -> int:
    value = rec.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{key!r} must be an integer, got {json.dumps(value)[:60]}")
    if not low <= value <= high:
        raise ValueError(f"{key!r} {value} is outside {low}..{high}")
    return value


def _str(rec: dict, key: str, required: bool) -> str | None:
    value = rec.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise ValueError(f"{key!r} must be a {'non-empty ' if required else ''}string, got {json.dumps(value)[:60]}")
    return value.strip() or None


def _records(data: list, text: str, name: str, stats: ReadStats) -> Iterable[tuple[int, dict, _Lines]]:
    lines = _Lines(text)
    for index, rec in enumerate(data):
        stats.read += 1
        if not isinstance(rec, dict):
            raise InputError(name, f"data[{index}]: expected an object, got {type(rec).__name__}", line=lines(index))
        if rec.get("status", "ok") != "ok":
            stats.skipped += 1
            continue
        yield index, rec, lines


# --------------------------------------------------------------------------- readers
_Item = TypeVar("_Item", PdbNet, PdbOrg)


def _read_keyed(path: str | Path, fmt: str, unit: str,
                parse: Callable[[dict, int], tuple[int, str, _Item]]) -> tuple[str, ReadStats, dict[int, _Item]]:
    """The records of a PeeringDB answer by key: ``parse(record, index)`` gives the key, how an error names it and
    the item (ValueError on a bad field); a bad field or a key listed twice is an InputError."""
    name = str(path)
    text, data = _load(Path(path), name)
    stats = ReadStats(file=name, format=fmt, unit=unit)
    out: dict[int, _Item] = {}
    for index, rec, lines in _records(data, text, name, stats):
        try:
            key, label, item = parse(rec, index)
        except ValueError as exc:
            raise InputError(name, f"data[{index}]: {exc}", line=lines(index)) from None
        if key in out:
            first = out[key].index
            raise InputError(name, f"data[{index}]: {label} is listed twice (first in data[{first}], line "
                             f"{lines(first)})", line=lines(index))
        out[key] = item
    return name, stats, out


def _net(rec: dict, index: int) -> tuple[int, str, PdbNet]:
    asn = _int(rec, "asn", 1, MAX_ASN)
    org_id = _int(rec, "org_id", 1, 2**63 - 1)
    net_name = _str(rec, "name", required=False)
    return asn, f"AS{asn}", PdbNet(asn, net_name, org_id, index)


def _org(rec: dict, index: int) -> tuple[int, str, PdbOrg]:
    org_id = _int(rec, "id", 1, 2**63 - 1)
    org_name = _str(rec, "name", required=True)
    cc = (_str(rec, "country", required=False) or "").upper()
    return org_id, f"organisation {org_id}", PdbOrg(org_id, org_name, cc if _COUNTRY.fullmatch(cc) else None, index)


def read_nets(path: str | Path) -> PeeringDb:
    """Read PeeringDB's ``/api/net`` answer (the ``peeringdb-net`` dataset)."""
    name, stats, nets = _read_keyed(path, FORMAT_NET, "network", _net)
    return PeeringDb(nets=nets, net_file=name, stats=[stats])


def read_orgs(path: str | Path) -> PeeringDb:
    """Read PeeringDB's ``/api/org`` answer (the ``peeringdb-org`` dataset)."""
    name, stats, orgs = _read_keyed(path, FORMAT_ORG, "organisation", _org)
    return PeeringDb(orgs=orgs, org_file=name, stats=[stats])


def load_peeringdb(net_path: str | Path | None, org_path: str | Path | None) -> PeeringDb:
    """Networks (``net_path``) and organisations (``org_path``, optional) in one :class:`PeeringDb`."""
    out = PeeringDb()
    if net_path is not None:
        nets = read_nets(net_path)
        out.nets, out.net_file = nets.nets, nets.net_file
        out.stats.extend(nets.stats)
    if org_path is not None:
        orgs = read_orgs(org_path)
        out.orgs, out.org_file = orgs.orgs, orgs.org_file
        out.stats.extend(orgs.stats)
    return out
