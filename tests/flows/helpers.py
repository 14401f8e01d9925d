"""Helpers for the flow tests: fixture paths and the fixture attribution data."""

from __future__ import annotations

from pathlib import Path

from netvet.flows import sources

FLOWS = Path(__file__).resolve().parents[1] / "fixtures" / "flows"
CLOUD = FLOWS / "cloud"


def fixture_sources(cloud: bool = True, names: bool = True) -> sources.Sources:
    """The fixture IP->AS file, AS names and (optionally) all cloud range files."""
    specs = [str(CLOUD / f) for f in ("ip-ranges.json", "cloud.json", "ServiceTags_Public_20231113.json",
                                      "public_ip_ranges.json", "cloudflare-ips")] if cloud else []
    return sources.load(asn_db=[FLOWS / "asn.ipasn"], as_names=[FLOWS / "asnames.json"] if names else None,
                        cloud_ranges=specs, use_datasets=False)
