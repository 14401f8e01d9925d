"""Entities (vendors, carriers, clouds, ...) and the facts recorded about them.

Every fact carries ``source`` (an id in the registry's source list) and ``as_of``.
Jurisdiction is kept in separate dimensions: registration, headquarters, the ultimate
parent's (derived through ownership), and places of production.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class EntityKind(StrEnum):
    EQUIPMENT_VENDOR = "equipment-vendor"
    COMPONENT_VENDOR = "component-vendor"
    CARRIER = "carrier"
    CLOUD = "cloud"
    APP_DEVELOPER = "app-developer"
    CABLE_OPERATOR = "cable-operator"
    SOFTWARE_VENDOR = "software-vendor"
    SECURITY_VENDOR = "security-vendor"
    HOLDING = "holding"
    BRAND = "brand"
    STATE = "state"


class _Fact(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    source: str
    as_of: date


class _Dated(_Fact):
    """A fact that holds from ``valid_from`` (inclusive) to ``valid_to`` (exclusive); open-ended where None."""

    valid_from: date | None = None
    valid_to: date | None = None

    def valid_on(self, on: date) -> bool:
        if self.valid_from and on < self.valid_from:
            return False
        return not (self.valid_to and on >= self.valid_to)


def _country(value: str) -> str:
    if len(value) != 2 or not value.isalpha() or not value.isupper():
        raise ValueError(f"country must be an ISO 3166-1 alpha-2 code in upper case, got {value!r}")
    return value


class CountryFact(_Dated):
    country: str
    note: str | None = None

    @field_validator("country")
    @classmethod
    def _check(cls, v: str) -> str:
        return _country(v)


class DatedCountryFact(CountryFact):
    """A registration or headquarters fact for a period other than the current one."""

    dimension: Literal["registration", "headquarters"]


class Jurisdiction(BaseModel):
    """Registration and headquarters as recorded now; ``history`` holds the facts of other periods.

    The current facts may carry ``valid_from`` / ``valid_to``; on a date outside their period the
    ``history`` entry of that dimension valid on the date applies (none: not recorded for that date).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    registration: CountryFact | None = None
    headquarters: CountryFact | None = None
    history: list[DatedCountryFact] = Field(default_factory=list)

    def _on(self, dim: str, on: date | None) -> CountryFact | None:
        on = on or date.today()
        current = getattr(self, dim)
        if current is not None and current.valid_on(on):
            return current
        for f in self.history:
            if f.dimension == dim and f.valid_on(on):
                return f
        return None

    def registration_on(self, on: date | None = None) -> CountryFact | None:
        return self._on("registration", on)

    def headquarters_on(self, on: date | None = None) -> CountryFact | None:
        return self._on("headquarters", on)


class Ownership(_Fact):
    """``owner`` holds ``share`` percent of this entity from ``since`` until ``until`` (open-ended if None)."""

    owner: str
    share: float | None = Field(default=None, ge=0, le=100)
    control: bool | None = None
    since: date | None = None
    until: date | None = None
    note: str | None = None

    def active(self, on: date) -> bool:
        if self.since and on < self.since:
            return False
        return not (self.until and on >= self.until)

    def controlling(self) -> bool:
        if self.control is not None:
            return self.control
        return self.share is not None and self.share > 50


class StateOwnership(_Dated):
    state: str
    share: float | None = Field(default=None, ge=0, le=100)
    via: str | None = None
    note: str | None = None

    @field_validator("state")
    @classmethod
    def _check(cls, v: str) -> str:
        return _country(v)


class NumberFact(_Fact):
    value: int
    note: str | None = None


class TextFact(_Fact):
    value: str
    note: str | None = None


class RegistryNames(_Fact):
    """Curated rules mapping IEEE/IANA registry organisation names to this entity.

    ``exact`` lists normalised names (see ``attribution.names.normalise``); ``patterns``
    are regular expressions anchored at both ends, matched against the normalised name.
    """

    exact: list[str] = Field(default_factory=list)
    patterns: list[str] = Field(default_factory=list)


class Listing(_Dated):
    """A listing of the entity's shares on a regulated exchange (disclosure duties), ``valid_from``-``valid_to``."""

    exchange: str
    ticker: str
    note: str | None = None


class Shareholding(_Dated):
    """Who holds the entity, in summary: the ownership-transparency fact for entities whose holders are not
    (all) registry entities (widely held listed companies, founders, employee schemes).

    ``structure``: widely-held (no holder controls), controlled (``holder`` controls; a natural person or an
    entity), private (not listed; ``holder`` names the owners), undetermined (looked for and not established).
    ``listed``: whether the shares are listed on a regulated exchange (None: not established).
    """

    structure: Literal["widely-held", "controlled", "private", "undetermined"]
    listed: bool | None = None
    holder: str | None = None
    share: float | None = Field(default=None, ge=0, le=100)
    note: str | None = None


class Manufacturer(_Fact):
    """For a brand: who makes the products sold under it."""

    entity: str | None = None
    status: Literal["established", "undetermined"]
    note: str | None = None


class Entity(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    id: str
    legal_name: str
    kind: EntityKind
    aliases: list[str] = Field(default_factory=list)
    brands: list[str] = Field(default_factory=list)
    jurisdiction: Jurisdiction = Field(default_factory=Jurisdiction)
    owners: list[Ownership] = Field(default_factory=list)
    state_ownership: list[StateOwnership] = Field(default_factory=list)
    production: list[CountryFact] = Field(default_factory=list)
    listings: list[Listing] = Field(default_factory=list)
    shareholding: list[Shareholding] = Field(default_factory=list)
    registry_names: RegistryNames | None = None
    pens: list[NumberFact] = Field(default_factory=list)
    asns: list[NumberFact] = Field(default_factory=list)
    domains: list[TextFact] = Field(default_factory=list)
    cpe_vendors: list[str] = Field(default_factory=list)
    manufacturer: Manufacturer | None = None
    notes: str | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not v or not all(c.isalnum() or c == "-" for c in v) or v != v.lower():
            raise ValueError(f"entity id must be lower-case letters, digits and '-', got {v!r}")
        return v

    @property
    def hq_country(self) -> str | None:
        """Headquarters country today (see ``hq_country_on`` for another date)."""
        return self.hq_country_on(None)

    @property
    def registration_country(self) -> str | None:
        """Registration country today (see ``registration_country_on`` for another date)."""
        return self.registration_country_on(None)

    def hq_country_on(self, on: date | None) -> str | None:
        f = self.jurisdiction.headquarters_on(on)
        return f.country if f else None

    def registration_country_on(self, on: date | None) -> str | None:
        f = self.jurisdiction.registration_on(on)
        return f.country if f else None

    def owners_on(self, on: date) -> list[Ownership]:
        return [o for o in self.owners if o.active(on)]

    def state_ownership_on(self, on: date) -> list[StateOwnership]:
        return [s for s in self.state_ownership if s.valid_on(on)]

    def listings_on(self, on: date) -> list[Listing]:
        return [x for x in self.listings if x.valid_on(on)]

    def shareholding_on(self, on: date) -> list[Shareholding]:
        return [x for x in self.shareholding if x.valid_on(on)]


class Designation(BaseModel):
    """An entry on a government list (FCC Covered List, NDAA 889, Clean Network, Entity List ...)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    list: str
    entry: str
    entity: str | None = None
    category: str | None = None
    date_added: date
    scope: Literal["all", "conditional-use", "services", "products", "category"]
    scope_text: str
    scope_roles: list[str] = Field(default_factory=list)
    includes_affiliates: bool = False
    source: str
    as_of: date
    note: str | None = None
