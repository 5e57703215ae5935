"""Django: a project on SQLite and on PostgreSQL enqueues from a request inside the request's
transaction (same connection), the job runs, and a rolled-back request leaves no job; with jobs in
another kind of store the job waits for `transaction.on_commit`. The management command runs a
worker, and the dashboard answers under the project's ASGI application."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import django
import psycopg
import pytest
from django.conf import settings

from hubjobs import App, Job
from tests.backends import postgres as pg

DB_DIR = Path(tempfile.mkdtemp(prefix="hubjobs-django-"))
PG_NAME = "test"

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="tests-only",
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "django.contrib.sessions",
                        "hubjobs.contrib.django"],
        MIDDLEWARE=["django.contrib.sessions.middleware.SessionMiddleware",
                    "django.contrib.auth.middleware.AuthenticationMiddleware"],
        DATABASES={
            "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(DB_DIR / "site.db")},
            "pg": {"ENGINE": "django.db.backends.postgresql", "NAME": PG_NAME, "USER": "postgres",
                   "HOST": "127.0.0.1", "PORT": "5432"},
        },
        HUBJOBS_APP=f"{__name__}:make_jobs_app",
        USE_TZ=True,
    )
    django.setup()

from django.db import connections, transaction
from django.http import HttpRequest, JsonResponse
from django.test import Client, override_settings
from django.urls import path

from hubjobs.contrib.django import dashboard_sign_in, enqueue, get_app, mount_dashboard, reset_app
from hubjobs.test_mode import drain


def make_jobs_app() -> App:
    """The project's App (HUBJOBS_URL from the settings replaces its URL)."""
    jobs = App("memory://django-declared")

    @jobs.job("orders")
    def confirm(job: Job) -> str:
        return f"confirmed {job.data['order']}"

    return jobs


def create_order(request: HttpRequest, alias: str, outcome: str) -> JsonResponse:
    with transaction.atomic(using=alias):
        with connections[alias].cursor() as cursor:
            cursor.execute("INSERT INTO site_orders (note) VALUES (%s)", [outcome])
        job = enqueue("orders", "confirm", {"order": outcome}, using=alias)
        if outcome == "declined":
            raise RuntimeError("payment declined: the transaction rolls back")
    return JsonResponse({"job": None if job is None else job.id})


urlpatterns = [path("orders/<str:alias>/<str:outcome>", create_order),
               path("admin/queues-sign-in", dashboard_sign_in)]


@pytest.fixture
def site(request: pytest.FixtureRequest) -> Iterator[tuple[str, App]]:
    """(Django database alias, the project's App on the jobs store of the case)."""
    alias, jobs_url = request.param
    if jobs_url == "pg-schema":
        jobs_url = pg.with_schema(f"postgresql://postgres@127.0.0.1:5432/{PG_NAME}", f"hj_dj_{uuid.uuid4().hex[:10]}")
    elif jobs_url == "site-file":
        jobs_url = f"sqlite:///{DB_DIR / 'site.db'}"
    with override_settings(HUBJOBS_URL=jobs_url):
        reset_app()
        jobs = get_app()
        jobs.sync_backend()  # the jobs tables exist before the first request (hubjobs migrate)
        for state in ("waiting", "completed", "failed"):  # the site's file outlives a test
            jobs.queue("orders").clean(state)
        with connections[alias].cursor() as cursor:
            cursor.execute("CREATE TABLE IF NOT EXISTS site_orders (note VARCHAR(40))")
            cursor.execute("DELETE FROM site_orders")
        try:
            yield alias, jobs
        finally:
            reset_app()
            connections[alias].close()
            if jobs_url.startswith("postgresql"):
                pg.cleanup(jobs_url)
            elif jobs_url.startswith("memory"):
                from hubjobs.backends.sqlite.memory import forget

                forget(jobs_url)


def site_orders(alias: str) -> list[str]:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT note FROM site_orders")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.parametrize("site", [("default", "site-file"), ("pg", "pg-schema")], indirect=True,
                         ids=["sqlite-same-connection", "postgres-same-connection"])
