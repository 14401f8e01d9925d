"""The open submarine cable map data (TeleGeography, CC BY-NC-SA 3.0): cables, landing points, owners,
suppliers and routes.

The data is the API tree of the public repository telegeography/www.submarinecablemap.com
(``public/api/v3/``)::

    cable/<id>.json                  {id, name, length, landing_points: [{id, name, country, is_tbd}], owners,
                                      suppliers, rfs, rfs_year, is_planned, url, notes}
    cable/cable-geo.json             GeoJSON FeatureCollection: one MultiLineString per cable segment
                                      (properties.id = the cable id; a cable may have several features)
    landing-point/landing-point-geo.json   GeoJSON FeatureCollection of Points (properties.id, name)
    cable/all.json, landing-point/<id>.json, country/, supplier/, status/, ready-for-service/   indexes (not needed)

:func:`load_cable_map` reads a directory holding that tree (at any depth: ``cable/`` is looked for) or an archive
of it (``.tar.gz``/``.tgz``/``.tar``/``.zip``, e.g. GitHub's archive of the repository), streaming archive
members one by one. Owners and suppliers are free text ("China Mobile, MTN, Meta, Orange"): they are split into
names at top-level commas (never inside parentheses; a trailing legal form such as ", Inc." stays with its
name). Every JSON file is capped at :data:`MAX_JSON_BYTES`; route geometry is parsed only on demand
(:meth:`CableMap.routes`), for the cables asked for.

Counts are per cable file (``stats.read``); a cable file that is not valid JSON or lacks an id is malformed
(counted and described with file and JSON pointer), the others are read. Attribution fills ``attributed`` /
``unattributed`` so that read = attributed + unattributed + malformed.
"""

from __future__ import annotations

import io
import json
import re
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..model import InputError, ReadStats

MAX_JSON_BYTES = 64 << 20  # one JSON file of the tree; the real ones are below 1 MB
FORMAT = "submarine-cable-map"
LICENCE = "CC BY-NC-SA 3.0 (TeleGeography, https://www.submarinecablemap.com)"
_INDEX_FILES = {"all.json", "cable-geo.json"}
_LEGAL_FORMS = {"INC", "INC.", "LTD", "LTD.", "LLC", "LLC.", "LDA", "LDA.", "S.A.", "SA", "S.A", "SAS", "PLC",
                "CO.", "CORP.", "CORP", "AG", "GMBH", "B.V.", "BV", "N.V.", "NV", "S.P.A.", "SPA", "S.L.", "SL",
                "AB", "ASA", "A/S", "PTE. LTD.", "PTY LTD", "SDN BHD", "S.A.S.", "S.R.L.", "SRL", "L.P.", "LP"}

