"""Start snmpsim's command responder on loopback for the collector tests and the benchmark.

snmpsim refuses to run as root unless it drops privileges, so as root it runs as ``nobody`` from a world-readable
temporary folder (pytest's own tmp folders are private); ``dbm.dumb`` is imported before the privileges are
dropped (the interpreter's library may not be readable by ``nobody``), and so is the cryptography backend that
SNMPv3 privacy needs."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

# snmpsim drops root privileges to nobody before it opens its dbm caches: everything it will import from a
# root-only Python installation (dbm.dumb, the Latin-1 codec dbm.dumb asks for, cryptography) is imported first
_LAUNCH = ("import sys, codecs, dbm, dbm.dumb\n"
           "codecs.lookup('latin-1')\n"
           "try:\n"
           "    from cryptography.hazmat.backends import default_backend\n"
           "    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes\n"
           "    default_backend()\n"
           "except ImportError:\n"
           "    pass\n"
           "from snmpsim.commands.responder import main\n"
           "sys.argv = ['snmpsim-command-responder'] + sys.argv[1:]\n"
           "sys.exit(main())\n")


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def snmpsim(files: dict[str, Path], v3: tuple[str, str, str] | None = None, timeout: float = 30.0
            ) -> Iterator[int]:
    """Serve ``files`` (community name -> .snmprec file, copied into a temporary data folder) on 127.0.0.1;
    yields the UDP port. ``v3`` = (user, auth key, priv key) adds an SNMPv3 user (SHA / AES)."""
    root = Path(tempfile.mkdtemp(prefix="netvet-snmpsim-"))
    try:
        data, cache = root / "data", root / "cache"
        data.mkdir()
        cache.mkdir()
        for community, src in files.items():
            shutil.copyfile(src, data / f"{community}.snmprec")
        for p in (root, data):
            p.chmod(0o755)
        cache.chmod(0o777)
        for f in data.iterdir():
            f.chmod(0o644)
        port = free_udp_port()
        args = [sys.executable, "-c", _LAUNCH, f"--data-dir={data}", f"--cache-dir={cache}",
                f"--agent-udpv4-endpoint=127.0.0.1:{port}", "--log-level=error"]
        if v3:
            user, auth, priv = v3
            args += [f"--v3-user={user}", f"--v3-auth-key={auth}", "--v3-auth-proto=SHA",
                     f"--v3-priv-key={priv}", "--v3-priv-proto=AES"]
        if os.geteuid() == 0:
            args += ["--process-user=nobody", "--process-group=nogroup"]
        log = open(root / "snmpsim.log", "wb")  # noqa: SIM115 - closed below
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=root)
        try:
            _wait_ready(port, proc, timeout, root / "snmpsim.log", next(iter(files)))
            yield port
        finally:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
            log.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _wait_ready(port: int, proc: subprocess.Popen, timeout: float, log: Path, community: str) -> None:
    """Poll with a raw SNMPv2c GET of sysDescr until the responder answers."""
    from pyasn1.codec.ber import encoder
    from pysnmp.proto import api

    p = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    pdu = p.GetRequestPDU()
    p.apiPDU.set_defaults(pdu)
    p.apiPDU.set_varbinds(pdu, [((1, 3, 6, 1, 2, 1, 1, 1, 0), p.Null(""))])
    msg = p.Message()
    p.apiMessage.set_defaults(msg)
    p.apiMessage.set_community(msg, community)
    p.apiMessage.set_pdu(msg, pdu)
    packet = encoder.encode(msg)
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.3)
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"snmpsim exited: {log.read_text(errors='replace')[-2000:]}")
            s.sendto(packet, ("127.0.0.1", port))
            try:
                s.recvfrom(65535)
                return
            except (TimeoutError, OSError):
                continue
    raise RuntimeError(f"snmpsim did not answer within {timeout:g} s: {log.read_text(errors='replace')[-2000:]}")
