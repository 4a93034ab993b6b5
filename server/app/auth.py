"""Sign-in: the session's user, the login/signup/logout pages, and the Origin check.

The session lives on the server (server/app/sessions.py): the cookie
`flux_session` (HttpOnly, SameSite=Lax, `Secure` over https) holds a signed
random token, and each request reads its session joined with its user, so a
logout, a changed password, a removed user or a changed role takes effect
at once.  Failed sign-ins are throttled per account and per client address
(server/app/throttle.py); an unknown name and a wrong password get the same
answer at the same cost.  Names are case-insensitive (`ADA` signs in as
`ada`, the name as stored).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from server.app.services import services
from server.app.sessions import COOKIE, LIFETIME_SECONDS, Session
from server.app.throttle import retry_after
from server.app.users import EDITOR, NAME_PATTERN, User, UserError, name_key

SCOPE_KEY = "flux_session"


async def current_session(connection: HTTPConnection) -> Session | None:
    """The live session of this request or websocket, or None (read once per request)."""
    if SCOPE_KEY in connection.scope:
        cached: Session | None = connection.scope[SCOPE_KEY]
        return cached
    sessions = services(connection).sessions
    token = sessions.token_of(connection.cookies.get(COOKIE))
    session = await sessions.find(token) if token is not None else None
    connection.scope[SCOPE_KEY] = session
    return session


async def current_user(connection: HTTPConnection) -> User | None:
    """The signed-in user of this request or websocket, or None."""
    session = await current_session(connection)
    return session.user if session is not None else None


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


def _page(
    request: Request,
    name: str,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    context.setdefault("error", None)
    context.setdefault("username", "")
    context["signup_enabled"] = services(request).settings.signup
    response: HTMLResponse = services(request).templates.TemplateResponse(
        request, name, context, status_code=status, headers=headers
    )
    return response


def _secure(request: Request) -> bool:
    """Whether the cookie gets `Secure`: over https (as a trusted proxy says) or by setting."""
    return services(request).settings.https_only or request.url.scheme == "https"


async def _sign_in(request: Request, user: User) -> Response:
    """A new session for `user` (this browser's old one, if any, ends)."""
    sessions = services(request).sessions
    old = await current_session(request)
    if old is not None:
        await sessions.end(old.id)
    token = await sessions.start(user)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        COOKIE,
        sessions.cookie_value(token),
        max_age=LIFETIME_SECONDS,
        path="/",
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    return response


def _address(request: Request) -> str:
    """The client's address (a trusted proxy's X-Forwarded-For, see `flux serve`)."""
    return request.client.host if request.client is not None else "unknown"


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
    flux = services(request)
    account, address = name_key(username[:50]), _address(request)
    wait = flux.throttle.wait(account, address)
    if wait > 0:
        seconds = retry_after(wait)
        return _page(
            request,
            "login.html",
            429,
            headers={"Retry-After": str(seconds)},
            error=f"Too many failed sign-ins. Wait {seconds} seconds, then try again.",
            username=username,
        )
    known_shape = NAME_PATTERN.match(username) is not None
    user = await flux.users.authenticate(username, password) if known_shape else None
    if user is None:
        flux.throttle.failed(account, address)
        return _page(
            request, "login.html", 401, error="Wrong username or password.", username=username
        )
    flux.throttle.succeeded(account, address)
    return await _sign_in(request, user)


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
    return await _sign_in(request, user)


async def logout(request: Request) -> Response:
    if not origin_allowed(request):
        return PlainTextResponse("Sign out from this site's own page.", status_code=403)
    session = await current_session(request)
    if session is not None:
        await services(request).sessions.end(session.id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=_secure(request))
    return response


def routes() -> list[BaseRoute]:
    return [
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/signup", signup_page, methods=["GET"]),
        Route("/signup", signup, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
    ]
