"""The audit pipeline: read evidence -> attribute -> evaluate policies -> report."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from . import __version__
from .analyses.caps import CapItem, analyse_caps
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
from .readers.base import Reference
from .util.yamlfile import DataValidationError

MAC_DATASETS = ("ieee-ma-l", "ieee-ma-m", "ieee-ma-s", "ieee-iab")


def _dataset(name: str):
    from .datasets import active_path, dataset_info

    info = dataset_info(name)
    return (active_path(name) if info is not None and info.origin != "bundled" else None), info


def identifier_registries(mac_files: Iterable[str | Path] = (), pen_files: Iterable[str | Path] = ()):
    """MAC and PEN registries: netaddr's bundled IEEE data, then datasets fetched or imported with
    `netvet data` (newer blocks win), then the user's own files. Returns (macs, pens, datasets used)."""
    from .attribution.oui import MacRegistry
    from .attribution.pen import PenRegistry

    macs = MacRegistry.bundled()
    pens = PenRegistry.bundled()
    used: list[dict] = []
    for name in MAC_DATASETS:
        path, info = _dataset(name)
        if path is not None:
            macs.load(path, dataset=info.label)
        if info is not None:
            used.append(info.to_dict())
    path, info = _dataset("iana-pen")
    if path is not None:
        pens.load(path, dataset=info.label)
        used.append(info.to_dict())
    for p in mac_files:
        macs.load(p)
        used.append({"name": "user-mac-file", "path": str(p), "origin": "user"})
    for p in pen_files:
        pens.load(p)
        used.append({"name": "user-pen-file", "path": str(p), "origin": "user"})
    return macs, pens, used


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
              fingerprint_files: Iterable[str | Path] = ()) -> Context:
        """Load the registry (default bundled), identifier registries, fingerprints, policy packs (plus those the
        frameworks need), frameworks, waivers and risk data. The bundled fingerprints name bundled-registry
        entities: with a registry that lacks some of them, none are used unless ``fingerprints`` is given."""
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
            macs, default_pens, used = identifier_registries()
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
            kev, info = _dataset("cisa-kev")
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


def concentration_facts(ctx: Context, observations: list[Observation],
                        attributions: dict[str, Attribution]) -> dict[str, dict]:
    """Per observation: HHI of its (site, function) group, its supplier's share and the group size."""
    keyed = []
    for obs in observations:
        a = asset_facts(obs, ctx.roles)
        keyed.append((a["site"], a["function"], supplier_key(ctx, attributions[obs.id])))
    groups = concentration(keyed)
    out = {}
    for obs, (site, function, supplier) in zip(observations, keyed, strict=True):
        g = groups[(site, function)]
        out[obs.id] = {**NO_ANALYSIS, "concentration": g.hhi, "group_size": g.assets,
                       "supplier_share": g.shares.get(supplier, 0.0) if supplier else 0.0}
    return out


def cap_analysis(ctx: Context, observations: list[Observation], attributions: dict[str, Attribution]):
    """The share caps the packs declare (analyses/caps.py), over these observations; None without caps."""
    caps = {c.id: c for p in ctx.packs for c in p.caps}
    if not caps:
        return None
    items = []
    for obs in observations:
        a = asset_facts(obs, ctx.roles)
        supplier = supplier_key(ctx, attributions[obs.id]) if attributions[obs.id].positive else None
        name = ctx.registry.entities[supplier].legal_name if supplier in ctx.registry.entities else ""
        items.append(CapItem(obs.id, obs.label, a["site"], a["operator"], obs.attributes.get("site_group", ""),
                             a["domain"], a["function"], supplier, name))
    return analyse_caps(list(caps.values()), items)


def evaluate_observations(ctx: Context,
                          observations: list[Observation]) -> tuple[dict[str, Attribution], list[Finding]]:
    attributions = {obs.id: ctx.attributor.observation(obs) for obs in observations}
    analysis = concentration_facts(ctx, observations, attributions)
    caps = cap_analysis(ctx, observations, attributions)
    if caps is not None:
        for oid, cap_facts in caps.facts.items():
            analysis[oid] = {**analysis[oid], **cap_facts}
    findings: list[Finding] = []
    evaluator = Evaluator(ctx)
    for obs in observations:
        att = attributions[obs.id]
        facts = evaluator.facts(obs, att, analysis[obs.id])
        ent = finding_entity(ctx, att)
        ident = att.decided_by.identifier.to_dict() if att.decided_by else None
        for pack, ev in evaluator.evaluate_all(facts):
            findings.append(Finding(
                subject=obs.id, label=obs.label, source=obs.source, policy=pack.id, verdict=ev.verdict,
                rule_ids=ev.rule_ids, reasons=finding_reasons(ev, att), citations=ev.citations, entity=ent,
                identifier=ident, severity=ev.severity, role=obs.role, site=obs.site,
                controls=evaluator.controls(pack, ev, facts), deadlines=list(ev.deadlines),
                caps=[caps.figures[obs.id][c.id] for c in pack.caps
                      if caps is not None and c.id in caps.figures.get(obs.id, {})],
            ))
    return attributions, findings


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
    raised as InputError."""
    load_all()
    observations: list[Observation] = []
    stats: list[ReadStats] = []
    failures: list[InputError] = []
    files = expand_inputs(paths)
    reader_options = dict(reader_options or {})
    reader_options.setdefault("reference", Reference(asn_db))
    for path in files:
        try:
            reader = detect(path, input_format, reader_options)
            cb = (lambda done, total, _n=str(path): progress(_n, done, total)) if progress else None
            result = reader.read(path, cb)
        except InputError as exc:
            failures.append(exc)
            stats.append(ReadStats(file=str(path), format=input_format or "unknown", failed=exc.issue.reason))
            continue
        if result.stats.read == 0 and not result.observations:
            why = next((i.reason for i in result.stats.issues), None)
            result.stats.failed = "no records in this input" + (f" ({why})" if why else "")
            failures.append(InputError(str(path), result.stats.failed))
        observations.extend(result.observations)
        stats.append(result.stats)
    if failures and len(failures) == len(files):
        raise failures[0]
    return observations, stats


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
        s = by_file.get(obs.source.file)
        if s is None:
            continue
        weight = obs.attributes.get("counted_records", "1")
        n = int(weight) if weight.isascii() and weight.isdigit() and len(weight) < 19 else 1
        if attributions[obs.id].positive:
            s.attributed += n
        else:
            s.unattributed += n


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
