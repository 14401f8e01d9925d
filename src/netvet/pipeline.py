"""The audit pipeline: read evidence -> attribute -> evaluate policies -> report."""

from __future__ import annotations

import copyreg
import pickle
import tempfile
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import chain, repeat
from pathlib import Path

from . import __version__
from .analyses.caps import MAX_LISTED, CapItem, in_population
from .analyses.caps import _group_key as cap_group_key
from .analyses.concentration import concentration
from .analyses.risk import RiskData
from .attribution.fingerprints import FingerprintDB
from .attribution.kev import load_kev
from .attribution.packages import PackageRules
from .attribution.registry import Registry
from .attribution.resolve import Attributor
from .attribution.sdk_signatures import SdkSignatures
from .model import (
    Attribution,
    Finding,
    InputError,
    Observation,
    PolicyInfo,
    ReadStats,
    Report,
)
from .policies import Pack, resolve_pack
from .policies.evaluator import (  # noqa: F401 - re-exported: other modules import them from here
    NO_ANALYSIS,
    Evaluator,
    PlacedRoles,
    asset_facts,
    asset_reads,
    facts_for,
    finding_entity,
    finding_reasons,
)
from .policies.frameworks import (
    Framework,
    control_status,
    framework_packs,
    load_framework,
    resolve_framework_path,
)
from .policies.roles import RoleVocabulary
from .policies.waivers import WaiverSet, apply_waivers, load_waivers
from .readers import detect, load_all
from .readers.base import ReadResult, ReadStream, Reference
from .util.yamlfile import DataValidationError


def load_fingerprints(registry: Registry, extra: Iterable[str | Path] = ()) -> FingerprintDB:
    """The bundled fingerprints plus the user's files, validated against ``registry``."""
    return FingerprintDB.load(set(registry.entities), registry.sources, extra=list(extra))


@dataclass
class Context:
    """Everything an audit needs besides the evidence: registry, attributor, policy packs, date."""

    registry: Registry
    attributor: Attributor
    packs: list[Pack]
    on: date = field(default_factory=date.today)
    risk: RiskData | None = None
    frameworks: list[Framework] = field(default_factory=list)
    waivers: WaiverSet | None = None
    datasets: list[dict] = field(default_factory=list)
    roles: RoleVocabulary | None = None

    @classmethod
    def build(cls, policies: Iterable[str], registry: Registry | None = None, on: date | None = None,
              macs=None, pens=None, kev: str | Path | None = None, risk_dir: str | Path | None = None,
              frameworks: Iterable[str] = (), waivers: str | Path | None = None,
              fingerprints: FingerprintDB | None = None,
              fingerprint_files: Iterable[str | Path] = (), mac_cache=None) -> Context:
        """Load the registry (default bundled), identifier registries, fingerprints, policy packs (plus those the
        frameworks need), frameworks, waivers and risk data. The bundled fingerprints name bundled-registry
        entities: with a registry that lacks some of them, none are used unless ``fingerprints`` is given.
        Without ``macs``, the MAC registry is read through ``mac_cache`` (an ``attribution.oui_cache.
        MacIndexCache``; default: the one in ``datasets.store.netvet_cache()``)."""
        explicit_registry = registry is not None
        registry = registry or Registry.load()
        if fingerprints is None:
            try:
                fingerprints = load_fingerprints(registry, fingerprint_files)
            except DataValidationError:
                if fingerprint_files or not explicit_registry:
                    raise
                fingerprints = FingerprintDB()  # the bundled fingerprints name entities this registry lacks
        try:
            packages = PackageRules.load(set(registry.entities), registry.sources)
        except DataValidationError:
            if not explicit_registry:
                raise
            packages = None  # the bundled package rules name entities this registry lacks
        try:
            sdks = SdkSignatures.load(set(registry.entities), registry.sources)
        except DataValidationError:
            if not explicit_registry:
                raise
            sdks = None  # the bundled SDK signatures name entities this registry lacks
        on = on or date.today()
        used: list[dict] = []
        if macs is None:
            from .attribution.identifier_sources import identifier_registries
            from .attribution.oui_cache import MacIndexCache
            from .datasets.store import netvet_cache

            macs, default_pens, used = identifier_registries(mac_cache=mac_cache or MacIndexCache(netvet_cache()))
            pens = pens if pens is not None else default_pens
        packs = [resolve_pack(p, registry) for p in policies]
        fw_paths = [resolve_framework_path(f) for f in frameworks]
        for fp in fw_paths:
            have = {p.id for p in packs}
            packs += [resolve_pack(p, registry) for p in framework_packs(fp) if p not in have]
        by_id = {p.id: p for p in packs}
        fws = [load_framework(fp, by_id) for fp in fw_paths]
        wset = load_waivers(waivers, packs, registry) if waivers is not None else None
        risk = RiskData.load(risk_dir, registry if risk_dir is None and registry.title.startswith("netvet") else None)
        if kev is None:
            from .datasets import stored

            kev, info = stored("cisa-kev")
            if kev is not None:
                used.append(info.to_dict())
        if kev is not None:
            counts = load_kev(kev, registry)
            risk.kev_counts, risk.kev_dataset = counts.per_entity, counts.dataset
        attributor = Attributor(registry, macs=macs, pens=pens, on=on, fingerprints=fingerprints,
                                packages=packages, sdks=sdks)
        return cls(registry, attributor, packs, on, risk, fws, wset, used, RoleVocabulary.load())


