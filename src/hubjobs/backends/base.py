"""The storage contract: one interface every backend implements.

Each operation is named for what it does and takes one parameter object. Every state change
is atomic (one transaction or one Lua script). Times are epoch seconds on the backend's clock
where it has one (`Capabilities.server_clock`). Capabilities a backend lacks are declared in
`Capabilities`, never discovered by catching exceptions.

Semantics every backend must hold are those of DESIGN section 2; `tests/contract/` checks them
against every backend with the same tests.

Two interfaces share the parameter objects: `Backend` (coroutines, one instance per event loop:
the worker, the scheduler and async producers) and `SyncBackend` (blocking calls from any
thread: the producer and admin operations of sync code such as a Django or Flask view). A
backend's twins share their statements, scripts and row decoding and differ only in I/O.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from ..job import Job, JobOptions, JobState
from ..retention import Retention

# ---------------------------------------------------------------- capabilities


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do beyond the contract's core."""

    server_clock: bool
    """Times come from the storage server (Redis TIME, PostgreSQL now()), not this process."""
    blocking_wait: bool
    """`wait_for_jobs` blocks on the server (BZPOPMIN, LISTEN) rather than polling locally."""
    transactional_enqueue: bool
    """`add_jobs` can join a caller's open transaction (`AddJobs.connection`)."""
    cross_process_events: bool
    """`read_events` returns events published by other processes."""
    multi_process: bool
    """Several processes (or machines) may share the store."""
    sync_twin: bool = False
    """`sync_twin()` returns a `SyncBackend` talking to the store with a blocking client from the
    caller's thread; without one, sync calls run the async backend on a background loop."""


# ---------------------------------------------------------------- parameter objects


@dataclass(frozen=True)
class NewJob:
    """A job to add. `data_json` is already validated JSON text."""

    id: str
    name: str
    data_json: str
    options: JobOptions
    delay: float = 0.0
    """Seconds from the backend's now; 0 means waiting at once."""
    run_at: float | None = None
    """Absolute epoch seconds; wins over `delay` when given."""


@dataclass(frozen=True)
class AddJobs:
    """Add jobs to one queue. A job whose id exists (any state) is not added again."""

    queue: str
    jobs: Sequence[NewJob]
    connection: Any = None
    """A caller's open connection/session to enqueue inside its transaction (if capable)."""


@dataclass(frozen=True)
class AddedJob:
    """Outcome of adding one job: `created` is False when the id already existed."""

    id: str
    created: bool
    state: JobState
    created_at: float | None = None
    """When a newly created job was stored (backend clock); None if not reported."""


@dataclass(frozen=True)
class ClaimJobs:
    """Claim up to `limit` runnable jobs for a worker, honouring pause, rate limit and the
    queue's global concurrency. Due delayed jobs are promoted first. Claimed jobs become
    `active` with a fresh lease token valid for `lease_seconds`."""

    queue: str
    worker_id: str
    limit: int
    lease_seconds: float


@dataclass(frozen=True)
class ClaimedJob:
    """A job claimed by a worker with its lease."""

    job: Job
    token: str
    lease_expires: float


OutcomeKind = Literal["completed", "retry", "failed", "released"]


@dataclass(frozen=True)
class JobOutcome:
    """How one try ended. Applied only if `token` is still the job's lease token.

    - completed: `result_json` stored; job kept or removed per `keep`.
    - retry: error recorded, attempts_made + 1, job `delayed` until now + `retry_delay`
      (or `waiting` when the delay is 0).
    - failed: error recorded, attempts_made + 1, job `failed`; kept or removed per `keep`.
    - released: back to `waiting` at once, attempts unchanged (graceful shutdown).
    """

    job_id: str
    token: str
    kind: OutcomeKind
    result_json: str | None = None
    error: str | None = None
    stacktrace: str | None = None
    retry_delay: float = 0.0
    keep: Retention = field(default_factory=Retention)


@dataclass(frozen=True)
class FinishJobs:
    """Apply outcomes for one queue; optionally claim more in the same round trip."""

    queue: str
    outcomes: Sequence[JobOutcome]
    then_claim: ClaimJobs | None = None


@dataclass(frozen=True)
class FinishResult:
    """Which outcomes were applied, which were refused (lease lost), and any claimed jobs."""

    applied: list[str]
    refused: list[str]
    claimed: list[ClaimedJob] = field(default_factory=list)


