"""The catalogue of public datasets netvet can fetch: validated YAML data (unknown fields are errors).

The bundled catalogue is ``netvet/data/datasets/catalogue.yaml``; the ``NETVET_CATALOGUE`` environment
variable points netvet at another file (an organisation's internal mirror, or a test catalogue).
"""

from __future__ import annotations

import os
import re
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..util.yamlfile import DataFileError, DataValidationError, read_yaml, validate
from .errors import UnknownDataset

SCHEMA_VERSION = 1
CATALOGUE_ENV = "NETVET_CATALOGUE"
_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _regex(value: str | None) -> str | None:
    if value is not None:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"invalid regular expression {value!r}: {exc}") from None
    return value


class Discover(_Strict):
    """How to find the current file when its URL changes (dated file names).

    ``index`` is fetched (a directory listing, a log, a download page) and every match of ``pattern`` in it
    is a candidate, resolved against ``index``. The candidate with the greatest ``key`` group (else the
    greatest whole match) wins.
    """

    index: str
    pattern: str

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, v: str) -> str:
        return _regex(v)


class Checksum(_Strict):
    """A checksum file the publisher offers; ``{url}`` in ``url`` is replaced by the file's URL."""

    url: str
    algorithm: Literal["md5", "sha1", "sha256", "sha512"]


class VersionFrom(_Strict):
    """Where the publisher's own date is: in the file name (``name``) or the first 64 KiB of the content.

    ``pattern`` has named groups ``y``, ``m``, ``d`` and optionally ``H``, ``M``. No match: the version is
    the retrieval time.
    """

    where: Literal["name", "content"]
    pattern: str

    @field_validator("pattern")
    @classmethod
    def _groups(cls, v: str) -> str:
        _regex(v)
        groups = set(re.compile(v).groupindex)
        if not {"y", "m", "d"} <= groups:
            raise ValueError("pattern needs the named groups y, m and d")
        if "H" in groups and "M" not in groups:
            raise ValueError("pattern with group H needs group M too")
        return v


class Rules(_Strict):
    """Size and format checks every downloaded or imported file must pass."""

    compression: Literal["none", "gzip", "bz2"] = "none"
    content: Literal["text", "csv", "json"] = "text"
    min_bytes: int = Field(default=1, ge=1)
    max_bytes: int | None = Field(default=None, ge=1)
    min_records: int = Field(default=1, ge=0)
    comment_prefixes: list[str] = Field(default_factory=list)
    header: str | None = None  # text/csv: the first non-comment line, exactly
    columns: list[str] = Field(default_factory=list)  # csv: the header must name these columns
    contains: list[str] = Field(default_factory=list)  # text: must each occur somewhere (any case)
    record_pattern: str | None = None  # text: a record line (fullmatch)
    other_lines: Literal["error", "ignore"] = "error"  # text: lines not matching record_pattern
    max_bad_records: int = Field(default=0, ge=0)
    json_keys: list[str] = Field(default_factory=list)  # json: top-level keys that must exist
    json_records: str | None = None  # json: the top-level list counted as records

    @field_validator("record_pattern")
    @classmethod
    def _pattern(cls, v: str | None) -> str | None:
        return _regex(v)

    @model_validator(mode="after")
    def _consistent(self) -> Rules:
        if self.content != "json" and (self.json_keys or self.json_records):
            raise ValueError("json_keys/json_records apply only to content: json")
        if self.content != "csv" and self.columns:
            raise ValueError("columns apply only to content: csv")
        if self.content != "text" and (self.record_pattern or self.contains):
            raise ValueError("record_pattern/contains apply only to content: text")
        if self.max_bytes is not None and self.max_bytes < self.min_bytes:
            raise ValueError("max_bytes is smaller than min_bytes")
        return self


class Bundled(_Strict):
    """A copy that ships with netvet or one of its dependencies, used while nothing is fetched."""

    package: str
    resource: str
    format: str
    as_of: date | None = None
    note: str | None = None


