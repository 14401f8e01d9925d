"""The attribution data a flow audit uses: IP -> AS files, AS names, cloud ranges, internal prefixes.

Given explicitly (``--asn-db``, ``--as-names``, ``--cloud-ranges``, ``--internal``) or, when not, taken
from the active ``netvet data`` datasets (``caida-pfx2as-v4``/``-v6``, ``caida-as2org`` and the cloud
range datasets) when those have been fetched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..attribution.asnames import AsNames, load_asnames
from ..attribution.prefix_index import PrefixIndex
from ..model import InputError, ReadStats
from ..readers.flowlogs import addresses
from . import cloud

ASN_DATASETS = ("caida-pfx2as-v4", "caida-pfx2as-v6")
ASNAMES_DATASETS = ("caida-as2org",)


@dataclass
class Sources:
    """Attribution data as loaded, with where it came from."""

    routes: PrefixIndex | None = None
    as_names: AsNames | None = None
    cloud_ranges: cloud.CloudRanges = field(default_factory=cloud.CloudRanges)
    internal: tuple[tuple[int, int, int], ...] = ()
    stats: list[ReadStats] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    datasets: list[dict] = field(default_factory=list)


def active_paths(names: tuple[str, ...]) -> list[Path]:
    try:
        from ..datasets import active_path
    except ImportError:  # pragma: no cover
        return []
    out = []
    for n in names:
        try:
            p = active_path(n)
        except Exception:  # unknown dataset or unreadable store: no default
            p = None
        if p is not None:
            out.append(Path(p))
    return out


def load_routes(paths: list[Path]) -> PrefixIndex:
    """A prefix index from pyasn IPASN, CAIDA pfx2as or MRT RIB files (several are merged)."""
    from ..pipeline import load_prefix_index

    return load_prefix_index(list(paths))


def _dataset(name: str, files) -> dict:
    paths = [str(p) for p in files]
    return {"name": name, "version": ", ".join(Path(p).name for p in paths), "origin": "file", "files": paths}


def load(asn_db: list[Path] | None = None, as_names: list[Path] | None = None,
         cloud_ranges: list[str] | None = None, internal: list[str] | None = None,
         use_datasets: bool = True) -> Sources:
    """Load the attribution data (explicit files first, else the active datasets)."""
    src = Sources()
    route_files = list(asn_db or []) or (active_paths(ASN_DATASETS) if use_datasets else [])
    if route_files:
        src.routes = load_routes(route_files)
        src.stats.extend(src.routes.stats)
        src.datasets.append(_dataset("ip-to-asn", route_files))
    else:
        src.notes.append("no IP -> AS data (give --asn-db, or run `netvet data fetch caida-pfx2as-v4`): "
                         "remote addresses are attributed only by cloud ranges and DNS")
    name_files = list(as_names or []) or (active_paths(ASNAMES_DATASETS) if use_datasets else [])
    if name_files:
        names = AsNames()
        for p in name_files:
            names.update(load_asnames(p))
        src.as_names = names
        src.stats.extend(names.stats)
        src.datasets.append(_dataset("as-names", name_files))
    specs = list(cloud_ranges or []) or (cloud.dataset_specs() if use_datasets else [])
    if specs:
        src.cloud_ranges = cloud.load_ranges(specs)
        src.stats.extend(src.cloud_ranges.stats)
        src.datasets.append(_dataset("cloud-ranges", src.cloud_ranges.sources))
    ranges = []
    for text in internal or []:
        try:
            ranges.append(addresses.parse_range(text))
        except ValueError:
            raise InputError(text, "--internal: not an IP prefix") from None
    src.internal = tuple(ranges)
    return src
