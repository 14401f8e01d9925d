"""Flow and DNS logs as evidence for ``netvet audit`` and ``netvet compare`` (format ``flows``).

The reader runs the flows engine, so it lives with it, above the pipeline; it is declared as an entry point of the
group ``netvet.readers`` (``pyproject.toml``), which ``readers.load_all`` registers in the one reader registry.

Accepts every format ``netvet flows audit`` reads (Zeek conn/dns TSV or JSON, AWS VPC Flow Logs,
nfdump CSV, nfcapd files through nfdump, CSV and Parquet flow tables with well-known column names).

A flow log becomes one Observation per remote party (kind ``flow``): an origin AS set, a cloud
provider whose published range decided, or the unrouted remainder. Its identifiers are the origin
ASes (or the provider's name, and the AS-names organisation name when AS-names data is loaded); its
attributes are ``bytes`` (both directions), ``to_bytes``/``from_bytes``, ``packets``, ``flows``,
``records``, ``hosts`` (distinct internal hosts), ``first_seen`` and ``last_seen``. Ids are
``<file name>:flow:AS4134`` and the like; the source line is the first record seen for the party.

A Zeek dns.log becomes one Observation per queried name that got address answers (kind
``destination``, a DOMAIN identifier), with ``queries`` and ``addresses`` counts.

IP -> AS data comes from the reader option ``reference`` (a ``readers.base.Reference``: ``flow_sources`` a caller
loaded in advance, else loaded once per batch from its ``asn_db``, ``--asn-db``), else from the active
``netvet data`` datasets (``caida-pfx2as-v4``/``-v6``,
``caida-as2org``, cloud ranges); without any, every remote address counts as one "no-route-data" party.
``stats.read`` counts records, ``skipped`` the records without a remote endpoint (and VPC NODATA/SKIPDATA),
``malformed`` the bad ones (each with its line); ``attributed``/``unattributed`` are counted per observation by
the pipeline, as for every reader.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ..model import Identifier, IdKind, Observation, SourceRef, Strength
from ..readers.base import Progress, Reader, ReadResult, Reference, register


def load_sources(reference: Reference):
    """The attribution sources (a ``netvet.flows.sources.Sources``) of a batch: ``flow_sources`` when the caller
    gave them, else loaded once per batch from ``reference.asn_db`` and the active datasets."""
    from . import sources

    return reference.get("flow_sources",
                         lambda: sources.load(asn_db=[reference.asn_db] if reference.asn_db is not None else None))


@register
class FlowEvidenceReader(Reader):
    format = "flows"
    description = "Flow and DNS logs: Zeek conn/dns, AWS VPC, nfdump CSV/nfcapd, CSV/Parquet flow tables"
    extensions = (".log", ".parquet", ".csv", ".json")
    options = ("reference",)

    def __init__(self, reference: Reference | None = None) -> None:
        self.reference = reference or Reference()

    def sniff(self, path: Path, head: bytes) -> bool:
        """Whether a flow-log reader (capability ``flow-batches``) takes ``path``."""
        from .. import readers
        from ..readers import flowlogs  # noqa: F401 - registers the flow-log readers

        try:
            readers.detect(path, yields=flowlogs.FLOW_BATCHES)
        except Exception:  # a sniffer must not fail on input another reader owns (binary data, odd text)
            return False
        return True

    def read(self, path: Path, progress: Progress | None = None) -> ReadResult:
        from ..readers.flowlogs.base import ReadOptions
        from ..readers.flowlogs.records import iso_time
        from . import engine
        from .attribution import FlowTables, RunCaches
        from .cloud import CloudIndex
        from .units import Catalog

        src = load_sources(self.reference)
        caches = RunCaches()  # this read's address books and Parquet footers
        pln = engine.plan([path], ReadOptions(), session=caches.session)
        name = str(path)
        if pln.dns_parts:
            return self._dns(pln, name)
        tables = FlowTables(routes=src.routes, cloud=CloudIndex.build(src.cloud_ranges.ranges), internal=src.internal,
                            caches=caches)
        size = path.stat().st_size
        done = [0]

        def tick(_file: str, _rows: int) -> None:
            if progress is not None:
                done[0] = min(size, done[0] + size // 100 + 1)
                progress(done[0], size)

        merged = engine.run_single(pln, tables, None, tick)
        stats = engine.finish(pln, merged)[0]
        stats.attributed = stats.unattributed = 0  # the pipeline counts observations
        catalog = Catalog(tables, src.as_names)
        from .aggregate import unit_cells

        cells = unit_cells(merged.cells)
        if not len(cells):
            return ReadResult([], stats)
        from .attribution import TRANSIT_SRC

        per = cells.group_by("unit").agg(
            [pl.col(c).sum() for c in ("records", "flows", "to_bytes", "from_bytes", "to_packets", "from_packets")]
            + [pl.col("records").filter(pl.col("cls") != TRANSIT_SRC).sum().alias("counted"),
               pl.col("first").min(), pl.col("last").max(), pl.col("ref").min()]).sort("unit")
        hosts = dict(merged.hosts.group_by("unit").agg(pl.len()).iter_rows())
        observations = []
        for row in per.iter_rows(named=True):
            oid, _label, idents, attrs = catalog.describe(int(row["unit"]))
            if src.as_names is not None and attrs.get("origin_asns"):
                rec = src.as_names.get(int(attrs["origin_asns"].split()[0]))
                if rec is not None and (rec.org_name or rec.name):
                    idents.append(Identifier(IdKind.NAME, rec.org_name or rec.name, "flow:as-name", Strength.WEAK))
            attrs.update({
                "bytes": str(int(row["to_bytes"]) + int(row["from_bytes"])), "to_bytes": str(row["to_bytes"]),
                "from_bytes": str(row["from_bytes"]), "packets": str(int(row["to_packets"]) + int(row["from_packets"])),
                "flows": str(row["flows"]), "records": str(row["records"]), "hosts": str(hosts.get(row["unit"], 0)),
                "counted_records": str(row["counted"]),  # a transit record counts once, for its first side
                "first_seen": iso_time(row["first"]) or "", "last_seen": iso_time(row["last"]) or "",
            })
            line = int(row["ref"]) & ((1 << 40) - 1)
            observations.append(Observation(id=f"{path.name}:{oid}", kind="flow", source=SourceRef(name, line),
                                            identifiers=idents, attributes=attrs))
        return ReadResult(observations, stats)

    @staticmethod
    def _dns(pln, name: str) -> ReadResult:
        from ..readers.flowlogs import problems
        from .engine import reader_of

        part = pln.dns_parts[0]
        stats = pln.stats[name]
        chunks = list(reader_of(part.format).read_part(part, stats))
        problems.finish(stats)
        frames = [pl.DataFrame({"name": c.name, "hi": c.hi, "lo": c.lo, "line": c.line},
                               schema={"name": pl.String, "hi": pl.UInt64, "lo": pl.UInt64, "line": pl.Int64})
                  for c in chunks if len(c)]
        if not frames:
            return ReadResult([], stats)
        df = pl.concat(frames).with_row_index("row")
        # a record counts once, for the first name it resolves (its query; a CNAME alias of it counts none), so
        # that the observations' counted_records add up to the records read with answers
        owner = df.group_by("line").agg(pl.col("name").sort_by("row").first()).group_by("name").agg(
            pl.len().alias("counted"))
        per = df.group_by("name").agg(pl.col("line").n_unique().alias("queries"), pl.col("line").min().alias("first"),
                                      pl.struct("hi", "lo").n_unique().alias("addresses"))
        per = per.join(owner, on="name", how="left").with_columns(pl.col("counted").fill_null(0)).sort("name")
        observations = [
            Observation(id=f"{Path(name).name}:dns:{n}", kind="destination", source=SourceRef(name, int(first)),
                        identifiers=[Identifier(IdKind.DOMAIN, n, "zeek-dns:query", Strength.MODERATE)],
                        attributes={"name": n, "queries": str(q), "addresses": str(a), "counted_records": str(c)})
            for n, q, first, a, c in per.select("name", "queries", "first", "addresses", "counted").iter_rows()
        ]
        return ReadResult(observations, stats)

