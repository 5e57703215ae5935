"""Private redis-server processes for tests that restart, freeze, fill or reconfigure a server
(never the machine's shared one): one server with AOF `always`, or a 3-master cluster."""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import redis

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
REDIS_CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_cluster_port() -> int:
    """A port P with P and its cluster bus port P + 10000 both free (P must be <= 55535)."""
    for _ in range(200):
        port = random.randint(20000, 45000)
        if _port_free(port) and _port_free(port + 10000):
            return port
    raise RuntimeError("no free port pair for a cluster node")


def _wait(cond: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if callable(cond) and cond():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


@dataclass
class RedisServer:
    """A redis-server on its own port and directory (AOF `always` unless told otherwise)."""

    directory: Path
    port: int = field(default_factory=free_port)
    extra: Sequence[str] = ()
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Its URL (database 0)."""
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        """A synchronous client (decoded replies)."""
        return redis.Redis(host="127.0.0.1", port=self.port, decode_responses=True, socket_timeout=30)

    def start(self) -> RedisServer:
        """Start (or restart, on the same directory and AOF) and wait until it serves."""
        self.directory.mkdir(parents=True, exist_ok=True)
        args = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.directory),
                "--logfile", str(self.directory / "redis.log"), "--enable-debug-command", "yes",
                *self.extra]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait(self._serving, 20, f"redis-server on port {self.port}")
        return self

    def _serving(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(f"redis-server on port {self.port} exited: "
                               f"{(self.directory / 'redis.log').read_text(errors='replace')[-2000:]}")
        try:
            c = self.client()
            try:
                return bool(c.ping()) and c.info("persistence").get("loading", 0) == 0
            finally:
                c.close()
        except redis.exceptions.RedisError:
            return False

    def kill(self) -> None:
        """SIGKILL the server (a crash: only what AOF `always` wrote survives)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(30)

    def stop(self) -> None:
        """Stop the server for good."""
        if self.proc is not None and self.proc.poll() is None:
            for sig in (signal.SIGCONT, signal.SIGKILL):
                try:
                    os.kill(self.proc.pid, sig)
                except ProcessLookupError:
                    pass
            self.proc.wait(30)


@dataclass
class RedisCluster:
    """Three masters (no replicas) on loopback, slots spread by `redis-cli --cluster create`."""

    directory: Path
    nodes: list[RedisServer] = field(default_factory=list)

    @property
    def url(self) -> str:
        """A cluster URL naming one node (the client discovers the others)."""
        return f"redis+cluster://127.0.0.1:{self.nodes[0].port}"

    def start(self) -> RedisCluster:
        """Start three cluster-enabled servers and join them."""
        for i in range(3):
            node = RedisServer(self.directory / f"node{i}", port=free_cluster_port(),
                               extra=("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                                      "--cluster-node-timeout", "5000", "--appendonly", "no"))
            self.nodes.append(node.start())
        addrs = [f"127.0.0.1:{n.port}" for n in self.nodes]
        subprocess.run([REDIS_CLI, "--cluster", "create", *addrs, "--cluster-replicas", "0", "--cluster-yes"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, timeout=60)
        _wait(self._ok, 30, "cluster_state:ok on every node")
        return self

    def _ok(self) -> bool:
        for n in self.nodes:
            c = n.client()
            try:
                if c.cluster("info").get("cluster_state") != "ok":
                    return False
            finally:
                c.close()
        return True

    def node_of(self, key: str) -> RedisServer:
        """The node serving the slot of `key`."""
        c = self.nodes[0].client()
        try:
            slot = int(c.cluster("keyslot", key))
            for start, end, primary, *_replicas in c.cluster("slots"):
                if int(start) <= slot <= int(end):
                    port = int(primary[1])
                    return next(n for n in self.nodes if n.port == port)
        finally:
            c.close()
        raise LookupError(f"no node serves the slot of {key!r}")

    def stop(self) -> None:
        """Stop every node."""
        for n in self.nodes:
            n.stop()