# The country names of the cable map data -> ISO 3166-1 alpha-2 (territories keep their own codes).
COUNTRY_CODES: dict[str, str] = {
    "Albania": "AL", "Algeria": "DZ", "American Samoa": "AS", "Angola": "AO", "Anguilla": "AI",
    "Antigua and Barbuda": "AG", "Argentina": "AR", "Aruba": "AW", "Australia": "AU", "Bahamas": "BS",
    "Bahrain": "BH", "Bangladesh": "BD", "Barbados": "BB", "Belgium": "BE", "Belize": "BZ", "Benin": "BJ",
    "Bermuda": "BM", "Bonaire, Sint Eustatius and Saba": "BQ", "Brazil": "BR", "Brunei": "BN", "Bulgaria": "BG",
    "Cambodia": "KH", "Cameroon": "CM", "Canada": "CA", "Cape Verde": "CV", "Cayman Islands": "KY", "Chile": "CL",
    "China": "CN", "Christmas Island": "CX", "Cocos (Keeling) Islands": "CC", "Colombia": "CO", "Comoros": "KM",
    "Congo, Dem. Rep.": "CD", "Congo, Rep.": "CG", "Cook Islands": "CK", "Costa Rica": "CR", "Croatia": "HR",
    "Cuba": "CU", "Curaçao": "CW", "Cyprus": "CY", "Côte d'Ivoire": "CI", "Denmark": "DK", "Djibouti": "DJ",
    "Dominica": "DM", "Dominican Republic": "DO", "Ecuador": "EC", "Egypt": "EG", "Equatorial Guinea": "GQ",
    "Estonia": "EE", "Faroe Islands": "FO", "Fiji": "FJ", "Finland": "FI", "France": "FR", "French Guiana": "GF",
    "French Polynesia": "PF", "Gabon": "GA", "Gambia": "GM", "Georgia": "GE", "Germany": "DE", "Ghana": "GH",
    "Gibraltar": "GI", "Greece": "GR", "Greenland": "GL", "Grenada": "GD", "Guadeloupe": "GP", "Guam": "GU",
    "Guatemala": "GT", "Guernsey": "GG", "Guinea": "GN", "Guinea-Bissau": "GW", "Guyana": "GY", "Haiti": "HT",
    "Honduras": "HN", "Hong Kong": "HK", "Iceland": "IS", "India": "IN", "Indonesia": "ID", "Iran": "IR",
    "Iraq": "IQ", "Ireland": "IE", "Isle of Man": "IM", "Israel": "IL", "Italy": "IT", "Jamaica": "JM",
    "Japan": "JP", "Jersey": "JE", "Jordan": "JO", "Kenya": "KE", "Kiribati": "KI", "Kuwait": "KW",
    "Latvia": "LV", "Lebanon": "LB", "Liberia": "LR", "Libya": "LY", "Lithuania": "LT", "Macau": "MO",
    "Madagascar": "MG", "Malaysia": "MY", "Maldives": "MV", "Malta": "MT", "Marshall Islands": "MH",
    "Martinique": "MQ", "Mauritania": "MR", "Mauritius": "MU", "Mayotte": "YT", "Mexico": "MX",
    "Micronesia": "FM", "Monaco": "MC", "Montserrat": "MS", "Morocco": "MA", "Mozambique": "MZ", "Myanmar": "MM",
    "Namibia": "NA", "Netherlands": "NL", "New Caledonia": "NC", "New Zealand": "NZ", "Nicaragua": "NI",
    "Nigeria": "NG", "Niue": "NU", "Northern Mariana Islands": "MP", "Norway": "NO", "Oman": "OM",
    "Pakistan": "PK", "Palau": "PW", "Panama": "PA", "Papua New Guinea": "PG", "Peru": "PE", "Philippines": "PH",
    "Poland": "PL", "Portugal": "PT", "Qatar": "QA", "Romania": "RO", "Russia": "RU", "Réunion": "RE",
    "Saint Barthélemy": "BL", "Saint Helena, Ascension and Tristan da Cunha": "SH", "Saint Kitts and Nevis": "KN",
    "Saint Lucia": "LC", "Saint Martin": "MF", "Saint Pierre and Miquelon": "PM",
    "Saint Vincent and the Grenadines": "VC", "Samoa": "WS", "Sao Tome and Principe": "ST", "Saudi Arabia": "SA",
    "Senegal": "SN", "Seychelles": "SC", "Sierra Leone": "SL", "Singapore": "SG", "Sint Maarten": "SX",
    "Solomon Islands": "SB", "Somalia": "SO", "South Africa": "ZA", "South Korea": "KR", "Spain": "ES",
    "Sri Lanka": "LK", "Sudan": "SD", "Suriname": "SR", "Sweden": "SE", "Syria": "SY", "Taiwan": "TW",
    "Tanzania": "TZ", "Thailand": "TH", "Timor-Leste": "TL", "Togo": "TG", "Tokelau": "TK", "Tonga": "TO",
    "Trinidad and Tobago": "TT", "Tunisia": "TN", "Turkey": "TR", "Turks and Caicos Islands": "TC",
    "Ukraine": "UA", "United Arab Emirates": "AE", "United Kingdom": "GB", "United States": "US",
    "Uruguay": "UY", "Vanuatu": "VU", "Venezuela": "VE", "Vietnam": "VN", "Virgin Islands (U.K.)": "VG",
    "Virgin Islands (U.S.)": "VI", "Wallis and Futuna": "WF", "Yemen": "YE",
}


