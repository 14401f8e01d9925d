"""Fetch a catalogue dataset (or import a file obtained by other means): resolve, download, verify, store."""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from . import _clock
from .catalogue import Catalogue, Dataset, Rules, load_catalogue
from .errors import ChecksumMismatch, DatasetError, HttpStatusError, InvalidData, NetworkError
from .http import Download, Progress, discard_partial, download, fetch_text
from .store import Manifest, Store, sha256_file
from .validate import ValidationReport, validate_file

_HEX_LEN = {"md5": 32, "sha1": 40, "sha256": 64, "sha512": 128}
# check(path, rules, label) -> a line for the validation report; raises InvalidData. The CLI passes the
# code that reads the dataset at use time (see netvet.cli._dataset_readers), so a file that code refuses
# never becomes active.
UseCheck = Callable[[Path, Rules, str], str]
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class FetchResult:
    name: str
    manifest: Manifest
    new: bool  # False: the content was identical to an already stored version
    path: Path
    report: ValidationReport
    download: Download | None = None  # None for imports


def resolve_url(ds: Dataset, timeout: float = 60.0) -> str:
    """The URL of the current file: by ``discover`` (newest match in the index), else the first URL."""
    if ds.discover is None:
        return ds.urls[0]
    index = ds.discover.index
    text = fetch_text(index, ds.name, timeout=timeout)
    pattern = re.compile(ds.discover.pattern)
    matches = list(pattern.finditer(text))
    if not matches:
        raise DatasetError(f"{ds.name}: no file matching {ds.discover.pattern!r} found in {index}; "
                           "the publisher may have changed its layout (use --url to name the file)")
    keyed = "key" in pattern.groupindex
    best = max(matches, key=lambda m: m.group("key") if keyed else m.group(0))
    return urljoin(index, html.unescape(best.group(0)))


def _safe(name: str) -> str:
    cleaned = _UNSAFE.sub("_", name).strip("._")
    return cleaned or "data"


def _basename(url: str) -> str:
    return unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])


def stored_file_name(ds: Dataset, source_name: str) -> str:
    """The name a version's file gets: the catalogue's ``file``, the static URL's name, else the source's."""
    if ds.file:
        return _safe(ds.file)
    if ds.urls and ds.discover is None:
        return _safe(_basename(ds.urls[0]) or ds.name)
    return _safe(source_name or ds.name)


def derive_version(
    ds: Dataset, source_name: str, head: str, now: datetime
) -> tuple[str, str, datetime | None]:
    """(version id, "publisher"|"retrieval", publisher's date) for a validated file."""
    vf = ds.version_from
    if vf is not None:
        target = source_name if vf.where == "name" else head
        m = re.search(vf.pattern, target, re.MULTILINE)
        if m:
            groups = m.groupdict()
            try:
                hour = int(groups["H"]) if groups.get("H") else None
                when = datetime(int(groups["y"]), int(groups["m"]), int(groups["d"]),
                                hour or 0, int(groups["M"]) if hour is not None else 0, tzinfo=UTC)
            except (ValueError, TypeError):
                when = None
            if when is not None:
                version = when.strftime("%Y-%m-%dT%H%M") if hour is not None else when.strftime("%Y-%m-%d")
                return version, "publisher", when
    return now.strftime("%Y%m%dT%H%M%SZ"), "retrieval", None


def parse_checksum(text: str, algorithm: str, file_name: str) -> str | None:
    """The digest in a checksum file (GNU ``digest  name`` or BSD ``ALG (name) = digest`` style)."""
    token = re.compile(rf"(?<![0-9A-Fa-f])[0-9A-Fa-f]{{{_HEX_LEN[algorithm]}}}(?![0-9A-Fa-f])")
    found: list[tuple[str, str]] = []
    for line in text.splitlines():
        m = token.search(line)
        if m:
            found.append((line, m.group(0).lower()))
    if not found:
        return None
    for line, digest in found:
        if file_name and file_name in line:
            return digest
    return found[0][1]


def _checksum_url(ds: Dataset, url: str) -> str:
    assert ds.checksum is not None
    return ds.checksum.url.replace("{url}", url)


def _verify_checksum(ds: Dataset, url: str, part: Path, checksum_text: str, checksum_url: str) -> dict:
    assert ds.checksum is not None
    algorithm = ds.checksum.algorithm
    expected = parse_checksum(checksum_text, algorithm, _basename(url))
    if expected is None:
        raise InvalidData(f"{ds.name}: no {algorithm} digest found in {checksum_url}")
    actual = sha256_file(part, algorithm)
    if actual != expected:
        raise ChecksumMismatch(f"{ds.name}: {algorithm} checksum mismatch for {url}: the publisher's "
                               f"checksum file says {expected}, the download has {actual}")
    return {"algorithm": algorithm, "expected": expected, "url": checksum_url}


def _previous_download(store: Store, name: str, url: str) -> Manifest | None:
    """The stored version last downloaded from ``url`` with server validators (active one first)."""
    active = store.active_manifest(name)
    candidates = ([active] if active else []) + list(reversed(store.versions(name)))
    for m in candidates:
        if m.origin == "download" and m.url == url and (m.etag or m.last_modified):
            return m
    return None


