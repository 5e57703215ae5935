"""The OpenAPI 3.0 document of the admin API (served at `/api/openapi.json`)."""

from __future__ import annotations

from typing import Any

from ..job import JobState

STATES = [s.value for s in JobState]
Schema = dict[str, Any]


def _nullable(schema: Schema) -> Schema:
    return {**schema, "nullable": True}


def _obj(properties: dict[str, Schema], required: list[str] | None = None, *, extra: bool = True) -> Schema:
    out: Schema = {"type": "object", "properties": properties}
    if required:
        out["required"] = required
    if not extra:
        out["additionalProperties"] = False
    return out


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


STRING: Schema = {"type": "string"}
INT: Schema = {"type": "integer"}
NUMBER: Schema = {"type": "number"}
BOOL: Schema = {"type": "boolean"}
ANY: Schema = {}
TIME: Schema = {"type": "number", "description": "epoch seconds"}

SCHEMAS: dict[str, Schema] = {
    "Error": _obj({"error": STRING, "field": STRING}, ["error"]),
    "Counts": _obj({s: INT for s in STATES}, STATES),
    "MinuteCounts": _obj({"at": INT, "started": INT, "completed": INT, "failed": INT, "retried": INT}),
    "Queue": _obj({
        "name": STRING, "counts": _ref("Counts"), "paused": BOOL, "declared": BOOL,
        "rate_limit": _nullable(_obj({"max": INT, "period": NUMBER})), "global_concurrency": _nullable(INT),
        "throughput": {"type": "array", "items": _ref("MinuteCounts")},
        "oldest_waiting_at": _nullable(TIME),
    }, ["name", "counts", "paused"]),
    "JobItem": _obj({
        "id": STRING, "queue": STRING, "name": STRING, "state": {"type": "string", "enum": STATES},
        "priority": INT, "attempts_made": INT, "max_attempts": INT, "progress": ANY,
        "failed_reason": _nullable(STRING), "data_preview": STRING, "data_truncated": BOOL,
        "created_at": TIME, "run_at": _nullable(TIME), "started_at": _nullable(TIME),
        "finished_at": _nullable(TIME),
    }, ["id", "queue", "name", "state"]),
    "TryError": _obj({"attempt": INT, "message": STRING, "stacktrace": STRING, "at": TIME}),
    "JobDetail": _obj({
        "id": STRING, "queue": STRING, "name": STRING, "data": ANY,
        "state": {"type": "string", "enum": STATES}, "priority": INT, "attempts_made": INT,
        "max_attempts": INT, "stalled_count": INT, "progress": ANY, "result": ANY,
        "failed_reason": _nullable(STRING), "errors": {"type": "array", "items": _ref("TryError")},
        "created_at": TIME, "run_at": _nullable(TIME), "started_at": _nullable(TIME),
        "finished_at": _nullable(TIME), "worker_id": _nullable(STRING), "options": {"type": "object"},
        "meta": {"type": "object", "additionalProperties": {"type": "string"}},
        "cancel_requested": BOOL,
        "timings": _obj({"waited_seconds": _nullable(NUMBER), "ran_seconds": _nullable(NUMBER)}),
        "logs": {"type": "array", "items": _obj({"at": TIME, "line": STRING})},
    }, ["id", "queue", "name", "state", "logs"]),
    "JobList": _obj({"queue": STRING, "state": STRING, "offset": INT, "limit": INT, "total": INT,
                     "jobs": {"type": "array", "items": _ref("JobItem")}}, ["jobs"]),
    "EnqueueRequest": _obj({
        "name": {"type": "string", "minLength": 1, "description": "job name (a handler of the queue)"},
        "data": {"description": "JSON payload, checked against the handler's schema"},
        "options": _obj({
            "priority": {"type": "integer", "minimum": 0, "description": "1 = most urgent"},
            "job_id": {"type": "string", "minLength": 1, "maxLength": 256},
            "delay": {"type": "number", "minimum": 0, "description": "seconds"},
            "run_at": {"type": "string", "format": "date-time"},
            "attempts": {"type": "integer", "minimum": 1},
            "backoff": {"description": "seconds, or {kind: fixed|exponential|custom, delay, jitter, cap, name}"},
            "timeout": {"type": "number", "exclusiveMinimum": True, "minimum": 0},
            "remove_on_complete": {"description": "true, false, a count, or {count, age}"},
            "remove_on_fail": {"description": "true, false, a count, or {count, age}"},
            "meta": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 1024},
                     "maxProperties": 32, "description": "a small string map stored with the job"},
            "max_stalled": {"type": "integer", "minimum": 0},
        }, extra=False),
    }, ["name"], extra=False),
    "Enqueued": _obj({"id": STRING, "queue": STRING, "name": STRING, "state": STRING, "created": BOOL},
                     ["id", "queue", "name", "state", "created"]),
    "JobIds": _obj({"job_ids": {"type": "array", "minItems": 1, "maxItems": 1000,
                                "items": {"type": "string", "minLength": 1, "maxLength": 256}}}, ["job_ids"]),
    "RetryRequest": {"oneOf": [_ref("JobIds"), _obj({"all": {"type": "boolean", "enum": [True]}}, ["all"])]},
    "BulkResult": _obj({"done": {"type": "array", "items": STRING}, "count": INT,
                        "skipped": {"type": "object", "additionalProperties": STRING}}, ["done", "count"]),
    "Empty": _obj({}),
    "DrainRequest": _obj({"include_delayed": BOOL}),
    "CleanRequest": _obj({"state": {"type": "string", "enum": ["waiting", "delayed", "completed", "failed"]},
                          "older_than": {"type": "number", "minimum": 0, "maximum": 1e12},
                          "limit": {"type": "integer", "minimum": 1, "maximum": 1_000_000}}, ["state"]),
    "QueueFlag": _obj({"queue": STRING, "paused": BOOL}, ["queue", "paused"]),
    "ScheduleFlag": _obj({"schedule": STRING, "paused": BOOL}, ["schedule", "paused"]),
    "Removed": _obj({"queue": STRING, "removed": INT}, ["queue", "removed"]),
    "Schedule": _obj({"id": STRING, "queue": STRING, "name": STRING, "description": STRING,
                      "next_run": _nullable(TIME), "last_run": _nullable(TIME), "spec": {"type": "object"},
                      "problem": _nullable(STRING), "paused": BOOL}, ["id"]),
    "Worker": _obj({"worker_id": STRING, "queues": {"type": "array", "items": STRING}, "hostname": STRING,
                    "pid": INT, "started_at": TIME, "heartbeat_at": TIME, "heartbeat_age": NUMBER, "running": INT,
                    "concurrency": INT, "processed": INT, "failed": INT}, ["worker_id"]),
    "DeadLetter": _obj({"queue": STRING, "id": STRING, "job_id": STRING, "name": STRING, "data_preview": STRING,
                        "data_truncated": BOOL, "error": _nullable(STRING), "attempts": INT,
                        "failed_at": _nullable(TIME), "resolved": BOOL}, ["queue", "id"]),
    "DeadLetterRef": _obj({"queue": {"type": "string", "minLength": 1}, "id": {"type": "string", "minLength": 1}},
                          ["queue", "id"]),
    "DeadLetterItems": _obj({"items": {"type": "array", "minItems": 1, "maxItems": 1000,
                                       "items": _ref("DeadLetterRef")}}, ["items"]),
    "ReplayRequest": {"oneOf": [_ref("DeadLetterItems"),
                                _obj({"all": {"type": "boolean", "enum": [True]}, "queue": STRING}, ["all"])]},
    "DeadLetterDone": _obj({"count": INT, "done": {"type": "array", "items": _ref("DeadLetterRef")}},
                           ["count", "done"]),
    "SeedJobs": _obj({
        "queues": {"type": "object", "additionalProperties": _ref("Counts")},
        "recentFailures": {"type": "array", "items": _obj({
            "id": STRING, "queue": STRING, "data": ANY, "error": _nullable(STRING), "attempts": INT,
            "timestamp": {"type": "integer", "description": "failure time, epoch milliseconds"}},
            ["id", "queue", "data", "error", "attempts", "timestamp"])},
    }, ["queues", "recentFailures"]),
    "SeedRetryRequest": _obj({"jobId": {"type": "string", "minLength": 1},
                              "queueName": {"type": "string", "minLength": 1}}, ["jobId", "queueName"]),
    "SeedRetryResult": _obj({"success": {"type": "boolean", "enum": [True]}, "jobId": STRING},
                            ["success", "jobId"]),
}

