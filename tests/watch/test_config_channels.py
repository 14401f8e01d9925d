"""watch.yaml validation (file:line), the webhook (retries, backoff, bounded queue), syslog, the BMP decoder."""

from __future__ import annotations

import http.server
import json
import socket
import struct
import sys
import threading
import time
from pathlib import Path

import pytest

from netvet.cli import main
from netvet.util.yamlfile import DataValidationError
from netvet.watch.bmp import BmpDecoder
from netvet.watch.channels import SyslogChannel, WebhookChannel, dumps
from netvet.watch.config import Channel, load_config
from tests.watch.conftest import free_port

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "enforce"))


def _write(tmp_path, text: str) -> Path:
    p = tmp_path / "watch.yaml"
    p.write_text(text)
    return p


def test_unknown_field_names_file_and_line(tmp_path):
    p = _write(tmp_path, "policy: clean-network\nwatch:\n  prefixes: [192.0.2.0/24]\n  prefixs: []\n")
    with pytest.raises(DataValidationError) as exc:
        load_config(p)
    assert str(exc.value.errors[0]) == f"{p}:4: watch.prefixs: unknown field 'prefixs'"


def test_bad_values_are_located(tmp_path):
    p = _write(tmp_path, "rules:\n  - id: a\n    kind: must_transit\n  - id: b\n    kind: no_jurisdiction\n"
                         "    jurisdictions: [China]\nfeeds:\n  - name: r1\n    type: bgp\n"
                         "    expected_interval: soon\n")
    with pytest.raises(DataValidationError) as exc:
        load_config(p)
    msgs = [str(e) for e in exc.value.errors]
    assert any(m.startswith(f"{p}:2: rules[0]") and "needs asns, entities or sets" in m for m in msgs)
    assert f"{p}:6: rules[1].jurisdictions: Value error, 'China' is not an ISO 3166 two-letter country code" in msgs
    assert any(m.startswith(f"{p}:10: feeds[0].expected_interval") for m in msgs)


def test_unknown_set_and_duplicate_rule(tmp_path):
    p = _write(tmp_path, "rules:\n  - id: a\n    kind: never_transit\n    sets: [nope]\n"
                         "  - id: a\n    kind: withdrawn\n")
    with pytest.raises(DataValidationError) as exc:
        load_config(p)
    msgs = [str(e) for e in exc.value.errors]
    assert f"{p}:5: rules[1].id: duplicate 'a'" in msgs
    assert any(m.startswith(f"{p}:4: rules[0].sets[0]: no entity set 'nope'") for m in msgs)


def test_cli_reports_config_errors_with_exit_2(tmp_path, capsys):
    p = _write(tmp_path, "policy: clean-network\nfeeds:\n  - name: x\n    type: carrier-pigeon\n")
    assert main(["watch", "--config", str(p)]) == 2
    assert f"{p}:4:" in capsys.readouterr().err


def test_durations_and_asns(tmp_path):
    p = _write(tmp_path, "watch:\n  origins: [AS4134, 4809, '1.10']\nfeeds:\n  - name: b\n    type: bmp\n"
                         "    port: 11019\n    expected_interval: 5m\n")
    cfg = load_config(p)
    assert cfg.watch.origins == [4134, 4809, 65546]
    assert cfg.feeds[0].expected_interval == 300.0


# ------------------------------------------------------------------------------------------ webhook
class _Hook(http.server.BaseHTTPRequestHandler):
    fail_first = 2
    calls: list = []
    bodies: list = []

    def do_POST(self):  # noqa: N802
        n = int(self.headers["Content-Length"])
        body = self.rfile.read(n)
        type(self).calls.append(time.monotonic())
        if len(type(self).calls) <= type(self).fail_first:
            self.send_response(503)
            self.end_headers()
            return
        type(self).bodies.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_webhook_retries_with_exponential_backoff():
    _Hook.calls, _Hook.bodies = [], []
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        ch = WebhookChannel(Channel(type="webhook", url=f"http://127.0.0.1:{srv.server_port}/alert", backoff=0.1,
                                    retries=4))
        events = [{"seq": i, "action": "raise", "kind": "withdrawn"} for i in range(3)]
        for e in events:
            ch.send(e, dumps(e))
        ch.close(timeout=10)
        assert _Hook.bodies == events
        assert ch.retried == 2 and ch.sent == 3 and ch.failed == 0 and ch.dropped == 0
        gaps = [b - a for a, b in zip(_Hook.calls, _Hook.calls[1:], strict=False)][:2]
        assert gaps[0] >= 0.09 and gaps[1] >= 0.18  # 0.1 s, then 0.2 s
    finally:
        srv.shutdown()


def test_webhook_queue_is_bounded():
    port = free_port()  # nobody listens: every delivery fails
    ch = WebhookChannel(Channel(type="webhook", url=f"http://127.0.0.1:{port}/", backoff=5, retries=1, queue=2))
    for i in range(10):
        e = {"seq": i}
        ch.send(e, dumps(e))
    assert ch.q.qsize() <= 2 and ch.dropped >= 7
    ch.close(timeout=0.5)


def test_syslog_over_loopback_udp():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5)
    ch = SyslogChannel("127.0.0.1", sock.getsockname()[1], "local3")
    ev = {"seq": 1, "action": "raise", "kind": "excluded_carrier"}
    ch.send(ev, dumps(ev))
    data = sock.recv(65535).decode()
    ch.close()
    sock.close()
    assert data.startswith("<156>netvet-watch: ")  # local3 (19) * 8 + warning (4)
    assert json.loads(data.split(": ", 1)[1].rstrip("\x00")) == ev


# ------------------------------------------------------------------------------------------ BMP
def _bmp(mtype: int, body: bytes) -> bytes:
    return struct.pack(">BIB", 3, 6 + len(body), mtype) + body


def _peer_hdr(flags: int = 0, asn: int = 65010, ts: int = 1_700_000_000) -> bytes:
    return (bytes([0, flags]) + bytes(8) + bytes(12) + socket.inet_aton("192.0.2.9") + struct.pack(">I", asn)
            + socket.inet_aton("192.0.2.9") + struct.pack(">II", ts, 0))


def test_bmp_decoder_route_monitoring_and_peer_down():
    from bgp_speaker import update

    upd = update("203.0.113.0/24", [(2, [65010, 3356]), (1, [4134, 4809])], "192.0.2.9")
    stream = _bmp(4, struct.pack(">HH", 0, 4) + b"test") + _bmp(0, _peer_hdr() + upd)
    stream += _bmp(0, _peer_hdr(0x40) + upd) + _bmp(2, _peer_hdr() + bytes([4]))
    dec = BmpDecoder("r1")
    msgs = dec.feed(stream[:50]) + dec.feed(stream[50:])  # split anywhere
    assert [m["msg"] for m in msgs] == ["initiation", "route-monitoring", "route-monitoring", "peer-down"]
    assert msgs[1]["routes"] == [("A", "203.0.113.0/24", (65010, 3356, frozenset({4134, 4809})))]
    assert msgs[1]["peer"]["view"] == "pre-policy" and msgs[2]["peer"]["view"] == "post-policy"
    assert msgs[3]["reason"] == "remote, no notification"
