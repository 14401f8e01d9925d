"""Which column of a flow table holds which flow field: well-known names, and the user's ``--map``.

Canonical fields: ``src`` and ``dst`` (addresses; required), ``bytes`` and ``packets`` (source to
destination), ``rbytes`` and ``rpackets`` (destination to source), ``flows`` (flows per record),
``start``, ``end`` and ``duration`` (times). A table's columns are matched to them by the names below
(case-insensitive; ``-``, ``.`` and spaces count as ``_``), unless ``--map field=column,...`` says
otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ...model import InputError

FIELDS = ("src", "dst", "bytes", "packets", "rbytes", "rpackets", "flows", "start", "end", "duration")
REQUIRED = ("src", "dst")

ALIASES: dict[str, tuple[str, ...]] = {
    "src": ("src", "srcaddr", "src_addr", "src_ip", "srcip", "source", "source_ip", "source_address", "sa",
            "saddr", "ip_src", "ipv4_src_addr", "ipv6_src_addr", "sourceipv4address", "sourceipv6address",
            "id_orig_h", "orig_h", "pkt_srcaddr"),
    "dst": ("dst", "dstaddr", "dst_addr", "dst_ip", "dstip", "destination", "destination_ip",
            "destination_address", "da", "daddr", "ip_dst", "ipv4_dst_addr", "ipv6_dst_addr",
            "destinationipv4address", "destinationipv6address", "id_resp_h", "resp_h", "pkt_dstaddr"),
    "bytes": ("bytes", "octets", "in_bytes", "ibyt", "byt", "doctets", "octetdeltacount", "bytes_in", "inbytes",
              "orig_ip_bytes", "src_bytes", "sent_bytes", "bytes_sent", "fwd_bytes"),
    "packets": ("packets", "pkts", "in_pkts", "in_packets", "ipkt", "pkt", "dpkts", "packetdeltacount",
                "packets_in", "inpackets", "orig_pkts", "src_packets", "sent_packets", "fwd_packets"),
    "rbytes": ("rbytes", "out_bytes", "obyt", "bytes_out", "outbytes", "resp_ip_bytes", "dst_bytes",
               "received_bytes", "bytes_received", "rev_bytes", "reverse_bytes"),
    "rpackets": ("rpackets", "out_pkts", "out_packets", "opkt", "packets_out", "outpackets", "resp_pkts",
                 "dst_packets", "received_packets", "rev_packets", "reverse_packets"),
    "flows": ("flows", "fl", "flow_count", "flowcount", "records"),
    "start": ("start", "ts", "first", "firstseen", "first_seen", "start_time", "starttime", "time_start",
              "timestamp", "time", "flowstartseconds", "flowstartmilliseconds", "time_received", "tstart",
              "first_switched"),
    "end": ("end", "te", "last", "lastseen", "last_seen", "end_time", "endtime", "time_end",
            "flowendseconds", "flowendmilliseconds", "tend", "last_switched"),
    "duration": ("duration", "td", "dur", "flow_duration"),
}


def norm(name: str) -> str:
    return re.sub(r"[\s\-.]+", "_", name.strip().lower())


def parse_map(specs: Iterable[str] | None) -> dict[str, str]:
    """``["src=srcaddr,dst=dstaddr", "bytes=octets"]`` -> {"src": "srcaddr", ...}; bad specs raise ValueError."""
    out: dict[str, str] = {}
    for spec in specs or ():
        for item in spec.split(","):
            if not item.strip():
                continue
            field, eq, column = item.partition("=")
            field = field.strip().lower()
            if not eq or not column.strip():
                raise ValueError(f"--map entry {item.strip()!r} is not field=column")
            if field not in FIELDS:
                raise ValueError(f"--map: unknown field {field!r} (fields: {', '.join(FIELDS)})")
            out[field] = column.strip()
    return out


def resolve(columns: list[str], user: dict[str, str], file: str) -> dict[str, str]:
    """Field -> column of a table with ``columns``: the user's mapping first, then the well-known names."""
    by_norm: dict[str, str] = {}
    for c in columns:
        by_norm.setdefault(norm(c), c)
    out: dict[str, str] = {}
    for field, column in user.items():
        if column in columns:
            out[field] = column
        elif norm(column) in by_norm:
            out[field] = by_norm[norm(column)]
        else:
            raise InputError(file, f"--map {field}={column}: no column {column!r} (columns: {', '.join(columns)})")
    taken = set(out.values())
    for field in FIELDS:
        if field in out:
            continue
        for alias in ALIASES[field]:
            col = by_norm.get(alias)
            if col is not None and col not in taken:
                out[field] = col
                taken.add(col)
                break
    missing = [f for f in REQUIRED if f not in out]
    if missing:
        raise InputError(file, f"no column for {', '.join(missing)} (columns: {', '.join(columns)}); "
                               "name them with --map src=COLUMN,dst=COLUMN")
    return out


def looks_like_flow_table(columns: list[str]) -> bool:
    """True when the well-known names find both addresses among ``columns``."""
    names = {norm(c) for c in columns}
    return all(any(a in names for a in ALIASES[f]) for f in REQUIRED)