ERRORS = {
    "400": "malformed request (the message names the problem)",
    "401": "no valid credentials",
    "403": "the token's role may not do this, or a browser request failed the CSRF/Origin check",
    "404": "unknown queue or job",
    "409": "the job is not in a state this action applies to",
    "413": "request body too large",
    "415": "the request body was not sent as application/json",
    "429": "too many requests with invalid tokens from this address; wait Retry-After seconds",
    "422": "the job was refused by the queue's validation; `field` names what is wrong",
    "503": "the job store is unavailable",
}


def _p(name: str, where: str, schema: Schema, description: str, required: bool = False) -> Schema:
    return {"name": name, "in": where, "required": required or where == "path", "schema": schema,
            "description": description}


QUEUE = _p("queue", "path", STRING, "queue name")
SCHEDULE_ID = _p("schedule_id", "path", STRING, "schedule id")
JOB_ID = _p("job_id", "path", STRING, "job id")
STATE = _p("state", "query", {"type": "string", "enum": STATES}, "job state")
OFFSET = _p("offset", "query", {"type": "integer", "minimum": 0, "maximum": 10_000_000}, "items to skip")
LIMIT = _p("limit", "query", {"type": "integer", "minimum": 1, "maximum": 500}, "page size")


def _json(schema: Schema) -> Schema:
    return {"content": {"application/json": {"schema": schema}}}


