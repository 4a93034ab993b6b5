"""Redux's own tests for compose, applyMiddleware, combineReducers and
createStore's subscribe, ported where they apply (reduxjs/redux, test/*.spec.ts,
read at commit 3084fc33bb23ab4cab4796172eafe342da4e73d9).  Each test names the
upstream test it ports.

What differs by design:
- A dispatch is a coroutine and listeners run after the commit, one dispatch
  at a time in seq order.  A dispatch made inside a listener returns after
  its commit; its listeners run once the current dispatch's listeners are
  done, and the outer dispatch returns after them.  So "uses the last
  snapshot of subscribers during nested dispatch" checks the same counts
  after the outer dispatch, but inside the listener the nested dispatch's
  listeners have not run yet.
- combine_reducers refuses a value that is not a function, naming its key,
  where Redux ignores it ("ignores all props which are not a function") or
  warns ("warns if a reducer prop is undefined").
- Reducers return changesets for a database, not a new state: there is no
  getState (tests read the database), no preloaded state.

Not ported: getState and the state-shape tests of combineReducers
(referential equality, unexpected keys, "warns if no reducers are passed",
replaceReducer, "passes the initial state", "applies the reducer to the
previous state"...), replaceReducer, Symbol.observable, "does not leak
private listeners array" (`this` in a listener), the enhancer/preloaded
state argument juggling, and "does not allow dispatch()/getState()/
subscribe()/unsubscribe from within a reducer": a reducer here gets a
collection, never the store, and runs synchronously inside the transaction,
where it cannot await a dispatch.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from server.store import (
    ConfigurationError,
    Database,
    InvalidEvent,
    Store,
    apply_middleware,
    combine_reducers,
    compose,
    connect,
    create_store,
)
from shared_reducers.errors import EventRejected
from shared_reducers.memory import MemoryDatabase, empty_state
from tests.store.items import added, metadata, reducer

TIMEOUT = 20


class Spy:
    """vi.fn(): counts its calls and keeps their arguments."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def __call__(self, *args: Any) -> None:
        self.calls.append(args)

    @property
    def count(self) -> int:
        return len(self.calls)


def unknown_event() -> dict[str, Any]:
    return {"type": "unknown"}


@pytest.fixture
async def database(sqlite_url: str) -> AsyncIterator[Database]:
    database = await connect(sqlite_url, metadata)
    yield database
    await database.close()


@pytest.fixture
def store(database: Database) -> Store:
    return create_store(reducer, database)


async def item_ids(database: Database) -> list[str]:
    return [row["id"] for row in await database.rows("items")]


# -- compose.spec.ts ---------------------------------------------------------


def test_composes_from_right_to_left() -> None:
    # compose > composes from right to left
    def double(x: int) -> int:
        return x * 2

    def square(x: int) -> int:
        return x * x

    assert compose(square)(5) == 25
    assert compose(square, double)(5) == 100
    assert compose(double, square, double)(5) == 200


def test_composes_functions_from_right_to_left() -> None:
    # compose > composes functions from right to left
    def letter(suffix: str) -> Callable[[Callable[[str], str]], Callable[[str], str]]:
        return lambda next_fn: lambda x: next_fn(x + suffix)

    a, b, c = letter("a"), letter("b"), letter("c")

    def final(x: str) -> str:
        return x

    assert compose(a, b, c)(final)("") == "abc"
    assert compose(b, c, a)(final)("") == "bca"
    assert compose(c, a, b)(final)("") == "cab"


@pytest.mark.parametrize("not_a_function", [False, None, True, float("nan"), "42"])
def test_compose_throws_at_runtime_if_an_argument_is_not_a_function(not_a_function: Any) -> None:
    # compose > throws at runtime if argument is not a function
    def square(x: int, _: int = 0) -> int:
        return x * x

    def add(x: int, y: int) -> int:
        return x + y

    with pytest.raises(TypeError):
        compose(square, add, not_a_function)(1, 2)


def test_compose_can_be_seeded_with_multiple_arguments() -> None:
    # compose > can be seeded with multiple arguments
    assert compose(lambda x: x * x, lambda x, y: x + y)(1, 2) == 9


def test_compose_returns_the_first_given_argument_if_given_no_functions() -> None:
    # compose > returns the first given argument if given no functions
    assert compose()(1, 2) == 1
    assert compose()(3) == 3
    assert compose()(None) is None


def test_compose_returns_the_first_function_if_given_only_one() -> None:
    # compose > returns the first function if given only one
    def fn() -> None:
        pass

    assert compose(fn) is fn


