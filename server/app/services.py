"""What the request handlers share: the store, users, visibility, hub and settings.

`server.app.create_app` builds one and puts it on `app.state.flux`;
handlers reach it with `services(request)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.requests import HTTPConnection
from starlette.templating import Jinja2Templates

from server.app.assets import TEMPLATES
from server.app.ratelimit import DispatchLimits
from server.app.sessions import Sessions
from server.app.settings import Settings
from server.app.throttle import Throttle
from server.app.users import Users
from server.app.visibility import Visibility
from server.store import Database, Store

if TYPE_CHECKING:
    from server.store.live import Hub

TEMPLATES_DIR = TEMPLATES


@dataclass
class Services:
    store: Store
    settings: Settings
    users: Users
    visibility: Visibility
    templates: Jinja2Templates
    hub: Hub
    sessions: Sessions
    throttle: Throttle
    dispatch_limits: DispatchLimits = field(init=False)

    def __post_init__(self) -> None:
        self.dispatch_limits = DispatchLimits(
            self.settings.dispatch_rate, self.settings.dispatch_burst
        )

    @property
    def database(self) -> Database:
        return self.store.get_database()


def services(connection: HTTPConnection) -> Services:
    found: Services = connection.app.state.flux
    return found
