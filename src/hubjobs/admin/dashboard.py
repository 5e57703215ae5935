"""The dashboard: server-rendered pages (overview, job lists, job detail, search, dead letters,
schedules, workers), the login form, and the form actions they post to.

Pages need a viewer or admin; a request without credentials gets the login form with status
401. Actions are POST-only forms (CSRF token + Origin checked by the Authenticator) that
redirect back with a notice, or answer JSON when the page's script asks for it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ..backends.base import PublishEvents
from ..errors import InvalidJobOptions
from ..job import JobState
from ..worker.control import CONTROL_STREAM, Command, command_event
from .audit import AuditEntry
from .auth import LOGIN_COOKIE, Permission, Principal
from .charts import RANGES, percentiles_of, range_name, read_range, throughput_svg
from .dead_letters import DeadLetterRef
from .http import Problem, check_form_length, json_response
from .job_history import job_history
from .pages import Pages
from .ratelimit import retry_after_header, source_of, whole_seconds
from .service import BulkResult
from .state import AdminState, engine_problem
from .tokens import Role

PageHandler = Callable[[Request, Principal], Awaitable[Response]]
PAGE_SIZE = 50
MATCHING_ACTIONS = {"retry-matching": JobState.FAILED, "promote-matching": JobState.DELAYED,
                    "remove-matching-failed": JobState.FAILED}
"""Actions on every job matching a queue page's filter, and the state each applies to."""
MATCHING_BATCH = 500
MAX_SEARCH_OFFSET = 2000
"""Search pages reach this far into the matches (each page re-reads the matches before it)."""
MAX_MATCHING = 100_000
MAX_FORM_IDS = 1000
LOGIN_FORM_BYTES = 16 * 1024

NOTICES = {
    "retry": "Retried {n} job(s).", "retry-all": "Retried {n} failed job(s).", "remove": "Removed {n} job(s).",
    "promote": "Promoted {n} job(s).", "cancel": "Asked {n} running job(s) to cancel.",
    "pause": "Queue paused.", "resume": "Queue resumed.", "drain": "Drained {n} job(s).",
    "clean": "Cleaned {n} job(s).", "replay": "Replayed {n} dead letter(s).",
    "replay-all": "Replayed {n} dead letter(s).", "resolve": "Resolved {n} dead letter(s).",
    "retry-matching": "Retried {n} matching job(s).", "promote-matching": "Promoted {n} matching job(s).",
    "remove-matching-failed": "Removed {n} matching job(s).",
    "schedule-run-now": "Added {n} job of the schedule.",
    "schedule-pause": "Paused the schedule: its ticks add no jobs until it is resumed.",
    "schedule-resume": "Resumed the schedule.",
    "worker-quiet": "Asked the worker to stop claiming jobs; its state changes at its next heartbeat.",
    "worker-stop": "Asked the worker to stop; it leaves the list once it has.",
}
"""Fixed notice texts by action (the redirect carries only the action and counts)."""


OPENING_ORDER = (JobState.ACTIVE, JobState.WAITING, JobState.DELAYED, JobState.FAILED, JobState.COMPLETED)
"""The state a queue page opens on: the first of these holding jobs."""


def first_non_empty(counts: dict[str, int]) -> JobState:
    """The state a queue page opens on when none is asked for (waiting when all are empty)."""
    for job_state in OPENING_ORDER:
        if counts.get(job_state.value):
            return job_state
    return JobState.WAITING