# -- applyMiddleware.spec.ts -------------------------------------------------


def thunk(api: Any) -> Any:
    """redux-thunk (test/helpers/middleware.ts): a callable is called with
    dispatch and get_database instead of being dispatched."""

    def wrap(next_dispatch: Any) -> Any:
        async def dispatch(event: Any, *args: Any) -> Any:
            if callable(event):
                return await event(api.dispatch, api.get_database)
            return await next_dispatch(event, *args)

        return dispatch

    return wrap


def add_item_async(id: str) -> Any:
    """addTodoAsync: dispatches after a turn of the event loop."""

    async def run(dispatch: Any, get_database: Any) -> Any:
        await asyncio.sleep(0)
        return await dispatch(added(id))

    return run


def add_item_if_empty(id: str) -> Any:
    """addTodoIfEmpty: dispatches only when there are no items yet."""

    async def run(dispatch: Any, get_database: Any) -> Any:
        if not await get_database().rows("items"):
            return await dispatch(added(id))
        return None

    return run


async def test_dispatching_during_middleware_setup_raises(database: Database) -> None:
    # applyMiddleware > warns when dispatching during middleware setup
    def dispatching_middleware(api: Any) -> Any:
        coroutine = api.dispatch(added("n1"))
        try:
            coroutine.send(None)
        finally:
            coroutine.close()
        return lambda next_dispatch: next_dispatch

    with pytest.raises(RuntimeError, match="while constructing your middleware"):
        create_store(reducer, database, apply_middleware(dispatching_middleware))


async def test_wraps_dispatch_method_with_middleware_once(database: Database) -> None:
    # applyMiddleware > wraps dispatch method with middleware once
    spy = Spy()

    def test(api: Any) -> Any:
        spy(api)
        return lambda next_dispatch: next_dispatch

    store = apply_middleware(test, thunk)(create_store)(reducer, database)
    await store.dispatch(added("n1"))
    await store.dispatch(added("n2"))
    assert spy.count == 1
    [(api,)] = spy.calls
    assert callable(api.dispatch)
    assert api.get_database() is database
    assert await item_ids(database) == ["n1", "n2"]


async def test_passes_recursive_dispatches_through_the_middleware_chain(
    database: Database,
) -> None:
    # applyMiddleware > passes recursive dispatches through the middleware chain
    spy = Spy()

    def test(api: Any) -> Any:
        def wrap(next_dispatch: Any) -> Any:
            async def dispatch(event: Any) -> Any:
                spy(event)
                return await next_dispatch(event)

            return dispatch

        return wrap

    store = apply_middleware(test, thunk)(create_store)(reducer, database)
    await store.dispatch(add_item_async("n1"))
    assert spy.count == 2


async def test_works_with_thunk_middleware(database: Database) -> None:
    # applyMiddleware > works with thunk middleware
    store = apply_middleware(thunk)(create_store)(reducer, database)
    await store.dispatch(add_item_if_empty("hello"))
    assert await item_ids(database) == ["hello"]
    await store.dispatch(add_item_if_empty("hello"))
    assert await item_ids(database) == ["hello"]
    await store.dispatch(added("world"))
    assert await item_ids(database) == ["hello", "world"]
    await store.dispatch(add_item_async("maybe"))
    assert await item_ids(database) == ["hello", "maybe", "world"]


async def test_passes_through_all_arguments_of_dispatch_calls_from_within_middleware(
    database: Database,
) -> None:
    # applyMiddleware > passes through all arguments of dispatch calls from within middleware
    spy = Spy()
    test_call_args = ["test"]

    def multi_arg_middleware(api: Any) -> Any:
        def wrap(next_dispatch: Any) -> Any:
            async def dispatch(event: Any, call_args: Any = None) -> Any:
                if isinstance(call_args, list):
                    return event(*call_args)
                return await next_dispatch(event)

            return dispatch

        return wrap

    def dummy_middleware(api: Any) -> Any:
        return lambda _next: lambda event: api.dispatch(event, test_call_args)

    store = create_store(
        reducer, database, apply_middleware(multi_arg_middleware, dummy_middleware)
    )
    await store.dispatch(spy)
    assert spy.calls[0] == tuple(test_call_args)


# -- combineReducers.spec.ts -------------------------------------------------


def counter(collection: Any, event: Any) -> list:
    if event["type"] == "increment":
        return collection.update("c", {"n": 1})
    return collection.no_change()


