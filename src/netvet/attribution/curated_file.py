"""What the curated app data files (``data/apps/package-prefixes.yaml``, ``data/apps/sdk-signatures.yaml``)
share: their head (schema, version, sources), reading it, the registry references of an item, the bundled copy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from ..model import Source
from ..util.yamlfile import DataFileError, DataValidationError, YamlDoc, file_sources, read_yaml, schema_error, validate

_Head = TypeVar("_Head", bound="FileHead")
_Model = TypeVar("_Model", bound=BaseModel)
_Out = TypeVar("_Out")


class FileHead(BaseModel):
    """The fields every curated app data file starts with; a file's model adds its list of items."""

    model_config = ConfigDict(extra="forbid")
    schema_: int = Field(alias="schema")
    version: str
    sources: list[dict] = Field(default_factory=list)


@dataclass
class CuratedDoc:
    """A curated file being loaded: its YAML, the errors found so far, its sources plus the registry's."""

    doc: YamlDoc
    errors: list[DataFileError]
    sources: dict[str, Source]

    def item(self, model: type[_Model], raw: Any, where: tuple) -> _Model | None:
        """``raw`` validated as ``model`` (None, with its errors kept, when it is not valid)."""
        try:
            return validate(self.doc, model, raw, where)
        except DataValidationError as exc:
            self.errors.extend(exc.errors)
            return None

    def unknown_entity(self, base: list, entity: str) -> None:
        self.errors.append(DataFileError(self.doc.file, self.doc.line_of(base + ["entity"]),
                                         f"unknown entity {entity!r} (not in the registry)"))

    def check_source(self, base: list, source: str) -> None:
        """An error when ``source`` is neither one of the file's sources nor the registry's."""
        if source not in self.sources:
            self.errors.append(DataFileError(self.doc.file, self.doc.line_of(base + ["source"]),
                                             f"unknown source {source!r} (not in this file's sources nor the "
                                             "registry's)"))


def read_curated(path: Path, model: type[_Head], schema_version: int, what: str,
                 known_sources: dict) -> tuple[_Head, CuratedDoc]:
    """Read ``path`` and validate its head as ``model`` (a :class:`DataValidationError` when it is not valid);
    the schema and the file's own sources are checked, their errors kept for the items' to follow."""
    doc = read_yaml(path)
    parsed = validate(doc, model)
    errors = schema_error(doc, parsed.schema_, schema_version, what)
    return parsed, CuratedDoc(doc, errors, file_sources(doc, parsed.sources, known_sources, errors))


def with_bundled(path: str | Path | None, name: str, load: Callable[[Path], _Out]) -> _Out:
    """``load(path)``, or of the file ``name`` bundled in ``netvet/data/apps/`` when ``path`` is None."""
    if path is None:
        res = resources.files("netvet") / "data" / "apps" / name
        with resources.as_file(res) as real:
            return load(Path(real))
    return load(Path(path))