def country_code(name: str | None) -> str | None:
    """ISO 3166-1 alpha-2 code of a cable-map country name (None when unknown)."""
    return COUNTRY_CODES.get((name or "").strip()) if name else None


@dataclass(frozen=True, slots=True)
class Party:
    """One owner or supplier name split from the free text, with the forms tried for attribution."""

    name: str  # as split from the text
    role: str  # owner | supplier
    forms: tuple[str, ...]  # name, then the name without its parenthetical, then former names it gives


@dataclass(slots=True)
class LandingPoint:
    id: str
    name: str
    country: str | None = None  # the data's country name
    country_code: str | None = None
    lon: float | None = None
    lat: float | None = None
    cables: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "country": self.country, "country_code": self.country_code,
                "lon": self.lon, "lat": self.lat, "cables": list(self.cables)}


@dataclass(slots=True)
class Cable:
    id: str
    name: str
    file: str  # where it was read (path, or archive!member)
    owners_text: str | None = None
    suppliers_text: str | None = None
    owners: tuple[Party, ...] = ()
    suppliers: tuple[Party, ...] = ()
    landing_points: tuple[str, ...] = ()
    length: str | None = None
    rfs: str | None = None
    rfs_year: int | None = None
    is_planned: bool = False
    url: str | None = None

    @property
    def parties(self) -> tuple[Party, ...]:
        return self.owners + self.suppliers

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "file": self.file, "owners_text": self.owners_text,
                "suppliers_text": self.suppliers_text, "owners": [p.name for p in self.owners],
                "suppliers": [p.name for p in self.suppliers], "landing_points": list(self.landing_points),
                "length": self.length, "rfs": self.rfs, "rfs_year": self.rfs_year, "is_planned": self.is_planned,
                "url": self.url}


# ----------------------------------------------------------------------------- owner / supplier text
def _split_top(text: str) -> list[str]:
    """Split at commas outside parentheses."""
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [" ".join(p.split()) for p in parts]


def _forms(name: str) -> tuple[str, ...]:
    """The name as written, then without its parenthetical, then the former names the parenthetical gives
    ("Arelion (formerly Telia Carrier)" -> Arelion, Telia Carrier). Other parentheticals (abbreviations, brands:
    "Cabo Verde Telecom (CVT)") give no form of their own: short forms are too easily someone else's name."""
    out = [name]
    m = re.fullmatch(r"(.*?)\s*\((.*?)\)?\s*", name)
    if m and m.group(1).strip() and m.group(2) is not None:
        out.append(m.group(1).strip())
        inner = m.group(2).strip()
        former = re.match(r"(?:formerly|previously)\s+(.+)", inner, flags=re.IGNORECASE)
        if former:
            out.extend(p for p in _split_top(former.group(1)) if p)
    return tuple(dict.fromkeys(out))


def split_names(text: str | None) -> list[str]:
    """Owner or supplier free text as names: top-level commas separate names; a piece that is only a legal form
    (", Inc.", ", Ltd.") belongs to the name before it; empty pieces are dropped."""
    if not text or not str(text).strip():
        return []
    names: list[str] = []
    for piece in _split_top(str(text)):
        if not piece:
            continue
        if names and piece.upper() in _LEGAL_FORMS:
            names[-1] = f"{names[-1]}, {piece}"
        else:
            names.append(piece)
    return names


def parties(text: str | None, role: str) -> tuple[Party, ...]:
    return tuple(Party(n, role, _forms(n)) for n in split_names(text))


# ----------------------------------------------------------------------------- the tree: directory or archive
class _Tree:
    """The files of the cable map tree, relative to its root (the folder holding cable/)."""

    def __init__(self, path: Path):
        self.path = path
        self.label = str(path)

    def members(self) -> Iterator[tuple[str, str, int, object]]:  # (relative path, label, size, opener)
        raise NotImplementedError


