"""`python manage.py hubjobs worker|scheduler|dashboard|stats|…`: the `hubjobs` command with
`--app` and `--url` from the settings (HUBJOBS_APP, HUBJOBS_URL)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    """Run any hubjobs command on the project's App."""

    help = "Run a hubjobs command (worker, scheduler, dashboard, stats, jobs, queue, …) on HUBJOBS_APP."

    def add_arguments(self, parser: CommandParser) -> None:
        """Everything after `hubjobs` goes to the hubjobs command line."""
        parser.add_argument("args", nargs="*", help="the hubjobs command and its options")

    def run_from_argv(self, argv: list[str]) -> None:
        """Pass the raw arguments on (Django's parser would take the hubjobs options as its own)."""
        self._hubjobs_args = argv[2:]
        super().run_from_argv([*argv[:2]])

    def handle(self, *args: Any, **options: Any) -> None:
        """Run the hubjobs command line in this process."""
        from hubjobs.cli import main

        path = getattr(settings, "HUBJOBS_APP", None)
        if not path:
            raise CommandError("set HUBJOBS_APP = 'module:attribute' (your hubjobs App) in the settings")
        forwarded = list(getattr(self, "_hubjobs_args", None) or args)
        prefix = ["--app", path]
        url = getattr(settings, "HUBJOBS_URL", None)
        if url:
            prefix += ["--url", url]
        try:
            main.main(args=[*prefix, *forwarded], prog_name="manage.py hubjobs", standalone_mode=False)
        except SystemExit as exc:
            if exc.code:
                raise CommandError(f"hubjobs exited with code {exc.code}") from None
        except Exception as exc:  # noqa: BLE001 - click's one-line errors, as the command line shows them
            raise CommandError(str(exc)) from None
