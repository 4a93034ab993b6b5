"""Sign-in: the session's user, the login/signup/logout pages, and the Origin check.

The session is Starlette's SessionMiddleware cookie (signed with
itsdangerous, HttpOnly, SameSite=Lax) holding only the user name; the role
is read from the database on each request, so a changed role or a deleted
user takes effect at once.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from server.app.services import services
from server.app.users import EDITOR, NAME_PATTERN, User, UserError

SESSION_KEY = "user"


async def current_user(connection: HTTPConnection) -> User | None:
    """The signed-in user of this request or websocket, or None."""
    if "flux_user" in connection.scope:
        cached: User | None = connection.scope["flux_user"]
        return cached
    name = connection.session.get(SESSION_KEY)
    user = await services(connection).users.get(name) if isinstance(name, str) else None
    connection.scope["flux_user"] = user
    return user


def own_origin(connection: HTTPConnection) -> str:
    scheme = "https" if connection.url.scheme in ("https", "wss") else "http"
    return f"{scheme}://{connection.headers.get('host', '')}"


def origin_allowed(connection: HTTPConnection, required: bool = True) -> bool:
    """True when the Origin header names this server (or an allowed origin).

    A missing Origin is refused when `required` (the API and the websocket).
    """
    origin = connection.headers.get("origin")
    if origin is None:
        return not required
    allowed = services(connection).settings.allowed_origins
    return origin == own_origin(connection) or origin in allowed


def _page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("error", None)
    context.setdefault("username", "")
    context["signup_enabled"] = services(request).settings.signup
    response: HTMLResponse = services(request).templates.TemplateResponse(
        request, name, context, status_code=status
    )
    return response


def _sign_in(request: Request, user: User) -> Response:
    request.session.clear()
    request.session[SESSION_KEY] = user.name
    return RedirectResponse("/", status_code=303)


async def _form(request: Request) -> tuple[str, str]:
    form = await request.form()
    username, password = form.get("username"), form.get("password")
    return (
        username.strip() if isinstance(username, str) else "",
        password if isinstance(password, str) else "",
    )


async def login_page(request: Request) -> Response:
    return _page(request, "login.html")


async def login(request: Request) -> Response:
    if not origin_allowed(request, required=False):
        return _page(request, "login.html", 403, error="This form was sent from another site.")
    username, password = await _form(request)
    if not username or not password:
        return _page(
            request, "login.html", 400, error="Enter your username and password.", username=username
        )
    known_shape = NAME_PATTERN.match(username) is not None
    user = await services(request).users.authenticate(username, password) if known_shape else None
    if user is None:
        return _page(
            request, "login.html", 401, error="Wrong username or password.", username=username
        )
    return _sign_in(request, user)


def _signup_off() -> Response:
    return PlainTextResponse(
        "Sign-up is turned off on this server; ask an admin for an account.", status_code=404
    )


async def signup_page(request: Request) -> Response:
    if not services(request).settings.signup:
        return _signup_off()
    return _page(request, "signup.html")


async def signup(request: Request) -> Response:
    if not services(request).settings.signup:
        return _signup_off()
    if not origin_allowed(request, required=False):
        return _page(request, "signup.html", 403, error="This form was sent from another site.")
    username, password = await _form(request)
    try:
        user = await services(request).users.add(username, password, EDITOR)
    except UserError as error:
        return _page(request, "signup.html", 400, error=str(error), username=username)
    return _sign_in(request, user)


async def logout(request: Request) -> Response:
    if not origin_allowed(request):
        return PlainTextResponse("Sign out from this site's own page.", status_code=403)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


def routes() -> list[BaseRoute]:
    return [
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/signup", signup_page, methods=["GET"]),
        Route("/signup", signup, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
    ]