def test_enqueue_joins_the_request_transaction(site: tuple[str, App]) -> None:
    alias, jobs = site
    client = Client(raise_request_exception=False)
    job_id = client.get(f"/orders/{alias}/paid").json()["job"]
    assert job_id is not None  # added through the request's own connection
    assert client.get(f"/orders/{alias}/declined").status_code == 500
    assert site_orders(alias) == ["paid"]  # the declined order was rolled back ...
    assert jobs.queue("orders").counts()["waiting"] == 1  # ... and so was its job
    assert drain(jobs) == 1
    job = jobs.queue("orders").get(job_id)
    assert job is not None and job.wait(timeout=10) == "confirmed paid"


@pytest.mark.parametrize("site", [("default", "memory://django-jobs")], indirect=True, ids=["on-commit"])
def test_other_stores_enqueue_on_commit(site: tuple[str, App]) -> None:
    alias, jobs = site
    client = Client(raise_request_exception=False)
    assert client.get(f"/orders/{alias}/paid").json() == {"job": None}  # deferred to the commit
    assert client.get(f"/orders/{alias}/declined").status_code == 500
    assert jobs.queue("orders").counts()["waiting"] == 1
    assert drain(jobs) == 1


@pytest.mark.parametrize("site", [("default", "site-file")], indirect=True, ids=["sqlite"])
def test_management_command_runs_a_worker(site: tuple[str, App]) -> None:
    from django.core.management import ManagementUtility

    alias, jobs = site
    Client().get(f"/orders/{alias}/paid")
    ManagementUtility(["manage.py", "hubjobs", "worker", "--burst", "--no-claim-ahead"]).execute()
    assert jobs.queue("orders").counts()["completed"] == 1


@pytest.mark.parametrize("site", [("default", "site-file")], indirect=True, ids=["sqlite"])
def test_dashboard_under_the_projects_asgi_application(site: tuple[str, App]) -> None:
    from django.core.asgi import get_asgi_application
    from starlette.testclient import TestClient

    alias, _jobs = site
    application = mount_dashboard(get_asgi_application(), prefix="/admin/queues")
    with TestClient(application) as client:
        assert client.get("/admin/queues/healthz").status_code == 200
        assert client.get(f"/orders/{alias}/paid").status_code == 200  # everything else is Django's


def test_postgres_test_database_is_reachable() -> None:
    with psycopg.connect(pg.libpq_url(f"postgresql://postgres@127.0.0.1:5432/{PG_NAME}")) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)




@pytest.mark.parametrize("site", [("default", "site-file")], indirect=True, ids=["sqlite"])
def test_django_staff_users_are_dashboard_admins(site: tuple[str, App]) -> None:
    from django.contrib.auth.models import User
    from django.core.asgi import get_asgi_application
    from django.core.management import call_command
    from starlette.testclient import TestClient

    call_command("migrate", database="default", verbosity=0)
    application = mount_dashboard(get_asgi_application(), prefix="/admin/queues")
    staff, _ = User.objects.get_or_create(username="alice", defaults={"is_staff": True})
    visitor, _ = User.objects.get_or_create(username="bob", defaults={"is_staff": False})
    browser = Client()
    browser.force_login(visitor)
    assert browser.get("/admin/queues-sign-in").status_code == 403
    browser.force_login(staff)
    signed_in = browser.get("/admin/queues-sign-in")
    assert signed_in.status_code == 302 and signed_in["Location"] == "/admin/queues/"
    cookie = signed_in.cookies["hubjobs_session"]
    assert cookie["path"] == "/admin/queues" and cookie["httponly"]
    with TestClient(application) as client:
        assert client.get("/admin/queues/", follow_redirects=False).status_code in (401, 303)
        page = client.get("/admin/queues/", headers={"cookie": f"hubjobs_session={cookie.value}"},
                          follow_redirects=False)
        assert page.status_code == 200 and "django:alice" in page.text, page.text[:300]