def test_returns_a_composite_reducer_that_maps_the_keys_to_given_reducers() -> None:
    # combineReducers > returns a composite reducer that maps the state keys to given reducers
    def stack(collection: Any, event: Any) -> list:
        if event["type"] == "push":
            return collection.insert({"id": event["payload"]["value"]})
        return collection.no_change()

    root = combine_reducers({"counter": counter, "stack": stack})
    database = MemoryDatabase(empty_state(["counter", "stack"]))
    assert root.collection_names == ["counter", "stack"]
    [op] = root(database, {"type": "push", "payload": {"value": "a"}})
    assert (op["op"], op["collection"], op["id"]) == ("insert", "stack", "a")
    [op] = root(database, {"type": "increment"})
    assert (op["op"], op["collection"], op["id"]) == ("update", "counter", "c")


@pytest.mark.parametrize(("value", "name"), [(True, "fake"), ("string", "broken"), ({}, "another")])
def test_refuses_props_which_are_not_a_function(value: Any, name: str) -> None:
    # combineReducers > ignores all props which are not a function (here: refused, named)
    with pytest.raises(TypeError, match=f"reducer for '{name}' must be a function"):
        combine_reducers({"stack": counter, name: value})


def test_refuses_a_reducer_prop_that_is_none() -> None:
    # combineReducers > warns if a reducer prop is undefined (here: refused, named)
    with pytest.raises(TypeError, match=r"reducer for 'thing' must be a function.*got null"):
        combine_reducers({"thing": None})


def test_throws_if_a_reducer_returns_none_handling_an_event() -> None:
    # combineReducers > throws an error if a reducer returns undefined handling an action
    def counter_or_none(collection: Any, event: Any) -> Any:
        return None if event.get("type") in ("whatever", None) else collection.no_change()

    root = combine_reducers({"counter": counter_or_none})
    database = MemoryDatabase(empty_state(["counter"]))
    with pytest.raises(TypeError, match=r"'whatever'.*'counter'"):
        root(database, {"type": "whatever"})
    with pytest.raises(TypeError, match=r"type null.*'counter'"):
        root(database, {})


async def test_throws_when_created_if_a_reducer_returns_none_for_an_unknown_event(
    database: Database,
) -> None:
    # combineReducers > throws an error on first call if a reducer returns undefined initializing
    def silent(collection: Any, event: Any) -> None:
        return None

    with pytest.raises(TypeError, match="PROBE_UNKNOWN_EVENT', the reducer for 'items'"):
        create_store(combine_reducers({"items": silent}), database)


async def test_rethrows_an_error_a_reducer_raises_when_the_store_is_created(
    database: Database,
) -> None:
    # combineReducers > catches error thrown in reducer when initializing and re-throw
    def throwing(collection: Any, event: Any) -> list:
        raise RuntimeError("Error thrown in reducer")

    with pytest.raises(RuntimeError, match="Error thrown in reducer"):
        create_store(combine_reducers({"items": throwing}), database)


async def test_throws_when_created_if_a_reducer_handles_the_probe_event(
    database: Database,
) -> None:
    # combineReducers > throws an error on first call if a reducer attempts to handle a
    # private action
    def greedy(collection: Any, event: Any) -> list:
        return collection.insert({"id": "x"})

    with pytest.raises(ConfigurationError, match="no_change"):
        create_store(combine_reducers({"items": greedy}), database)


# -- createStore.spec.ts -----------------------------------------------------


def test_exposes_the_public_api(store: Store) -> None:
    # createStore > exposes the public API (getState: get_database; no replaceReducer)
    assert callable(store.dispatch)
    assert callable(store.subscribe)
    assert callable(store.get_database)


@pytest.mark.parametrize("not_a_reducer", [None, "test", {}])
def test_throws_if_reducer_is_not_a_function(database: Database, not_a_reducer: Any) -> None:
    # createStore > throws if reducer is not a function
    with pytest.raises(TypeError, match="must be a function"):
        create_store(not_a_reducer, database)
    create_store(lambda database, event: [], database)


async def test_supports_multiple_subscriptions(store: Store) -> None:
    # createStore > supports multiple subscriptions
    listener_a, listener_b = Spy(), Spy()
    unsubscribe_a = store.subscribe(listener_a)
    await store.dispatch(unknown_event())
    assert (listener_a.count, listener_b.count) == (1, 0)
    await store.dispatch(unknown_event())
    assert (listener_a.count, listener_b.count) == (2, 0)
    unsubscribe_b = store.subscribe(listener_b)
    assert (listener_a.count, listener_b.count) == (2, 0)
    await store.dispatch(unknown_event())
    assert (listener_a.count, listener_b.count) == (3, 1)
    unsubscribe_a()
    assert (listener_a.count, listener_b.count) == (3, 1)
    await store.dispatch(unknown_event())
    assert (listener_a.count, listener_b.count) == (3, 2)
    unsubscribe_b()
    assert (listener_a.count, listener_b.count) == (3, 2)
    await store.dispatch(unknown_event())
    assert (listener_a.count, listener_b.count) == (3, 2)
    store.subscribe(listener_a)
    assert (listener_a.count, listener_b.count) == (3, 2)
    await store.dispatch(unknown_event())
    assert (listener_a.count, listener_b.count) == (4, 2)