def supplier_key(ctx: Context, att: Attribution) -> str | None:
    """The supplier an asset counts for in concentration: the ultimate parent of the attributed entity."""
    return ctx.registry.ultimate_parent(att.entity_id, ctx.on) if att.entity_id else None


def evaluate_observations(ctx: Context,
                          observations: list[Observation]) -> tuple[dict[str, Attribution], list[Finding]]:
    """Attribute ``observations``, analyse them as one population and evaluate every pack on each (the in-memory
    form of :func:`stream_audit`, with the same :class:`Population` and :func:`observation_findings`)."""
    attributions = {obs.id: ctx.attributor.observation(obs) for obs in observations}
    population = Population(ctx)
    for obs in observations:
        population.add(obs, attributions[obs.id])
    population.finish()
    evaluator = Evaluator(ctx)
    findings: list[Finding] = []
    for obs in observations:
        att = attributions[obs.id]
        findings.extend(observation_findings(ctx, evaluator, obs, att, *population.analysis(obs, att)))
    return attributions, findings


ASN_DATASETS = ("caida-pfx2as-v4", "caida-pfx2as-v6")


def load_prefix_index(paths: str | Path | list, engine: str = "auto"):
    """An IP -> origin AS ``PrefixIndex`` from one or several RIB (MRT or bgpdump text), AS-path list, IPASN or
    pfx2as files (merged: a prefix in several keeps every origin); ``engine``: the MRT decoder."""
    from .attribution.prefix_index import PrefixIndex
    from .readers.route_evidence import prefix_origins_of

    files = paths if isinstance(paths, list | tuple) else [paths]
    return PrefixIndex.from_tables([prefix_origins_of(p, engine) for p in files])


def default_prefix_index(asn_db: Path | None = None):
    """An IP -> ASN index: ``asn_db`` (``--asn-db``: a RIB, IPASN or pfx2as file), else the active ``netvet data``
    pfx2as datasets (:data:`ASN_DATASETS`), else None."""
    if asn_db is not None:
        return load_prefix_index(asn_db)
    from .attribution.prefix_index import PrefixIndex
    from .datasets import active_path
    from .readers.ipasn import read_prefix_origins

    tables = []
    for name in ASN_DATASETS:
        try:
            p = active_path(name)
        except Exception:  # unknown dataset or unreadable store: no default
            p = None
        if p is not None:
            tables.append(read_prefix_origins(p))
    return PrefixIndex.from_tables(tables) if tables else None


def fill_reference(reference: Reference) -> Reference:
    """``reference`` with the pipeline's loaders for what it lacks (each runs on first use, once per batch):
    ``prefix_index`` (:func:`default_prefix_index` of its ``asn_db``), ``sdk_signatures`` (the bundled SDK
    signatures, for APKs) and ``inventory_context`` (the default :class:`Context`, for a bundle's inventory
    drift)."""
    asn_db = reference.asn_db
    for name, load in (("prefix_index", lambda: default_prefix_index(asn_db)),
                       ("sdk_signatures", SdkSignatures.load_unchecked),
                       ("inventory_context", lambda: Context.build([]))):
        reference.loaders.setdefault(name, load)
    return reference


