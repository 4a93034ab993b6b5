"""compose and apply_middleware, with Redux's shapes.

A middleware is `middleware(api) -> (next) -> (event, *args) -> awaitable`,
where `api` has `dispatch` (the whole chain) and `get_database`.  Extra
arguments given to `dispatch` (or `api.dispatch`) reach every middleware in
turn; the store's own dispatch takes the events only, so the middleware
that uses them does not pass them on to `next`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from server.store.types import Dispatch, Event


class EnhanceableStore(Protocol):
    """What apply_middleware needs of a store (Store satisfies it)."""

    dispatch: Dispatch

    def get_database(self) -> Any: ...

    def with_dispatch(self, dispatch: Dispatch) -> Any: ...


Middleware = Callable[["MiddlewareAPI"], Callable[[Dispatch], Dispatch]]
StoreCreator = Callable[..., Any]
Enhancer = Callable[[StoreCreator], StoreCreator]


def compose(*fns: Callable[..., Any]) -> Callable[..., Any]:
    """compose(f, g, h)(*args) == f(g(h(*args))); compose()(a, ...) is a.

    The rightmost function may take any arguments; the others take one.
    """
    if not fns:
        return lambda arg, *_rest, **_named: arg
    if len(fns) == 1:
        return fns[0]
    *outer, inner = fns

    def composed(*args: Any, **kwargs: Any) -> Any:
        result = inner(*args, **kwargs)
        for fn in reversed(outer):
            result = fn(result)
        return result

    return composed


class MiddlewareAPI:
    """What a middleware gets: dispatch (through the whole chain) and get_database."""

    def __init__(self, store: EnhanceableStore) -> None:
        self._store = store
        self._dispatch: Dispatch | None = None

    async def dispatch(self, event_or_list: Any, *args: Any, **kwargs: Any) -> list[Event]:
        if self._dispatch is None:
            raise RuntimeError(
                "Dispatching while constructing your middleware is not allowed. "
                "Other middleware would not be applied to this dispatch."
            )
        return await self._dispatch(event_or_list, *args, **kwargs)

    def get_database(self) -> Any:
        return self._store.get_database()


def apply_middleware(*middlewares: Middleware) -> Enhancer:
    """An enhancer for create_store that runs every dispatch through `middlewares`."""

    def enhancer(create: StoreCreator) -> StoreCreator:
        def create_store(*args: Any, **kwargs: Any) -> Any:
            store: EnhanceableStore = create(*args, **kwargs)
            api = MiddlewareAPI(store)
            chain = [middleware(api) for middleware in middlewares]
            dispatch: Dispatch = compose(*chain)(store.dispatch)
            api._dispatch = dispatch
            return store.with_dispatch(dispatch)

        return create_store

    return enhancer
