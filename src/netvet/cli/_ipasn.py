"""IP -> origin AS for `netvet attribute IP`: from --asn-db or the active prefix-to-AS dataset."""

from __future__ import annotations

from pathlib import Path

from ..model import InputError

PREFIX_DATASETS = ("caida-pfx2as-v4", "caida-pfx2as-v6")


def asn_db_paths(asn_db: Path | None, version: int) -> list[Path]:
    """The explicit database, else the active `netvet data` prefix-to-AS dataset for the address family."""
    if asn_db is not None:
        return [asn_db]
    from ..datasets import active_path

    name = PREFIX_DATASETS[0] if version == 4 else PREFIX_DATASETS[1]
    path = active_path(name)
    return [path] if path is not None else []


def resolve_ip(value: str, asn_db: Path | None) -> tuple[int | None, list[dict]]:
    """(origin ASN or None, evidence steps) for one address."""
    import ipaddress

    from ..pipeline import load_prefix_index

    version = ipaddress.ip_address(value).version
    paths = asn_db_paths(asn_db, version)
    if not paths:
        raise InputError(value, "IP -> AS needs --asn-db FILE (a RIB, IPASN or pfx2as file) or an active "
                                f"dataset (`netvet data fetch {PREFIX_DATASETS[0 if version == 4 else 1]}`)")
    index = load_prefix_index(paths[0])
    match = index.lookup_one(value)
    step = {"step": "identifier", "detail": f"IP address {value}"}
    if not match.routed:
        return None, [step, {"step": "prefix-lookup", "detail": f"{value} is not covered by any prefix in "
                                                                f"{paths[0].name} (unrouted)",
                             "registry": "ip-to-asn", "source": str(paths[0])}]
    origins = ", ".join(f"AS{a}" for a in match.origins)
    return match.asn, [step, {"step": "prefix-lookup", "detail": f"{value} in {match.prefix}, originated by "
                                                                 f"{origins}" + (" (multi-origin: the first is "
                                                                                 "attributed)" if
                                                                                 len(match.origins) > 1 else ""),
                              "registry": "ip-to-asn", "source": str(paths[0])}]
