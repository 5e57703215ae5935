"""Django: settings, enqueue inside the request's database transaction, a management command and
the dashboard under your ASGI application.

Settings: `HUBJOBS_APP = "yourproject.jobs:app"` (your App, handlers declared on it) and
optionally `HUBJOBS_URL` (else the App's own URL). Add `"hubjobs.contrib.django"` to
`INSTALLED_APPS` for `python manage.py hubjobs worker|scheduler|dashboard|…` (any `hubjobs`
command, with `--app` and `--url` taken from the settings).

`enqueue(queue, name, data, using="default", **options)` adds a job as part of the current
transaction of Django's connection `using`: when the jobs live in that same database (SQLite or
PostgreSQL and a `HUBJOBS_URL` of that kind), through that very connection, so a rollback leaves
no job; otherwise on `transaction.on_commit`, so a rolled-back request enqueues nothing.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from ...app import App
from ...job import Job

if TYPE_CHECKING:
    from ...admin.settings import AdminSettings

_LOCK = threading.Lock()
_APP: App | None = None
_DASHBOARD: dict[str, Any] = {}
"""prefix -> the admin ASGI app `mount_dashboard` made (for `dashboard_sign_in`)."""
SAME_CONNECTION_VENDORS = {"sqlite": ("sqlite",), "postgresql": ("postgresql", "postgres")}
"""Django vendor -> hubjobs URL schemes whose jobs may share its connection and transaction."""


def get_app() -> App:
    """The App named by `settings.HUBJOBS_APP` (loaded once), on `settings.HUBJOBS_URL` if set."""
    global _APP
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    from ...cli_support import load_app
    from ...errors import ConfigurationError

    with _LOCK:
        if _APP is None:
            path = getattr(settings, "HUBJOBS_APP", None)
            if not path:
                raise ImproperlyConfigured("set HUBJOBS_APP = 'module:attribute' (your hubjobs App)")
            try:
                _APP = load_app(path, getattr(settings, "HUBJOBS_URL", None))
            except ConfigurationError as exc:
                raise ImproperlyConfigured(str(exc)) from None
        return _APP


def reset_app() -> None:
    """Forget the loaded App (tests that change the settings), closing it."""
    global _APP
    with _LOCK:
        app, _APP = _APP, None
    if app is not None:
        app.close()


def shares_connection(app: App, using: str = "default") -> bool:
    """True when jobs may be added through Django's connection `using` (same kind of database)."""
    from django.db import connections

    scheme = app.url.split(":", 1)[0].lower()
    return scheme in SAME_CONNECTION_VENDORS.get(connections[using].vendor, ())


def enqueue(queue: str, name: str, data: Any = None, *, using: str = "default", **options: Any) -> Job | None:
    """Add a job as part of the current transaction of connection `using`. Returns the Job when
    added through the connection; None when deferred to `transaction.on_commit` (other backends)."""
    from django.db import connections, transaction

    app = get_app()
    q = app.get_queue(queue)
    if shares_connection(app, using):
        conn = connections[using]
        conn.ensure_connection()
        return q.add(name, data, connection=conn.connection, **options)
    q.build_job(name, data, **{k: v for k, v in options.items() if k != "connection"})  # refuse bad data now
    transaction.on_commit(lambda: q.add(name, data, **options), using=using)
    return None


def mount_dashboard(django_asgi: Any, *, prefix: str = "/admin/queues",
                    settings: AdminSettings | None = None) -> Any:
    """Your ASGI application with the dashboard served under `prefix` (in `asgi.py`:
    `application = mount_dashboard(get_asgi_application())`); every other path goes to Django."""
    from ...admin import create_admin_app

    prefix = "/" + prefix.strip("/")
    admin = create_admin_app(get_app(), settings=settings)
    _DASHBOARD[prefix] = admin

    async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":  # Django serves no lifespan: answer it here
            await _lifespan(admin, receive, send)
            return
        path = scope.get("path", "")
        if scope["type"] in ("http", "websocket") and (path == prefix or path.startswith(prefix + "/")):
            scope = dict(scope, root_path=scope.get("root_path", "") + prefix, path=path[len(prefix):] or "/")
            await admin(scope, receive, send)
            return
        await django_asgi(scope, receive, send)

    return application


async def _lifespan(admin: Any, receive: Any, send: Any) -> None:
    """Acknowledge startup; at shutdown close the dashboard's state (live streams, connections)."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await admin.state.admin.aclose()
            await send({"type": "lifespan.shutdown.complete"})
            return


def dashboard_sign_in(request: Any, prefix: str = "/admin/queues") -> Any:
    """A Django view making Django's staff users dashboard admins: a signed-in staff user gets a
    dashboard session (an admin token named `django:<username>`, made once) and is sent to the
    dashboard; anyone else gets 403. Route it, e.g.
    `path("admin/queues-sign-in", dashboard_sign_in)`, after `mount_dashboard` in `asgi.py`."""
    import time

    from django.http import HttpResponseForbidden, HttpResponseRedirect

    from ...admin.tokens import Role

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active or not user.is_staff:
        return HttpResponseForbidden("only Django staff users may open the jobs dashboard")
    prefix = "/" + prefix.strip("/")
    admin = _DASHBOARD.get(prefix)
    if admin is None:
        return HttpResponseForbidden(f"no dashboard mounted at {prefix} (see mount_dashboard)")
    state = admin.state.admin
    name = f"django:{user.get_username()}"[:100]
    token = next((t for t in state.tokens.all() if t.active and t.name == name and t.role == Role.ADMIN), None)
    if token is None:
        token = state.tokens.create(Role.ADMIN, name).info
    max_age = state.settings.session_max_age
    session_id = state.tokens.create_session(token.id, max_age)
    response = HttpResponseRedirect(prefix + "/")
    response.set_cookie(state.settings.cookie_name, state.auth.signer.session_cookie(session_id, time.time() + max_age),
                        max_age=int(max_age), path=prefix, httponly=True, samesite="Strict",
                        secure=request.is_secure())
    return response
