"""The marketplace as one hubjobs App: every SequenceHUB queue, handler and schedule.

    hubjobs --app sequencehub.app:create_app worker      # the generic CLI
    sequencehub run                                      # workers + scheduler + dashboard

`create_marketplace()` returns the App with the pieces a runner needs; every worker the App
creates records dead letters and reports file failures (App worker hooks)."""

from __future__ import annotations

from dataclasses import dataclass

from hubjobs import App, Worker

from .config import Settings
from .files.storage import LocalFileStorage
from .jobs import MarketplaceJobs, register_marketplace_jobs
from .processing import FileProcessingSettings, register_file_processing, watch_file_failures


@dataclass
class Marketplace:
    """The App plus the marketplace's settings, database and helpers."""

    app: App
    jobs: MarketplaceJobs
    settings: Settings
    files: FileProcessingSettings

    @property
    def queues(self) -> list[str]:
        """Every marketplace queue."""
        return sorted(self.app.queues)


def create_marketplace(settings: Settings | None = None, files: FileProcessingSettings | None = None, *,
                       url: str | None = None, schedules: bool = True) -> Marketplace:
    """Declare every SequenceHUB queue on a new App (engine URL `url`, else HUBJOBS_URL, else
    the embedded SQLite default) and hook dead letters and file failures into its workers."""
    settings = settings or Settings.from_env()
    files = files or FileProcessingSettings.from_settings(settings)
    app = App(url)
    register_file_processing(app, files)
    jobs = register_marketplace_jobs(app, settings, storage=LocalFileStorage(files.storage_root),
                                     schedules=schedules)

    def hook(worker: Worker) -> None:
        jobs.attach_dead_letter_hook(worker)
        if "file-processing" in worker.queues:
            watch_file_failures(worker, files)

    app.on_worker(hook)
    marketplace = Marketplace(app, jobs, settings, files)
    from .admin_integration import marketplace_admin_settings

    app.admin_settings = marketplace_admin_settings(marketplace)
    return marketplace


def create_app() -> App:
    """The marketplace App configured from the environment (for `hubjobs --app`)."""
    return create_marketplace().app