def complete(path: Path, result: ReadResult, reference: Reference) -> ReadResult:
    """A reader's result as observations: routes become one observation per AS (``analyses.route_observations``,
    counted per AS), a bundle manifest adds its inventory drift (``analyses.inventory_drift``, attributed with the
    reference's ``inventory_context``)."""
    if result.routes is not None:
        from .analyses.route_observations import route_observations

        observations, stats = route_observations(path, result.routes, result.stats)
        for obs in observations:
            obs.attributes.update(result.attributes)
        result = ReadResult(result.observations + observations, stats)
    if result.bundle is not None:
        from .analyses.inventory_drift import drift

        ctx = reference.get("inventory_context")
        found = drift(Path(path), result.bundle, result.stats, ctx.attributor, ctx.registry, ctx.on)
        result.observations.extend(found)
        result.stats.read += len(found)
        result.bundle = None
    return result


def expand_inputs(paths: Iterable[str | Path]) -> list[Path]:
    """The files to read: each file as given; a directory stands for every file under it (sorted, hidden files
    and folders left out); a missing path raises InputError."""
    out: list[Path] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            found = sorted(f for f in path.rglob("*") if f.is_file()
                           and not any(part.startswith(".") for part in f.relative_to(path).parts))
            if not found:
                raise InputError(str(p), "directory holds no files")
            out.extend(found)
        elif not path.exists():
            raise InputError(str(p), "file not found")
        else:
            out.append(path)
    return out


def read_inputs(paths: Iterable[str | Path], input_format: str | None = None,
                progress: Callable[[str, int, int], None] | None = None,
                reader_options: dict | None = None,
                asn_db: Path | None = None) -> tuple[list[Observation], list[ReadStats]]:
    """Read every input with the reader its format needs.

    ``asn_db`` (``--asn-db``) is the IP -> ASN file of the readers that need one (traceroutes, flow logs; None:
    the active datasets): it reaches them as the reader option ``reference``, one per batch, so that what is
    loaded from it is loaded once for all the inputs.

    One input that cannot be read (unknown format, unreadable, no record at all) does not stop the batch: its
    ``ReadStats.failed`` holds the reason and the others are read. When every input fails, the first failure is
    raised as InputError. (The list of :class:`InputStream`, which ``netvet audit`` consumes as a stream.)"""
    stream = InputStream(paths, input_format, progress, reader_options, asn_db)
    return list(stream), stream.stats


def run_audit(paths: Iterable[str | Path], ctx: Context, input_format: str | None = None,
              progress: Callable[[str, int, int], None] | None = None, sample_data: bool = False,
              reader_options: dict | None = None, asn_db: Path | None = None) -> Report:
    observations, stats = read_inputs(paths, input_format, progress, reader_options, asn_db)
    return build_report(ctx, observations, stats, sample_data=sample_data)


def count_attributions(stats: list[ReadStats], observations: list[Observation],
                       attributions: dict[str, Attribution]) -> None:
    """Fill each input's attributed / unattributed counts, in the input's unit: an observation is attributed
    when a curated entity is positively established (weak, generic and registry-only evidence count as
    unattributed). An observation that stands for several records of its input (a remote party of a flow log:
    attribute ``counted_records``, where a transit record counts for one of its two sides) counts that many."""
    by_file: dict[str, ReadStats] = {s.file: s for s in stats}
    for s in stats:
        s.attributed = s.unattributed = 0
    for obs in observations:
        _count_attribution(by_file, obs, attributions[obs.id])


def build_report(ctx: Context, observations: list[Observation], stats: list[ReadStats],
                 sample_data: bool = False) -> Report:
    attributions, findings = evaluate_observations(ctx, observations)
    waiver_status = None
    if ctx.waivers is not None:
        hostnames = {o.id: o.attributes.get("hostname", "") for o in observations}
        waiver_status = {"file": ctx.waivers.file, **apply_waivers(findings, ctx.waivers, ctx.on, hostnames)}
    count_attributions(stats, observations, attributions)
    return report_for(ctx, observations, stats, attributions, findings, sample_data=sample_data,
                      datasets=list(ctx.datasets), waivers=waiver_status)


