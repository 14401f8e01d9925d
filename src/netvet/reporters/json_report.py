"""JSON report (schema ``netvet-report/1``, documented in docs/json-schema.md).

:func:`write_json` writes a report whose findings and observations come one at a time (an audit over a stream of
evidence, ``pipeline.AuditRun``), never holding them all: the text is exactly that of :func:`render_json` on the
same report."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TextIO

from ..model import Report
from . import reporter, writer


def _dumps(obj) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False, default=str)


_string = json.encoder.encode_basestring  # the C encoder of ensure_ascii=False
_CONSTANTS = {True: "true", False: "false", None: "null"}


def _float(o: float) -> str:
    if o != o:
        return "NaN"
    if o in (float("inf"), float("-inf")):
        return "Infinity" if o > 0 else "-Infinity"
    return float.__repr__(o)


class Raw(str):
    """Text already rendered by :func:`dumps_indented` at the nesting where it is placed (written as is)."""


def _encode(o, pad: str, out: list[str]) -> None:
    """Append ``o`` as ``json.dumps(o, indent=2, ensure_ascii=False, default=str)`` writes it at the nesting whose
    indentation is ``pad`` (the same text, several times faster than json's pure-Python indenting encoder)."""
    if isinstance(o, str):
        out.append(o if type(o) is Raw else _string(o))
    elif o is None or o is True or o is False:
        out.append(_CONSTANTS[o])
    elif isinstance(o, int):
        out.append(int.__repr__(o))
    elif isinstance(o, float):
        out.append(_float(o))
    elif isinstance(o, dict):
        if not o:
            out.append("{}")
            return
        inner = pad + "  "
        sep = "{\n" + inner
        for k, v in o.items():
            if not isinstance(k, str):
                if isinstance(k, float):
                    k = _float(k)
                elif k is True or k is False or k is None:
                    k = _CONSTANTS[k]
                elif isinstance(k, int):
                    k = int.__repr__(k)
                else:
                    raise TypeError(f"keys must be str, int, float, bool or None, not {type(k).__name__}")
            out.append(sep)
            out.append(_string(k))
            out.append(": ")
            _encode(v, inner, out)
            sep = ",\n" + inner
        out.append("\n" + pad + "}")
    elif isinstance(o, list | tuple):
        if not o:
            out.append("[]")
            return
        inner = pad + "  "
        sep = "[\n" + inner
        for v in o:
            out.append(sep)
            _encode(v, inner, out)
            sep = ",\n" + inner
        out.append("\n" + pad + "]")
    else:
        _encode(str(o), pad, out)


def dumps_indented(o, pad: str = "") -> str:
    """``json.dumps(o, indent=2, ensure_ascii=False, default=str)`` with every line after the first indented by
    ``pad`` (an item of a list nested that deep)."""
    out: list[str] = []
    _encode(o, pad, out)
    return "".join(out)


@reporter("json")
def render_json(report: Report) -> str:
    return _dumps(report.to_dict()) + "\n"


def _fields(pairs, inner: str) -> str:
    """``"key": value`` lines of an object whose members are indented by ``inner``, joined as json.dumps does."""
    out: list[str] = []
    sep = ""
    for k, v in pairs:
        out.append(sep)
        out.append(_string(k))
        out.append(": ")
        _encode(v, inner, out)
        sep = ",\n" + inner
    return "".join(out)


# Finding.to_dict's members, in order (tests/reporters/test_json_stream.py checks they still are)
FINDING_FIELDS = ("subject", "label", "source", "policy", "verdict", "rule_ids", "severity", "reasons", "citations",
                  "entity", "identifier", "role", "site", "controls", "compliant_until", "deadlines", "caps")


class FindingText:
    """``dumps_indented(finding.to_dict(), pad)``, with the members findings share rendered once: a million rows of
    a few vendors have a few distinct evaluations, entities and cap figures, and only their subject, label,
    source, role and site differ. Remembers at most ``MAX`` fragments (and the objects whose identity keys them)."""

    MAX = 50_000

    def __init__(self, pad: str = "    ") -> None:
        self.pad, self.inner = pad, pad + "  "
        self._cache: dict[tuple, tuple[str, object]] = {}

    def _fragment(self, key: tuple, pairs, keep: object = None) -> str:
        hit = self._cache.get(key)
        if hit is None:
            if len(self._cache) >= self.MAX:
                self._cache.clear()
            hit = self._cache[key] = (_fields(pairs(), self.inner), keep)
        return hit[0]

    def __call__(self, f) -> str:
        inner = ",\n" + self.inner
        verdicts = self._fragment(
            ("v", f.policy, f.verdict, tuple(f.rule_ids), f.severity, tuple(f.reasons), tuple(f.citations)),
            lambda: (("policy", f.policy), ("verdict", str(f.verdict)), ("rule_ids", list(f.rule_ids)),
                     ("severity", f.severity), ("reasons", list(f.reasons)),
                     ("citations", [c.to_dict() for c in f.citations])))
        who = self._fragment(
            ("e", tuple(f.entity.items()) if f.entity is not None else None,
             tuple(f.identifier.items()) if f.identifier is not None else None),
            lambda: (("entity", f.entity), ("identifier", f.identifier)))
        # deadlines and cap figures are the evaluations' and the population's own dicts: keyed by identity,
        # kept alive by the cache entry
        dated = self._fragment(
            ("d", tuple(f.controls), tuple(map(id, f.deadlines)), tuple(map(id, f.caps))),
            lambda: (("controls", list(f.controls)), ("compliant_until", f.compliant_until),
                     ("deadlines", [dict(d) for d in f.deadlines]), ("caps", [dict(c) for c in f.caps])),
            keep=(list(f.deadlines), list(f.caps)))
        own = _fields((("subject", f.subject), ("label", f.label), ("source", f.source.to_dict())), self.inner)
        place = _fields((("role", f.role), ("site", f.site)), self.inner)
        return "".join(("{\n", self.inner, own, inner, verdicts, inner, who, inner, place, inner, dated, "\n",
                        self.pad, "}"))


# Attribution.to_dict's members, in order (checked by the tests like FINDING_FIELDS)
ATTRIBUTION_FIELDS = ("status", "entity_id", "confidence", "method", "decided_by", "evidence", "conflict",
                      "brand_entity_id", "manufacturer_status", "note", "registry_version", "positive", "weakness")


class ObservationText:
    """``dumps_indented({**obs.to_dict(), "attribution": att.to_dict()}, pad)``, each piece of evidence (an
    ``IdentifierAttribution``, shared by every row with the same identifier) rendered once while remembered."""

    MAX = 5_000  # pieces of evidence remembered (rows of a batch share them; most MACs are seen once)

    def __init__(self, pad: str = "    ") -> None:
        self.pad, self.inner = pad, pad + "  "
        self._cache: dict[tuple[int, str], tuple[str, object]] = {}

    def _evidence(self, ia, pad: str) -> Raw:
        hit = self._cache.get((id(ia), pad))
        if hit is None:
            if len(self._cache) >= self.MAX:
                self._cache.clear()
            hit = self._cache[(id(ia), pad)] = (dumps_indented(ia.to_dict(), pad), ia)  # keeps ia (its id) alive
        return Raw(hit[0])

    def __call__(self, obs, att) -> str:
        a_pad = self.inner + "  "
        attribution = None
        if att is not None:
            attribution = {
                "status": str(att.status), "entity_id": att.entity_id, "confidence": round(att.confidence, 3),
                "method": att.method,
                "decided_by": self._evidence(att.decided_by, a_pad) if att.decided_by else None,
                "evidence": [self._evidence(e, a_pad + "  ") for e in att.evidence],
                "conflict": att.conflict, "brand_entity_id": att.brand_entity_id,
                "manufacturer_status": att.manufacturer_status, "note": att.note,
                "registry_version": att.registry_version, "positive": att.positive, "weakness": att.weakness}
        return dumps_indented({**obs.to_dict(), "attribution": attribution}, self.pad)


def write_json(head: dict, lists: Iterable[tuple[str, Iterable[dict | str]]], out: TextIO) -> None:
    """A JSON object of the fields of ``head`` (at least one) followed by each (name, items) of ``lists``, its
    items written as they come: the same text as ``json.dumps({**head, name: list(items), ...}, indent=2)``. An
    item that is a str is taken as already rendered (by :func:`dumps_indented` with a pad of four spaces)."""
    text = _dumps(head)
    out.write(text[:-2])  # without the closing "\n}"
    for name, items in lists:
        out.write(f",\n  {_dumps(name)}: ")
        first = True
        for item in items:
            out.write("[\n    " if first else ",\n    ")
            out.write(item if isinstance(item, str) else dumps_indented(item, "    "))
            first = False
        out.write("[]" if first else "\n  ]")
    out.write("\n}\n")


@writer("json")
def write_run_json(run, out: TextIO) -> None:
    """The JSON report of a streamed audit (``pipeline.AuditRun``), written finding by finding."""

    def findings():
        text = FindingText()
        for f in run.findings():
            yield text(f)

    def observations():
        text = ObservationText()
        for batch in run.pairs():
            for obs, att in batch:
                yield text(obs, att)

    write_json(run.head(), (("findings", findings()), ("observations", observations())), out)
