"""Flow and DNS logs: readers whose capability is ``flow-batches`` (see :mod:`.base`), in the one reader registry.

Modules, bottom up: :mod:`.addresses` (endpoint addresses as 128-bit integer pairs; vectorised parsing and
classes), :mod:`.records` (the columnar chunks the readers yield), :mod:`.text`, :mod:`.problems`, :mod:`.mapping`
(shared parsing, bad-record bookkeeping, column names), :mod:`.base` (the batch interface); the formats:
:mod:`.zeek` (conn, dns; TSV and JSON), :mod:`.vpc` (AWS VPC Flow Logs), :mod:`.nfdump` (nfdump CSV, nfcapd
files), :mod:`.tables` (CSV and Parquet flow tables). Importing this package registers them all.
"""

from . import nfdump, tables, vpc, zeek  # noqa: F401 - each registers its readers

FLOW_BATCHES = frozenset({"flow-batches"})  # the capability of these readers (``readers.detect(..., yields=...)``)
