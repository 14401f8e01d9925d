"""What the rest of netvet asks about datasets: which file to use, how old it is, whether it is stale.

Age is measured from the publisher's own date when the file or its name carries one, otherwise from
the last time netvet retrieved (or re-confirmed) the content. A version is stale when its age in whole
days exceeds the dataset's ``stale_after_days`` (default: the publisher's update cadence).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path

from . import _clock
from .catalogue import Catalogue, Dataset, load_catalogue
from .store import Manifest, Store


@dataclass(frozen=True)
class DatasetVersion:
    """The version of a dataset netvet uses now (fetched, imported or bundled)."""

    name: str
    version: str
    origin: str  # download | import | bundled
    path: Path | None
    retrieved_at: datetime | None
    published: datetime | None
    age_days: int | None
    stale: bool
    cadence_days: int
    stale_after_days: int
    url: str | None = None
    sha256: str | None = None

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"

    def to_dict(self) -> dict:
        def iso(d: datetime | None) -> str | None:
            return d.isoformat().replace("+00:00", "Z") if d else None

        return {
            "name": self.name, "version": self.version, "origin": self.origin,
            "path": str(self.path) if self.path else None, "retrieved_at": iso(self.retrieved_at),
            "published": iso(self.published), "age_days": self.age_days, "stale": self.stale,
            "cadence_days": self.cadence_days, "stale_after_days": self.stale_after_days, "url": self.url,
            "sha256": self.sha256,
        }


def _age(reference: datetime | None, now: datetime) -> int | None:
    if reference is None:
        return None
    return max(0, (now - reference).days)


def _from_manifest(ds: Dataset, m: Manifest, store: Store, now: datetime) -> DatasetVersion:
    age = _age(m.published or m.checked_at, now)
    return DatasetVersion(
        name=ds.name, version=m.version, origin=m.origin, path=store.path_of(m), retrieved_at=m.retrieved_at,
        published=m.published, age_days=age, stale=age is not None and age > ds.stale_after,
        cadence_days=ds.cadence_days, stale_after_days=ds.stale_after, url=m.url, sha256=m.sha256,
    )


def bundled_path(name: str, catalogue: Catalogue | None = None) -> Path | None:
    """The bundled copy of ``name`` (e.g. netaddr's IEEE data), or None when none ships or it is missing."""
    ds = (catalogue or load_catalogue()).get(name)
    if ds.bundled is None:
        return None
    try:
        path = Path(str(resources.files(ds.bundled.package).joinpath(ds.bundled.resource)))
    except (ModuleNotFoundError, TypeError):
        return None
    return path if path.is_file() else None


def _bundled_info(ds: Dataset, catalogue: Catalogue, now: datetime) -> DatasetVersion | None:
    if ds.bundled is None:
        return None
    path = bundled_path(ds.name, catalogue)
    if path is None:
        return None
    try:
        pkg = f"{ds.bundled.package}-{package_version(ds.bundled.package)}"
    except PackageNotFoundError:
        pkg = ds.bundled.package
    as_of = datetime(ds.bundled.as_of.year, ds.bundled.as_of.month, ds.bundled.as_of.day, tzinfo=UTC) \
        if ds.bundled.as_of else None
    age = _age(as_of, now)
    return DatasetVersion(
        name=ds.name, version=pkg, origin="bundled", path=path, retrieved_at=None, published=as_of,
        age_days=age, stale=age is not None and age > ds.stale_after, cadence_days=ds.cadence_days,
        stale_after_days=ds.stale_after,
    )


def active_path(name: str, *, catalogue: Catalogue | None = None, store: Store | None = None) -> Path | None:
    """The file of the active fetched or imported version of ``name``; None when there is none (the caller
    then uses its bundled data, see :func:`bundled_path`). Unknown names raise ``UnknownDataset``."""
    (catalogue or load_catalogue()).get(name)
    store = store or Store()
    manifest = store.active_manifest(name)
    return store.path_of(manifest) if manifest else None


def stored(name: str, catalogue: Catalogue | None = None) -> tuple[Path | None, DatasetVersion | None]:
    """(the file of the active fetched or imported version of ``name``, or None when its bundled copy or nothing
    is in use; the version in use, or None)."""
    catalogue = catalogue or load_catalogue()
    info = dataset_info(name, catalogue=catalogue)
    in_store = info is not None and info.origin != "bundled"
    return (active_path(name, catalogue=catalogue) if in_store else None), info


def dataset_info(
    name: str, *, now: datetime | None = None, catalogue: Catalogue | None = None, store: Store | None = None
) -> DatasetVersion | None:
    """The version of ``name`` in use: the active stored one, else the bundled copy, else None."""
    catalogue = catalogue or load_catalogue()
    ds = catalogue.get(name)
    store = store or Store()
    now = now or _clock.now()
    manifest = store.active_manifest(name)
    if manifest is not None:
        return _from_manifest(ds, manifest, store, now)
    return _bundled_info(ds, catalogue, now)


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def stale_warning(info: DatasetVersion) -> str | None:
    """The warning for one stale version, or None when it is current."""
    if not info.stale or info.age_days is None:
        return None
    if info.origin == "bundled":
        return (f"{info.name}: using the bundled copy ({info.version}), {_days(info.age_days)} old "
                f"(stale after {_days(info.stale_after_days)}); "
                f"run `netvet data fetch {info.name}` for current data")
    return (f"{info.name}: version {info.version} is {_days(info.age_days)} old (stale after "
            f"{_days(info.stale_after_days)}; the publisher updates it every {_days(info.cadence_days)}); "
            f"run `netvet data fetch {info.name}`")


def stale_warnings(
    names: list[str] | None = None, *, now: datetime | None = None, catalogue: Catalogue | None = None,
    store: Store | None = None,
) -> list[str]:
    """Warnings for the stale datasets among ``names`` (default: every dataset in use, bundled included)."""
    catalogue = catalogue or load_catalogue()
    store = store or Store()
    now = now or _clock.now()
    out = []
    for name in names if names is not None else catalogue.names():
        info = dataset_info(name, now=now, catalogue=catalogue, store=store)
        warning = stale_warning(info) if info else None
        if warning:
            out.append(warning)
    return out


def status(
    *, now: datetime | None = None, catalogue: Catalogue | None = None, store: Store | None = None
) -> list[dict]:
    """One row per catalogue dataset: state (active | bundled | not fetched | stored, none active), version,
    age, staleness and how many versions are stored."""
    catalogue = catalogue or load_catalogue()
    store = store or Store()
    now = now or _clock.now()
    rows = []
    for ds in catalogue:
        info = dataset_info(ds.name, now=now, catalogue=catalogue, store=store)
        stored = store.versions(ds.name)
        if info is not None and info.origin != "bundled":
            state = "active"
        elif info is not None:
            state = "bundled"
        elif stored:
            state = "stored, none active"
        else:
            state = "not fetched"
        fields = ("version", "origin", "age_days", "stale", "published", "retrieved_at", "path")
        d = info.to_dict() if info is not None else {}
        row = {"name": ds.name, "state": state, **{k: d.get(k) for k in fields}}
        row["stale"] = bool(row["stale"])
        row.update({"cadence_days": ds.cadence_days, "stale_after_days": ds.stale_after,
                    "versions": [m.version for m in stored], "used_by": list(ds.used_by)})
        rows.append(row)
    return rows
