"""The in-memory read model: a plain state and the changesets applied to it.

State shape (the same in CPython and in the browser's Redux store):

    {"notes": {"<id>": {"id": "<id>", ...}, ...}, ...}

In JavaScript the state and its collections are plain objects (what
JSON.parse gives), so the first render's JSON can be used as the state as it
is.  Applying never mutates: it returns a new state that shares untouched
parts with the old one, as Redux expects.  A changeset that does not fit the
state raises ChangesetConflict and changes nothing.
"""

from shared_reducers.collection import Collection
from shared_reducers.errors import ChangesetConflict
from shared_reducers.portable import (
    copy_of,
    describe,
    empty_map,
    get_or,
    has_key,
    is_list,
    is_object,
    is_string,
    keys_of,
    merged,
    put,
    sort_texts,
    without,
)


class MemoryCollection(Collection):
    def __init__(self, name, rows):
        Collection.__init__(self, name)
        self.rows = rows

    def get(self, id):
        if has_key(self.rows, id):
            return self.rows[id]
        return None


class LiveCollection(Collection):
    """A collection that reads its database's current state (see state_reducer)."""

    def __init__(self, name, database):
        Collection.__init__(self, name)
        self.database = database

    def get(self, id):
        rows = get_or(self.database.state, self.name, None)
        if rows is not None and has_key(rows, id):
            return rows[id]
        return None


class MemoryDatabase:
    """A state seen as collections, what a root reducer receives.

    Its collections read `self.state` when asked, so one MemoryDatabase can
    serve a fold of many events by replacing `state` (in JavaScript, making
    objects of Transcrypt classes is what costs most in a fold).
    """

    def __init__(self, state):
        self.state = state
        self.collections = empty_map()

    def collection(self, name):
        if not has_key(self.collections, name):
            put(self.collections, name, LiveCollection(name, self))
        return self.collections[name]


def empty_state(names):
    state = empty_map()
    for name in names:
        put(state, name, empty_map())
    return state


def apply_operation(state, operation):
    if not is_object(operation):
        raise ChangesetConflict("An operation must be an object; got " + describe(operation) + ".")
    kind = get_or(operation, "op", None)
    name = get_or(operation, "collection", None)
    id = get_or(operation, "id", None)
    if not is_string(kind) or not is_string(name) or not is_string(id):
        raise ChangesetConflict("An operation needs 'op', 'collection' and 'id' as strings.")
    rows = get_or(state, name, empty_map())
    exists = has_key(rows, id)
    if kind == "insert" or kind == "update":
        values = get_or(operation, "values", None)
        if not is_object(values):
            raise ChangesetConflict(
                "The " + kind + " of " + id + " in " + name + " needs 'values' as an object."
            )
    if kind == "insert":
        if exists:
            raise ChangesetConflict("A row with id " + id + " already exists in " + name + ".")
        rows = copy_of(rows)
        put(rows, id, copy_of(values))
    elif kind == "update":
        if not exists:
            raise ChangesetConflict("There is no row " + id + " in " + name + " to update.")
        rows = copy_of(rows)
        put(rows, id, merged(rows[id], without(values, "id")))
    elif kind == "remove":
        if not exists:
            raise ChangesetConflict("There is no row " + id + " in " + name + " to remove.")
        rows = without(rows, id)
    else:
        raise ChangesetConflict(
            "An operation's 'op' must be insert, update or remove; got " + describe(kind) + "."
        )
    out = copy_of(state)
    put(out, name, rows)
    return out


def apply_changeset(state, changeset):
    """The state after every operation of `changeset`, or ChangesetConflict."""
    if not is_list(changeset):
        raise ChangesetConflict("A changeset must be a list; got " + describe(changeset) + ".")
    for operation in changeset:
        state = apply_operation(state, operation)
    return state


def reduce_state(reducer, state, event):
    """Run the root reducer on `state` and return the next state."""
    return apply_changeset(state, reducer(MemoryDatabase(state), event))


def state_reducer(reducer):
    """`(state, event) -> next state` for folding many events, like reduce_state
    but with one reusable view of the state (the browser's store uses it)."""
    view = MemoryDatabase(None)

    def step(state, event):
        view.state = state
        return apply_changeset(state, reducer(view, event))

    return step


def rows_of(state, name):
    """The rows of one collection as a list sorted by id (code point order)."""
    rows = get_or(state, name, empty_map())
    out = []
    for id in sort_texts(keys_of(rows)):
        out.append(rows[id])
    return out