async def test_only_removes_listener_once_when_unsubscribe_is_called(store: Store) -> None:
    # createStore > only removes listener once when unsubscribe is called
    listener_a, listener_b = Spy(), Spy()
    unsubscribe_a = store.subscribe(listener_a)
    store.subscribe(listener_b)
    unsubscribe_a()
    unsubscribe_a()
    await store.dispatch(unknown_event())
    assert (listener_a.count, listener_b.count) == (0, 1)


async def test_only_removes_relevant_listener_when_unsubscribe_is_called(store: Store) -> None:
    # createStore > only removes relevant listener when unsubscribe is called
    listener = Spy()
    store.subscribe(listener)
    unsubscribe_second = store.subscribe(listener)
    unsubscribe_second()
    unsubscribe_second()
    await store.dispatch(unknown_event())
    assert listener.count == 1


async def test_supports_removing_a_subscription_within_a_subscription(store: Store) -> None:
    # createStore > supports removing a subscription within a subscription
    listener_a, listener_b, listener_c = Spy(), Spy(), Spy()
    store.subscribe(listener_a)

    def b(events: list) -> None:
        listener_b()
        unsubscribe_b()

    unsubscribe_b = store.subscribe(b)
    store.subscribe(listener_c)
    await store.dispatch(unknown_event())
    await store.dispatch(unknown_event())
    assert (listener_a.count, listener_b.count, listener_c.count) == (2, 1, 2)


async def test_notifies_all_subscribers_about_the_current_dispatch_even_if_unsubscribed(
    store: Store,
) -> None:
    # createStore > notifies all subscribers about current dispatch regardless if any of
    # them gets unsubscribed in the process
    listener_1, listener_2, listener_3 = Spy(), Spy(), Spy()
    handles: list[Callable[[], None]] = []

    def second(events: list) -> None:
        listener_2()
        for unsubscribe in handles:
            unsubscribe()

    handles.append(store.subscribe(lambda events: listener_1()))
    handles.append(store.subscribe(second))
    handles.append(store.subscribe(lambda events: listener_3()))
    await store.dispatch(unknown_event())
    assert (listener_1.count, listener_2.count, listener_3.count) == (1, 1, 1)
    await store.dispatch(unknown_event())
    assert (listener_1.count, listener_2.count, listener_3.count) == (1, 1, 1)


async def test_notifies_only_subscribers_active_at_the_moment_of_current_dispatch(
    store: Store,
) -> None:
    # createStore > notifies only subscribers active at the moment of current dispatch
    listener_1, listener_2, listener_3 = Spy(), Spy(), Spy()
    added_third = False

    def second(events: list) -> None:
        nonlocal added_third
        listener_2()
        if not added_third:
            added_third = True
            store.subscribe(lambda events: listener_3())

    store.subscribe(lambda events: listener_1())
    store.subscribe(second)
    await store.dispatch(unknown_event())
    assert (listener_1.count, listener_2.count, listener_3.count) == (1, 1, 0)
    await store.dispatch(unknown_event())
    assert (listener_1.count, listener_2.count, listener_3.count) == (2, 2, 1)


async def test_uses_the_last_snapshot_of_subscribers_during_nested_dispatch(store: Store) -> None:
    # createStore > uses the last snapshot of subscribers during nested dispatch
    listener_1, listener_2, listener_3, listener_4 = Spy(), Spy(), Spy(), Spy()
    unsubscribe_4: Callable[[], None] = lambda: None  # noqa: E731

    async def first(events: list) -> None:
        nonlocal unsubscribe_4
        listener_1()
        assert (listener_1.count, listener_2.count, listener_3.count, listener_4.count) == (
            1,
            0,
            0,
            0,
        )
        unsubscribe_1()
        unsubscribe_4 = store.subscribe(listener_4)
        await store.dispatch(unknown_event())
        # Redux runs the nested dispatch's listeners here; ours run after this
        # dispatch's listeners (seq order), so nothing else has been called yet.
        assert (listener_1.count, listener_2.count, listener_3.count, listener_4.count) == (
            1,
            0,
            0,
            0,
        )

    unsubscribe_1 = store.subscribe(first)
    store.subscribe(listener_2)
    store.subscribe(listener_3)
    async with asyncio.timeout(TIMEOUT):
        await store.dispatch(unknown_event())
        assert (listener_1.count, listener_2.count, listener_3.count, listener_4.count) == (
            1,
            2,
            2,
            1,
        )
        unsubscribe_4()
        await store.dispatch(unknown_event())
    assert (listener_1.count, listener_2.count, listener_3.count, listener_4.count) == (1, 3, 3, 1)


