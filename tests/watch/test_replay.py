"""Replay over real RIS update files: exact events, byte-identical reruns, state across a restart."""

from __future__ import annotations

import json
from pathlib import Path

from netvet.cli import main
from netvet.watch.channels import Dispatcher, dumps
from netvet.watch.config import load_config
from netvet.watch.runner import replay
from tests.conftest import FIXTURES, shared_file

RRC15 = FIXTURES / "watch" / "rrc15.yaml"


class Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def send(self, event, line) -> None:
        self.lines.append(line)

    def close(self) -> None:
        pass


def _run(cfg, files, ctx, state=None) -> list[str]:
    rec = Lines()
    replay(cfg, files, Dispatcher([rec]), state, ctx=ctx)
    return rec.lines


def _key(e: dict) -> tuple:
    return (e["seq"], e["action"], e["kind"], e["rule"], e["prefix"], e["time"], tuple(e["asns"]),
            tuple((p["peer"], tuple(map(str, p["as_path"]))) for p in e["paths"]),
            tuple((x["asn"], (x["entity"] or {}).get("id"), x["verdict"]) for x in e["entities"]))


def _cfg_2016(tmp_path: Path) -> Path:
    f = shared_file("mrt/updates.20160811.1600.gz")
    p = tmp_path / "watch.yaml"
    p.write_text(f"policy: clean-network\nevaluated_on: 2026-11-24\nwatch:\n  prefix_files: ['{f}']\n")
    return p


def test_replay_2016_exact_events(tmp_path, clean_ctx):
    f = shared_file("mrt/updates.20160811.1600.gz")
    cfg = load_config(_cfg_2016(tmp_path))
    lines = _run(cfg, [f], clean_ctx)
    events = [json.loads(x) for x in lines]
    assert len(events) == 363
    kinds = {}
    for e in events:
        kinds[(e["kind"], e["action"])] = kinds.get((e["kind"], e["action"]), 0) + 1
    assert kinds == {("session_down", "raise"): 5, ("excluded_carrier", "raise"): 133,
                     ("excluded_carrier", "update"): 1,
                     ("excluded_carrier", "resolve"): 34, ("excluded_origin", "raise"): 94,
                     ("withdrawn", "raise"): 61, ("withdrawn", "resolve"): 35}
    first_route = next(e for e in events if e["prefix"])
    assert first_route["schema"] == "netvet-watch-event/1"
    assert first_route["kind"] == "excluded_carrier" and first_route["action"] == "raise"
    # every event that names a China Telecom AS attributes it with its evidence chain
    ct = [x for e in events for x in e["entities"] if x["asn"] in (4134, 4809)]
    assert ct and all(x["entity"]["id"] == "china-telecom-corp" and x["verdict"] == "FAIL" for x in ct)
    assert all(x["evidence"] and x["rule_ids"] for x in ct)
    expected = [json.loads(x) for x in (FIXTURES / "watch" / "expected_2016_first.jsonl").read_text().splitlines()]
    assert [_key(e) for e in events[: len(expected)]] == [_key(e) for e in expected]
    # an excluded_carrier event's paths all carry an excluded AS, listed in "offending"
    for e in events:
        if e["kind"] == "excluded_carrier" and e["action"] != "resolve":
            assert e["paths"] and all(p["offending"] for p in e["paths"])
            assert set(e["asns"]) == {a for p in e["paths"] for a in p["offending"]}


def test_replay_rrc15_rules_exact(clean_ctx):
    f1 = shared_file("mrt/rrc15_2010.02_updates.20100227.1600.gz")
    f2 = shared_file("mrt/rrc15_2010.02_updates.20100227.1610.gz")
    cfg = load_config(RRC15)
    events = [json.loads(x) for x in _run(cfg, [f1, f2], clean_ctx)]
    assert len(events) == 3627
    expected = [json.loads(x) for x in (FIXTURES / "watch" / "expected_rrc15_first.jsonl").read_text().splitlines()]
    assert [_key(e) for e in events[: len(expected)]] == [_key(e) for e in expected]
    first = next(e for e in events if e["kind"] == "excluded_carrier")
    assert first["paths"][0]["as_path"][-1] == 4134 and first["asns"] == [4134]
    # the five-minute gap between the two files is a silent feed (expected_interval 120 s), resolved by the next file
    silent = [e for e in events if e["kind"] == "feed_silent"]
    assert [e["action"] for e in silent] == ["raise", "resolve"]


def test_cli_replay_is_byte_identical(tmp_path, capsys):
    f = shared_file("mrt/rrc15_2010.02_updates.20100227.1600.gz")
    outs = []
    for _ in range(2):
        assert main(["watch", "--replay", str(f), "--config", str(RRC15), "--format", "json"]) == 0
        outs.append(capsys.readouterr().out)
    assert outs[0] == outs[1] and outs[0].count("\n") > 100


def test_state_survives_a_restart(tmp_path, clean_ctx):
    f1 = shared_file("mrt/rrc15_2010.02_updates.20100227.1600.gz")
    f2 = shared_file("mrt/rrc15_2010.02_updates.20100227.1610.gz")
    cfg = load_config(RRC15)
    whole = _run(cfg, [f1, f2], clean_ctx)
    state = tmp_path / "state.sqlite"
    a = _run(cfg, [f1], clean_ctx, state=str(state))
    b = _run(cfg, [f2], clean_ctx, state=str(state))  # a new engine, restored from the file
    assert a + b == whole
    from netvet.watch import open_events

    opened = open_events(state)
    assert len(opened) == 3623 and opened == sorted(opened, key=lambda e: e["seq"])
    assert dumps(opened[0]) == dumps(json.loads(dumps(opened[0])))
    # the dashboard shows the open events of the state file, paginated
    from fastapi.testclient import TestClient

    from netvet.history.store import History
    from netvet.web.app import create_app

    local = "http://127.0.0.1"
    client = TestClient(create_app(History(tmp_path / "h.duckdb"), watch_state=state), base_url=local)
    api = client.get("/api/events?size=50&page=2").json()
    assert (api["total"], api["page"], len(api["items"])) == (3623, 2, 50)
    assert [e["seq"] for e in api["items"]] == [e["seq"] for e in opened[50:100]]
    html = client.get("/events")
    assert html.status_code == 200 and html.text.count('<tr class="event"') == 100
    bare = TestClient(create_app(History(tmp_path / "h2.duckdb")), base_url=local)
    assert bare.get("/api/events").json()["total"] == 0
