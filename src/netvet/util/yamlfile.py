"""Load YAML data files and validate them with pydantic, reporting errors with file and line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

T = TypeVar("T", bound=BaseModel)


@dataclass(frozen=True)
class DataFileError:
    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


class DataValidationError(Exception):
    """One or more errors in a data file (registry, policy pack, framework, waiver file)."""

    def __init__(self, errors: list[DataFileError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when available (much faster)


class _LineLoader(_Base):
    pass


def _no_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first on line {seen[key] + 1})", key_node.start_mark
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


@dataclass
class YamlDoc:
    """Parsed YAML plus the node tree, so locations can be reported for any path."""

    file: str
    data: Any
    root: yaml.Node | None

    def line_of(self, path: tuple | list) -> int | None:
        node = self.root
        line = node.start_mark.line + 1 if node is not None else None
        for key in path:
            if isinstance(node, yaml.MappingNode):
                nxt = None
                for k, v in node.value:
                    if k.value == str(key):
                        nxt = v
                        line = k.start_mark.line + 1
                        break
                node = nxt
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
                node = node.value[key]
                line = node.start_mark.line + 1
            else:
                break
            if node is None:
                break
        return line


def read_yaml(path: str | Path, text: str | None = None) -> YamlDoc:
    """Parse a YAML file; syntax errors and duplicate keys raise DataValidationError with the line."""
    file = str(path)
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DataValidationError([DataFileError(file, None, f"cannot read: {exc}")]) from None
    loader = _LineLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise DataValidationError([DataFileError(file, line, f"YAML syntax: {problem}")]) from None
    finally:
        loader.dispose()
    return YamlDoc(file, data, root)


def validate(doc: YamlDoc, model: type[T], data: Any = None, prefix: tuple = ()) -> T:
    """Validate ``data`` (default: the whole document) against ``model``; errors carry file and line."""
    try:
        return model.model_validate(doc.data if data is None else data)
    except ValidationError as exc:
        errors = []
        for err in exc.errors():
            loc = tuple(prefix) + tuple(err["loc"])
            where = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in loc).replace(".[", "[")
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                msg = f"unknown field {loc[-1]!r}"
            errors.append(DataFileError(doc.file, doc.line_of(loc), f"{where}: {msg}"))
        raise DataValidationError(errors) from None


def schema_error(doc: YamlDoc, found: int, expected: int, what: str) -> list[DataFileError]:
    """The error of a data file whose ``schema`` this netvet does not read (empty when it does)."""
    if found == expected:
        return []
    return [DataFileError(doc.file, doc.line_of(["schema"]),
                          f"unsupported {what} schema {found} (this netvet reads {expected})")]


def file_sources(doc: YamlDoc, raws: list, known: dict, errors: list[DataFileError]) -> dict:
    """The registry's sources plus those a data file defines under ``sources:`` (validated; a duplicate, or a
    redefinition of a registry source, is an error with its line)."""
    from ..model import Source

    sources = dict(known)
    own: set[str] = set()
    for i, raw in enumerate(raws):
        try:
            s = validate(doc, Source, raw, ("sources", i))
        except DataValidationError as exc:
            errors.extend(exc.errors)
            continue
        where = doc.line_of(["sources", i, "id"])
        if s.id in own:
            errors.append(DataFileError(doc.file, where, f"duplicate source id {s.id!r}"))
        elif s.id in known:
            errors.append(DataFileError(doc.file, where, f"source id {s.id!r} is already a registry source; cite it "
                                                         "without redefining it"))
        own.add(s.id)
        sources.setdefault(s.id, s)
    return sources
