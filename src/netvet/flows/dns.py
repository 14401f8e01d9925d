"""Names tied to addresses by DNS answers, and the registry entities those names belong to.

Built from the (name, address) pairs of DNS logs (:class:`~.records.DnsChunk`): every address answered
for a name gets that name (the query, and CNAME targets on the way). A name belongs to a registry
entity when it or one of its parent domains is among the entity's ``domains`` (``ecs.huaweicloud.com``
-> ``huaweicloud.com`` -> huawei-cloud). An address's *DNS group* is the sorted tuple of entities its
names belong to (group 0: none). The tie holds for the whole audit (answer TTLs are not applied).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from ..attribution.prefix_index import PrefixIndex
from ..model import ReadStats
from ..readers.flowlogs import addresses
from ..readers.flowlogs.records import DnsChunk
from .cloud import _lookup_mixed

MAX_NAMES = 5  # names kept per address for reports


def domain_entity(name: str, domains: dict[str, str]) -> tuple[str, str] | None:
    """(matched registry domain, entity id) for ``name`` or one of its parent domains."""
    labels = name.lower().rstrip(".").split(".")
    for i in range(len(labels) - 1):
        suffix = ".".join(labels[i:])
        eid = domains.get(suffix)
        if eid:
            return suffix, eid
    return None


@dataclass
class DnsIndex:
    """Address -> names and DNS group, for arrays of addresses."""

    hi: np.ndarray  # distinct answer addresses (address id - 1)
    lo: np.ndarray
    names: list[tuple[str, ...]]  # per address id - 1: up to MAX_NAMES names
    group_of_address: np.ndarray  # address id -> group code (index 0: no address)
    groups: list[tuple[tuple[str, str], ...]] = field(default_factory=lambda: [()])  # code -> ((entity, domain), ...)
    index: PrefixIndex | None = None
    pairs: int = 0
    address_of_set: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))

    @classmethod
    def empty(cls) -> DnsIndex:
        return cls(np.zeros(0, np.uint64), np.zeros(0, np.uint64), [], np.zeros(1, np.int64))

    @classmethod
    def build(cls, chunks: list[DnsChunk], domains: dict[str, str],
              stats: dict[str, ReadStats] | None = None) -> DnsIndex:
        """Index the pairs of ``chunks``; ``stats`` (by file) get attributed/unattributed record counts."""
        frames = [pl.DataFrame({"name": c.name, "hi": c.hi, "lo": c.lo, "line": c.line,
                                "file": [getattr(c, "file", "")] * len(c)},
                               schema={"name": pl.String, "hi": pl.UInt64, "lo": pl.UInt64, "line": pl.Int64,
                                       "file": pl.String}) for c in chunks if len(c)]
        if not frames:
            return cls.empty()
        pairs = pl.concat(frames)
        names = pairs["name"].unique().sort().to_list()
        owner = {}
        for n in names:
            hit = domain_entity(n, domains)
            if hit:
                owner[n] = hit
        ent = pairs.with_columns(
            pl.col("name").replace_strict({n: e for n, (_d, e) in owner.items()}, default=None,
                                          return_dtype=pl.String).alias("entity"),
            pl.col("name").replace_strict({n: d for n, (d, _e) in owner.items()}, default=None,
                                          return_dtype=pl.String).alias("domain"))
        if stats is not None:
            per_line = ent.group_by("file", "line").agg(pl.col("entity").is_not_null().any().alias("hit"))
            for f, hit, total in per_line.group_by("file").agg(pl.col("hit").sum(), pl.len()).iter_rows():
                if f in stats:
                    stats[f].attributed += hit
                    stats[f].unattributed += total - hit
        by_addr = ent.group_by("hi", "lo").agg(
            pl.col("name").unique().sort().head(MAX_NAMES).alias("names"),
            pl.struct("entity", "domain").filter(pl.col("entity").is_not_null()).unique().alias("owners"),
        ).sort("hi", "lo")
        groups: list[tuple[tuple[str, str], ...]] = [()]
        code_of: dict[tuple, int] = {(): 0}
        group_of = np.zeros(len(by_addr) + 1, np.int64)
        for i, owners in enumerate(by_addr["owners"].to_list(), 1):
            key = tuple(sorted({(o["entity"], o["domain"]) for o in owners}))
            # one domain per entity (the first in order) keeps groups small
            seen: dict[str, str] = {}
            for e, d in key:
                seen.setdefault(e, d)
            key = tuple(sorted(seen.items()))
            code = code_of.get(key)
            if code is None:
                code = code_of[key] = len(groups)
                groups.append(key)
            group_of[i] = code
        hi = by_addr["hi"].to_numpy().astype(np.uint64)
        lo = by_addr["lo"].to_numpy().astype(np.uint64)
        index = PrefixIndex.from_pairs(_host_prefixes(hi, lo), source="dns-answers")
        address_of_set = np.array([s[0] if s else 0 for s in index.origin_sets], np.int64)
        return cls(hi, lo, [tuple(n) for n in by_addr["names"].to_list()], group_of, groups, index, len(pairs),
                   address_of_set)

    def __len__(self) -> int:
        return len(self.hi)

    def lookup(self, hi: np.ndarray, lo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(group code, address id; 0 = no DNS answer named it) per address."""
        n = len(hi)
        if self.index is None:
            return np.zeros(n, np.int64), np.zeros(n, np.int64)
        aid, _sid, _plen = _lookup_mixed(self.index, hi, lo, self.address_of_set)
        return self.group_of_address[aid], aid


def _host_prefixes(hi: np.ndarray, lo: np.ndarray):
    """(prefix, address id) pairs: /32 for IPv4, /128 for IPv6."""
    texts = addresses.to_text(hi.tolist(), lo.tolist())
    for i, t in enumerate(texts, 1):
        yield (f"{t}/32" if ":" not in t else f"{t}/128"), i