def report_for(ctx: Context, observations: list[Observation], stats: list[ReadStats],
               attributions: dict[str, Attribution], findings: list[Finding], **extra) -> Report:
    """A Report of evaluated evidence: run metadata, the packs, and the controls of every framework."""
    return Report(
        generated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        evaluated_on=ctx.on.isoformat(),
        netvet_version=__version__,
        registry_version=ctx.registry.version,
        policies=[PolicyInfo(p.id, p.meta.title, p.meta.version, p.meta.approach, p.meta.vendor_neutral, p.file)
                  for p in ctx.packs],
        inputs=stats,
        observations=observations,
        attributions=attributions,
        findings=findings,
        controls=[row for fw in ctx.frameworks for row in control_status(fw, findings)],
        **extra,
    )


# ------------------------------------------------------------------------------------------ streaming audit
# `netvet audit` consumes its evidence as a stream: observations are attributed as they are read (pass 1, which
# keeps only what the whole-population analyses need and spools each batch of (observation, attribution) to a
# temporary file), then evaluated batch by batch from the spool (pass 2, repeatable: the report's tally, then its
# findings as they are written). Memory is bounded by the batch, the distinct fact sets and the population keys,
# not by the number of rows; findings are never all held at once (reporters/json_report.py streams them).

BATCH = 2000  # observations evaluated (and spooled) together


@dataclass
class _CapSupplier:
    name: str
    assets: int = 0
    sites: set[str] = field(default_factory=set)
    subjects: list[str] = field(default_factory=list)  # the first MAX_LISTED
    labels: list[str] = field(default_factory=list)


@dataclass
class _CapGroupTally:
    assets: int = 0
    sites: set[str] = field(default_factory=set)
    unattributed: int = 0
    suppliers: dict[str, _CapSupplier] = field(default_factory=dict)


class Population:
    """The whole-population analyses (supplier concentration, the packs' share caps) accumulated one observation
    at a time: :meth:`add` every observation, :meth:`finish`, then :meth:`analysis` gives an observation's
    analysis facts and cap figures, exactly as ``concentration_facts`` / ``cap_analysis`` over the whole list.
    Held: one small integer per observation (its concentration key), the distinct keys, and per cap group and
    supplier its counts, sites and the first ``MAX_LISTED`` subjects a finding lists."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.roles = PlacedRoles(ctx.roles) if ctx.roles is not None else None
        self.caps = list({c.id: c for p in ctx.packs for c in p.caps}.values())
        self._keys: dict[tuple, int] = {}
        self._key_list: list[tuple[str, str, str | None]] = []
        self._order = array("l")
        self._caps: dict[str, dict[str, _CapGroupTally]] = {c.id: {} for c in self.caps}
        self._figures: dict[tuple[str, str, str], tuple[dict, float, bool]] = {}
        self._groups: dict | None = None

    def _item(self, obs: Observation, att: Attribution, asset: dict) -> CapItem:
        supplier = supplier_key(self.ctx, att) if att.positive else None
        ents = self.ctx.registry.entities
        return CapItem(obs.id, obs.label, asset["site"], asset["operator"], obs.attributes.get("site_group", ""),
                       asset["domain"], asset["function"], supplier,
                       ents[supplier].legal_name if supplier in ents else "")

    def add(self, obs: Observation, att: Attribution) -> None:
        a = asset_facts(obs, self.roles)
        key = (a["site"], a["function"], supplier_key(self.ctx, att))
        idx = self._keys.get(key)
        if idx is None:
            idx = self._keys[key] = len(self._key_list)
            self._key_list.append(key)
        self._order.append(idx)
        if not self.caps:
            return
        item = self._item(obs, att, a)
        for cap in self.caps:
            if not in_population(cap, item):
                continue
            g = self._caps[cap.id].setdefault(cap_group_key(item, cap.group_by), _CapGroupTally())
            g.assets += 1
            g.sites.add(item.site or "(no site)")
            if not item.supplier:
                g.unattributed += 1
                continue
            s = g.suppliers.get(item.supplier)
            if s is None:
                s = g.suppliers[item.supplier] = _CapSupplier(item.supplier_name or item.supplier)
            s.assets += 1
            s.sites.add(item.site or "(no site)")
            if len(s.subjects) < MAX_LISTED:
                s.subjects.append(item.subject)
                s.labels.append(item.label)

    def finish(self) -> None:
        """Compute the groups' figures once every observation was added."""
        self._groups = concentration(self._key_list[i] for i in self._order)
        self._order = array("l")
        for cap in self.caps:
            for group, g in sorted(self._caps[cap.id].items()):
                for supplier, s in g.suppliers.items():
                    share_assets = round(s.assets / g.assets, 4)
                    share_sites = round(len(s.sites) / len(g.sites), 4)
                    share = share_sites if cap.measure == "sites" else share_assets
                    fig = {"cap": cap.id, "title": cap.title, "group_by": cap.group_by, "group": group,
                           "measure": cap.measure, "limit": cap.limit, "population_assets": g.assets,
                           "population_sites": len(g.sites), "unattributed": g.unattributed,
                           "supplier": supplier, "name": s.name, "assets": s.assets, "sites": len(s.sites),
                           "share": share, "share_assets": share_assets, "share_sites": share_sites,
                           "exceeded": share > cap.limit, "subjects": list(s.subjects), "labels": list(s.labels),
                           "more": max(0, s.assets - MAX_LISTED)}
                    self._figures[(cap.id, group, supplier)] = (fig, share, share > cap.limit)

    def analysis(self, obs: Observation, att: Attribution) -> tuple[dict, dict[str, dict], dict]:
        """The analysis facts of ``obs``, its cap figures by cap id, and its asset facts."""
        a = asset_facts(obs, self.roles)
        supplier = supplier_key(self.ctx, att)
        g = self._groups[(a["site"], a["function"])]
        out = {**NO_ANALYSIS, "concentration": g.hhi, "group_size": g.assets,
               "supplier_share": g.shares.get(supplier, 0.0) if supplier else 0.0}
        figures: dict[str, dict] = {}
        if not self.caps:
            return out, figures, a
        item = self._item(obs, att, a)
        share = {c.id: 0.0 for c in self.caps}
        exceeded = {c.id: False for c in self.caps}
        for cap in self.caps:
            if item.supplier and in_population(cap, item):
                fig, share[cap.id], exceeded[cap.id] = self._figures[(cap.id, cap_group_key(item, cap.group_by),
                                                                      item.supplier)]
                figures[cap.id] = fig
        return {**out, "cap_share": share, "cap_exceeded": exceeded}, figures, a


