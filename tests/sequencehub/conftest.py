"""Fixtures for SequenceHUB tests: the real sample files and a real clamd with a test signature."""

from __future__ import annotations

import getpass
import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sequencehub.files.scan import ClamdScanner, ScannerUnavailable
from tests.sequencehub.marketplace_support import drop_marketplace_databases

SAMPLES_ENV = "SEQUENCEHUB_SAMPLES"
CLAMD_START_SECONDS = 60.0
# The EICAR anti-virus test string, assembled from two halves so this file is not itself flagged.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


@pytest.fixture(autouse=True)
def _drop_marketplace_databases() -> Iterator[None]:
    """Drop the marketplace databases a test made (after its own fixtures closed their pools)."""
    yield
    drop_marketplace_databases()


@pytest.fixture(scope="session")
def eicar() -> bytes:
    """The EICAR anti-virus test file (68 bytes)."""
    return EICAR


def find_samples() -> tuple[Path | None, str]:
    """The folder of real sequence files and where it was looked for: ``$SEQUENCEHUB_SAMPLES``,
    else ``shared/samples`` in the folder that holds the repository (as CI lays it out)."""
    configured = os.environ.get(SAMPLES_ENV)
    if configured:
        folder = Path(configured)
        if not (folder / "PROVENANCE.md").is_file():
            # Set on purpose, so a wrong value is an error, not a skip.
            pytest.fail(f"{SAMPLES_ENV}={configured}: no PROVENANCE.md there; point it at the samples folder")
        return folder, configured
    folder = Path(__file__).resolve().parents[3] / "shared" / "samples"
    return (folder if (folder / "PROVENANCE.md").is_file() else None), str(folder)


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    """The folder of real sequence files. Tests using it run whenever it is there (as in CI) and
    are skipped, with the reason, on a clone without it; generated-file tests always run."""
    folder, looked = find_samples()
    if folder is None:
        pytest.skip(f"real sample files not found ({looked}); set {SAMPLES_ENV} to the samples folder to run this")
    return folder


@pytest.fixture(scope="session")
def sample(samples_dir: Path) -> Callable[[str], Path]:
    """Look a sample up by its two-digit number: ``sample("04")``."""

    def find(number: str) -> Path:
        matches = sorted(samples_dir.glob(f"{number}_*"))
        assert len(matches) == 1, f"expected one sample numbered {number}, found {matches}"
        return matches[0]

    return find


@dataclass
class ClamdProcess:
    """A clamd started by a test, listening on ``socket_path``."""

    socket_path: Path
    process: subprocess.Popen[bytes]
    folder: Path

    def scanner(self, **options: float) -> ClamdScanner:
        """A client for this daemon."""
        return ClamdScanner(socket_path=self.socket_path, **options)  # type: ignore[arg-type]

    def stop(self) -> None:
        """Stop the daemon and wait until it has exited."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)


def _clamd_binary() -> str:
    found = shutil.which("clamd") or ("/usr/sbin/clamd" if Path("/usr/sbin/clamd").exists() else None)
    if found is None:
        pytest.fail("clamd is not installed: `bash scripts/services.sh` installs it "
                    "(apt-get install -y clamav-daemon)")
    return found


def start_clamd(extra_config: str = "") -> ClamdProcess:
    """Start clamd in a fresh temporary folder with a database holding only the EICAR hash."""
    binary = _clamd_binary()
    folder = Path(tempfile.mkdtemp(prefix="clamd-"))  # short path: Unix socket paths are limited
    database = folder / "db"
    database.mkdir()
    (database / "test.hsb").write_text(f"{hashlib.sha256(EICAR).hexdigest()}:{len(EICAR)}:Test.EICAR\n")
    socket_path = folder / "clamd.sock"
    config = folder / "clamd.conf"
    config.write_text(
        f"LocalSocket {socket_path}\nDatabaseDirectory {database}\nForeground yes\n"
        f"PidFile {folder / 'clamd.pid'}\nTemporaryDirectory {folder}\nUser {getpass.getuser()}\n"
        f"LogFile {folder / 'clamd.log'}\n{extra_config}"
    )
    with open(folder / "clamd.out", "wb") as output:
        process = subprocess.Popen([binary, "-c", str(config)], stdout=output, stderr=subprocess.STDOUT)
    daemon = ClamdProcess(socket_path, process, folder)
    deadline = time.monotonic() + CLAMD_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (folder / "clamd.out").read_text(errors="replace")
            pytest.fail(f"clamd exited with code {process.returncode} while starting:\n{log}")
        if socket_path.exists():
            try:
                if daemon.scanner(timeout=5).ping():
                    return daemon
            except ScannerUnavailable:
                pass
        time.sleep(0.05)  # polling a condition with a deadline
    daemon.stop()
    pytest.fail(f"clamd did not answer on {socket_path} within {CLAMD_START_SECONDS} s")


@pytest.fixture(scope="session")
def clamd() -> Iterator[ClamdProcess]:
    """A clamd shared by the scan tests."""
    daemon = start_clamd()
    yield daemon
    daemon.stop()
    shutil.rmtree(daemon.folder, ignore_errors=True)


@pytest.fixture
def clamd_factory() -> Iterator[Callable[..., ClamdProcess]]:
    """Start extra clamd instances a test may stop; all are stopped at the end."""
    started: list[ClamdProcess] = []

    def start(extra_config: str = "") -> ClamdProcess:
        daemon = start_clamd(extra_config)
        started.append(daemon)
        return daemon

    yield start
    for daemon in started:
        daemon.stop()
        shutil.rmtree(daemon.folder, ignore_errors=True)