@dataclass(frozen=True)
class LeaseRef:
    """A running job and the lease token its worker holds."""

    job_id: str
    token: str


@dataclass(frozen=True)
class ExtendLeases:
    """Renew leases of running jobs to now + `lease_seconds`."""

    queue: str
    leases: Sequence[LeaseRef]
    lease_seconds: float


@dataclass(frozen=True)
class LeaseStatus:
    """Result of a renewal: jobs whose lease was lost, and jobs an admin asked to cancel."""

    lost: list[str]
    cancel_requested: list[str]


@dataclass(frozen=True)
class RecoverStalled:
    """Return active jobs whose lease expired to `waiting` (stall count + 1), or to `failed`
    with reason "job stalled more than max_stalled times" past their `max_stalled`."""

    queue: str
    limit: int = 1000


@dataclass(frozen=True)
class RecoveredJobs:
    """Ids of stalled jobs sent back to waiting and of those failed for stalling."""

    requeued: list[str]
    failed: list[str]


@dataclass(frozen=True)
class UpdateProgress:
    """Store progress (JSON text) for a running job; ignored if the token is stale."""

    queue: str
    job_id: str
    token: str
    progress_json: str


@dataclass(frozen=True)
class AppendLog:
    """Append a timestamped line to a job's log, keeping the newest `max_lines`."""

    queue: str
    job_id: str
    line: str
    max_lines: int


@dataclass(frozen=True)
class JobRef:
    """One job by queue and id."""

    queue: str
    job_id: str


@dataclass(frozen=True)
class LogLine:
    """A job log line with its time."""

    at: float
    line: str


@dataclass(frozen=True)
class ListJobs:
    """Jobs in one state, newest first for finished states, run order for waiting/delayed."""

    queue: str
    state: JobState
    offset: int = 0
    limit: int = 100
    descending: bool = False


@dataclass(frozen=True)
class SearchJobs:
    """Find jobs whose id, name, data or failure text contains `text` (case-insensitive)."""

    queue: str
    text: str
    state: JobState | None = None
    limit: int = 50


@dataclass(frozen=True)
class JobIds:
    """Several jobs of one queue by id."""

    queue: str
    job_ids: Sequence[str]


@dataclass(frozen=True)
class RetryFailed:
    """Move failed jobs back to waiting with fresh attempts: the given ids, or all (up to limit)."""

    queue: str
    job_ids: Sequence[str] | None = None
    limit: int = 100_000


@dataclass(frozen=True)
class CleanJobs:
    """Remove jobs in a finished (or waiting/delayed) state that are older than `older_than`
    seconds (finished time for finished states, created time otherwise), up to `limit`."""

    queue: str
    state: JobState
    older_than: float
    limit: int = 100_000


@dataclass(frozen=True)
class DrainQueue:
    """Remove all waiting jobs (and delayed ones when `include_delayed`)."""

    queue: str
    include_delayed: bool = True


@dataclass(frozen=True)
class QueueSettings:
    """Settings every worker of a queue obeys: paused, rate limit and global concurrency."""

    queue: str
    paused: bool = False
    rate_max: int | None = None
    rate_period: float | None = None
    global_concurrency: int | None = None
    """Most jobs of the queue active at once across every worker (None: no cap)."""


@dataclass(frozen=True)
class ConfigureQueue:
    """Store rate limit and global concurrency for a queue (None = no limit). The global
    concurrency caps the queue's active jobs across every worker in `claim_jobs`; a worker's
    own slots per queue are the worker's business and never reach storage."""

    queue: str
    rate_max: int | None
    rate_period: float | None
    global_concurrency: int | None


@dataclass(frozen=True)
class SetPaused:
    """Pause or resume claims on a queue."""

    queue: str
    paused: bool


JobsReceiver = Callable[[str, list["ClaimedJob"]], bool]
"""Takes jobs of a queue claimed for a worker while it waited; True when it took them over."""


@dataclass(frozen=True)
class WaitForJobs:
    """Block until a job may be runnable in one of `queues` or `timeout` seconds pass."""

    queues: Sequence[str]
    timeout: float
    worker_id: str = ""
    """The waiting worker."""
    receive: JobsReceiver | None = None
    """For backends that claim the moment a wait wakes (Redis, see its `prefetch.py`): called
    from the event loop with the jobs claimed for `worker_id`, at once, whether or not the wait
    is still awaited. Returning True takes them over (the worker starts them); False leaves them
    to the worker's next claim. Other backends never call it."""