def observation_findings(ctx: Context, evaluator: Evaluator, obs: Observation, att: Attribution, analysis: dict,
                         figures: dict[str, dict], asset: dict | None = None) -> list[Finding]:
    """One finding per pack for ``obs`` (evaluations shared through ``evaluator``, one per distinct fact set;
    ``asset``: the asset facts of ``obs``, when known)."""
    facts = evaluator.facts(obs, att, analysis, asset)
    ent = finding_entity(ctx, att)
    ident = att.decided_by.identifier.to_dict() if att.decided_by else None
    return [Finding(subject=obs.id, label=obs.label, source=obs.source, policy=pack.id, verdict=ev.verdict,
                    rule_ids=ev.rule_ids, reasons=finding_reasons(ev, att), citations=ev.citations, entity=ent,
                    identifier=ident, severity=ev.severity, role=obs.role, site=obs.site,
                    controls=evaluator.controls(pack, ev, facts), deadlines=list(ev.deadlines),
                    caps=[figures[c.id] for c in pack.caps if c.id in figures])
            for pack, ev in evaluator.evaluate_all(facts)]


class InputStream:
    """The observations of every input, one at a time (``Reader.stream``), with their ``stats`` (one ReadStats
    per input, final once iterated to the end). Inputs are opened in turn; the batch is read up to its first
    observation here, so that a batch none of whose inputs yields one is refused (InputError) before any reference
    data is loaded. Failures as in :func:`read_inputs`: an input that cannot be read, or holds no record, gets
    ``ReadStats.failed``; when every input fails, the first failure is raised."""

    def __init__(self, paths: Iterable[str | Path], input_format: str | None = None,
                 progress: Callable[[str, int, int], None] | None = None, reader_options: dict | None = None,
                 asn_db: Path | None = None) -> None:
        load_all()
        self.files = expand_inputs(paths)
        self.stats: list[ReadStats] = []
        self.failures: list[InputError] = []
        self._format = input_format
        self._progress = progress
        self._options = dict(reader_options or {})
        self._reference = self._options["reference"] = fill_reference(self._options.get("reference")
                                                                       or Reference(asn_db))
        self._next = 0
        self._current: ReadStream | None = None
        self._yielded = 0  # observations of the current input so far
        self._first = self._advance()
        if self._first is None:
            self._check()

    def _open_next(self) -> ReadStream | None:
        while self._next < len(self.files):
            path = self.files[self._next]
            self._next += 1
            cb = (lambda done, total, _n=str(path), _p=self._progress: _p(_n, done, total)) if self._progress else None
            try:
                reader = detect(path, self._format, self._options)
                if reader.streams():
                    stream = reader.stream(path, cb)
                else:
                    result = complete(path, reader.read(path, cb), self._reference)
                    stream = ReadStream(iter(result.observations), result.stats)
            except InputError as exc:
                self.failures.append(exc)
                self.stats.append(ReadStats(file=str(path), format=self._format or "unknown",
                                            failed=exc.issue.reason))
                continue
            self.stats.append(stream.stats)
            return stream
        return None

    def _advance(self) -> Observation | None:
        """The next observation of the batch (None at its end), opening the inputs in turn; an input read to its
        end without a record is marked failed."""
        while True:
            if self._current is None:
                self._current, self._yielded = self._open_next(), 0
                if self._current is None:
                    return None
            try:
                obs = next(self._current.observations, None)
            except InputError as exc:  # the input became unreadable part-way (e.g. past a decompression limit)
                self._fail_midway(exc)
                continue
            if obs is not None:
                self._yielded += 1
                return obs
            s = self._current.stats
            if s.read == 0 and self._yielded == 0:
                why = next((i.reason for i in s.issues), None)
                s.failed = "no records in this input" + (f" ({why})" if why else "")
                self.failures.append(InputError(s.file, s.failed))
            self._current = None

    def _fail_midway(self, exc: InputError) -> None:
        """An input whose stream raised after it was opened: failed (the batch goes on), saying how many of its
        observations had already gone on to the audit, which keeps them."""
        s = self._current.stats
        s.failed = exc.issue.reason + (f" (after {self._yielded} of its observations had been read; the audit "
                                       "keeps them, the rest of this input was not read)" if self._yielded else "")
        self.failures.append(InputError(s.file, s.failed, line=exc.issue.line, offset=exc.issue.offset))
        self._current.close()
        self._current = None

    def _check(self) -> None:
        if self.failures and len(self.failures) == len(self.files):
            raise self.failures[0]

    def __iter__(self) -> Iterator[Observation]:
        obs, self._first = self._first, None
        while obs is not None:
            yield obs
            obs = self._advance()
        self._check()

    def close(self) -> None:
        if self._current is not None:
            self._current.close()
            self._current = None


