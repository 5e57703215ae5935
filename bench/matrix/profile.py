"""Where a worker's time goes: `python -m bench.matrix.run --profile hubjobs …` runs the named
libraries' workers under py-spy (`pip install py-spy`; not a project dependency), sampling only
threads that are running, child processes included, and writes per cell the collapsed stacks and
a summary: the functions most often on top of the stack (self) and anywhere in it (inclusive).
Profiled runs are slower than plain ones: use them to see where the time goes, not as figures.

`--trace LIB` runs the workers under `strace -f -c` instead and writes the system calls per job
(sends and receives are round trips to the backend; futex calls are thread hand-offs)."""

from __future__ import annotations

import re
import shutil
import sys
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<fn>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def py_spy() -> str | None:
    """py-spy next to this interpreter, else on PATH."""
    local = Path(sys.executable).parent / "py-spy"
    return str(local) if local.exists() else shutil.which("py-spy")


def wrap(command: list[str], output: Path, rate: int = 250) -> list[str]:
    """The worker command under py-spy, collapsed stacks into `output`."""
    tool = py_spy()
    if tool is None:
        raise RuntimeError("--profile needs py-spy (pip install py-spy)")
    output.parent.mkdir(parents=True, exist_ok=True)
    return [tool, "record", "--format", "raw", "--rate", str(rate), "--subprocesses", "--nonblocking", "-o",
            str(output), "--", *command]


def _name(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match.group("file")
    for marker in ("site-packages/", "src/", "lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{match.group('fn')} ({path})"


def summarize(raw: Path, top: int = 25) -> str:
    """The most frequent functions of a collapsed-stack file (self and inclusive), in percent."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        if "_find_and_load" in stack:
            continue  # start-up imports: not the steady state
        frames = [_name(f) for f in stack.split(";") if f and not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        total += count
        own[frames[-1]] += count
        for name in set(frames):
            inclusive[name] += count
    if not total:
        return "no samples\n"
    lines = [f"{total} samples (running threads only, imports left out)", "", "self %  function"]
    lines += [f"{100 * c / total:6.1f}  {name}" for name, c in own.most_common(top)]
    lines += ["", "incl %  function"]
    lines += [f"{100 * c / total:6.1f}  {name}" for name, c in inclusive.most_common(top)]
    return "\n".join(lines) + "\n"


def wrap_strace(command: list[str], output: Path) -> list[str]:
    """The worker command under `strace -f -c` (a count of system calls, every thread and child)."""
    tool = shutil.which("strace")
    if tool is None:
        raise RuntimeError("--trace needs strace")
    output.parent.mkdir(parents=True, exist_ok=True)
    return [tool, "-f", "-c", "-o", str(output), "--", *command]


def summarize_strace(raw: Path, jobs: int, top: int = 15) -> str:
    """strace's count table as calls per job, most frequent first."""
    calls: dict[str, int] = {}
    for line in raw.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 5 and parts[0].replace(".", "").isdigit() and parts[-1].isidentifier():
            calls[parts[-1]] = int(parts[3])
    if not calls:
        return "no system calls counted\n"
    lines = [f"system calls per job over {jobs} jobs (worker start-up and shutdown included)", "",
             "calls/job  system call"]
    lines += [f"{count / jobs:9.2f}  {name}" for name, count in sorted(calls.items(), key=lambda kv: -kv[1])[:top]]
    return "\n".join(lines) + "\n"
