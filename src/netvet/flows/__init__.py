"""Traffic evidence: flow and DNS logs, attributed to ASes, clouds and entities, aggregated for policy exposure.

Modules, bottom up:

* :mod:`.addresses` — endpoint addresses as 128-bit integer pairs; vectorised parsing and classes
  (internal / special / external);
* :mod:`.records` — the columnar chunks readers yield; :mod:`.text`, :mod:`.problems`, :mod:`.mapping`
  — shared parsing, bad-record bookkeeping, column names;
* :mod:`.inputs` — format detection and partitioning; readers :mod:`.zeek` (conn, dns; TSV and JSON),
  :mod:`.vpc` (AWS VPC Flow Logs), :mod:`.nfdump` (nfdump CSV, nfcapd files), :mod:`.tables` (CSV and
  Parquet flow tables);
* :mod:`.cloud` — published cloud IP ranges; :mod:`.dns` — names tied to addresses by DNS answers;
  :mod:`.sources` — loading the attribution data (explicit files or ``netvet data`` datasets);
* :mod:`.attribution` — remote endpoint -> origin AS set / cloud range / DNS entities, vectorised;
* :mod:`.aggregate` — per-chunk aggregation and exact merging; :mod:`.engine` (single node) and
  :mod:`.dask_engine` (a Dask ``distributed`` cluster) drive it;
* :mod:`.units` — what a remote party is (identifiers, labels) and AS-names evidence;
* :mod:`.audit`, :mod:`.output` — one policy classification per remote party, exposure per entity and
  policy line, and its rendering. :mod:`.audit` sits above :mod:`netvet.pipeline`; nothing below imports it.
"""
