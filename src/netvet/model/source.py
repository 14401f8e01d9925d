"""Provenance: where a fact came from and where an observation was seen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, ConfigDict


class Source(BaseModel):
    """A public document a registry fact cites."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    id: str
    title: str
    url: str
    publisher: str | None = None
    published: date | None = None
    retrieved: date | None = None
    licence: str | None = None


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where in the user's input something was seen: file plus line, byte offset or pointer."""

    file: str
    line: int | None = None
    offset: int | None = None
    pointer: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        if self.offset is not None:
            where += f"@{self.offset}"
        if self.pointer:
            where += f"#{self.pointer}"
        return where

    def to_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "offset": self.offset, "pointer": self.pointer}