async def test_provides_an_up_to_date_database_when_a_subscriber_is_notified(
    store: Store,
) -> None:
    # createStore > provides an up-to-date state when a subscriber is notified
    seen: list[list[str]] = []

    async def listener(events: list) -> None:
        seen.append(await item_ids(store.get_database()))

    store.subscribe(listener)
    await store.dispatch(added("hello"))
    assert seen == [["hello"]]


@pytest.mark.parametrize("not_an_event", [None, 42, "hey", object()])
async def test_only_accepts_plain_dict_events(store: Store, not_an_event: Any) -> None:
    # createStore > only accepts plain object actions
    await store.dispatch(unknown_event())
    with pytest.raises(InvalidEvent, match="must be a dict"):
        await store.dispatch(not_an_event)


async def test_handles_nested_dispatches_gracefully(store: Store) -> None:
    # createStore > handles nested dispatches gracefully
    async def component_did_update(events: list) -> None:
        if "bar" not in await item_ids(store.get_database()):
            await store.dispatch(added("bar"))

    store.subscribe(component_did_update)
    async with asyncio.timeout(TIMEOUT):
        await store.dispatch(added("foo"))
    assert await item_ids(store.get_database()) == ["bar", "foo"]


async def test_recovers_from_an_error_within_a_reducer(store: Store) -> None:
    # createStore > recovers from an error within a reducer
    with pytest.raises(EventRejected):
        await store.dispatch({"type": "itemToggled", "payload": {"id": "missing"}})
    [stored] = await store.dispatch(unknown_event())
    assert stored["seq"] == 1


@pytest.mark.parametrize("event", [{}, {"type": None}, {"type": 1}, {"type": ""}])
async def test_throws_if_the_event_type_is_missing_or_not_a_string(
    store: Store, event: dict
) -> None:
    # createStore > throws if action type is missing / is undefined / is not string
    with pytest.raises(InvalidEvent, match=r"\['type'\] must be a non-empty string"):
        await store.dispatch(event)


@pytest.mark.parametrize(("value", "name"), [(None, "NoneType"), (42, "int"), ([1], "int")])
async def test_throws_an_error_that_describes_the_type_of_item_dispatched(
    store: Store, value: Any, name: str
) -> None:
    # createStore > throws an error that correctly describes the type of item dispatched
    with pytest.raises(InvalidEvent, match=f"instead it was {name}"):
        await store.dispatch(value)


async def test_accepts_an_enhancer_as_the_third_argument(database: Database) -> None:
    # createStore > accepts enhancer as the third argument
    seen: list[str] = []

    def spy_enhancer(create: Any) -> Any:
        def create_spied(*args: Any, **kwargs: Any) -> Any:
            store = create(*args, **kwargs)

            async def dispatch(event: Any) -> Any:
                seen.append(event["type"])
                return await store.dispatch(event)

            return store.with_dispatch(dispatch)

        return create_spied

    store = create_store(reducer, database, spy_enhancer)
    await store.dispatch(added("n1"))
    assert seen == ["itemAdded"]
    assert await item_ids(database) == ["n1"]


@pytest.mark.parametrize("enhancer", [{}, [], False, 0])
def test_throws_if_enhancer_is_neither_none_nor_a_function(
    database: Database, enhancer: Any
) -> None:
    # createStore > throws if enhancer is neither undefined nor a function
    with pytest.raises(TypeError, match="enhancer must be a function"):
        create_store(reducer, database, enhancer)
    create_store(reducer, database, None)
    create_store(reducer, database, lambda create: create)


@pytest.mark.parametrize("not_a_listener", [None, "", 0])
def test_throws_if_listener_is_not_a_function(store: Store, not_a_listener: Any) -> None:
    # createStore > throws if listener is not a function
    with pytest.raises(TypeError, match="listener must be callable"):
        store.subscribe(not_a_listener)