class Dataset(_Strict):
    name: str
    title: str
    publisher: str
    urls: list[str] = Field(default_factory=list)  # tried in order; empty when ``discover`` finds it
    discover: Discover | None = None
    file: str | None = None  # stored file name (default: the URL's last path segment)
    docs: str | None = None
    format: str
    licence: str
    cadence_days: int = Field(ge=1)
    stale_after_days: int | None = Field(default=None, ge=1)
    used_by: list[str] = Field(min_length=1)
    checksum: Checksum | None = None
    version_from: VersionFrom | None = None
    validate_: Rules = Field(alias="validate")
    bundled: Bundled | None = None
    notes: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME.fullmatch(v):
            raise ValueError(f"dataset name must be lower-case letters, digits and '-', got {v!r}")
        return v

    @field_validator("urls")
    @classmethod
    def _urls(cls, v: list[str]) -> list[str]:
        for url in v:
            if not url.startswith(("https://", "http://")):
                raise ValueError(f"URL must be http(s): {url!r}")
        return v

    @model_validator(mode="after")
    def _source(self) -> Dataset:
        if not self.urls and self.discover is None:
            raise ValueError("a dataset needs urls or discover")
        return self

    @property
    def stale_after(self) -> int:
        """Days after which a version counts as stale (default: the publisher's cadence)."""
        return self.stale_after_days or self.cadence_days


class CatalogueFile(_Strict):
    schema_: int = Field(alias="schema")
    datasets: list[Dataset]


class Catalogue:
    """The datasets by name, in catalogue order."""

    def __init__(self, datasets: list[Dataset], source: str):
        self.datasets = {d.name: d for d in datasets}
        self.source = source

    def names(self) -> list[str]:
        return list(self.datasets)

    def get(self, name: str) -> Dataset:
        try:
            return self.datasets[name]
        except KeyError:
            raise UnknownDataset(name, self.names()) from None

    def __contains__(self, name: str) -> bool:
        return name in self.datasets

    def __iter__(self):
        return iter(self.datasets.values())


def parse_catalogue(path: str | Path, text: str | None = None) -> Catalogue:
    """Read and validate a catalogue file; errors raise ``DataValidationError`` with file and line."""
    doc = read_yaml(path, text)
    parsed = validate(doc, CatalogueFile)
    errors = []
    if parsed.schema_ != SCHEMA_VERSION:
        errors.append(DataFileError(doc.file, doc.line_of(["schema"]),
                                    f"schema {parsed.schema_} is not supported (expected {SCHEMA_VERSION})"))
    seen: dict[str, int] = {}
    for i, ds in enumerate(parsed.datasets):
        if ds.name in seen:
            errors.append(DataFileError(
                doc.file, doc.line_of(["datasets", i, "name"]),
                f"duplicate dataset name {ds.name!r} (first at datasets[{seen[ds.name]}])"))
        seen.setdefault(ds.name, i)
    if errors:
        raise DataValidationError(errors)
    return Catalogue(parsed.datasets, str(path))


def catalogue_path() -> Path:
    """The catalogue in use: ``$NETVET_CATALOGUE`` or the bundled one."""
    override = os.environ.get(CATALOGUE_ENV)
    if override:
        return Path(override).expanduser()
    with resources.as_file(resources.files("netvet") / "data" / "datasets" / "catalogue.yaml") as real:
        return Path(real)


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """Load the catalogue at ``path`` or :func:`catalogue_path` (about 6 ms: a caller that asks about several
    datasets loads it once and passes it to the ``datasets.api`` functions)."""
    p = Path(path) if path is not None else catalogue_path()
    if not p.is_file():
        problem = DataFileError(str(p), None, "cannot read: not a file" if p.exists() else "cannot read: no such file")
        raise DataValidationError([problem])
    return parse_catalogue(p)
