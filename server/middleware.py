"""compose and apply_middleware, with Redux's shapes.

A middleware is `middleware(api) -> (next) -> (event) -> awaitable`, where
`api` has `dispatch` (the whole chain) and `get_database`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from server.types import Dispatch, Event

if TYPE_CHECKING:
    from server.store import Store

Middleware = Callable[["MiddlewareAPI"], Callable[[Dispatch], Dispatch]]
StoreCreator = Callable[..., "Store"]
Enhancer = Callable[[StoreCreator], StoreCreator]


def compose(*fns: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """compose(f, g, h)(x) == f(g(h(x))); compose() is the identity."""
    if not fns:
        return lambda arg: arg
    if len(fns) == 1:
        return fns[0]

    def composed(arg: Any) -> Any:
        for fn in reversed(fns):
            arg = fn(arg)
        return arg

    return composed


class MiddlewareAPI:
    """What a middleware gets: dispatch (through the whole chain) and get_database."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._dispatch: Dispatch | None = None

    async def dispatch(self, event_or_list: Any) -> list[Event]:
        if self._dispatch is None:
            raise RuntimeError(
                "Dispatching while constructing your middleware is not allowed. "
                "Other middleware would not be applied to this dispatch."
            )
        return await self._dispatch(event_or_list)

    def get_database(self) -> Any:
        return self._store.get_database()


def apply_middleware(*middlewares: Middleware) -> Enhancer:
    """An enhancer for create_store that runs every dispatch through `middlewares`."""

    def enhancer(create: StoreCreator) -> StoreCreator:
        def create_store(reducer: Any, database: Any) -> Store:
            store = create(reducer, database)
            api = MiddlewareAPI(store)
            chain = [middleware(api) for middleware in middlewares]
            dispatch: Dispatch = compose(*chain)(store.dispatch)
            api._dispatch = dispatch
            return store.with_dispatch(dispatch)

        return create_store

    return enhancer
