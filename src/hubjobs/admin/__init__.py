"""The admin API and dashboard of hubjobs: an ASGI app (Starlette) to mount in a host
application or to serve with `hubjobs dashboard`.

    from hubjobs.admin import AdminSettings, create_admin_app
    admin = create_admin_app(app, settings=AdminSettings())
"""

from ..extras import require as _require

_require("dashboard")  # without the hubjobs[dashboard] extra: one line naming it, not a traceback

from .application import create_admin_app, create_standalone_app, serve
from .audit import AuditEntry, AuditHook
from .auth import Permission, Principal
from .dead_letters import DeadLetter, DeadLetterPage, DeadLetterProvider, DeadLetterRef, FailedJobs
from .settings import AdminSettings, NavLink
from .state import AdminState
from .tokens import CreatedToken, Role, TokenInfo, TokenStore, default_token_store_path

__all__ = [
    "AdminSettings", "AdminState", "AuditEntry", "AuditHook", "CreatedToken", "DeadLetter", "DeadLetterPage",
    "DeadLetterProvider", "DeadLetterRef", "FailedJobs", "NavLink", "Permission", "Principal", "Role", "TokenInfo",
    "TokenStore", "create_admin_app", "create_standalone_app", "default_token_store_path", "serve",
]