def _op(summary: str, ok: Schema, *, errors: str = "", params: list[Schema] | None = None,
        body: Schema | None = None, body_required: bool = True, status: str = "200",
        tag: str = "read") -> Schema:
    responses: dict[str, Any] = {status: {"description": "OK", **_json(ok)}}
    for code in ["401", "403", "429", *errors.split()]:
        responses[code] = {"description": ERRORS[code], **_json(_ref("Error"))}
    if "503" not in responses:
        responses["503"] = {"description": ERRORS["503"], **_json(_ref("Error"))}
    op: Schema = {"summary": summary, "tags": [tag], "responses": responses}
    if params:
        op["parameters"] = params
    if body is not None:
        op["requestBody"] = {"required": body_required, **_json(body)}
    return op


def _action(summary: str, body: Schema | None, ok: Schema, errors: str = "400 404 413",
            body_required: bool = True) -> Schema:
    return {"post": _op(summary, ok, errors=errors, params=[QUEUE], body=body, body_required=body_required,
                        tag="act")}


def _array(item: str) -> Schema:
    return {"type": "array", "items": _ref(item)}


def openapi_document(title: str, server_url: str = "") -> Schema:
    """The document; `server_url` is where the admin app is mounted (paths start with /api)."""
    paths: dict[str, Any] = {
        "/api/queues": {"get": _op("Every queue with counts, paused flag and throughput",
                                   _obj({"queues": _array("Queue")}, ["queues"]))},
        "/api/queues/{queue}": {"get": _op("One queue", _ref("Queue"), errors="404", params=[QUEUE])},
        "/api/queues/{queue}/jobs": {
            "get": _op("Jobs of one state, paginated (run order for waiting/delayed/active, newest first for "
                       "completed/failed)", _ref("JobList"), errors="400 404",
                       params=[QUEUE, STATE, OFFSET, LIMIT]),
            "post": {**_op("Enqueue a job (producer or admin token); Idempotency-Key becomes the job id",
                           _ref("Enqueued"), errors="400 404 413 415 422",
                           params=[QUEUE, _p("Idempotency-Key", "header",
                                             {"type": "string", "minLength": 1, "maxLength": 256},
                                             "becomes the job id")],
                           body=_ref("EnqueueRequest"), status="201", tag="enqueue")},
        },
        "/api/queues/{queue}/jobs/{job_id}": {"get": _op("Everything about one job, with its logs",
                                                         _ref("JobDetail"), errors="404", params=[QUEUE, JOB_ID])},
        "/api/queues/{queue}/throughput": {"get": _op(
            "Per-minute started/completed/failed/retried tries and failure rate",
            _obj({"queue": STRING, "minutes": {"type": "array", "items": {"allOf": [
                _ref("MinuteCounts"), _obj({"failure_rate": NUMBER})]}}}, ["minutes"]),
            errors="400 404",
            params=[QUEUE, _p("minutes", "query", {"type": "integer", "minimum": 1, "maximum": 1440}, "window")])},
        "/api/queues/{queue}/actions/retry": _action("Retry failed jobs: the listed ones, or all",
                                                     _ref("RetryRequest"), _ref("BulkResult")),
        "/api/queues/{queue}/actions/remove": _action("Remove jobs that are not active", _ref("JobIds"),
                                                      _ref("BulkResult")),
        "/api/queues/{queue}/actions/promote": _action("Run delayed jobs now", _ref("JobIds"), _ref("BulkResult")),
        "/api/queues/{queue}/actions/cancel": _action("Cancel active jobs (cooperative)", _ref("JobIds"),
                                                      _ref("BulkResult")),
        "/api/queues/{queue}/actions/pause": _action("Pause the queue", _ref("Empty"), _ref("QueueFlag"),
                                                     body_required=False),
        "/api/queues/{queue}/actions/resume": _action("Resume the queue", _ref("Empty"), _ref("QueueFlag"),
                                                      body_required=False),
        "/api/queues/{queue}/actions/drain": _action("Remove waiting (and delayed) jobs", _ref("DrainRequest"),
                                                     _ref("Removed"), body_required=False),
        "/api/queues/{queue}/actions/clean": _action("Remove jobs of a state older than older_than seconds",
                                                     _ref("CleanRequest"), _ref("Removed")),
        "/api/search": {"get": _op("Find jobs by id, name, data or error text", _obj({
            "q": STRING, "jobs": _array("JobItem")}, ["jobs"]), errors="400 404", params=[
            _p("q", "query", {"type": "string", "minLength": 1, "maxLength": 200}, "text to find", True),
            _p("queue", "query", STRING, "only this queue"), STATE, LIMIT])},
        "/api/schedules": {"get": _op("Schedules with next and last runs",
                                      _obj({"schedules": _array("Schedule")}, ["schedules"]))},
        "/api/schedules/{schedule_id}/pause": {"post": _op(
            "Pause a schedule: its ticks add no jobs until resumed", _ref("ScheduleFlag"), errors="400 404 413",
            params=[SCHEDULE_ID], body=_ref("Empty"), body_required=False, tag="act")},
        "/api/schedules/{schedule_id}/resume": {"post": _op(
            "Resume a schedule; ticks missed while paused go by its catch-up policy", _ref("ScheduleFlag"),
            errors="400 404 413", params=[SCHEDULE_ID], body=_ref("Empty"), body_required=False, tag="act")},
        "/api/workers": {"get": _op("Workers with a live heartbeat", _obj({"workers": _array("Worker")}, ["workers"]))},
        "/api/dead-letters": {"get": _op("Dead letters, newest first", _obj({
            "title": STRING, "total": _nullable(INT), "offset": INT, "limit": INT, "items": _array("DeadLetter")},
            ["items"]), errors="400 404", params=[_p("queue", "query", STRING, "only this queue"), OFFSET, LIMIT])},
        "/api/dead-letters/replay": {"post": _op("Replay dead letters: the listed ones, or all (of a queue)",
                                                 _ref("DeadLetterDone"), errors="400 404 413",
                                                 body=_ref("ReplayRequest"), tag="act")},
        "/api/dead-letters/resolve": {"post": _op("Mark dead letters handled", _ref("DeadLetterDone"),
                                                  errors="400 404 413", body=_ref("DeadLetterItems"), tag="act")},
        "/api/events": {"get": {"summary": "Live job events (Server-Sent Events)", "tags": ["read"],
                                "parameters": [_p("queue", "query", STRING, "follow this queue (repeatable)")],
                                "responses": {"200": {"description": "an event stream",
                                                      "content": {"text/event-stream": {"schema": STRING}}},
                                              **{c: {"description": ERRORS[c], **_json(_ref("Error"))}
                                                 for c in ("401", "403", "404")}}}},
        "/api/openapi.json": {"get": _op("This document (any token)", {"type": "object"})},
        "/api/admin/jobs": {"get": _op("Seed endpoint: counts per queue and the 10 latest failures per queue",
                                       _ref("SeedJobs"))},
        "/api/admin/jobs/retry": {"post": _op("Seed endpoint: retry one failed job", _ref("SeedRetryResult"),
                                              errors="400 404 409 413", body=_ref("SeedRetryRequest"), tag="act")},
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": f"{title} admin API", "version": "1",
                 "description": "Queues, jobs, actions and enqueue. Authenticate with `Authorization: Bearer "
                                "<token>` (tokens: `hubjobs tokens create --role admin|viewer|producer`). "
                                "Viewers read, admins read and act, producers only enqueue."},
        "servers": [{"url": server_url or "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {"schemas": SCHEMAS,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }
