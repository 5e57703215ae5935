"""Virus scanning against a real clamd with a test signature database."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sequencehub.files.scan import (
    ClamdScanner,
    NoScanner,
    ScanError,
    ScannerUnavailable,
    ScanStatus,
)

ClamdProcess = Any  # the conftest fixture's type: socket_path, scanner(), stop()


def test_eicar_is_infected(clamd: ClamdProcess, eicar: bytes, tmp_path: Path) -> None:
    infected = tmp_path / "upload.fseq"
    infected.write_bytes(eicar)
    result = clamd.scanner().scan_file(infected)
    assert result.status is ScanStatus.INFECTED
    assert result.infected and not result.clean
    assert result.signature is not None and "Test.EICAR" in result.signature


def test_clean_file_passes(clamd: ClamdProcess, sample: Callable[[str], Path]) -> None:
    result = clamd.scanner().scan_file(sample("04"))
    assert result.status is ScanStatus.CLEAN
    assert result.clean and result.signature is None


def test_many_chunks_are_streamed(clamd: ClamdProcess) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    result = clamd.scanner(chunk_size=64 * 1024).scan_stream(io.BytesIO(data))
    assert result.status is ScanStatus.CLEAN


def test_eicar_split_over_chunks_is_found(clamd: ClamdProcess, eicar: bytes) -> None:
    result = clamd.scanner(chunk_size=7).scan_stream(io.BytesIO(eicar))
    assert result.status is ScanStatus.INFECTED


def test_stopped_clamd_is_unavailable(clamd_factory: Callable[..., ClamdProcess]) -> None:
    daemon = clamd_factory()
    scanner = daemon.scanner(timeout=5)
    assert scanner.ping()
    daemon.stop()
    with pytest.raises(ScannerUnavailable, match="cannot be reached"):
        scanner.scan_stream(io.BytesIO(b"hello"))


def test_stream_over_clamd_size_limit_is_a_scan_error(clamd_factory: Callable[..., ClamdProcess]) -> None:
    daemon = clamd_factory("StreamMaxLength 1M\n")
    with pytest.raises(ScanError, match="size limit exceeded"):
        daemon.scanner(chunk_size=256 * 1024).scan_stream(io.BytesIO(bytes(3 * 1024 * 1024)))


def test_missing_socket_is_unavailable(tmp_path: Path) -> None:
    scanner = ClamdScanner(socket_path=tmp_path / "nothing.sock", timeout=2)
    with pytest.raises(ScannerUnavailable):
        scanner.scan_stream(io.BytesIO(b"hello"))


def test_closed_tcp_port_is_unavailable() -> None:
    import socket

    with socket.socket() as probe:  # find a free loopback port, then leave it closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ScannerUnavailable):
        ClamdScanner(host="127.0.0.1", port=port, timeout=2).scan_stream(io.BytesIO(b"x"))


def test_no_scanner_never_says_clean(eicar: bytes, tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(eicar)
    result = NoScanner().scan_file(path)
    assert result.status is ScanStatus.NOT_SCANNED
    assert not result.clean and not result.infected
    assert result.detail is not None and "NOT SCANNED" in result.detail


def test_scanner_needs_one_address() -> None:
    with pytest.raises(ValueError, match="either socket_path"):
        ClamdScanner()
    with pytest.raises(ValueError, match="either socket_path"):
        ClamdScanner(socket_path="/tmp/x", host="127.0.0.1", port=3310)
