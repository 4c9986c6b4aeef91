"""A real two-node Ray cluster on this machine, each node in a network namespace of its own.

Head and worker talk over a veth pair with addresses of their own (10.x.y.1 and .2), so no
node ever binds the machine's own address; the driver runs in the head's namespace. The
recipe is ../shared/DEPENDENCIES.md's. `down()` kills every process of both namespaces and
deletes them, whatever happened before.

Every node is also given a folder of its own for the tasks of a run whose nodes share only object
storage (`FRUITSTAND_NODE_STAGING`, execute/exchange.py: `node_dirs`) and an S3 endpoint on the head's
veth address (`s3_endpoint`, where a test may start moto's server), with test credentials, both in
the environment of its `ray start`, as a real cluster's nodes would have them.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.io.servers import moto_env

REPO = Path(__file__).resolve().parents[2]
PORT = 6379
S3_PORT = 6390


def netns_available() -> str | None:
    """None if network namespaces can be made here, else why not."""
    if shutil.which("ip") is None:
        return "the ip command (iproute2) is not installed"
    name = f"frsprobe{os.getpid()}"
    r = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
    if r.returncode != 0:
        return f"ip netns add is not permitted here: {r.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", name], capture_output=True)
    return None


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


class Cluster:
    def __init__(self, cpus_per_node: int = 1, nodes: int = 2, cores: list[int] | None = None):
        """`cores`: pin node k's processes to core cores[k] (taskset), so "1 CPU" is one core of its own."""
        tag = os.getpid() % 100000
        # head, worker, and a third with loopback alone (for a Ray that fruitstand starts itself)
        self.ns = [f"frs{tag}h", f"frs{tag}w", f"frs{tag}l"]
        octet = 100 + tag % 150
        self.ips = [f"10.{octet}.{tag // 150 % 250}.1", f"10.{octet}.{tag // 150 % 250}.2"]
        self.cpus = cpus_per_node
        self.nodes = nodes
        self.cores = cores
        self.temp = tempfile.mkdtemp(prefix="frs-ray-")
        self.address = f"{self.ips[0]}:{PORT}"
        self.s3_endpoint = f"http://{self.ips[0]}:{S3_PORT}"
        self.node_dirs = [Path(self.temp) / f"node{k}" for k in range(2)]
        # Ray 2.60 authenticates every connection: one token of the test's own for head, worker and driver.
        self.env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)]),
                    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "1", "RAY_USAGE_STATS_ENABLED": "0",
                    "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32),
                    **moto_env(self.s3_endpoint)}

    def up(self) -> Cluster:
        h, w = self.ns[:2]
        veth = [f"{h}v", f"{w}v"]
        for ns in self.ns:
            _ip("netns", "add", ns)
        _ip("-n", self.ns[2], "link", "set", "lo", "up")
        _ip("link", "add", veth[0], "type", "veth", "peer", "name", veth[1])
        for ns, dev, addr in zip(self.ns[:2], veth, self.ips):
            _ip("link", "set", dev, "netns", ns)
            _ip("-n", ns, "addr", "add", f"{addr}/24", "dev", dev)
            _ip("-n", ns, "link", "set", "lo", "up")
            _ip("-n", ns, "link", "set", dev, "up")
        ray = str(Path(sys.executable).with_name("ray"))
        common = ["--num-cpus", str(self.cpus), "--object-store-memory", str(200 << 20), "--disable-usage-stats"]
        self._ray(h, [*self._node_env(0), *self._pin(0), ray, "start", "--head", f"--node-ip-address={self.ips[0]}", f"--port={PORT}",
                      "--include-dashboard=false", f"--temp-dir={self.temp}", *common])
        if self.nodes > 1:
            self.join()
        return self

    def join(self) -> None:
        """Start the second node (again, after `kill_node`: a new node at the same address)."""
        ray = str(Path(sys.executable).with_name("ray"))
        self._ray(self.ns[1], [*self._node_env(1), *self._pin(1), ray, "start", f"--address={self.address}", f"--node-ip-address={self.ips[1]}",
                               "--num-cpus", str(self.cpus), "--object-store-memory", str(200 << 20),
                               "--disable-usage-stats"])

    def _node_env(self, node: int) -> list[str]:
        return ["env", f"FRUITSTAND_NODE_STAGING={self.node_dirs[node]}"]

    def _pin(self, node: int) -> list[str]:
        return ["taskset", "-c", str(self.cores[node])] if self.cores else []

    def kill_node(self, ns: int = 1) -> list[int]:
        """SIGKILL every process of a node's namespace (raylet, object store, workers): the machine gone."""
        killed = []
        for _ in range(3):
            pids = self.pids(ns)
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                except ProcessLookupError:
                    pass
            time.sleep(0.2)
        return killed

    def _ray(self, ns: str, cmd: list[str]) -> None:
        r = subprocess.run(["ip", "netns", "exec", ns, *cmd], env=self.env, capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd[:3])} failed: {r.stderr[-2000:]}")

    def exec(self, cmd: list[str], ns: int = 0, **kw) -> subprocess.CompletedProcess:
        return subprocess.run(["ip", "netns", "exec", self.ns[ns], *cmd], env=self.env, **kw)

    def popen(self, cmd: list[str], ns: int = 0, **kw) -> subprocess.Popen:
        return subprocess.Popen(["ip", "netns", "exec", self.ns[ns], *cmd], env=self.env, start_new_session=True, **kw)

    def pids(self, ns: int) -> list[int]:
        r = subprocess.run(["ip", "netns", "pids", self.ns[ns]], capture_output=True, text=True)
        return [int(p) for p in r.stdout.split()]

    def task_workers(self, ns: int) -> list[int]:
        """Ray worker processes of a node that are running one of fruitstand's tasks."""
        out = []
        for pid in self.pids(ns):
            try:
                title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if title.startswith("ray::_task"):
                out.append(pid)
        return out

    def down(self) -> None:
        for _ in range(3):
            for ns in range(len(self.ns)):
                for pid in self.pids(ns):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            if not any(self.pids(ns) for ns in range(len(self.ns))):
                break
            time.sleep(0.5)
        for ns in self.ns:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        shutil.rmtree(self.temp, ignore_errors=True)
