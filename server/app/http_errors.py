"""Errors at the HTTP edge: the JSON body `{"error", "detail"}` and the status of each exception."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.app.policy import Forbidden
from server.app.validation import Invalid
from server.store import (
    ChangesetError,
    ConfigurationError,
    InvalidEvent,
    StoreError,
    StoreUnavailable,
)
from shared_reducers.errors import EventRejected

log = logging.getLogger("flux.server")


class HttpError(Exception):
    """An error with its status, raised by request handlers."""

    def __init__(
        self, status: int, error: str, detail: Any = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.detail = detail
        self.headers = headers  # e.g. Retry-After on a 429


def error_body(error: str, detail: Any = None) -> dict[str, Any]:
    return {"error": error, "detail": detail}


class ErrorResponse(JSONResponse):
    """A JSON error body in ASCII: an error may quote what the client sent, and
    a lone surrogate there (JSON can carry one) cannot be encoded as UTF-8."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def error_response(
    status: int, error: str, detail: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    return ErrorResponse(error_body(error, detail), status_code=status, headers=headers)


def describe(exc: BaseException) -> tuple[int, str, Any]:
    """(status, error, detail) for an exception raised while handling a dispatch."""
    if isinstance(exc, HttpError):
        return exc.status, exc.error, exc.detail
    if isinstance(exc, Invalid):
        return 422, f"{exc.field} {exc.problem}", {"field": exc.field, "problem": exc.problem}
    if isinstance(exc, InvalidEvent):
        return 400, str(exc), None
    if isinstance(exc, Forbidden):
        return 403, exc.reason, {"rule": exc.rule}
    if isinstance(exc, EventRejected):
        return 409, str(exc), None
    if isinstance(exc, StoreUnavailable):
        return 503, "The database is unavailable; nothing was written. Retry later.", None
    if isinstance(exc, ChangesetError | ConfigurationError | StoreError):
        log.error("Server error while dispatching: %s", exc)
        return 500, "The server failed to store the event; nothing was written.", str(exc)
    raise exc


def to_response(exc: BaseException) -> JSONResponse:
    status, error, detail = describe(exc)
    headers = exc.headers if isinstance(exc, HttpError) else None
    return error_response(status, error, detail, headers)


Handler = Callable[[Request], Awaitable[Response]]


def json_errors(handler: Handler) -> Handler:
    """The handler, with any exception it raises answered as `{"error", "detail"}`."""

    @functools.wraps(handler)
    async def answer(request: Request) -> Response:
        try:
            return await handler(request)
        except Exception as error:
            return to_response(error)

    return answer
