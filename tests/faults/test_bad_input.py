"""Bad job data is refused when added, with an error naming what is wrong, while a worker
process keeps processing good jobs: non-JSON data, data over 512 KiB, nesting deeper than 64,
and a bulk add with one bad item (nothing of it is stored).

Also part of this list, tested once in the contract suite: a schema violation, refused at add
time with an error naming the field (tests/contract/test_add.py::
test_schema_violation_names_the_field_at_add_time), and an unknown job name at the worker,
failed clearly while work goes on (tests/contract/test_runtime.py::
test_unknown_job_name_at_the_worker_fails_clearly_and_work_goes_on). A garbage row written
straight into the database is SQLite-specific: tests/faults/test_sqlite_garbage.py."""

from __future__ import annotations

from typing import Any

import pytest

from hubjobs import App, InvalidJobData
from tests.faults.support import WorkerProcesses
from tests.helpers import state_is, wait_until


def _nested(levels: int) -> Any:
    value: Any = "leaf"  # inside `levels` nested lists
    for _ in range(levels):
        value = [value]
    return value


BAD_DATA = [
    pytest.param({"when": object()}, "JSON-serialisable: Object of type object", id="object"),
    pytest.param({"raw": b"\x00\x01"}, "JSON-serialisable: Object of type bytes", id="bytes"),
    pytest.param({"tags": {"a", "b"}}, "JSON-serialisable: Object of type set", id="set"),
    pytest.param({"ratio": float("nan")}, "JSON-serialisable: Out of range float", id="nan"),
    pytest.param({(1, 2): "tuple key"}, "JSON-serialisable: keys must be", id="tuple-key"),
    pytest.param({"blob": "x" * (512 * 1024)}, r"over the limit of 524288 bytes \(512 KiB\)", id="over-512KiB"),
    pytest.param(_nested(65), "nests deeper than 64 levels", id="depth-65"),
]


@pytest.mark.parametrize("data, message", BAD_DATA)
async def test_bad_data_is_refused_at_add_and_the_worker_goes_on(
        fapp: App, workers: WorkerProcesses, data: Any, message: str) -> None:
    q = fapp.queue("q")
    a = workers.start("A", "--concurrency", "2")
    before = await q.aadd("noop", {"n": 1})
    with pytest.raises(InvalidJobData, match=message):
        await q.aadd("noop", data)
    with pytest.raises(InvalidJobData, match=message):  # one bad item refuses the whole bulk
        await q.aadd_bulk([{"name": "noop", "data": {"n": 2}}, {"name": "noop", "data": data}])
    after = await q.aadd("noop", {"n": 3})
    await wait_until(state_is(fapp, "q", before.id, "completed"), timeout=60, what="the job added before")
    await wait_until(state_is(fapp, "q", after.id, "completed"), what="the job added after")
    counts = await q.acounts()
    assert sum(counts.values()) == 2 == counts["completed"], counts  # nothing of the bad adds was stored
    assert a.proc.poll() is None


async def test_data_at_the_limits_is_accepted_and_processed(fapp: App, workers: WorkerProcesses) -> None:
    q = fapp.queue("q")
    workers.start("A", "--concurrency", "2")
    overhead = len('{"blob":""}')
    big = await q.aadd("noop", {"blob": "x" * (512 * 1024 - overhead)})
    deep = await q.aadd("noop", _nested(64))
    await wait_until(state_is(fapp, "q", big.id, "completed"), timeout=60, what="512 KiB job done")
    await wait_until(state_is(fapp, "q", deep.id, "completed"), what="64-deep job done")
    done = await q.aget(deep.id)
    assert done is not None and done.result == _nested(64)