@dataclass(frozen=True)
class WorkerInfo:
    """A worker's heartbeat record."""

    worker_id: str
    queues: list[str]
    hostname: str
    pid: int
    started_at: float
    heartbeat_at: float
    running: int
    concurrency: int
    processed: int = 0
    failed: int = 0
    state: str = "running"
    """"running", "quiet" (an admin told it to stop claiming) or "stopping"."""


@dataclass(frozen=True)
class Heartbeat:
    """Register or refresh a worker; it disappears `ttl` seconds after its last heartbeat."""

    info: WorkerInfo
    ttl: float


@dataclass(frozen=True)
class QueueEvent:
    """An event on a queue's cross-process stream."""

    id: str
    queue: str
    event: str
    job_id: str | None
    at: float
    data: dict[str, Any] = field(default_factory=dict)


class NewEvent(NamedTuple):
    """An event to publish on a queue's stream (the stream gives it its id). A named tuple:
    a worker makes two for every job it runs."""

    event: str
    job_id: str | None
    at: float
    data: dict[str, Any]


@dataclass(frozen=True)
class PublishEvents:
    """Append events to a queue's stream (bounded to roughly `max_len` newest)."""

    queue: str
    events: Sequence[NewEvent]
    max_len: int = 10_000


@dataclass(frozen=True)
class ReadEvents:
    """Read events after `after_id` ("" = only new ones from now on / "0" = from the start)."""

    queue: str
    after_id: str
    limit: int = 100
    block: float = 0.0


@dataclass(frozen=True)
class StoredSchedule:
    """A schedule as stored: its spec as JSON and its run bookkeeping."""

    id: str
    spec_json: str
    next_run: float | None
    last_run: float | None
    paused: bool = False


@dataclass(frozen=True)
class UpsertSchedule:
    """Create or change a schedule (its bookkeeping is kept when the spec is unchanged)."""

    schedule: StoredSchedule


@dataclass(frozen=True)
class ScheduleRef:
    """One schedule by id."""

    schedule_id: str


@dataclass(frozen=True)
class PauseSchedule:
    """Pause a schedule (its ticks add no jobs) or resume it."""

    schedule_id: str
    paused: bool


@dataclass(frozen=True)
class RecordScheduleRun:
    """Move a schedule's bookkeeping forward if its `last_run` is still `expected_last_run`."""

    schedule_id: str
    expected_last_run: float | None
    last_run: float
    next_run: float | None


@dataclass(frozen=True)
class QueueMinute:
    """What one queue's workers finished in one minute: final outcomes and how long the jobs
    waited and ran, as counts per duration bucket (see `hubjobs.history.buckets`)."""

    queue: str
    minute: int
    """Epoch seconds at the start of the minute (a multiple of 60)."""
    completed: int = 0
    failed: int = 0
    wait_buckets: Mapping[int, int] = field(default_factory=dict)
    """Bucket index -> jobs whose wait (ready to started) fell in it."""
    run_buckets: Mapping[int, int] = field(default_factory=dict)
    """Bucket index -> jobs whose run (started to finished) fell in it."""


@dataclass(frozen=True)
class RecordHistory:
    """Add per-minute counts to the stored throughput history (counts from several workers for
    the same minute add up). Counts older than `keep_seconds` are dropped (duration buckets are
    kept per hour; Redis drops a queue's counts a day at a time, once the whole day is older)."""

    minutes: Sequence[QueueMinute]
    keep_seconds: int = 7 * 86_400


@dataclass(frozen=True)
class ReadHistory:
    """Throughput of one queue (or every queue when `queue` is None) from `since` to `until`
    (epoch seconds), summed into points `step` seconds apart (a multiple of 60), and the
    duration buckets of the hours the range touches."""

    queue: str | None
    since: float
    until: float
    step: int = 60


@dataclass(frozen=True)
class HistoryPoint:
    """Jobs finished in `[at, at + step)`."""

    at: int
    completed: int
    failed: int


@dataclass(frozen=True)
class History:
    """A throughput series (only points with activity; missing points are zero) and the summed
    wait and run duration buckets of the range."""

    points: list[HistoryPoint]
    wait_buckets: dict[int, int]
    run_buckets: dict[int, int]


# ---------------------------------------------------------------- the interface