def safe_next(value: Any, default: str = "/") -> str:
    """A path inside the admin app to go back to; anything else gives `default`."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//") or len(value) > 2000:
        return default
    if "\\" in value or any(ord(ch) < 32 for ch in value):
        return default
    return value


def notice_text(request: Request) -> str | None:
    """The notice a redirect asked to show, from fixed texts."""
    template = NOTICES.get(request.query_params.get("done", ""))
    if template is None:
        return None
    n = request.query_params.get("n", "0")
    text = template.format(n=n if n.isdigit() else "0")
    skipped = request.query_params.get("skipped", "0")
    if skipped.isdigit() and skipped != "0":
        text += f" {skipped} skipped (not in a state this action applies to, or gone)."
    return text


def dashboard_routes(state: AdminState) -> list[BaseRoute]:
    """Page, login and action routes, relative to the admin app."""
    pages = Pages(state.settings)
    service = state.service
    settings = state.settings

    def login_page(request: Request, *, status: int = 200, message: str | None = None) -> Response:
        nonce = state.auth.new_login_nonce()
        path = request.url.path[len(str(request.scope.get("root_path", ""))):] or "/"
        next_path = safe_next(request.query_params.get("next") or (path if path != "/login" else "/"))
        response = pages.render(request, "login.html", principal=None, status_code=status, page="login",
                                nonce=nonce, next=next_path, message=message)
        response.set_cookie(LOGIN_COOKIE, nonce, max_age=3600, path=state.auth.cookie_path(request), httponly=True,
                            samesite="strict", secure=state.auth.secure_cookies(request))
        return response

    def error_page(request: Request, problem: Problem, principal: Principal | None) -> Response:
        response = pages.render(request, "error.html", principal=principal,
                                csrf=state.auth.csrf_token(principal), status_code=problem.status, page="error",
                                problem=problem)
        for key, value in problem.headers.items():
            response.headers[key] = value
        return response

    def page(permission: Permission, handler: PageHandler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            principal: Principal | None = None
            try:
                principal = await state.auth.require(request, permission)
                return await handler(request, principal)
            except Exception as exc:
                problem = engine_problem(exc)
                if problem is None:
                    raise
                if problem.status == 401 and request.method == "GET":
                    response = login_page(request, status=401)
                    response.headers["WWW-Authenticate"] = 'Bearer realm="hubjobs"'
                    return response
                return error_page(request, problem, principal)

        endpoint.__name__ = handler.__name__
        return endpoint

    def render(request: Request, principal: Principal, template: str, page_name: str, **context: Any) -> Response:
        return pages.render(request, template, principal=principal, csrf=state.auth.csrf_token(principal),
                            page=page_name, can_act=principal.can(Permission.ACT), notice=notice_text(request),
                            **context)

    # ------------------------------------------------------------ pages

    async def chart_context(queue: str | None, raw_range: str | None) -> dict[str, Any]:
        """What `_charts.html` draws: the stored history of a queue (or all) over a range."""
        name = range_name(raw_range)
        history = await read_range(await state.app.backend(), queue, name)
        return {"chart_queue": queue, "chart_range": name, "chart_svg": throughput_svg(history, name),
                "chart_ranges": [(key, label) for key, (_s, _p, label) in RANGES.items()],
                "chart_percentiles": percentiles_of(history) if queue is not None else None}

    async def overview(request: Request, principal: Principal) -> Response:
        """Every queue: counts per state, paused flag, throughput chart, wait/run percentiles."""
        state.hub.ensure_started()
        statuses = await service.overview()
        charts = await chart_context(None, request.query_params.get("range"))
        backend = await state.app.backend()
        queue_percentiles = {s.name: percentiles_of(await read_range(backend, s.name, charts["chart_range"]))
                             for s in statuses}
        totals = {st.value: sum(s.counts[st.value] for s in statuses) for st in JobState}
        workers = await service.workers()
        return render(request, principal, "overview.html", "overview", statuses=statuses,
                      queue_percentiles=queue_percentiles, totals=totals, states=[s.value for s in JobState],
                      worker_count=len(workers), **charts)

    async def charts_fragment(request: Request, principal: Principal) -> Response:
        """The charts section alone, for the page's script to refresh it while open."""
        queue = request.query_params.get("queue") or None
        if queue is not None:
            await service.queue(queue)
        context = await chart_context(queue, request.query_params.get("range"))
        return pages.render(request, "_charts.html", principal=principal, csrf="", page="charts", **context)

    async def queue_page(request: Request, principal: Principal) -> Response:
        """One queue's jobs by state, or the results of a search within it."""
        name = request.path_params["queue"]
        status = await service.status(name)
        text = request.query_params.get("q", "")[:200]
        raw_state = request.query_params.get("state", "")
        job_state = JobState(raw_state) if raw_state in {s.value for s in JobState} else None
        offset = _int(request.query_params.get("offset"), 0)
        if text:
            jobs = await service.search(text, name, job_state, PAGE_SIZE)
        else:
            job_state = job_state or first_non_empty(status.counts)
            jobs = await service.jobs(name, job_state, offset, PAGE_SIZE)
        charts = await chart_context(name, request.query_params.get("range"))
        return render(request, principal, "queue.html", "queue", status=status, jobs=jobs, q=text,
                      state=job_state.value if job_state else "", offset=offset, page_size=PAGE_SIZE,
                      states=[s.value for s in JobState], data_chars=settings.list_data_chars, **charts)

    async def job_page(request: Request, principal: Principal) -> Response:
        """Everything about one job; updates itself live."""
        name, job_id = request.path_params["queue"], request.path_params["job_id"]
        job = await service.job(name, job_id)
        logs = await service.logs(name, job_id)
        return render(request, principal, "job.html", "job", job=job, logs=logs, history=job_history(job, logs),
                      detail_chars=settings.detail_data_chars)

    async def search_page(request: Request, principal: Principal) -> Response:
        """Jobs in every queue matching a text."""
        text = request.query_params.get("q", "")[:200]
        raw_state = request.query_params.get("state", "")
        job_state = JobState(raw_state) if raw_state in {st.value for st in JobState} else None
        raw_queue = request.query_params.get("queue") or None
        if raw_queue is not None:
            await service.queue(raw_queue)
        offset = min(_int(request.query_params.get("offset"), 0), MAX_SEARCH_OFFSET)
        found = await service.search(text, raw_queue, job_state, offset + PAGE_SIZE + 1) if text else []
        jobs = found[offset:offset + PAGE_SIZE]
        return render(request, principal, "search.html", "search", q=text, jobs=jobs, offset=offset,
                      page_size=PAGE_SIZE, has_more=len(found) > offset + PAGE_SIZE, state=raw_state if job_state else "",
                      queue=raw_queue or "", queue_names=await service.queue_names(), states=[st.value for st in JobState],
                      data_chars=settings.list_data_chars)

    async def dead_letters_page(request: Request, principal: Principal) -> Response:
        """Dead letters with bulk replay and resolve."""
        queue_name = request.query_params.get("queue") or None
        if queue_name is not None:
            await service.queue(queue_name)
        offset = _int(request.query_params.get("offset"), 0)
        result = await state.dead_letters.page(queue_name, offset, PAGE_SIZE)
        return render(request, principal, "dead_letters.html", "dead-letters", items=result.items,
                      total=result.total, queue=queue_name or "", offset=offset, page_size=PAGE_SIZE,
                      provider_title=state.dead_letters.title, queue_names=await service.queue_names(),
                      data_chars=settings.list_data_chars)

    async def schedules_page(request: Request, principal: Principal) -> Response:
        """Schedules with their next runs."""
        views = await service.schedules()
        last_jobs = {v.id: await service.last_schedule_job(v) for v in views}
        return render(request, principal, "schedules.html", "schedules", schedules=views, last_jobs=last_jobs)

    async def workers_page(request: Request, principal: Principal) -> Response:
        """Workers with their heartbeats."""
        return render(request, principal, "workers.html", "workers", workers=await service.workers())

    # ------------------------------------------------------------ actions

    async def action(request: Request, principal: Principal) -> Response:
        """Run a form action, then redirect back (or answer JSON to the page's script)."""
        form = await _form(request, settings.max_body_bytes)
        name = _field(form, "action")
        queue = form.get("queue")
        queue_name = queue if isinstance(queue, str) and queue else None
        count, skipped, _queue, ids = await _run_action(name, queue_name, form, principal)
        back = safe_next(form.get("next"))
        if "application/json" in request.headers.get("accept", ""):
            return json_response({"ok": True, "action": name, "count": count, "skipped": skipped,
                                  "job_ids": ids})
        query = urlencode({"done": name, "n": count, "skipped": len(skipped)})
        target = f"{request.scope.get('root_path', '')}{back}{'&' if '?' in back else '?'}{query}"
        return RedirectResponse(target, status_code=303)

    async def apply_to_matching(name: str, queue: str, job_state: JobState, text: str, principal: Principal) -> int:
        """Retry, remove or promote every job of a state (matching `text`, if given), in batches of
        MATCHING_BATCH ids, at most MAX_MATCHING jobs; stops when a batch changes nothing."""
        done = 0
        while done < MAX_MATCHING:
            limit = min(MATCHING_BATCH, MAX_MATCHING - done)
            jobs = (await service.search(text, queue, job_state, limit) if text
                    else await service.jobs(queue, job_state, 0, limit))
            ids = [j.id for j in jobs]
            if not ids:
                break
            if name == "retry-matching":
                result = await service.retry_jobs(queue, ids)
                await service.mark_retried(queue, result.done, f"{principal.role.value} {principal.name} (dashboard)")
            elif name == "remove-matching-failed":
                result = await service.remove_jobs_explained(queue, ids)
            else:
                result = await service.promote_jobs(queue, ids)
            if not result.done:
                break
            done += len(result.done)
        return done

    async def _run_action(name: str, queue_name: str | None, form: FormData,
                          principal: Principal) -> tuple[int, dict[str, str], str | None, list[str]]:
        async def audited(result: BulkResult, queue: str) -> tuple[int, dict[str, str], str | None, list[str]]:
            await state.audit(principal, name, "dashboard", queue=queue, job_ids=result.done)
            return len(result.done), result.skipped, queue, result.done

        if name in ("retry", "remove", "promote", "cancel"):
            queue = _require_queue(queue_name)
            ids = _ids(form)
            await service.queue(queue)
            if name == "retry":
                retried = await service.retry_jobs(queue, ids)
                await service.mark_retried(queue, retried.done, f"{principal.role.value} {principal.name} (dashboard)")
                return await audited(retried, queue)
            if name == "remove":
                return await audited(await service.remove_jobs_explained(queue, ids), queue)
            if name == "promote":
                return await audited(await service.promote_jobs(queue, ids), queue)
            return await audited(await service.cancel_jobs(queue, ids), queue)
        if name in ("worker-quiet", "worker-stop"):
            worker_id = _field(form, "worker_id")
            if worker_id not in {w.worker_id for w in await service.workers()}:
                raise Problem(404, f"no live worker {worker_id!r} (its heartbeat expired or it stopped)",
                              field="worker_id")
            command: Command = "quiet" if name == "worker-quiet" else "stop"
            backend = await state.app.backend()
            await backend.publish_events(PublishEvents(CONTROL_STREAM, [command_event(
                worker_id, command, f"{principal.role.value} {principal.name}")]))
            await state.audit(principal, name, "dashboard", queue=None, worker=worker_id)
            return 1, {}, None, []
        if name == "schedule-run-now":
            schedule_id = _field(form, "schedule_id")
            job = await service.run_schedule_now(schedule_id)
            await state.audit(principal, name, "dashboard", queue=job.queue, job_ids=[job.id], schedule=schedule_id)
            return 1, {}, job.queue, [job.id]
        if name in ("schedule-pause", "schedule-resume"):
            schedule_id = _field(form, "schedule_id")
            await service.set_schedule_paused(schedule_id, name == "schedule-pause")
            await state.audit(principal, name, "dashboard", queue=None, schedule=schedule_id)
            return 1, {}, None, []
        if name in MATCHING_ACTIONS:
            queue = _require_queue(queue_name)
            await service.queue(queue)
            raw_state = form.get("state")
            wanted = MATCHING_ACTIONS[name]
            if raw_state != wanted.value:
                raise Problem(400, f"{name} applies to {wanted.value} jobs: state must be {wanted.value}",
                              field="state")
            raw_text = form.get("q")
            text = raw_text[:200] if isinstance(raw_text, str) else ""
            count = await apply_to_matching(name, queue, wanted, text, principal)
            await state.audit(principal, name, "dashboard", queue=queue, count=count, state=wanted.value,
                              text=text or None)
            return count, {}, queue, []
        if name in ("retry-all", "pause", "resume", "drain", "clean"):
            queue = _require_queue(queue_name)
            await service.queue(queue)
            detail: dict[str, Any] = {}
            count = 0
            if name == "retry-all":
                count = await service.retry_all_failed(queue)
            elif name == "pause":
                await service.pause(queue)
            elif name == "resume":
                await service.resume(queue)
            elif name == "drain":
                detail["include_delayed"] = form.get("include_delayed") in ("on", "true", "1")
                count = await service.drain(queue, detail["include_delayed"])
            else:
                raw_state = form.get("state")
                if raw_state not in ("waiting", "delayed", "completed", "failed"):
                    raise Problem(400, "state must be waiting, delayed, completed or failed", field="state")
                older = _float(form.get("older_than"), "older_than")
                detail.update(state=raw_state, older_than=older)
                try:
                    count = await service.clean(queue, JobState(str(raw_state)), older, 100_000)
                except InvalidJobOptions as exc:
                    raise Problem(400, str(exc), field="state") from None
            await state.audit(principal, name, "dashboard", queue=queue, count=count, **detail)
            return count, {}, queue, []
        if name in ("replay", "resolve"):
            refs = _refs(form)
            for ref in refs:
                await service.queue(ref.queue)
            done = await (state.dead_letters.replay(refs) if name == "replay" else state.dead_letters.resolve(refs))
            for queue in sorted({r.queue for r in done}):
                await state.audit(principal, name, "dashboard", queue=queue,
                                  job_ids=[r.id for r in done if r.queue == queue])
            done_keys = {(r.queue, r.id) for r in done}
            skipped = {f"{r.queue} {r.id}": "not replayable" for r in refs if (r.queue, r.id) not in done_keys}
            return len(done), skipped, None, [r.id for r in done]
        if name == "replay-all":
            if queue_name is not None:
                await service.queue(queue_name)
            count = await state.dead_letters.replay_all(queue_name)
            await state.audit(principal, name, "dashboard", queue=queue_name, count=count)
            return count, {}, queue_name, []
        raise Problem(400, f"unknown action {name!r}", field="action")

    # ------------------------------------------------------------ login

    async def login_form(request: Request) -> Response:
        """The sign-in form (a viewer or admin token)."""
        return login_page(request)

    async def login(request: Request) -> Response:
        """Check a token and start a session."""
        client = source_of(request)
        wait = state.login_limiter.retry_after(client)
        if wait is not None:
            response = login_page(request, status=429, message="Too many failed sign-ins from this address. "
                                                               f"Try again in {whole_seconds(wait)} s.")
            response.headers.update(retry_after_header(wait))
            return response
        try:
            state.auth.check_origin(request, required=True)
            form = await _form(request, LOGIN_FORM_BYTES)
        except Problem as problem:
            return login_page(request, status=problem.status, message=problem.message)
        nonce = form.get("nonce")
        if not isinstance(nonce, str) or not state.auth.login_nonce_valid(request, nonce):
            return login_page(request, status=403, message="The sign-in form expired; please try again.")
        token = form.get("token")
        info = None
        if isinstance(token, str) and 0 < len(token.strip()) <= 512:
            info = await asyncio.to_thread(state.tokens.verify, token.strip())
        if info is None:
            state.login_limiter.failed(client)
            return login_page(request, status=401, message="That token is not valid.")
        if info.role == Role.PRODUCER:
            state.login_limiter.failed(client)
            return login_page(request, status=403, message="Producer tokens may only enqueue jobs; "
                                                           "sign in with a viewer or admin token.")
        state.login_limiter.succeeded(client)
        target = f"{request.scope.get('root_path', '')}{safe_next(form.get('next'))}"
        response = RedirectResponse(target, status_code=303)
        await state.auth.start_session(request, response, info)
        response.delete_cookie(LOGIN_COOKIE, path=state.auth.cookie_path(request))
        await state.auditor.record(AuditEntry(info.id, info.name, info.role.value, "login", "dashboard",
                                              detail={"client": client}))
        return response

    async def logout(request: Request, principal: Principal) -> Response:
        """End the session."""
        response = RedirectResponse(f"{request.scope.get('root_path', '')}/login", status_code=303)
        await state.auth.end_session(request, response, principal)
        await state.audit(principal, "logout", "dashboard")
        return response

    read = Permission.READ
    return [
        Route("/", page(read, overview), methods=["GET"]),
        Route("/charts", page(read, charts_fragment), methods=["GET"]),
        Route("/queues/{queue}", page(read, queue_page), methods=["GET"]),
        Route("/queues/{queue}/jobs/{job_id:path}", page(read, job_page), methods=["GET"]),
        Route("/search", page(read, search_page), methods=["GET"]),
        Route("/dead-letters", page(read, dead_letters_page), methods=["GET"]),
        Route("/schedules", page(read, schedules_page), methods=["GET"]),
        Route("/workers", page(read, workers_page), methods=["GET"]),
        Route("/actions", page(Permission.ACT, action), methods=["POST"]),
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", page(read, logout), methods=["POST"]),
    ]


async def _form(request: Request, max_bytes: int) -> FormData:
    check_form_length(request, max_bytes)
    try:
        return await request.form(max_files=0, max_fields=MAX_FORM_IDS + 20)
    except (HTTPException, MultiPartException, ValueError):
        raise Problem(400, "request body is not a valid form") from None


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    if not isinstance(value, str) or not value:
        raise Problem(400, f"form field {name!r} is missing", field=name)
    return value


def _require_queue(queue: str | None) -> str:
    if queue is None:
        raise Problem(400, "form field 'queue' is missing", field="queue")
    return queue


def _ids(form: FormData) -> list[str]:
    ids = [v for v in form.getlist("job_id") if isinstance(v, str) and v]
    if not ids:
        raise Problem(400, "select at least one job", field="job_id")
    return list(dict.fromkeys(ids))[:MAX_FORM_IDS]


def _refs(form: FormData) -> list[DeadLetterRef]:
    refs = []
    for value in form.getlist("ref"):
        if isinstance(value, str) and " " in value:
            queue, _, ref_id = value.partition(" ")
            if queue and ref_id:
                refs.append(DeadLetterRef(queue, ref_id))
    if not refs:
        raise Problem(400, "select at least one dead letter", field="ref")
    return refs[:MAX_FORM_IDS]


def _int(raw: str | None, default: int) -> int:
    if raw is None or not raw.isdigit() or len(raw) > 9:
        return default
    return int(raw)


def _float(raw: Any, field: str) -> float:
    if raw is None or raw == "":
        return 0.0
    try:
        value = float(str(raw))
    except ValueError:
        raise Problem(400, f"{field} must be a number of seconds", field=field) from None
    if not 0 <= value <= 1e12:
        raise Problem(400, f"{field} must be between 0 and 1e12 seconds", field=field)
    return value

