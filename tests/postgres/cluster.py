"""A PostgreSQL cluster of a test's own (initdb + pg_ctl as the `postgres` user), for tests that
crash or restart the server. Never the machine's shared server."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    if not found:
        raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
    return Path(found[-1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    """A throw-away cluster listening on 127.0.0.1:`port`."""

    root: Path
    port: int
    bin_dir: Path

    @property
    def data(self) -> Path:
        """The data directory."""
        return self.root / "data"

    @property
    def log(self) -> Path:
        """The server log."""
        return self.root / "server.log"

    def url(self, schema: str = "hubjobs", **params: str) -> str:
        """A backend URL to this cluster's `postgres` database."""
        extra = "".join(f"&{k}={v}" for k, v in params.items())
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres?schema={schema}{extra}"

    def _as_postgres(self, *args: str) -> None:
        cmd = [str(a) for a in args]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)

    def init(self) -> None:
        """initdb with trust authentication."""
        self._as_postgres(str(self.bin_dir / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        opts = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=on"
        self._as_postgres(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-o", opts, "-l", str(self.log),
                          "-w", "start")

    def crash(self) -> None:
        """Stop the server the way a crash would (`-m immediate`: no checkpoint, clients cut off)."""
        self._as_postgres(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def stop(self) -> None:
        """Stop the server if it runs."""
        if (self.data / "postmaster.pid").exists():
            self._as_postgres(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")


def create_cluster() -> Cluster:
    """initdb a new cluster in a fresh directory under /tmp (owned by `postgres`) and start it."""
    root = Path(tempfile.mkdtemp(prefix="hubjobs-pg-", dir="/tmp"))
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(root, pw.pw_uid, pw.pw_gid)
    cluster = Cluster(root, _free_port(), _bin_dir())
    cluster.init()
    cluster.start()
    return cluster


def destroy_cluster(cluster: Cluster) -> None:
    """Stop the server and remove its files."""
    try:
        cluster.stop()
    finally:
        shutil.rmtree(cluster.root, ignore_errors=True)