class SyncBackend(abc.ABC):
    """The producer and admin operations as blocking calls, for code without an event loop.

    Thread-safe: any number of threads may call one instance at once (each call takes a
    connection of its own for its duration). Same parameter objects and results as `Backend`.
    `open()` is idempotent and cheap after the first call; `close()` releases connections."""

    capabilities: Capabilities
    url: str

    @abc.abstractmethod
    def open(self) -> None:
        """Connect (the async twin has migrated the schema); raises BackendUnavailable."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release every connection."""

    @abc.abstractmethod
    def add_jobs(self, req: AddJobs) -> list[AddedJob]:
        """See `Backend.add_jobs` (`req.connection` joins the caller's transaction if capable)."""

    @abc.abstractmethod
    def get_job(self, req: JobRef) -> Job | None:
        """See `Backend.get_job`."""

    @abc.abstractmethod
    def get_logs(self, req: JobRef) -> list[LogLine]:
        """See `Backend.get_logs`."""

    @abc.abstractmethod
    def list_jobs(self, req: ListJobs) -> list[Job]:
        """See `Backend.list_jobs`."""

    @abc.abstractmethod
    def search_jobs(self, req: SearchJobs) -> list[Job]:
        """See `Backend.search_jobs`."""

    @abc.abstractmethod
    def count_jobs(self, queue: str) -> dict[str, int]:
        """See `Backend.count_jobs`."""

    @abc.abstractmethod
    def retry_failed(self, req: RetryFailed) -> list[str]:
        """See `Backend.retry_failed`."""

    @abc.abstractmethod
    def remove_jobs(self, req: JobIds) -> list[str]:
        """See `Backend.remove_jobs`."""

    @abc.abstractmethod
    def promote_jobs(self, req: JobIds) -> list[str]:
        """See `Backend.promote_jobs`."""

    @abc.abstractmethod
    def cancel_jobs(self, req: JobIds) -> list[str]:
        """See `Backend.cancel_jobs`."""

    @abc.abstractmethod
    def clean_jobs(self, req: CleanJobs) -> int:
        """See `Backend.clean_jobs`."""

    @abc.abstractmethod
    def drain_queue(self, req: DrainQueue) -> int:
        """See `Backend.drain_queue`."""

    @abc.abstractmethod
    def set_paused(self, req: SetPaused) -> None:
        """See `Backend.set_paused`."""

    @abc.abstractmethod
    def get_queue_settings(self, queue: str) -> QueueSettings:
        """See `Backend.get_queue_settings`."""