def _fetch_from(ds: Dataset, store: Store, url: str, *, verify_checksum: bool, activate: bool, timeout: float,
                progress: Progress | None, note: Callable[[str], None] | None,
                check: UseCheck | None = None) -> FetchResult:
    source_name = _basename(url)
    file = stored_file_name(ds, source_name)
    checksum_text = checksum_url = None
    if ds.checksum is not None and verify_checksum:
        checksum_url = _checksum_url(ds, url)
        checksum_text = fetch_text(checksum_url, ds.name, timeout=timeout)
    part = store.partial_dir(ds.name) / f"{file}.part"
    previous = _previous_download(store, ds.name, url)
    conditional = {}
    if previous is not None and previous.etag:
        conditional["If-None-Match"] = previous.etag
    if previous is not None and previous.last_modified:
        conditional["If-Modified-Since"] = previous.last_modified
    got = download(url, part, ds.name, timeout=timeout, progress=progress, note=note, conditional=conditional)
    if got.not_modified and previous is not None:
        manifest = store.touch(ds.name, previous.version, checked_at=_clock.now())
        if activate:
            store.set_active(ds.name, previous.version)
        v = manifest.validation
        report = ValidationReport(v.get("records", 0), v.get("bad_records", 0), list(v.get("checks", [])))
        return FetchResult(ds.name, manifest, False, store.path_of(manifest), report, got)
    try:
        checksum = (_verify_checksum(ds, url, part, checksum_text, checksum_url)
                    if checksum_text is not None and checksum_url is not None else None)
        report = validate_file(part, ds.validate_, ds.name)
        if check is not None:
            report.checks.append(check(part, ds.validate_, ds.name))
    except InvalidData:
        discard_partial(part)
        raise
    version, source, published = derive_version(ds, source_name, report.head, _clock.now())
    committed = store.commit(
        ds.name, part, file, version=version, version_source=source, origin="download", url=url,
        published=published, checksum=checksum, validation=report.to_dict(), activate=activate,
        etag=got.etag, last_modified=got.last_modified,
    )
    path = store.path_of(committed.manifest)
    return FetchResult(ds.name, committed.manifest, committed.new, path, report, got)


def fetch(
    name: str,
    *,
    url: str | None = None,
    catalogue: Catalogue | None = None,
    store: Store | None = None,
    verify_checksum: bool = True,
    activate: bool = True,
    timeout: float = 60.0,
    progress: Progress | None = None,
    note: Callable[[str], None] | None = None,
    check: UseCheck | None = None,
) -> FetchResult:
    """Fetch dataset ``name`` (from ``url`` when given, e.g. a mirror) and make it active.

    Tries the catalogue's URLs in order when one cannot be reached or answers an HTTP error. Raises a
    ``DatasetError`` subclass on failure; the active version is then unchanged. ``check`` runs after the
    format rules, before the new version is stored (see ``UseCheck``).
    """
    ds = (catalogue or load_catalogue()).get(name)
    store = store or Store()
    candidates = [url] if url else ([resolve_url(ds, timeout)] if ds.discover else list(ds.urls))
    for i, candidate in enumerate(candidates):
        try:
            return _fetch_from(ds, store, candidate, verify_checksum=verify_checksum, activate=activate,
                               timeout=timeout, progress=progress, note=note, check=check)
        except OSError as exc:  # the local disk, not the network: permissions, disk full
            raise DatasetError(f"{name}: cannot write under {store.root}: {exc.strerror or exc}") from None
        except (NetworkError, HttpStatusError) as exc:
            if i == len(candidates) - 1:
                raise
            if note:
                note(f"{exc}; trying {candidates[i + 1]}")
    raise AssertionError("unreachable")  # pragma: no cover


def import_file(
    name: str,
    source: Path,
    *,
    catalogue: Catalogue | None = None,
    store: Store | None = None,
    activate: bool = True,
    check: UseCheck | None = None,
) -> FetchResult:
    """Store a file the user obtained by other means, validated exactly like a download (``check``: see
    ``UseCheck``); on any problem nothing is stored and the active version is unchanged."""
    ds = (catalogue or load_catalogue()).get(name)
    store = store or Store()
    if not source.is_file():
        raise DatasetError(f"{name}: cannot import {source}: not a readable file")
    file = stored_file_name(ds, source.name)
    try:
        staged = store.partial_dir(name) / f"{file}.import"
        shutil.copyfile(source, staged)
    except OSError as exc:
        raise DatasetError(f"{name}: cannot import {source}: {exc.strerror or exc}") from None
    label = f"{name}: {source}"
    try:
        report = validate_file(staged, ds.validate_, label)
        if check is not None:
            report.checks.append(check(staged, ds.validate_, label))
    except InvalidData:
        staged.unlink(missing_ok=True)
        raise
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    version, version_source, published = derive_version(ds, source.name, report.head, _clock.now())
    committed = store.commit(
        name, staged, file, version=version, version_source=version_source, origin="import",
        url=source.resolve().as_uri(), published=published, checksum=None, validation=report.to_dict(),
        activate=activate,
    )
    return FetchResult(name, committed.manifest, committed.new, store.path_of(committed.manifest), report)