class _DirTree(_Tree):
    def __init__(self, path: Path):
        super().__init__(path)
        self.root = self._find_root(path)

    @staticmethod
    def _find_root(path: Path) -> Path:
        if (path / "cable").is_dir():
            return path
        for cand in sorted(path.rglob("cable")):
            if cand.is_dir() and any(cand.glob("*.json")):
                return cand.parent
        raise InputError(str(path), "no cable/ folder of the submarine cable map data in this directory")

    def members(self):
        for sub in ("cable", "landing-point"):
            folder = self.root / sub
            if not folder.is_dir():
                continue
            for f in sorted(folder.iterdir()):
                if f.is_file() and f.suffix == ".json":
                    yield f"{sub}/{f.name}", str(f), f.stat().st_size, f.open


def _relative(name: str) -> str | None:
    """``cable/x.json`` or ``landing-point/x.json`` of an archive member at any depth, else None."""
    parts = name.replace("\\", "/").split("/")
    if len(parts) >= 2 and parts[-2] in ("cable", "landing-point") and parts[-1].endswith(".json"):
        return f"{parts[-2]}/{parts[-1]}"
    return None


class _TarTree(_Tree):
    def members(self):
        try:
            with tarfile.open(self.path, "r|*") as tar:
                for info in tar:
                    rel = _relative(info.name) if info.isfile() else None
                    if rel is None:
                        continue
                    fh = tar.extractfile(info)
                    data = fh.read(MAX_JSON_BYTES + 1) if fh is not None and info.size <= MAX_JSON_BYTES else b""
                    yield rel, f"{self.path}!{info.name}", info.size, (lambda d=data: io.BytesIO(d))
        except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
            raise InputError(str(self.path), f"archive is damaged or truncated ({exc})") from None


class _ZipTree(_Tree):
    def members(self):
        try:
            with zipfile.ZipFile(self.path) as z:
                for info in z.infolist():
                    rel = _relative(info.filename) if not info.is_dir() else None
                    if rel is not None:
                        yield rel, f"{self.path}!{info.filename}", info.file_size, (lambda i=info: z.open(i))
        except (zipfile.BadZipFile, OSError) as exc:
            raise InputError(str(self.path), f"archive is damaged or truncated ({exc})") from None


def _tree(path: Path) -> _Tree:
    if not path.exists():
        raise InputError(str(path), "not found")
    if path.is_dir():
        return _DirTree(path)
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head.startswith(b"PK"):
        return _ZipTree(path)
    if head.startswith((b"\x1f\x8b", b"BZh", b"\xfd7zX")):
        return _TarTree(path)
    try:
        if tarfile.is_tarfile(path):
            return _TarTree(path)
    except (tarfile.TarError, EOFError, OSError):
        pass
    raise InputError(str(path), "neither a directory of the submarine cable map data nor a .tar(.gz)/.zip of it")


# ----------------------------------------------------------------------------- parsing
def _load_json(label: str, size: int, opener) -> object:
    if size > MAX_JSON_BYTES:
        raise ValueError(f"{size:,} bytes, more than the {MAX_JSON_BYTES:,} a file of this data may have")
    with opener() as fh:
        data = fh.read(MAX_JSON_BYTES + 1)
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg}: line {exc.lineno}, column {exc.colno})") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def _text(value, pointer: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{pointer}: expected a string or null, got {type(value).__name__}")
    return value.strip() or None


