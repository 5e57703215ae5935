"""Local file storage (keys confined to the root) and streaming SHA-256."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest

from sequencehub.files.checksum import sha256_file, sha256_stream
from sequencehub.files.storage import FileStorage, LocalFileStorage, StorageKeyError, StorageNotFound


def test_round_trip(tmp_path: Path) -> None:
    storage = LocalFileStorage(tmp_path / "root")
    assert isinstance(storage, FileStorage)
    storage.write("products/42/show.fseq", b"PSEQ data")
    storage.write("products/42/big.bin", io.BytesIO(os.urandom(3 * 1024 * 1024)))
    assert storage.exists("products/42/show.fseq")
    assert storage.size("products/42/big.bin") == 3 * 1024 * 1024
    with storage.open_read("products/42/show.fseq") as stream:
        assert stream.read() == b"PSEQ data"
    assert storage.path("products/42/show.fseq") == (tmp_path / "root" / "products/42/show.fseq").resolve()
    storage.write("products/42/show.fseq", b"replaced")
    with storage.open_read("products/42/show.fseq") as stream:
        assert stream.read() == b"replaced"
    storage.delete("products/42/show.fseq")
    storage.delete("products/42/show.fseq")  # already gone: no error
    assert not storage.exists("products/42/show.fseq")
    assert [p.name for p in (tmp_path / "root" / "products" / "42").iterdir()] == [
        "big.bin"
    ]  # no temp files left


def test_missing_file(tmp_path: Path) -> None:
    storage = LocalFileStorage(tmp_path)
    with pytest.raises(StorageNotFound):
        storage.open_read("nope.fseq")
    with pytest.raises(StorageNotFound):
        storage.size("nope.fseq")


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("../escape.fseq", "'..'"),
        ("a/../../escape.fseq", "'..'"),
        ("a/./b", "'.'"),
        ("a//b", "empty"),
        ("/etc/passwd", "absolute"),
        ("C:/Windows/win.ini", "absolute"),
        ("a\\..\\..\\b", "backslash"),
        ("a\0b", "NUL"),
        ("", "non-empty"),
    ],
)
def test_escaping_keys_are_refused(tmp_path: Path, key: str, reason: str) -> None:
    storage = LocalFileStorage(tmp_path / "root")
    with pytest.raises(StorageKeyError, match=reason):
        storage.write(key, b"x")
    with pytest.raises(StorageKeyError):
        storage.exists(key)
    assert not (tmp_path / "escape.fseq").exists()


def test_symlink_leading_out_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "link").symlink_to(outside, target_is_directory=True)
    storage = LocalFileStorage(root)
    with pytest.raises(StorageKeyError, match="outside the storage root"):
        storage.write("link/file.fseq", b"x")
    assert not (outside / "file.fseq").exists()


def test_sha256_matches_hashlib_across_chunk_boundaries(tmp_path: Path) -> None:
    data = os.urandom(100_003)
    path = tmp_path / "data.bin"
    path.write_bytes(data)
    expected = hashlib.sha256(data).hexdigest()
    assert sha256_file(path) == expected
    assert sha256_file(path, chunk_bytes=7) == expected
    assert sha256_stream(io.BytesIO(data), chunk_bytes=4096) == expected
    assert sha256_stream(io.BytesIO(b"")) == hashlib.sha256(b"").hexdigest()