def _count_attribution(by_file: dict[str, ReadStats], obs: Observation, att: Attribution) -> None:
    """One observation in its input's attributed / unattributed count (see :func:`count_attributions`)."""
    s = by_file.get(obs.source.file)
    if s is None:
        return
    weight = obs.attributes.get("counted_records", "1")
    n = int(weight) if weight.isascii() and weight.isdigit() and len(weight) < 19 else 1
    if att.positive:
        s.attributed += n
    else:
        s.unattributed += n


@dataclass(frozen=True, slots=True)
class _Tallied:
    """What a report's summary and controls read of a finding (or of an attribution: status, positive)."""

    policy: str = ""
    verdict: str = ""
    entity: dict | None = None
    site: str | None = None
    controls: tuple[str, ...] = ()
    status: str = ""
    positive: bool = False


class _Repeated:
    """A re-iterable of each key's ``_Tallied`` repeated its count (what ``Report.summary`` and
    ``control_status`` iterate, without a finding per row)."""

    def __init__(self, counts: Iterable[tuple[_Tallied, int]]) -> None:
        self.counts = list(counts)

    def __iter__(self) -> Iterator[_Tallied]:
        return chain.from_iterable(repeat(k, n) for k, n in self.counts)

    def __len__(self) -> int:
        return sum(n for _, n in self.counts)

    def values(self) -> _Repeated:
        return self


def _entity_key(entity: dict | None) -> tuple | None:
    return tuple(entity.items()) if entity is not None else None


