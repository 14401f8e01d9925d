"""Where the single-node flow engine spends its CPU, per million rows, one thread, steady state.

Run from the repository root, after ``bench/flows.py`` has generated its table::

    python bench/flows_stages.py                     # the 100M-row text-dictionary table, row groups 5-29
    python bench/flows_stages.py --table PATH --groups 40 --warm 10

One thread does what each engine thread does, one row group at a time, with a timer around each stage:

* ``arrow``: ``pyarrow`` reads the row group (address columns as dictionaries);
* ``chunk``: the reader turns the batch into a chunk (address-book lookups of the dictionaries, counters
  and times from Arrow's buffers);
* ``process``: ``kernel.process_chunk`` with a cell accumulator and the ``clean-network`` classifier: entries
  of new addresses, the compiled cells pass, classification of new parties, the host pass.

The compiled functions are timed inside those stages (``cells``, ``sides``, ``book``), so the rest of each
stage is Python and NumPy glue. CPU time (``time.process_time``) is quoted, not wall time: the figures are per
core and add up to the CPU a run needs, which on a shared machine varies less than wall time. The first
``--warm`` row groups are not counted: they parse, attribute and classify most addresses and parties of the run
(those one-off costs are printed separately).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "bench"))

import flows as bench  # noqa: E402  (bench/flows.py: the table and the IPASN files)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--table", type=Path, default=Path("/tmp/netvet-bench-flows/flows-text-dict-100000000.parquet"))
    ap.add_argument("--groups", type=int, default=30, help="row groups to read (from the first)")
    ap.add_argument("--warm", type=int, default=5, help="row groups not counted")
    args = ap.parse_args()

    import pyarrow.parquet as pq

    from netvet.attribution.prefix_index import PrefixIndex
    from netvet.attribution.registry import Registry
    from netvet.flows import _flowagg, audit, book, kernel
    from netvet.flows.attribution import FlowTables
    from netvet.flows.units import Catalog, flow_context
    from netvet.model import ReadStats
    from netvet.pipeline import Context
    from netvet.readers.flowlogs import tables
    from netvet.readers.flowlogs.base import ReadOptions
    from netvet.readers.ipasn import read_prefix_origins

    index = PrefixIndex.from_tables([read_prefix_origins(bench.V4_DB), read_prefix_origins(bench.V6_DB)])
    flow_tables = FlowTables(routes=index)
    ctx = Context.build(["clean-network"], Registry.load())
    flow_context(ctx, None)
    classifier = audit.PolicyClassifier(ctx, Catalog(flow_tables))

    spent: dict[str, float] = defaultdict(float)
    counting = [False]

    def timed(name: str, fn):
        def run(*a, **k):
            t0 = time.process_time()
            try:
                return fn(*a, **k)
            finally:
                if counting[0]:
                    spent[name] += time.process_time() - t0
        return run

    # the compiled functions, timed where the engine calls them
    kernel._flowagg = _Timed(_flowagg, {"cells": timed("  cells (compiled)", _flowagg.cells),
                                        "sides": timed("  sides (compiled)", _flowagg.sides)})
    book._flowagg = _Timed(_flowagg, {"book_intern": timed("  book (compiled)", _flowagg.book_intern)})
    classifier.classify = timed("  classify new parties", classifier.classify)

    session = flow_tables.caches.session  # the run's address books and Parquet footers
    gc.freeze()
    gc.disable()
    path = str(args.table)
    meta, cols = tables.ParquetFlowTable(session=session)._meta(path, ReadOptions())
    pf = pq.ParquetFile(path, read_dictionary=["src", "dst"], memory_map=True, metadata=meta)
    names = sorted(set(cols.values()))
    acc = kernel.CellAccumulator()

    def hosts_for(units):
        flagged = classifier.flagged()
        return flagged if units is None else units[np.isin(units, flagged)]

    row = 0
    warm_t0 = time.process_time()
    rows = 0
    for g in range(min(args.groups, meta.num_row_groups)):
        if g == args.warm:
            counting[0] = True
            print(f"first {args.warm} row groups (one-off parsing, attribution, classification): "
                  f"{time.process_time() - warm_t0:.2f} s CPU, {len(classifier.results):,} parties classified")
        t0 = time.process_time()
        batch = next(pf.iter_batches(batch_size=1 << 21, row_groups=[g], columns=names, use_threads=False))
        t1 = time.process_time()
        reader = tables.ParquetFlowTable(session=session)
        chunk = reader._chunk(batch, cols, np.arange(row + 1, row + batch.num_rows + 1),
                              ReadStats(path, "parquet-flows"), ["src", "dst"])
        t2 = time.process_time()
        kernel.process_chunk(chunk, flow_tables, path, 0, hosts_for, classifier.classify, acc)
        t3 = time.process_time()
        row += batch.num_rows
        if counting[0]:
            rows += batch.num_rows
            spent["arrow"] += t1 - t0
            spent["chunk"] += t2 - t1
            spent["process"] += t3 - t2
    per = 1e6 / rows * 1000
    total = spent["arrow"] + spent["chunk"] + spent["process"]
    print(f"{rows:,} rows counted; CPU per million rows, one thread:")
    for name in ("arrow", "chunk", "  book (compiled)", "process", "  cells (compiled)", "  sides (compiled)",
                 "  classify new parties"):
        print(f"  {name:26s} {spent[name] * per:7.1f} ms")
    print(f"  {'total':26s} {total * per:7.1f} ms  (20M rows/s on 2 cores allows 100 ms)")


class _Timed:
    """A module whose named functions are replaced by timed ones."""

    def __init__(self, module, replaced: dict) -> None:
        self._module, self._replaced = module, replaced

    def __getattr__(self, name: str):
        return self._replaced.get(name) or getattr(self._module, name)


if __name__ == "__main__":
    main()
