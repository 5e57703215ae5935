"""Both distributions build as wheels; the `hubjobs` wheel installs alone into a new virtualenv,
pulls no imaging, video or ORM package, runs a job end to end on SQLite, and names the extra to
install when a backend or the dashboard is used without it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from ..helpers import ROOT

pytestmark = pytest.mark.slow

HEAVY = ["av", "PIL", "sqlalchemy", "alembic", "zstandard"]
"""Imaging, video, ORM and compression packages the marketplace needs and the engine must not pull."""
OPTIONAL = ["redis", "hiredis", "psycopg", "psycopg_pool", "starlette", "uvicorn", "jinja2", "multipart",
            "prometheus_client"]
"""Packages of the engine's extras: absent from a plain `pip install hubjobs`."""

IGNORE = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc", "build", "dist")


def build_wheel(project: Path, out: Path) -> Path:
    """`python -m build` (sdist, then the wheel from it) for a copy of `project`; the wheel's path."""
    subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(project)], check=True,
                   capture_output=True, timeout=600)
    wheels = list(out.glob("*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def copy_project(files: list[str], dest: Path, source: Path = ROOT) -> Path:
    """Copy a project's files (not the working tree's build leftovers) to build it cleanly."""
    for name in files:
        src = source / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=IGNORE)
        else:
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


def run(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing its output; the caller checks the return code."""
    return subprocess.run(args, cwd=cwd, check=False, text=True, capture_output=True, timeout=600)


def test_the_engine_wheel_installs_alone_and_runs_a_job_on_sqlite(tmp_path: Path) -> None:
    project = copy_project(["pyproject.toml", "README.md", "src/hubjobs"], tmp_path / "hubjobs")
    wheel = build_wheel(project, tmp_path / "dist")
    assert wheel.name.startswith("hubjobs-")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    assert not [n for n in names if n.startswith("sequencehub")]
    assert any(n.endswith(".lua") for n in names) and any(n.endswith(".sql") for n in names)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python, hubjobs = str(venv / "bin" / "python"), str(venv / "bin" / "hubjobs")
    installed = run([python, "-m", "pip", "install", "-q", "-c", str(ROOT / "constraints.txt"), str(wheel)])
    assert installed.returncode == 0, installed.stderr

    absent = run([python, "-c", textwrap.dedent(f"""
        import importlib.util, sys
        import hubjobs
        present = [m for m in {HEAVY + OPTIONAL!r} if importlib.util.find_spec(m) is not None]
        assert not present, present
        print("ok")
    """)])
    assert absent.stdout.strip() == "ok", absent.stdout + absent.stderr

    job = run([python, "-c", textwrap.dedent(f"""
        from hubjobs import App
        app = App("sqlite:///{tmp_path / 'jobs.db'}")
        app.queue("work", attempts=2)

        @app.job("work", "double")
        async def double(job):
            return {{"twice": job.data["n"] * 2}}

        added = app.queue("work").add("double", {{"n": 21}})
        app.worker("work").run(burst=True)
        done = app.queue("work").get(added.id)
        print(done.state.value, done.result["twice"])
        app.close()
    """)], cwd=tmp_path)
    assert job.stdout.split() == ["completed", "42"], job.stdout + job.stderr

    version = run([hubjobs, "--version"])
    assert version.returncode == 0 and version.stdout.strip() == "hubjobs 0.1.0", version.stdout + version.stderr

    for url, extra in (("redis://127.0.0.1:6379/0", "redis"), ("postgresql://postgres@127.0.0.1/test", "postgres")):
        failed = run([hubjobs, "--url", url, "migrate"], cwd=tmp_path)
        assert failed.returncode != 0
        lines = failed.stderr.strip().splitlines()
        assert len(lines) == 1 and f"pip install 'hubjobs[{extra}]'" in lines[0], failed.stderr
    dashboard = run([hubjobs, "--url", f"sqlite:///{tmp_path / 'jobs.db'}", "dashboard"], cwd=tmp_path)
    lines = dashboard.stderr.strip().splitlines()
    assert dashboard.returncode != 0 and len(lines) == 1, dashboard.stderr
    assert "pip install 'hubjobs[dashboard]'" in lines[0], dashboard.stderr
    api = run([python, "-c", "import hubjobs.admin"])
    assert api.returncode != 0 and "pip install 'hubjobs[dashboard]'" in api.stderr.strip().splitlines()[-1]


def test_the_marketplace_builds_as_a_wheel_depending_on_the_engine(tmp_path: Path) -> None:
    project = copy_project(["pyproject.toml", "README.md", "src"], tmp_path / "marketplace", ROOT / "marketplace")
    wheel = build_wheel(project, tmp_path / "dist")
    assert wheel.name.startswith("sequencehub_jobs-")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        metadata = next(zf.read(n).decode() for n in names if n.endswith(".dist-info/METADATA"))
    assert not [n for n in names if n.startswith("hubjobs/")]
    assert "sequencehub/migrations/alembic.ini" in names
    assert any(n.startswith("sequencehub/email/templates/") and n.endswith(".html") for n in names)
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    assert any("hubjobs[" in line for line in requires), requires
    assert not [line for line in requires if "==" in line], requires


def test_importing_the_engine_loads_no_optional_package() -> None:
    """Installed or not, the extras' packages are imported only when their part is used."""
    probe = run([sys.executable, "-c", textwrap.dedent(f"""
        import sys
        import hubjobs
        from hubjobs import App
        App("sqlite:///never-opened.db")
        loaded = sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY + OPTIONAL!r}))
        print(",".join(loaded) or "none")
    """)], cwd=ROOT)
    assert probe.stdout.strip() == "none", probe.stdout + probe.stderr
