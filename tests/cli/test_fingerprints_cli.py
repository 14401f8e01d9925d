"""`netvet fingerprints list / test / match`: output, formats and exit codes."""

import json
from pathlib import Path

from netvet.cli import main

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "fingerprints"


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_list_json_filters(capsys):
    code, out, _ = run(capsys, "fingerprints", "list", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert len(rows) >= 150 and {"id", "entity", "contexts", "strength", "defined_in"} <= set(rows[0])
    code, out, _ = run(capsys, "fingerprints", "list", "--entity", "zte", "--context", "sys-object-id",
                       "--format", "json")
    rows = json.loads(out)
    assert code == 0 and rows and all(r["entity"] == "zte" and r["oid_prefix"] for r in rows)
    code, out, _ = run(capsys, "fingerprints", "list", "--entity", "hikvision")
    assert code == 0 and "hikvision.model.ds-camera" in out


def test_list_usage_errors(capsys):
    code, _, err = run(capsys, "fingerprints", "list", "--context", "sys-desc")
    assert code == 2 and "unknown context 'sys-desc'" in err
    code, _, err = run(capsys, "fingerprints", "list", "--entity", "no-such")
    assert code == 2 and "no entity 'no-such'" in err


def test_test_ok_and_errors(capsys):
    code, out, _ = run(capsys, "fingerprints", "test", str(FIX / "good-user.yaml"))
    assert code == 0 and out.startswith("OK: 1 fingerprint(s) in 1 file(s), 2 example(s)")
    bad = FIX / "unknown-entity.yaml"
    code, _, err = run(capsys, "fingerprints", "test", str(bad), str(FIX / "bad-regex.yaml"))
    assert code == 2
    assert f"{bad}:4: fingerprint t.unknown-entity: unknown entity 'no-such-maker'" in err
    assert f"{FIX / 'bad-regex.yaml'}:4: fingerprint t.bad-regex: pattern does not compile" in err
    code, _, err = run(capsys, "fingerprints", "test", str(FIX / "no-such-file.yaml"))
    assert code == 2 and "no such file" in err


def test_match(capsys):
    code, out, _ = run(capsys, "fingerprints", "match", "sys-descr",
                       "Ruijie Full 25G Routing Switch(S6150-24VS8CQ-X) By Ruijie Networks", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and {m["entity"] for m in doc["matches"]} == {"ruijie"}
    code, out, _ = run(capsys, "fingerprints", "match", "sys-object-id", "1.3.6.1.4.1.2011.2.23.95", "-f", "json")
    assert [m["id"] for m in json.loads(out)["matches"]] == ["huawei.oid.s-switch", "huawei.oid.products"]
    code, out, _ = run(capsys, "fingerprints", "match", "sys-object-id", "1.3.6.1.4.1.8072.3.2.10")
    assert code == 0 and "never names a maker" in out and "no fingerprint claims" in out
    code, out, _ = run(capsys, "fingerprints", "match", "model", "DS-2CD2185FWD-I")
    assert code == 0 and "hikvision" in out
    code, _, err = run(capsys, "fingerprints", "match", "bogus", "x")
    assert code == 2 and "unknown context 'bogus'" in err
