"""``sequencehub``: the marketplace's own command line (``inspect`` for now)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from sequencehub.files.errors import SequenceFormatError
from sequencehub.files.metadata import inspect_file

EXIT_UNREADABLE = 2


@click.group()
def main() -> None:
    """SequenceHUB marketplace tools."""


def _show(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict):
        return " ".join(f"{k}={v}" for k, v in value.items()) or "-"
    if isinstance(value, list):
        return "; ".join(_show(v) for v in value) or "-"
    return str(value)


def _fail(path: Path, message: str) -> None:
    click.echo(f"error: {path}: {message}", err=True)
    raise SystemExit(EXIT_UNREADABLE)


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the metadata as one JSON object.")
@click.option("--no-verify", is_flag=True, help="Skip decompressing and checking FSEQ channel data.")
def inspect(path: Path, as_json: bool, no_verify: bool) -> None:
    """Print the metadata of a sequence file (FSEQ, ESEQ or xLights XSQ/XML).

    A file that cannot be read exits with code 2 and one line saying what is wrong and where.
    """
    try:
        metadata = inspect_file(path, verify=not no_verify)
    except SequenceFormatError as exc:
        _fail(path, str(exc))
    except IsADirectoryError:
        _fail(path, "is a directory, not a file")
    except OSError as exc:
        _fail(path, exc.strerror or str(exc))
    if as_json:
        click.echo(json.dumps(metadata, ensure_ascii=False))
        return
    table = Table(title=str(path), show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    for key, value in metadata.items():
        if key == "effects_per_model":
            continue
        table.add_row(key, _show(value))
    Console().print(table)


if __name__ == "__main__":
    main()