class Backend(abc.ABC):
    """Storage for queues, jobs, logs, workers, events and schedules.

    One instance belongs to one event loop. `open()` prepares the store (migrations) and
    `close()` releases connections. All operations are coroutines.
    """

    capabilities: Capabilities
    url: str

    @abc.abstractmethod
    async def open(self) -> None:
        """Connect and create or migrate the schema; raises BackendUnavailable if unreachable."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release connections and background resources."""

    def sync_twin(self) -> SyncBackend:
        """A new, unopened `SyncBackend` on the same store (when `capabilities.sync_twin`)."""
        raise NotImplementedError(f"{type(self).__name__} has no sync twin (capabilities.sync_twin is False)")

    @abc.abstractmethod
    async def now(self) -> float:
        """The backend's clock, epoch seconds."""

    # -- producing
    @abc.abstractmethod
    async def add_jobs(self, req: AddJobs) -> list[AddedJob]:
        """Add jobs; an existing id is left as it is and reported with `created=False`."""

    # -- the worker's cycle
    @abc.abstractmethod
    async def claim_jobs(self, req: ClaimJobs) -> list[ClaimedJob]:
        """Claim runnable jobs in priority then FIFO order (see `ClaimJobs`)."""

    @abc.abstractmethod
    async def finish_jobs(self, req: FinishJobs) -> FinishResult:
        """Apply try outcomes fenced by lease token, apply retention, then optionally claim."""

    @abc.abstractmethod
    async def extend_leases(self, req: ExtendLeases) -> LeaseStatus:
        """Renew leases; report lost ones and cancel requests."""

    @abc.abstractmethod
    async def recover_stalled(self, req: RecoverStalled) -> RecoveredJobs:
        """Requeue or fail active jobs whose lease expired."""

    @abc.abstractmethod
    async def update_progress(self, req: UpdateProgress) -> bool:
        """Store progress; False if the lease token is stale."""

    @abc.abstractmethod
    async def append_log(self, req: AppendLog) -> None:
        """Append a job log line."""

    @abc.abstractmethod
    async def wait_for_jobs(self, req: WaitForJobs) -> None:
        """Return when work may be available, or after the timeout."""

    @abc.abstractmethod
    async def next_delayed_at(self, queue: str) -> float | None:
        """When the earliest delayed job of the queue becomes due, if any."""

    # -- reading
    @abc.abstractmethod
    async def get_job(self, req: JobRef) -> Job | None:
        """One job, or None."""

    @abc.abstractmethod
    async def get_logs(self, req: JobRef) -> list[LogLine]:
        """A job's log lines, oldest first."""

    @abc.abstractmethod
    async def list_jobs(self, req: ListJobs) -> list[Job]:
        """Jobs in one state, paginated."""

    @abc.abstractmethod
    async def search_jobs(self, req: SearchJobs) -> list[Job]:
        """Jobs matching a text in id, name, data or failure reason."""

    @abc.abstractmethod
    async def count_jobs(self, queue: str) -> dict[str, int]:
        """Counts per state, keys `waiting delayed active completed failed`."""

    @abc.abstractmethod
    async def list_queues(self) -> list[str]:
        """Names of queues that have jobs or settings."""

    # -- admin
    @abc.abstractmethod
    async def retry_failed(self, req: RetryFailed) -> list[str]:
        """Move failed jobs back to waiting with attempts reset; returns their ids."""

    @abc.abstractmethod
    async def remove_jobs(self, req: JobIds) -> list[str]:
        """Remove jobs (not active ones) and their logs; returns ids removed."""

    @abc.abstractmethod
    async def promote_jobs(self, req: JobIds) -> list[str]:
        """Move delayed jobs to waiting now; returns ids promoted."""

    @abc.abstractmethod
    async def cancel_jobs(self, req: JobIds) -> list[str]:
        """Ask running jobs to cancel (seen by their worker at lease renewal)."""

    @abc.abstractmethod
    async def clean_jobs(self, req: CleanJobs) -> int:
        """Remove old jobs in a state; returns how many."""

    @abc.abstractmethod
    async def drain_queue(self, req: DrainQueue) -> int:
        """Remove waiting (and delayed) jobs; returns how many."""

    @abc.abstractmethod
    async def set_paused(self, req: SetPaused) -> None:
        """Pause or resume a queue for every worker."""

    @abc.abstractmethod
    async def configure_queue(self, req: ConfigureQueue) -> None:
        """Store a queue's rate limit and global concurrency."""

    @abc.abstractmethod
    async def get_queue_settings(self, queue: str) -> QueueSettings:
        """A queue's paused flag, rate limit and concurrency."""

    # -- workers
    @abc.abstractmethod
    async def record_heartbeat(self, req: Heartbeat) -> None:
        """Register or refresh a worker."""

    @abc.abstractmethod
    async def remove_worker(self, worker_id: str) -> None:
        """Forget a worker that stopped."""

    @abc.abstractmethod
    async def list_workers(self) -> list[WorkerInfo]:
        """Workers whose heartbeat has not expired."""

    # -- events
    @abc.abstractmethod
    async def publish_events(self, req: PublishEvents) -> None:
        """Append to a queue's event stream."""

    @abc.abstractmethod
    async def read_events(self, req: ReadEvents) -> list[QueueEvent]:
        """Events after an id, waiting up to `block` seconds for the first."""

    # -- schedules
    @abc.abstractmethod
    async def upsert_schedule(self, req: UpsertSchedule) -> None:
        """Create or replace a schedule's spec (keeping run bookkeeping)."""

    @abc.abstractmethod
    async def remove_schedule(self, req: ScheduleRef) -> bool:
        """Delete a schedule; False if it did not exist."""

    @abc.abstractmethod
    async def list_schedules(self) -> list[StoredSchedule]:
        """Every stored schedule."""

    @abc.abstractmethod
    async def record_schedule_run(self, req: RecordScheduleRun) -> bool:
        """Compare-and-set a schedule's last/next run; False if another process moved it."""

    @abc.abstractmethod
    async def set_schedule_paused(self, req: PauseSchedule) -> bool:
        """Set a schedule's paused flag (kept across upserts); False if there is no such schedule."""

    # -- throughput history
    @abc.abstractmethod
    async def record_history(self, req: RecordHistory) -> None:
        """Add per-minute outcome counts and duration buckets; drop what is older than kept."""

    @abc.abstractmethod
    async def read_history(self, req: ReadHistory) -> History:
        """A queue's (or all queues') throughput series and duration buckets over a range."""
