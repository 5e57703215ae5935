"""``sequencehub inspect``: JSON for good files, exit code 2 and one line for bad ones."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

import sequencehub
from sequencehub.cli import main
from sequencehub.files.metadata import METADATA_KEYS

Sample = Callable[[str], Path]


@pytest.mark.parametrize("number", ["04", "08", "10"])
def test_json_output(sample: Sample, number: str) -> None:
    result = CliRunner().invoke(main, ["inspect", str(sample(number)), "--json"])
    assert result.exit_code == 0, result.output
    metadata = json.loads(result.stdout)
    assert set(METADATA_KEYS) <= set(metadata)


def test_table_output(sample: Sample) -> None:
    result = CliRunner().invoke(main, ["inspect", str(sample("08"))])
    assert result.exit_code == 0
    assert "Joy to the World" in result.stdout and "joy_to_the_world.mp3" in result.stdout


def test_corrupt_file_exits_2_with_one_line(sample: Sample, tmp_path: Path) -> None:
    broken = tmp_path / "broken.fseq"
    broken.write_bytes(sample("06").read_bytes()[:5000])
    result = CliRunner().invoke(main, ["inspect", str(broken), "--json"])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "overruns the file" in lines[0] and "at byte offset" in lines[0]


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["inspect", str(tmp_path / "missing.fseq")])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1


def test_real_process_has_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xsq"
    bad.write_bytes(b"<xsequence>\n<head>\n</xsequence>\n")
    env = dict(os.environ)
    src = str(Path(sequencehub.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    completed = subprocess.run(
        [sys.executable, "-m", "sequencehub.cli", "inspect", str(bad)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert completed.stderr.count("\n") == 1 and "Traceback" not in completed.stderr
    assert "mismatched tag" in completed.stderr and "line 3" in completed.stderr
