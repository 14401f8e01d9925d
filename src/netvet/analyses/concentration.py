"""Supplier concentration: Herfindahl-Hirschman index per network function and site (EU Toolbox multi-vendor)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass


@dataclass(frozen=True)
class GroupConcentration:
    site: str
    function: str
    assets: int
    hhi: float  # sum of squared supplier shares, 0..1
    shares: dict[str, float]  # supplier -> share of the group's assets

    def to_dict(self) -> dict:
        return {"site": self.site, "function": self.function, "assets": self.assets, "hhi": self.hhi,
                "shares": self.shares}


def concentration(items: list[tuple[str, str, str | None]]) -> dict[tuple[str, str], GroupConcentration]:
    """``items``: (site, function, supplier or None). Unattributed assets count as their own unknown
    suppliers (one each), so missing evidence never inflates concentration."""
    groups: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for i, (site, function, supplier) in enumerate(items):
        groups[(site, function)][supplier if supplier else f"(unknown #{i})"] += 1
    out = {}
    for key, counts in groups.items():
        n = sum(counts.values())
        shares = {s: c / n for s, c in counts.items()}
        hhi = round(sum(v * v for v in shares.values()), 4)
        out[key] = GroupConcentration(key[0], key[1], n, hhi,
                                      {s: round(v, 4) for s, v in sorted(shares.items()) if not s.startswith("(")})
    return out
