"""`netvet policies list`: the typed result (one summary per policy pack) and its reporters (table, json)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from . import reporter, terminal


@dataclass(frozen=True)
class PackSummary:
    id: str
    title: str
    version: str
    approach: str
    vendor_neutral: bool
    rules: int  # number of rules


@dataclass
class PackList:
    """The policy packs a command lists, in order."""

    packs: list[PackSummary]

    @classmethod
    def of(cls, packs: list) -> PackList:
        """From loaded ``policies.Pack`` objects."""
        return cls([PackSummary(p.id, p.meta.title, p.meta.version, p.meta.approach, p.meta.vendor_neutral,
                                len(p.rules)) for p in packs])


@reporter("json", kind=PackList)
def pack_list_json(result: PackList) -> str:
    return json.dumps([asdict(p) for p in result.packs], indent=2)


@terminal(PackList)
def pack_list_tables(result: PackList) -> list:
    from rich.table import Table

    t = Table(title="Policy packs", title_justify="left")
    for col in ("id", "title", "approach", "vendor-neutral", "rules", "version"):
        t.add_column(col)
    for p in result.packs:
        t.add_row(p.id, p.title, p.approach, "yes" if p.vendor_neutral else "no", str(p.rules), p.version)
    return [t]


@reporter("table", kind=PackList)
def pack_list_table(result: PackList) -> str:
    """The table as plain text, 160 columns wide (when not printed on a terminal)."""
    from rich.console import Console

    con = Console(width=160, force_terminal=False, color_system=None)
    with con.capture() as cap:
        for part in pack_list_tables(result):
            con.print(part)
    return cap.get()
