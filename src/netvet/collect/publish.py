"""``netvet publish nautobot|netbox report.json``: write verdicts back to the source of truth.

Only netvet's own marks are ever touched:

- tags ``netvet-fail``, ``netvet-review``, ``netvet-unknown``, ``netvet-waived``, ``netvet-pass`` (created when
  missing): each device or circuit of the report that came from that source of truth carries exactly one, its
  worst verdict over the report's policies; other tags are kept as they are;
- a journal entry (NetBox) or note (Nautobot) whose text starts with ``netvet:`` and lists the verdict per policy,
  added only when the object's latest netvet entry says something else.

Publishing the same report twice changes nothing the second time; ``--dry-run`` lists the changes and writes
nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from . import CollectError, need

ORDER = ["FAIL", "REVIEW", "UNKNOWN", "WAIVED", "PASS"]
TAG_PREFIX = "netvet-"
TAG_COLOURS = {"FAIL": "f44336", "REVIEW": "ff9800", "UNKNOWN": "9e9e9e", "WAIVED": "2196f3", "PASS": "4caf50"}
JOURNAL_PREFIX = "netvet:"
KIND = {"FAIL": "danger", "REVIEW": "warning", "UNKNOWN": "warning", "WAIVED": "info", "PASS": "success"}


@dataclass
class Target:
    object_type: str  # dcim.device | circuits.circuit
    object_id: str
    label: str
    verdicts: dict[str, str] = field(default_factory=dict)  # policy -> verdict

    @property
    def worst(self) -> str:
        return min(self.verdicts.values(), key=ORDER.index) if self.verdicts else "UNKNOWN"

    @property
    def tag(self) -> str:
        return TAG_PREFIX + self.worst.lower()

    def comment(self) -> str:
        parts = "; ".join(f"{p}: {v}" for p, v in sorted(self.verdicts.items()))
        return f"{JOURNAL_PREFIX} {self.worst} ({parts})"


def targets_from_report(path: Path, kind: str) -> list[Target]:
    try:
        report = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CollectError(f"report {path}: cannot read: {exc}") from None
    if not isinstance(report, dict) or "findings" not in report:
        raise CollectError(f"report {path}: not a netvet JSON report (write one with `netvet audit ... -f json`)")
    by_obs: dict[str, Target] = {}
    for obs in report.get("observations", []):
        attrs = obs.get("attributes") or {}
        if attrs.get("sot") != kind or not attrs.get("sot_id"):
            continue
        otype = "circuits.circuit" if obs.get("kind") == "circuit" else "dcim.device"
        by_obs[obs["id"]] = Target(otype, attrs["sot_id"], attrs.get("hostname") or attrs.get("name") or obs["id"])
    for f in report.get("findings", []):
        t = by_obs.get(f.get("subject"))
        if t is not None and f.get("verdict") in ORDER:
            prev = t.verdicts.get(f["policy"])
            t.verdicts[f["policy"]] = f["verdict"] if prev is None else min(prev, f["verdict"], key=ORDER.index)
    return [t for t in by_obs.values() if t.verdicts]


@dataclass
class Change:
    action: str  # create-tag | set-tags | journal
    target: str
    detail: str

    def __str__(self) -> str:
        return f"{self.action:10} {self.target}: {self.detail}"


class Client:
    """The few REST calls publishing needs, for NetBox 4.x and Nautobot 2.x."""

    def __init__(self, flavour: str, url: str, token: str, timeout: float = 30.0):
        requests = need("requests")
        self.flavour, self.timeout = flavour, timeout
        self.base = url.rstrip("/") + "/api/"
        self.s = requests.Session()
        self.s.headers.update({"Authorization": f"Token {token}", "Accept": "application/json",
                               "Content-Type": "application/json"})

    def _call(self, method: str, path: str, **kw) -> dict:
        try:
            r = self.s.request(method, self.base + path, timeout=self.timeout, **kw)
        except Exception as exc:  # noqa: BLE001 - any transport failure
            raise CollectError(f"{self.flavour}: {method} {path}: {type(exc).__name__}") from None
        if r.status_code >= 400:
            raise CollectError(f"{self.flavour}: {method} {path}: HTTP {r.status_code}: {r.text[:300]}")
        return r.json() if r.content else {}

    def list(self, path: str, params: dict) -> list[dict]:
        out, nxt, query = [], path, dict(params, limit=500)
        while nxt:
            page = self._call("GET", nxt, params=query)
            out.extend(page.get("results", []))
            nxt = page.get("next")
            if nxt:
                nxt, query = nxt.split("/api/", 1)[1], None
        return out

    def tags(self) -> dict[str, dict]:
        return {t["name"]: t for t in self.list("extras/tags/", {}) if t.get("name", "").startswith(TAG_PREFIX)}

    def create_tag(self, name: str, colour: str) -> dict:
        body = {"name": name, "color": colour, "description": "verdict written by netvet publish"}
        if self.flavour == "NetBox":
            body["slug"] = name
        else:
            body["content_types"] = ["dcim.device", "circuits.circuit"]
        return self._call("POST", "extras/tags/", json=body)

    @staticmethod
    def endpoint(object_type: str) -> str:
        return "dcim/devices/" if object_type == "dcim.device" else "circuits/circuits/"

    def get(self, t: Target) -> dict:
        return self._call("GET", f"{self.endpoint(t.object_type)}{t.object_id}/")

    def set_tags(self, t: Target, tag_ids: list) -> None:
        self._call("PATCH", f"{self.endpoint(t.object_type)}{t.object_id}/", json={"tags": [{"id": i} for i in
                                                                                           tag_ids]})

    @property
    def _journal(self) -> tuple[str, str]:
        """(endpoint, text field): NetBox's journal entries, Nautobot's notes."""
        return ("extras/journal-entries/", "comments") if self.flavour == "NetBox" else ("extras/notes/", "note")

    def journal(self, t: Target) -> list[dict]:
        path, text = self._journal
        entries = self.list(path, {"assigned_object_type": t.object_type, "assigned_object_id": t.object_id})
        return [dict(e, comments=e.get(text, "")) for e in entries if str(e.get(text, "")).startswith(JOURNAL_PREFIX)
                and str(e.get("assigned_object_id")) == str(t.object_id)]

    def add_journal(self, t: Target, comment: str) -> None:
        path, text = self._journal
        body = {"assigned_object_type": t.object_type, "assigned_object_id": t.object_id, text: comment}
        if self.flavour == "NetBox":
            body["kind"] = KIND[t.worst]
        self._call("POST", path, json=body)


def publish(client: Client, targets: list[Target], dry_run: bool) -> list[Change]:
    changes: list[Change] = []
    tags = client.tags()
    for verdict in ORDER:
        name = TAG_PREFIX + verdict.lower()
        if name not in tags:
            changes.append(Change("create-tag", name, f"colour #{TAG_COLOURS[verdict]}"))
            if not dry_run:
                tags[name] = client.create_tag(name, TAG_COLOURS[verdict])
    ours = {t.get("id") for t in tags.values()}
    for t in targets:
        obj = client.get(t)
        current = [(tag.get("id"), tag.get("name")) for tag in obj.get("tags") or [] if isinstance(tag, dict)]
        keep = [tid for tid, name in current if tid not in ours and not str(name).startswith(TAG_PREFIX)]
        want_tag = tags.get(t.tag, {}).get("id", t.tag)
        want = keep + [want_tag]
        have = [tid for tid, _ in current]
        if sorted(map(str, have)) != sorted(map(str, want)):
            old = [name for tid, name in current if str(name).startswith(TAG_PREFIX)]
            changes.append(Change("set-tags", f"{t.object_type} {t.label}",
                                  f"{', '.join(old) or 'no netvet tag'} -> {t.tag}"))
            if not dry_run:
                client.set_tags(t, want)
        comment = t.comment()
        entries = client.journal(t)
        latest = max(entries, key=lambda e: (str(e.get("created", "")), str(e.get("id", ""))), default=None)
        if latest is None or latest.get("comments") != comment:
            changes.append(Change("journal", f"{t.object_type} {t.label}", comment))
            if not dry_run:
                client.add_journal(t, comment)
    return changes
