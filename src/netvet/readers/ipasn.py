"""Prefix → origin-AS evidence files (pyasn IPASN, CAIDA pfx2as).

The parser and its table types live in :mod:`netvet.util.prefix_origins`, below both the readers and
``attribution.prefix_index`` (which loads the same files as reference data); re-exported here.
"""

from ..util.prefix_origins import (  # noqa: F401 - re-exported
    _MASK64,
    FORMAT_IPASN,
    FORMAT_PFX2AS,
    FORMATS,
    MAX_ASN,
    BadRecord,
    OriginSets,
    PrefixOrigins,
    PrefixOriginsBuilder,
    _digits,
    _fast_rows,
    _is_address,
    _line_bounds,
    _nth_sep,
    _parse_line,
    _read_bytes,
    _short,
    _unique,
    parse_asn,
    parse_network,
    parse_origins_ipasn,
    parse_origins_pfx2as,
    parse_prefix,
    read_ipasn,
    read_pfx2as,
    read_prefix_origins,
    sniff,
)