def _parse_cable(doc: object, label: str, points: dict[str, LandingPoint], stats: ReadStats) -> Cable:
    if not isinstance(doc, dict):
        raise ValueError(f"/: expected a JSON object, got {type(doc).__name__}")
    cid = doc.get("id")
    if not isinstance(cid, str) or not cid.strip():
        raise ValueError("/id: missing or not a string")
    name = _text(doc.get("name"), "/name") or cid
    lps = doc.get("landing_points") or []
    if not isinstance(lps, list):
        raise ValueError(f"/landing_points: expected a list, got {type(lps).__name__}")
    ids: list[str] = []
    for i, lp in enumerate(lps):
        if not isinstance(lp, dict) or not isinstance(lp.get("id"), str) or not lp["id"]:
            stats.warn(f"{label}: /landing_points/{i}: not a landing point with an id; left out")
            continue
        p = points.get(lp["id"])
        if p is None:
            p = points[lp["id"]] = LandingPoint(lp["id"], str(lp.get("name") or lp["id"]))
        country = lp.get("country") if isinstance(lp.get("country"), str) else None
        if country and p.country is None:
            p.country, p.country_code = country, country_code(country)
        if cid not in p.cables:
            p.cables.append(cid)
        ids.append(lp["id"])
    year = doc.get("rfs_year")
    owners_text = _text(doc.get("owners"), "/owners")
    suppliers_text = _text(doc.get("suppliers"), "/suppliers")
    return Cable(
        id=cid, name=name, file=label, owners_text=owners_text, suppliers_text=suppliers_text,
        owners=parties(owners_text, "owner"), suppliers=parties(suppliers_text, "supplier"),
        landing_points=tuple(dict.fromkeys(ids)), length=_text(doc.get("length"), "/length"),
        rfs=str(doc["rfs"]) if doc.get("rfs") is not None else None,
        rfs_year=year if isinstance(year, int) and not isinstance(year, bool) else None,
        is_planned=doc.get("is_planned") is True, url=doc.get("url") if isinstance(doc.get("url"), str) else None,
    )


def _features(doc: object, label: str) -> list:
    if not isinstance(doc, dict) or not isinstance(doc.get("features"), list):
        raise ValueError("/features: not a GeoJSON FeatureCollection")
    return doc["features"]


