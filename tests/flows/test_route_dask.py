"""`netvet routes audit | dependency --engine dask` (flows/route_dask.py): on a LocalCluster and on a real
`dask scheduler` with two `dask worker` processes on 127.0.0.1, the JSON is identical to the single-node run
on the shared RIBs (four collectors: RouteViews IPv4, RIS IPv6, BIRD, OpenBGPD)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import pytest

from netvet.cli import main
from tests.conftest import shared_file

pytest.importorskip("distributed")

RIBS = ("mrt/rib.20140523.0600_first9073records.mrt.gz", "mrt/rib6.20151101.0600_firstMB.bz2",
        "mrt/bird-mrtdump_rib", "mrt/openbgpd_rib_table-v2")
AUDIT = ["--on", "2025-01-01", "-f", "json", "--fail-on", "never"]


def run(capsys, *args) -> dict:
    code = main(["routes", *args])
    out, err = capsys.readouterr()
    assert code == 0 and "Traceback" not in out + err, err
    doc = json.loads(out)
    doc.pop("generated_at")
    return doc


@pytest.fixture(scope="module")
def ribs() -> list[str]:
    return [str(shared_file(r)) for r in RIBS]


@pytest.fixture(scope="module")
def single(ribs, tmp_path_factory) -> dict:
    """The single-node audit (run once for both clusters)."""
    out = tmp_path_factory.mktemp("single") / "audit.json"
    assert main(["routes", "audit", *ribs, *AUDIT, "-o", str(out)]) == 0
    doc = json.loads(out.read_text())
    doc.pop("generated_at")
    return doc


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def scheduler():
    """A `dask scheduler` and two `dask worker` processes on 127.0.0.1 (free ports), torn down after."""
    from dask.distributed import Client

    port = _free_port()
    addr = f"tcp://127.0.0.1:{port}"
    procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                               "--port", str(port), "--dashboard-address", ":0"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        for _ in range(2):
            procs.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", addr,
                                           "--host", "127.0.0.1", "--nthreads", "1", "--nworkers", "1",
                                           "--dashboard-address", ":0"],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        deadline = time.monotonic() + 60
        while True:  # the scheduler listens, then both workers register
            try:
                with Client(addr, timeout="5s") as c:
                    c.wait_for_workers(2, timeout=max(1.0, deadline - time.monotonic()))
                break
            except OSError:
                if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                    pytest.fail("the Dask scheduler or a worker did not start")
                time.sleep(0.3)
        yield addr
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def test_local_cluster_identical(capsys, ribs, single):
    one = single
    assert [c["name"] for c in one["collectors"]] == [r.split("/")[-1] for r in RIBS]
    assert one["summary"]["peers"] == sum(c["summary"]["peers"] for c in one["collectors"])
    dask = run(capsys, "audit", *ribs, *AUDIT, "--engine", "dask")
    assert dask == one


def test_real_scheduler_identical(capsys, ribs, single, scheduler):
    one = single
    dask = run(capsys, "audit", *ribs, *AUDIT, "--engine", "dask", "--scheduler", scheduler)
    assert dask == one
    # one RIB: the single node streams it (analyses.full_table), Dask parses it whole on a worker
    assert run(capsys, "audit", ribs[0], *AUDIT, "--engine", "dask", "--scheduler", scheduler) == \
        run(capsys, "audit", ribs[0], *AUDIT)
    dep = ["--scope", "AS4134", "--on", "2025-01-01", "-f", "json"]  # IPv4: the RouteViews and BIRD RIBs
    v4 = [ribs[0], ribs[2]]
    assert run(capsys, "dependency", *v4, *dep, "--engine", "dask", "--scheduler", scheduler) == \
        run(capsys, "dependency", *v4, *dep)