class AuditRun:
    """An audit over a stream of observations (:func:`stream_audit`): the inputs' stats, the observation count,
    and :meth:`batches` of (observation, attribution, findings) evaluated from the spool on each call. The
    report's head (:meth:`head`: every field of ``Report.to_dict`` but findings and observations, with the
    summary, controls and waivers of every finding) takes one evaluation pass; :meth:`report` materialises the
    whole Report (as ``build_report`` would) for the formats that need it all at once."""

    def __init__(self, ctx: Context, inputs: list[ReadStats], spool, count: int, population: Population,
                 statuses: dict[_Tallied, int], sample_data: bool = False) -> None:
        self.ctx = ctx
        self.inputs = inputs
        self.count = count
        self.population = population
        self.statuses = statuses
        self.sample_data = sample_data
        self.evaluator = Evaluator(ctx)
        self._spool = spool
        self._tally: tuple[dict, list[dict], dict | None, set[str]] | None = None
        self._waived: set[str] = set()  # waiver ids applied by the last pass
        self.generated_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def pairs(self) -> Iterator[list[tuple[Observation, Attribution]]]:
        """The spooled batches of (observation, attribution), in reading order (one pass over the spool at a
        time: a pass seeks it back to its start)."""
        self._spool.seek(0)
        while True:
            try:
                yield pickle.load(self._spool)
            except EOFError:
                return

    def batches(self) -> Iterator[list[tuple[Observation, Attribution, list[Finding]]]]:
        """Each batch of observations with its attribution and findings (waivers applied)."""
        ctx = self.ctx
        for batch in self.pairs():
            out = []
            for obs, att in batch:
                out.append((obs, att, observation_findings(ctx, self.evaluator, obs, att,
                                                           *self.population.analysis(obs, att))))
            if ctx.waivers is not None:
                hostnames = {o.id: o.attributes.get("hostname", "") for o, _, _ in out}
                applied = apply_waivers([f for _, _, fs in out for f in fs], ctx.waivers, ctx.on, hostnames)
                self._waived.update(applied["applied"])
            yield out

    def findings(self) -> Iterator[Finding]:
        for batch in self.batches():
            for _, _, fs in batch:
                yield from fs

    def tally(self) -> tuple[dict, list[dict], dict | None, set[str]]:
        """(summary, controls, waivers, verdicts) over every finding: one evaluation pass, done once."""
        if self._tally is None:
            self._waived = set()
            counts: dict[tuple, int] = {}
            for k in self._tally_keys():
                counts[k] = counts.get(k, 0) + 1
            findings = _Repeated((_Tallied(p, v, dict(e) if e is not None else None, site, controls), n)
                                 for (p, v, e, site, controls), n in counts.items())
            shell = Report("", "", "", "", inputs=self.inputs, observations=_Repeated([(_Tallied(), self.count)]),
                           attributions=_Repeated(self.statuses.items()), findings=findings)
            controls = [row for fw in self.ctx.frameworks for row in control_status(fw, findings)]
            waivers = None
            if self.ctx.waivers is not None:
                base = apply_waivers([], self.ctx.waivers, self.ctx.on)
                active = {w.id for w in self.ctx.waivers.active(self.ctx.on)}
                waivers = {"file": self.ctx.waivers.file, "applied": sorted(self._waived),
                           "expired": base["expired"], "unused": sorted(active - self._waived)}
            self._tally = (shell.summary(), controls, waivers, {k[1] for k in counts})
        return self._tally

    def _tally_keys(self) -> Iterator[tuple]:
        """(policy, verdict, entity items, site, controls) of every finding. Without waivers the verdicts are the
        evaluator's, and no Finding is built."""
        if self.ctx.waivers is not None:
            for f in self.findings():
                yield f.policy, str(f.verdict), _entity_key(f.entity), f.site, tuple(f.controls)
            return
        ctx, ev_, entities = self.ctx, self.evaluator, {}
        for batch in self.pairs():
            for obs, att in batch:
                analysis, _, asset = self.population.analysis(obs, att)
                facts = ev_.facts(obs, att, analysis, asset)
                ek = (att.entity_id, att.decided_by.org_name if att.decided_by else None,
                      att.decided_by.country if att.decided_by else None)
                ent = entities.get(ek)
                if ent is None:
                    ent = entities[ek] = (_entity_key(finding_entity(ctx, att)),)
                for pack, ev in ev_.evaluate_all(facts):
                    yield pack.id, str(ev.verdict), ent[0], obs.site, tuple(ev_.controls(pack, ev, facts))

    @property
    def verdicts(self) -> set[str]:
        """The verdicts of the run's findings (what ``--fail-on`` reads)."""
        return self.tally()[3]

    def _shell(self) -> Report:
        ctx = self.ctx
        return Report(generated_at=self.generated_at, evaluated_on=ctx.on.isoformat(), netvet_version=__version__,
                      registry_version=ctx.registry.version,
                      policies=[PolicyInfo(p.id, p.meta.title, p.meta.version, p.meta.approach,
                                           p.meta.vendor_neutral, p.file) for p in ctx.packs],
                      inputs=self.inputs, datasets=list(ctx.datasets), sample_data=self.sample_data)

    def head(self) -> dict:
        """``Report.to_dict`` without ``findings`` and ``observations`` (the fields before them, in order)."""
        summary, controls, waivers, _ = self.tally()
        d = self._shell().to_dict()
        d.update(summary=summary, controls=list(controls), waivers=waivers)
        del d["findings"], d["observations"]
        return d

    def report(self) -> Report:
        """The whole Report in memory (what ``build_report`` returns for the same evidence)."""
        summary, controls, waivers, _ = self.tally()
        r = self._shell()
        self._waived = set()
        for batch in self.batches():
            for obs, att, fs in batch:
                r.observations.append(obs)
                r.attributions[obs.id] = att
                r.findings.extend(fs)
        r.controls, r.waivers = controls, waivers
        return r

    def close(self) -> None:
        self._spool.close()


