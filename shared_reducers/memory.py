"""The in-memory read model: a plain state and the changesets applied to it.

State shape (the same in CPython and in the browser's Redux store):

    {"notes": {"<id>": {"id": "<id>", ...}, ...}, ...}

Applying never mutates: it returns a new state that shares untouched parts
with the old one, as Redux expects.
"""

from shared_reducers.collection import Collection
from shared_reducers.errors import ChangesetConflict
from shared_reducers.portable import copy_of, get_or, has_key, keys_of, merged


class MemoryCollection(Collection):
    def __init__(self, name, rows):
        Collection.__init__(self, name)
        self.rows = rows

    def get(self, id):
        if has_key(self.rows, id):
            return self.rows[id]
        return None


class MemoryDatabase:
    """A state seen as collections, what a root reducer receives."""

    def __init__(self, state):
        self.state = state

    def collection(self, name):
        return MemoryCollection(name, get_or(self.state, name, {}))


def empty_state(names):
    state = {}
    for name in names:
        state[name] = {}
    return state


def apply_operation(state, operation):
    name = operation["collection"]
    id = operation["id"]
    kind = operation["op"]
    rows = copy_of(get_or(state, name, {}))
    exists = has_key(rows, id)
    if kind == "insert":
        if exists:
            raise ChangesetConflict("A row with id " + id + " already exists in " + name + ".")
        rows[id] = copy_of(operation["values"])
    elif kind == "update":
        if not exists:
            raise ChangesetConflict("There is no row " + id + " in " + name + " to update.")
        rows[id] = merged(rows[id], operation["values"])
    elif kind == "remove":
        if not exists:
            raise ChangesetConflict("There is no row " + id + " in " + name + " to remove.")
        del rows[id]
    else:
        raise ChangesetConflict("Unknown operation " + kind + ".")
    out = copy_of(state)
    out[name] = rows
    return out


def apply_changeset(state, changeset):
    for operation in changeset:
        state = apply_operation(state, operation)
    return state


def reduce_state(reducer, state, event):
    """Run the root reducer on `state` and return the next state."""
    return apply_changeset(state, reducer(MemoryDatabase(state), event))


def rows_of(state, name):
    """The rows of one collection as a list sorted by id."""
    rows = get_or(state, name, {})
    ids = keys_of(rows)
    ids.sort()
    out = []
    for id in ids:
        out.append(rows[id])
    return out
