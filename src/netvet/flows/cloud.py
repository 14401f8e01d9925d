"""Published cloud provider IP ranges, and a longest-prefix index over them.

Files read (``netvet data`` catalogues each; ``--cloud-ranges`` takes them directly):

* AWS ``ip-ranges.json`` — ``prefixes[].ip_prefix`` / ``ipv6_prefixes[].ipv6_prefix`` with ``service``
  and ``region``;
* Google ``cloud.json`` (and ``goog.json``) — ``prefixes[].ipv4Prefix`` / ``ipv6Prefix`` with ``service``
  and ``scope``;
* Azure ``ServiceTags_Public_*.json`` — ``values[].properties.addressPrefixes`` with the tag ``name``,
  ``systemService`` and ``region``;
* Oracle ``public_ip_ranges.json`` — ``regions[].cidrs[].cidr`` with ``tags``;
* Cloudflare ``ips-v4`` / ``ips-v6`` — one prefix per line (a plain prefix list is taken as Cloudflare's
  when its name says so; otherwise name the provider: ``--cloud-ranges cloudflare=FILE``).

Each range keeps its provider, service, region and the file it came from. :class:`CloudIndex` answers,
for arrays of addresses, the most specific published range (its length and record ids), built on
:class:`~netvet.attribution.prefix_index.PrefixIndex` with record ids in place of AS numbers.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..attribution.prefix_index import PrefixIndex
from ..model import InputError, ReadStats
from ..readers.base import open_input
from ..readers.flowlogs import addresses

# provider id -> (name used to find the entity in the registry, display name)
PROVIDERS = {
    "aws": ("Amazon Web Services", "AWS"),
    "google": ("Google Cloud", "Google Cloud"),
    "azure": ("Microsoft Azure", "Azure"),
    "oracle": ("Oracle Cloud Infrastructure", "Oracle Cloud"),
    "cloudflare": ("Cloudflare", "Cloudflare"),
}
DATASETS = ("aws-ip-ranges", "google-cloud-ip-ranges", "azure-service-tags", "oracle-ip-ranges", "cloudflare-ips-v4",
            "cloudflare-ips-v6")
_PROVIDER_OF_DATASET = {"aws-ip-ranges": "aws", "google-cloud-ip-ranges": "google", "azure-service-tags": "azure",
                        "oracle-ip-ranges": "oracle", "cloudflare-ips-v4": "cloudflare",
                        "cloudflare-ips-v6": "cloudflare"}


@dataclass(frozen=True)
class CloudRange:
    provider: str
    prefix: str
    service: str
    region: str
    source: str  # file name and the publisher's version stamp

    def describe(self) -> str:
        what = ", ".join(x for x in (self.service, self.region) if x)
        name = PROVIDERS.get(self.provider, (self.provider, self.provider))[1]
        return f"{self.prefix} ({name}{': ' + what if what else ''})"


@dataclass
class CloudRanges:
    """Every range read, with per-file statistics."""

    ranges: list[CloudRange] = field(default_factory=list)
    stats: list[ReadStats] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


def _add(out: list[CloudRange], stats: ReadStats, provider: str, prefix, service, region, source: str,
         where: int | None) -> None:
    stats.read += 1
    if not isinstance(prefix, str):
        stats.problem(f"range {where}: prefix is not text: {prefix!r}", line=None)
        return
    try:
        addresses.parse_range(prefix)
    except ValueError:
        stats.problem(f"range {where}: not an IP prefix: {prefix!r}")
        return
    stats.attributed += 1
    out.append(CloudRange(provider, prefix.strip(), str(service or ""), str(region or ""), source))


def _json_ranges(doc: dict, name: str, stats: ReadStats, forced: str | None) -> tuple[str, list[CloudRange]]:
    out: list[CloudRange] = []
    if "createDate" in doc and ("prefixes" in doc or "ipv6_prefixes" in doc):
        provider = forced or "aws"
        src = f"{Path(name).name} (createDate {doc.get('createDate')})"
        for i, p in enumerate(doc.get("prefixes") or []):
            p = p if isinstance(p, dict) else {}
            _add(out, stats, provider, p.get("ip_prefix"), p.get("service"), p.get("region"), src, i)
        for i, p in enumerate(doc.get("ipv6_prefixes") or []):
            p = p if isinstance(p, dict) else {}
            _add(out, stats, provider, p.get("ipv6_prefix"), p.get("service"), p.get("region"), src, i)
        return "aws-ip-ranges", out
    if "prefixes" in doc and ("creationTime" in doc or "syncToken" in doc):
        provider = forced or "google"
        src = f"{Path(name).name} (creationTime {doc.get('creationTime')})"
        for i, p in enumerate(doc.get("prefixes") or []):
            p = p if isinstance(p, dict) else {}
            _add(out, stats, provider, p.get("ipv4Prefix") or p.get("ipv6Prefix"), p.get("service") or "Google",
                 p.get("scope"), src, i)
        return "google-cloud-ip-ranges", out
    if "values" in doc and ("changeNumber" in doc or "cloud" in doc):
        provider = forced or "azure"
        src = f"{Path(name).name} (changeNumber {doc.get('changeNumber')})"
        for i, v in enumerate(doc.get("values") or []):
            v = v if isinstance(v, dict) else {}
            props = v.get("properties") or {}
            service = props.get("systemService") or v.get("name") or ""
            for p in props.get("addressPrefixes") or []:
                _add(out, stats, provider, p, service, props.get("region"), src, i)
        return "azure-service-tags", out
    if "regions" in doc and isinstance(doc["regions"], list):
        provider = forced or "oracle"
        src = f"{Path(name).name} (last_updated_timestamp {doc.get('last_updated_timestamp')})"
        for i, r in enumerate(doc["regions"]):
            r = r if isinstance(r, dict) else {}
            for c in r.get("cidrs") or []:
                c = c if isinstance(c, dict) else {}
                _add(out, stats, provider, c.get("cidr"), ",".join(c.get("tags") or []), r.get("region"), src, i)
        return "oracle-ip-ranges", out
    raise InputError(name, "not a cloud IP range file netvet knows (AWS ip-ranges.json, Google cloud.json, "
                           "Azure ServiceTags, Oracle public_ip_ranges.json)")


def read_ranges(path: str | Path, provider: str | None = None) -> tuple[list[CloudRange], ReadStats]:
    """Read one cloud range file (format sniffed; ``provider`` overrides the provider it implies)."""
    name = str(path)
    try:
        with open_input(path) as fh:
            data = fh.read()
    except InputError:
        raise
    except Exception as exc:  # decompression errors of any codec
        raise InputError(name, f"cannot read: {exc}") from None
    text = data.decode("utf-8", errors="replace").lstrip("\ufeff")
    if text.lstrip().startswith("{"):
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise InputError(name, f"not valid JSON: {exc}") from None
        stats = ReadStats(name, "cloud-ranges")
        fmt, ranges = _json_ranges(doc, name, stats, provider)
        stats.format = fmt
        return ranges, stats
    # a plain prefix list (Cloudflare's ips-v4 / ips-v6)
    prov = provider or ("cloudflare" if re.search(r"(?i)cloudflare|ips-v[46]", Path(name).name) else None)
    if prov is None:
        raise InputError(name, "a plain list of prefixes: say whose it is, e.g. --cloud-ranges cloudflare=FILE")
    stats = ReadStats(name, "prefix-list")
    out: list[CloudRange] = []
    src = Path(name).name
    for number, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        stats.read += 1
        try:
            addresses.parse_range(s)
        except ValueError:
            stats.problem(f"not an IP prefix: {s[:60]!r}", line=number)
            continue
        stats.attributed += 1
        out.append(CloudRange(prov, s, "", "", src))
    return out, stats


def load_ranges(specs: list[str]) -> CloudRanges:
    """Read ``[PROVIDER=]FILE`` specs; the same range published twice is kept once."""
    result = CloudRanges()
    seen: set[tuple] = set()
    for spec in specs:
        provider, eq, file = spec.partition("=")
        if not eq or Path(spec).exists():
            provider, file = None, spec
        ranges, stats = read_ranges(file, provider.strip().lower() if provider else None)
        for r in ranges:
            key = (r.provider, r.prefix, r.service, r.region)
            if key not in seen:
                seen.add(key)
                result.ranges.append(r)
        result.stats.append(stats)
        result.sources.append(file)
    return result


def dataset_specs() -> list[str]:
    """The cloud range files of the active ``netvet data`` datasets (none when nothing is fetched)."""
    try:
        from ..datasets import active_path
    except ImportError:  # pragma: no cover - the datasets package is optional here
        return []
    out = []
    for name in DATASETS:
        try:
            path = active_path(name)
        except Exception:  # an unknown dataset name or an unreadable store: no default
            path = None
        if path is not None:
            out.append(f"{_PROVIDER_OF_DATASET[name]}={path}")
    return out


@dataclass
class CloudIndex:
    """Longest-prefix match of addresses against published ranges."""

    ranges: list[CloudRange]
    providers: list[str]  # provider code - 1 -> provider id
    index: PrefixIndex | None
    provider_of_set: np.ndarray  # origin-set id -> provider code (0: none)

    @classmethod
    def build(cls, ranges: list[CloudRange]) -> CloudIndex:
        providers = sorted({r.provider for r in ranges})
        if not ranges:
            return cls([], providers, None, np.zeros(1, np.int64))
        pairs = ((r.prefix, i + 1) for i, r in enumerate(ranges))
        index = PrefixIndex.from_pairs(pairs, source="cloud-ranges")
        code = {p: i + 1 for i, p in enumerate(providers)}
        prov = np.zeros(len(index.origin_sets), np.int64)
        for sid, ids in enumerate(index.origin_sets):
            if ids:
                prov[sid] = code[ranges[ids[0] - 1].provider]
        return cls(ranges, providers, index, prov)

    def lookup(self, hi: np.ndarray, lo: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(provider code, set id, prefix length in IPv6 terms (IPv4 + 96); -1 unmatched) per address."""
        n = len(hi)
        if self.index is None:
            return np.zeros(n, np.int64), np.zeros(n, np.int64), np.full(n, -1, np.int16)
        return _lookup_mixed(self.index, hi, lo, self.provider_of_set)

    def describe_set(self, set_id: int) -> str:
        ids = self.index.origin_sets[set_id] if self.index is not None else ()
        return "; ".join(self.ranges[i - 1].describe() for i in ids[:3]) + (" ..." if len(ids) > 3 else "")

    def sources_of_set(self, set_id: int) -> list[str]:
        ids = self.index.origin_sets[set_id] if self.index is not None else ()
        return sorted({self.ranges[i - 1].source for i in ids})


def _lookup_mixed(index: PrefixIndex, hi: np.ndarray, lo: np.ndarray,
                  value_of_set: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(value, set id, length in IPv6 terms) for IPv4-mapped and IPv6 addresses together."""
    n = len(hi)
    v4 = hi == 0  # IPv4-mapped; the zero-top-half IPv6 addresses (::, ::1, IPv4-compatible) are never remote
    set_id = np.zeros(n, np.int64)
    plen = np.full(n, -1, np.int16)
    r4 = np.flatnonzero(v4)
    r6 = np.flatnonzero(~v4)
    if len(r4):
        res = index.lookup_v4((lo[r4] & np.uint64(0xFFFFFFFF)).astype(np.uint32))
        set_id[r4] = res.set_id
        plen[r4] = np.where(res.prefix_len >= 0, res.prefix_len + 96, -1)
    if len(r6):
        res = index.lookup_v6(hi[r6], lo[r6])
        set_id[r6] = res.set_id
        plen[r6] = res.prefix_len
    value = value_of_set[set_id] if value_of_set is not None else set_id
    return value, set_id, plen
