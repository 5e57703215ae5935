"""Create the peer libraries' venvs with pinned versions: `python -m bench.redis_side_by_side.setup_peers`."""

from __future__ import annotations

import subprocess
import sys

from bench.redis_side_by_side.peers import ARQ_PINS, PEER_PINS, VENV_ROOT


def make_venv(name: str, pins: list[str]) -> None:
    """Create VENV_ROOT/venv-<name> (if missing) and install the pins into it."""
    path = VENV_ROOT / f"venv-{name}"
    if not (path / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    subprocess.run([str(path / "bin" / "python"), "-m", "pip", "install", "-q", *pins], check=True)


def main() -> None:
    """Install both venvs."""
    VENV_ROOT.mkdir(parents=True, exist_ok=True)
    make_venv("peers", PEER_PINS)
    make_venv("arq", ARQ_PINS)
    print(f"peer venvs ready under {VENV_ROOT}")


if __name__ == "__main__":
    main()
