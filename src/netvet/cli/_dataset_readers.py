"""Which code reads each dataset when netvet uses it, and a check that runs exactly that code on a new version.

``netvet data import`` and ``netvet data fetch`` validate a file against the catalogue's format rules, then
(before the version becomes active) load it with the reader that will load it at use time: the IEEE MAC
loader for the IEEE registries, the PEN loader for IANA's list, the prefix-to-AS reader for CAIDA pfx2as, the
AS-names reader for as2org, the KEV reader, the cloud range reader and the cable map reader. A file that
reader refuses, reads nothing from, or finds more malformed records in than the catalogue tolerates is refused,
so the previous version stays active and later audits keep working. Datasets no code reads yet get the format
rules only.

This lives in the CLI (the top layer) because the readers sit above the dataset layer.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

from ..datasets import InvalidData, Rules


def _macs(path: Path):
    from ..attribution.oui import MacRegistry

    report = MacRegistry().load(path)
    return report.records, report.stats


def _pens(path: Path):
    from ..attribution.pen import PenRegistry

    report = PenRegistry().load(path)
    return report.records, report.stats


def _prefix_origins(path: Path):
    from ..readers.ipasn import read_prefix_origins

    table = read_prefix_origins(path)
    return len(table.v4_net) + len(table.v6_hi), table.stats


def _asnames(path: Path):
    from ..attribution.asnames import load_asnames

    names = load_asnames(path)
    stats = names.stats[0] if names.stats else None
    return len(names), stats


def _kev(path: Path):
    from ..attribution.kev import load_kev

    nobody = SimpleNamespace(aliases=SimpleNamespace(match=lambda _vendor: []))  # parse only: no registry
    counts = load_kev(path, nobody)
    return counts.stats.read - counts.stats.malformed, counts.stats


def _cloud(provider: str):
    def load(path: Path):
        from ..flows.cloud import read_ranges

        ranges, stats = read_ranges(path, provider)
        return len(ranges), stats

    return load


def _cables(path: Path):
    from ..readers.cables import load_cable_map

    cmap = load_cable_map(path)
    return len(cmap.cables), cmap.stats


_MAC = ("IEEE MAC registry loader (attribution/oui.py)", _macs)
_PFX = ("prefix-to-AS reader (readers/ipasn.py)", _prefix_origins)
_KEV = ("KEV reader (attribution/kev.py)", _kev)
_CLOUD = "cloud range reader (flows/cloud.py)"
# dataset -> (the code that reads it at use time, a loader returning (usable records, ReadStats or None))
READERS: dict[str, tuple[str, Callable[[Path], tuple]]] = {
    "ieee-ma-l": _MAC,
    "ieee-ma-m": _MAC,
    "ieee-ma-s": _MAC,
    "ieee-iab": _MAC,
    "iana-pen": ("IANA PEN loader (attribution/pen.py)", _pens),
    "caida-pfx2as-v4": _PFX,
    "caida-pfx2as-v6": _PFX,
    "caida-as2org": ("AS-names reader (attribution/asnames.py)", _asnames),
    "cisa-kev": _KEV,
    "cisa-kev-csv": _KEV,
    "aws-ip-ranges": (_CLOUD, _cloud("aws")),
    "google-cloud-ip-ranges": (_CLOUD, _cloud("google")),
    "azure-service-tags": (_CLOUD, _cloud("azure")),
    "oracle-ip-ranges": (_CLOUD, _cloud("oracle")),
    "cloudflare-ips-v4": (_CLOUD, _cloud("cloudflare")),
    "cloudflare-ips-v6": (_CLOUD, _cloud("cloudflare")),
    "submarine-cable-map": ("cable map reader (readers/cables.py)", _cables),
}


def _where(issue) -> str:
    if getattr(issue, "line", None) is not None:
        return f"line {issue.line}: "
    if getattr(issue, "offset", None) is not None:
        return f"offset {issue.offset}: "
    return ""


def use_check(name: str) -> Callable[[Path, Rules, str], str] | None:
    """The check of dataset ``name`` (None when no netvet code reads it): ``check(path, rules, label)``
    returns a line for the validation report or raises ``InvalidData``."""
    if name not in READERS:
        return None
    what, loader = READERS[name]

    def check(path: Path, rules: Rules, label: str) -> str:
        from ..model import InputError

        try:
            records, stats = loader(path)
        except InputError as exc:
            raise InvalidData(f"{label}: the {what} refuses the file: {_where(exc.issue)}{exc.issue.reason}") from None
        except MemoryError:
            raise InvalidData(f"{label}: the {what} ran out of memory loading the file") from None
        except RecursionError:
            raise InvalidData(f"{label}: the {what} cannot load the file: nested too deeply") from None
        except Exception as exc:  # noqa: BLE001 - whatever the reader raises, the file is refused
            text = " ".join(str(exc).split())[:300]
            raise InvalidData(f"{label}: the {what} cannot load the file ({type(exc).__name__}: {text})") from None
        malformed = stats.malformed if stats is not None else 0
        if records <= 0:
            first = next((i for i in (stats.issues if stats else []) if i.severity == "error"), None)
            detail = f"; first problem: {_where(first)}{first.reason}" if first else ""
            raise InvalidData(f"{label}: the {what} finds no usable record in the file{detail}")
        if malformed > rules.max_bad_records:
            first = [f"{_where(i)}{i.reason}" for i in stats.issues if i.severity == "error"][:3]
            raise InvalidData(f"{label}: the {what} finds {malformed:,} malformed records (at most "
                              f"{rules.max_bad_records:,} tolerated); first: {'; '.join(first)}")
        return f"loaded by the {what}: {records:,} records"

    return check
