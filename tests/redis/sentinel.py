"""A primary, two replicas and three Sentinels on loopback, each its own redis-server process
(two replicas: after a failover one is left to acknowledge `durability=replicated` writes)."""

from __future__ import annotations

import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

from .servers import REDIS_SERVER, RedisServer, _wait, free_port

SERVICE = "hubjobs-test"


@dataclass
class SentinelSetup:
    """Primary + two replicas (no persistence: what no replica has is lost) + three Sentinels."""

    directory: Path
    primary: RedisServer | None = None
    replicas: list[RedisServer] = field(default_factory=list)
    sentinel_ports: list[int] = field(default_factory=list)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def url(self, prefix: str, **params: str) -> str:
        """The backend URL through the Sentinels."""
        query = "&".join(f"{k}={v}" for k, v in {"prefix": prefix, **params}.items())
        hosts = ",".join(f"127.0.0.1:{p}" for p in self.sentinel_ports)
        return f"redis+sentinel://{hosts}/{SERVICE}?{query}"

    def start(self) -> SentinelSetup:
        """Start everything and wait until the Sentinels know the replica and each other."""
        no_persistence = ("--appendonly", "no")
        self.primary = RedisServer(self.directory / "primary", extra=no_persistence).start()
        for i in range(2):
            replica = RedisServer(self.directory / f"replica-{i}", extra=(
                *no_persistence, "--replicaof", "127.0.0.1", str(self.primary.port))).start()
            _wait(lambda r=replica: self._link_up(r), 20, "a replica to sync")
            self.replicas.append(replica)
        for i in range(3):
            port = free_port()
            conf = self.directory / f"sentinel-{i}.conf"
            conf.write_text(f"port {port}\nbind 127.0.0.1\ndir {self.directory}\n"
                            f"sentinel monitor {SERVICE} 127.0.0.1 {self.primary.port} 2\n"
                            f"sentinel down-after-milliseconds {SERVICE} 1000\n"
                            f"sentinel failover-timeout {SERVICE} 3000\n")
            self.procs.append(subprocess.Popen([REDIS_SERVER, str(conf), "--sentinel", "--logfile",
                                                str(self.directory / f"sentinel-{i}.log")],
                                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            self.sentinel_ports.append(port)
        _wait(self._sentinels_ready, 60, "the Sentinels to find the replica and each other")
        return self

    @staticmethod
    def _link_up(server: RedisServer | None) -> bool:
        assert server is not None
        c = server.client()
        try:
            return c.info("replication").get("master_link_status") == "up"
        except redis.exceptions.RedisError:
            return False
        finally:
            c.close()

    def _sentinel(self, port: int) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=port, decode_responses=True, socket_timeout=5)

    def _sentinels_ready(self) -> bool:
        for port in self.sentinel_ports:
            c = self._sentinel(port)
            try:
                if len(c.sentinel_slaves(SERVICE)) < 2 or len(c.sentinel_sentinels(SERVICE)) < 2:
                    return False
            except redis.exceptions.RedisError:
                return False
            finally:
                c.close()
        return True

    def primary_port(self) -> int:
        """The port the Sentinels name as primary now."""
        c = self._sentinel(self.sentinel_ports[0])
        try:
            return int(c.sentinel_get_master_addr_by_name(SERVICE)[1])
        finally:
            c.close()

    def kill_primary(self) -> None:
        """SIGKILL the primary."""
        assert self.primary is not None
        self.primary.kill()

    def wait_failover(self, old_port: int, timeout: float = 60.0) -> None:
        """Until the Sentinels name another primary."""
        deadline = time.monotonic() + timeout
        while self.primary_port() == old_port:
            if time.monotonic() > deadline:
                raise AssertionError("the Sentinels did not fail over")
            time.sleep(0.1)

    def stop(self) -> None:
        """Stop every process."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait(30)
        for server in (self.primary, *self.replicas):
            if server is not None:
                server.stop()
