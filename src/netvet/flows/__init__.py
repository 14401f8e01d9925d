"""Traffic evidence: flow and DNS logs, attributed to ASes, clouds and entities, aggregated for policy exposure.

The flow and DNS log formats are readers (capability ``flow-batches``) in :mod:`netvet.readers.flowlogs`, with
their parsing helpers (addresses, records, text, problems, column mapping). Modules here, bottom up:

* :mod:`.classes` — internal / special / external address classes; :mod:`.book` — the run's address books,
  handed to the readers (their ``books`` option);
* :mod:`.cloud` — published cloud IP ranges; :mod:`.dns` — names tied to addresses by DNS answers;
  :mod:`.sources` — loading the attribution data (explicit files or ``netvet data`` datasets);
* :mod:`.attribution` — remote endpoint -> origin AS set / cloud range / DNS entities, vectorised;
* :mod:`.aggregate` — per-chunk aggregation and exact merging; :mod:`.engine` (single node) and
  :mod:`.dask_engine` (a Dask ``distributed`` cluster) drive it;
* :mod:`.units` — what a remote party is (identifiers, labels) and AS-names evidence;
* :mod:`.audit`, :mod:`.output` — one policy classification per remote party, exposure per entity and
  policy line, and its rendering. :mod:`.audit` sits above :mod:`netvet.pipeline`; nothing below imports it.
"""