def _number(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _parse_points_geo(doc: object, label: str, points: dict[str, LandingPoint], stats: ReadStats) -> None:
    for i, f in enumerate(_features(doc, label)):
        props = f.get("properties") if isinstance(f, dict) else None
        geom = f.get("geometry") if isinstance(f, dict) else None
        coords = geom.get("coordinates") if isinstance(geom, dict) and geom.get("type") == "Point" else None
        pid = props.get("id") if isinstance(props, dict) else None
        if not isinstance(pid, str) or not (isinstance(coords, list) and len(coords) >= 2
                                            and _number(coords[0]) and _number(coords[1])):
            stats.warn(f"{label}: /features/{i}: not a Point feature with an id and coordinates; left out")
            continue
        p = points.get(pid)
        if p is None:
            name = props.get("name") if isinstance(props.get("name"), str) else pid
            p = points[pid] = LandingPoint(pid, name)
        p.lon, p.lat = float(coords[0]), float(coords[1])


# ----------------------------------------------------------------------------- the map
@dataclass
class CableMap:
    """Everything read: cables by id, landing points by id, per-file stats and lazy route geometry."""

    source: str
    cables: dict[str, Cable]
    landing_points: dict[str, LandingPoint]
    stats: ReadStats
    _geo: tuple[str, int, object] | None = None  # (label, size, opener) of cable/cable-geo.json
    _geo_bytes: bytes | None = None

    def country_points(self, code: str) -> list[LandingPoint]:
        """Landing points in the country (ISO alpha-2 code), by name."""
        code = code.upper()
        return sorted((p for p in self.landing_points.values() if p.country_code == code), key=lambda p: p.name)

    def country_cables(self, code: str) -> list[Cable]:
        """Cables with a landing point in the country, by name."""
        ids = {c for p in self.country_points(code) for c in p.cables}
        return sorted((self.cables[c] for c in ids if c in self.cables), key=lambda c: (c.name.lower(), c.id))

    def routes(self, ids: set[str] | None = None) -> dict[str, list[list[tuple[float, float]]]]:
        """Route geometry (lists of (lon, lat) lines) of the cables ``ids`` (all when None); problems in the
        geometry are warnings in ``stats``. Empty when the data has no cable-geo.json."""
        if self._geo is None and self._geo_bytes is None:
            return {}
        if self._geo_bytes is not None:
            label, doc = "cable/cable-geo.json", json.loads(self._geo_bytes)
        else:
            label, size, opener = self._geo
            try:
                doc = _load_json(label, size, opener)
            except ValueError as exc:
                self.stats.warn(f"{label}: {exc}; no routes drawn")
                return {}
        out: dict[str, list[list[tuple[float, float]]]] = {}
        try:
            feats = _features(doc, label)
        except ValueError as exc:
            self.stats.warn(f"{label}: {exc}; no routes drawn")
            return {}
        for i, f in enumerate(feats):
            props = f.get("properties") if isinstance(f, dict) else None
            cid = props.get("id") if isinstance(props, dict) else None
            if not isinstance(cid, str) or (ids is not None and cid not in ids):
                continue
            geom = f.get("geometry") if isinstance(f, dict) else None
            gtype = geom.get("type") if isinstance(geom, dict) else None
            coords = geom.get("coordinates") if isinstance(geom, dict) else None
            lines = coords if gtype == "MultiLineString" else [coords] if gtype == "LineString" else None
            if not isinstance(lines, list):
                self.stats.warn(f"{label}: /features/{i}/geometry: not a (Multi)LineString; left out")
                continue
            for line in lines:
                pts = [(float(p[0]), float(p[1])) for p in (line if isinstance(line, list) else [])
                       if isinstance(p, list) and len(p) >= 2 and _number(p[0]) and _number(p[1])]
                if len(pts) >= 2:
                    out.setdefault(cid, []).append(pts)
        return out


def load_cable_map(path: str | Path) -> CableMap:
    """Read the cable map data from a directory or an archive. Raises InputError only when nothing can be read
    (no such path, not the data, a damaged archive, or no cable file at all)."""
    p = Path(path)
    tree = _tree(p)
    stats = ReadStats(file=str(p), format=FORMAT, unit="cable")
    cables: dict[str, Cable] = {}
    points: dict[str, LandingPoint] = {}
    pending_points_geo = None
    geo = None
    geo_bytes = None
    for rel, label, size, opener in tree.members():
        folder, name = rel.split("/", 1)
        if folder == "cable" and name == "cable-geo.json":
            if isinstance(tree, _DirTree):
                geo = (label, size, opener)
            elif size <= MAX_JSON_BYTES:
                with opener() as fh:
                    geo_bytes = fh.read()
            else:
                stats.warn(f"{rel}: {size:,} bytes, more than {MAX_JSON_BYTES:,}; no routes drawn")
            continue
        if folder == "landing-point":
            if name == "landing-point-geo.json":
                try:
                    pending_points_geo = (rel, _load_json(label, size, opener))
                except ValueError as exc:
                    stats.warn(f"{rel}: {exc}; landing points have no coordinates")
            continue  # per-point files repeat what the cable files say
        if name in _INDEX_FILES:
            continue
        stats.read += 1
        try:
            cable = _parse_cable(_load_json(label, size, opener), rel, points, stats)
        except ValueError as exc:
            stats.problem(f"{rel}: {exc}")
            continue
        cable.file = label
        if cable.id in cables:
            stats.problem(f"{rel}: /id: cable {cable.id!r} already read from {cables[cable.id].file}")
            continue
        cables[cable.id] = cable
    if pending_points_geo is not None:
        try:
            _parse_points_geo(pending_points_geo[1], pending_points_geo[0], points, stats)
        except ValueError as exc:
            stats.warn(f"{pending_points_geo[0]}: {exc}; landing points have no coordinates")
    if stats.read == 0:
        raise InputError(str(p), "no cable/<id>.json file of the submarine cable map data found")
    unknown = sorted({pt.country for pt in points.values() if pt.country and pt.country_code is None})
    for name in unknown:
        stats.warn(f"country {name!r} of the data has no ISO code in netvet's table; its landing points "
                   "match no --country")
    return CableMap(str(p), cables, points, stats, geo, geo_bytes)
