"""`sequencehub try process-file` (and `try_process_file`): the real handler on a local file with
a throw-away row, printing progress and log lines; the app's example payload works."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner
from sequencehub.cli import main as sequencehub_cli
from sequencehub.try_job import try_process_file

Sample = Callable[[str], Path]


def test_try_process_file_with_the_apps_example_payload(sample: Sample) -> None:
    printed: list[str] = []
    data = {"fileId": "test-file-123", "storageKey": "uploads/test-sequence.fseq",
            "tasks": ["metadata-extraction", "checksum"], "priority": 3}
    run = try_process_file(sample("03"), data=data, out=printed.append)
    assert run.ok and run.status == "COMPLETED"
    assert run.result["success"] is True and run.result["tasksCompleted"] == 2
    assert "Completed: metadata-extraction" in printed and "Completed: checksum" in printed
    assert "Progress: 100.0%" in printed and printed[-1] == "File status: COMPLETED"


def test_cli_try_prints_progress_and_logs_and_fails_clearly(sample: Sample, tmp_path: Path) -> None:
    runner = CliRunner()
    done = runner.invoke(sequencehub_cli, ["try", "process-file", "--file", str(sample("04")),
                                           "--tasks", "metadata-extraction,checksum"])
    assert done.exit_code == 0, done.output
    assert "Completed: checksum" in done.output and "File status: COMPLETED" in done.output
    broken = tmp_path / "broken.fseq"
    broken.write_bytes(b"PSEQ" + b"\0" * 10)
    failed = runner.invoke(sequencehub_cli, ["try", "process-file", "--file", str(broken), "--tasks",
                                             "metadata-extraction"])
    assert failed.exit_code == 1
    assert "Failed: metadata-extraction - " in failed.output and "File status: FAILED" in failed.output
    missing = runner.invoke(sequencehub_cli, ["try", "process-file", "--file", str(tmp_path / "nope.fseq")])
    assert missing.exit_code != 0 and "nope.fseq" in missing.output
    assert list(tmp_path.iterdir()) == [broken]  # nothing left behind
