"""Flask: an extension object with app-factory support.

    jobs = App()                  # handlers declared on it as usual
    hubjobs_ext = HubJobs(jobs)   # module level

    def create_app() -> Flask:
        flask_app = Flask(__name__)
        flask_app.config["HUBJOBS_URL"] = "sqlite:///./jobs.db"
        hubjobs_ext.init_app(flask_app)
        return flask_app

    @bp.post("/orders")
    def order():
        hubjobs_ext.queue("email").add("send-email", {...})

`HUBJOBS_URL` in the Flask config (else the App's own URL) picks the backend. Sync producers talk
to storage from the request's thread."""

from __future__ import annotations

from typing import Any

from ..app import App
from ..queue import Queue

EXTENSION_KEY = "hubjobs"


class HubJobs:
    """The extension: `HubJobs(app, flask_app)` or `HubJobs(app)` then `init_app(flask_app)`."""

    def __init__(self, app: App, flask_app: Any = None) -> None:
        self.app = app
        if flask_app is not None:
            self.init_app(flask_app)

    def init_app(self, flask_app: Any) -> None:
        """Attach to a Flask app: its `HUBJOBS_URL` config sets the backend; the App's connections
        close when the Flask app's process ends (`atexit`)."""
        import atexit

        url = flask_app.config.get("HUBJOBS_URL")
        if url and url != self.app.url:
            from ..test_mode import bind

            bind(self.app, url)
        flask_app.extensions[EXTENSION_KEY] = self
        atexit.register(self.app.close)

    @property
    def current(self) -> App:
        """The App of the Flask app handling the current request (or the one given)."""
        from flask import current_app

        ext = current_app.extensions.get(EXTENSION_KEY)
        if not isinstance(ext, HubJobs):
            raise RuntimeError("HubJobs.init_app(flask_app) was not called for this Flask app")  # noqa: TRY004
        return ext.app

    def queue(self, name: str) -> Queue:
        """The declared queue `name` of the current Flask app's App."""
        return self.current.get_queue(name)
