"""Organisation-name normalisation and curated alias matching (never substring matching)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Legal-form words removed from the end of a name, repeatedly ("CO LTD", "INC", ...).
_LEGAL_SUFFIXES = (
    "CO LTD", "CO LIMITED", "COMPANY LIMITED", "COMPANY LTD", "LIMITED", "LTD", "INCORPORATED", "INC",
    "CORPORATION", "CORP", "LLC", "L L C", "GMBH", "GMBH CO KG", "CO KG", "KG", "AG", "SA", "S A", "SAS", "SPA",
    "SRL", "AB", "AB PUBL", "OY", "OYJ", "BV", "B V", "NV", "N V", "PLC", "KK", "K K", "PTE", "PVT", "PTY",
    "PTY LTD", "CO", "COMPANY", "SE", "AS", "A S", "ASA", "SDN BHD", "BHD", "JSC", "PJSC", "AO", "OOO", "ZAO",
    "LLP", "LP", "ULC", "SARL", "SL", "S L", "GROUP", "HOLDINGS", "HOLDING",
)
_SUFFIX_RE = re.compile(r"(?:\s+(?:" + "|".join(sorted((re.escape(s) for s in _LEGAL_SUFFIXES), key=len,
                                                        reverse=True)) + r"))+$")
_PUNCT_RE = re.compile(r"[^\w\s]")
_SPACE_RE = re.compile(r"\s+")


def normalise(name: str) -> str:
    """Canonical form of an organisation name for exact comparison.

    Upper case, accents folded, '&' as 'AND', punctuation as space, whitespace collapsed and
    trailing legal-form words ("CO LTD", "INC", "GMBH", "GROUP" ...) removed. The result is only
    ever compared whole (or against anchored patterns), never searched for substrings.
    """
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.upper().replace("&", " AND ")
    text = _PUNCT_RE.sub(" ", text).replace("_", " ")
    text = _SPACE_RE.sub(" ", text).strip()
    stripped = _SUFFIX_RE.sub("", text).strip()
    return stripped or text


@dataclass(frozen=True, slots=True)
class NameMatch:
    entity_id: str
    relation: str  # maker (legal name, alias, registry name) | brand
    rule: str  # which rule matched: "exact:<name>" or "pattern:<regex>"


class AliasIndex:
    """Maps organisation names to entities through exact normalised names and anchored patterns (the answers and
    the normalised forms of the names asked about are kept on the index: one registry's, one run's)."""

    def __init__(self) -> None:
        self._exact: dict[str, list[NameMatch]] = {}
        self._patterns: list[tuple[re.Pattern[str], NameMatch]] = []
        self._cache: dict[str, tuple[NameMatch, ...]] = {}
        self._keys: dict[str, str] = {}  # name -> normalise(name), for the names this index was asked about

    def _key(self, name: str) -> str:
        key = self._keys.get(name)
        if key is None:
            key = self._keys[name] = normalise(name)
        return key

    def add_exact(self, name: str, entity_id: str, relation: str = "maker") -> None:
        key = normalise(name)
        self._cache.clear()
        matches = self._exact.setdefault(key, [])
        if not any(m.entity_id == entity_id for m in matches):
            matches.append(NameMatch(entity_id, relation, f"exact:{key}"))

    def add_pattern(self, pattern: str, entity_id: str, relation: str = "maker") -> None:
        self._cache.clear()
        self._patterns.append((re.compile(pattern), NameMatch(entity_id, relation, f"pattern:{pattern}")))

    def exact_keys(self) -> dict[str, list[NameMatch]]:
        return self._exact

    def match(self, name: str) -> list[NameMatch]:
        """All entities whose rules claim ``name`` (exact rules first, then anchored patterns)."""
        if not name or not name.strip():
            return []
        key = self._key(name)
        cached = self._cache.get(key)
        if cached is not None:
            return list(cached)
        found = list(self._exact.get(key, ()))
        seen = {m.entity_id for m in found}
        for regex, m in self._patterns:
            if m.entity_id not in seen and regex.fullmatch(key):
                found.append(m)
                seen.add(m.entity_id)
        self._cache[key] = tuple(found)
        return found