def _spool_table() -> dict:
    """Pickle reducers for the spool: each model dataclass rebuilt by its constructor from its fields (several
    times faster to load than the default state of a slots dataclass)."""
    from dataclasses import fields

    from .model import EvidenceStep, Identifier, IdentifierAttribution, SourceRef

    table = copyreg.dispatch_table.copy()
    for cls in (Observation, SourceRef, Identifier, Attribution, IdentifierAttribution, EvidenceStep):
        names = tuple(f.name for f in fields(cls))
        table[cls] = lambda o, cls=cls, names=names: (cls, tuple(getattr(o, n) for n in names))
    return table


def _spool(batch: list, spool, table: dict) -> None:
    p = pickle.Pickler(spool, pickle.HIGHEST_PROTOCOL)
    p.dispatch_table = table
    p.dump(batch)


def stream_audit(ctx: Context, observations: Iterable[Observation], stats: list[ReadStats],
                 sample_data: bool = False, batch: int = BATCH) -> AuditRun:
    """Attribute ``observations`` as they come (``stats``: their inputs' ReadStats, which may grow while they are
    iterated, e.g. an :class:`InputStream`'s) and return the :class:`AuditRun` that evaluates them."""
    population = Population(ctx)
    statuses: dict[_Tallied, int] = {}
    spool = tempfile.TemporaryFile(prefix="netvet-audit-")  # noqa: SIM115 - the AuditRun closes it
    count = 0
    table = _spool_table()
    try:
        pending: list[tuple[Observation, Attribution]] = []
        by_file: dict[str, ReadStats] = {}
        for obs in observations:
            att = ctx.attributor.observation(obs)
            population.add(obs, att)
            if len(by_file) < len(stats) and obs.source.file not in by_file:  # an input opened since
                for st in stats:
                    if st.file not in by_file:
                        st.attributed = st.unattributed = 0
                        by_file[st.file] = st
            _count_attribution(by_file, obs, att)
            k = _Tallied(status=str(att.status), positive=att.positive)
            statuses[k] = statuses.get(k, 0) + 1
            pending.append((obs, att))
            count += 1
            if len(pending) >= batch:
                _spool(pending, spool, table)
                pending = []
        if pending:
            _spool(pending, spool, table)
        for st in stats:
            if st.file not in by_file:  # no observation (failed, or nothing but malformed records)
                st.attributed = st.unattributed = 0
        population.finish()
    except BaseException:
        spool.close()
        raise
    return AuditRun(ctx, stats, spool, count, population, statuses, sample_data)
