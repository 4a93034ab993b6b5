"""The in-memory read model: a plain state and the changesets applied to it.

State shape (the same in CPython and in the browser's Redux store): a mapping
from collection name to the collection's rows, in one of two forms.

- Plain: {"<id>": {"id": "<id>", ...}, ...}.  What JSON.parse gives (the
  first render's JSON can be used as the state as it is) and what
  `empty_state` makes.  Applying an operation copies the whole mapping.
- Shared (structural sharing): [count, slots], a two-level hashed trie.
  `slots` is a list of FANOUT entries, each None or a list of FANOUT leaves,
  each None or a mapping {"<id>": row} of the ids whose hash lands there.
  Applying an operation copies one leaf and two lists of FANOUT entries, so
  an event costs the same whatever the number of rows.  `shared_state` turns
  a state into this form (once, in O(rows)); `plain_state` turns it back.

Read rows through `row_of`, `rows_of`, `ids_of`, `row_count` and
`changed_ids`, which take either form (`with_row` replaces one row).  Applying keeps each collection's form.
Applying never mutates: it returns a new state that shares untouched parts
with the old one, as Redux expects (a changed row gives a new state, a new
collection, new lists on its path and a new leaf; every other row, leaf and
collection keeps its identity).  A changeset that does not fit the state
raises ChangesetConflict and changes nothing.

The hash is computed on code points with astral characters counted as their
high surrogate, so CPython and JavaScript put every id in the same slot and
the two engines build equal states.
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

FANOUT = 32
"""Entries per level of a shared collection: 32 * 32 leaves."""


class MemoryCollection(Collection):
    def __init__(self, name, rows):
        Collection.__init__(self, name)
        self.rows = rows

    def get(self, id):
        return find_row(self.rows, id)


class LiveCollection(Collection):
    """A collection that reads its database's current state (see state_reducer)."""

    def __init__(self, name, database):
        Collection.__init__(self, name)
        self.database = database

    def get(self, id):
        return find_row(get_or(self.database.state, self.name, None), id)


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
    """A state with these collections, empty and plain."""
    state = empty_map()
    for name in names:
        put(state, name, empty_map())
    return state


def shared_state(state):
    """The same state with every collection in the shared form (see above).

    O(rows) once; every operation applied afterwards costs the same whatever
    the number of rows.  A collection already shared is kept as it is."""
    out = empty_map()
    for name in keys_of(state):
        put(out, name, shared_rows(state[name]))
    return out


def plain_state(state):
    """The same state with every collection as a plain mapping {id: row}."""
    out = empty_map()
    for name in keys_of(state):
        put(out, name, plain_rows(state[name]))
    return out


def with_row(state, name, row):
    """A new state where collection `name` holds `row` under row["id"] (added
    or replaced as it is, no merge), for overlays such as the page's shown
    text; O(1) on a shared collection, a copy of the mapping on a plain one."""
    rows = get_or(state, name, None)
    if rows is None:
        rows = empty_map()
    id = row["id"]
    if is_list(rows):
        change = 0
        if find_row(rows, id) is None:
            change = 1
        rows = shared_with(rows, id, row, change)
    else:
        rows = copy_of(rows)
        put(rows, id, row)
    out = copy_of(state)
    put(out, name, rows)
    return out


# -- reading ------------------------------------------------------------------


def row_of(state, name, id):
    """The row `id` of collection `name`, or None."""
    return find_row(get_or(state, name, None), id)


def row_count(state, name):
    """The number of rows of collection `name`."""
    rows = get_or(state, name, None)
    if rows is None:
        return 0
    if is_list(rows):
        return rows[0]
    return len(keys_of(rows))


def rows_of(state, name):
    """The rows of one collection as a list sorted by id (code point order)."""
    rows = plain_rows(get_or(state, name, None))
    out = []
    for id in sort_texts(keys_of(rows)):
        out.append(rows[id])
    return out


def ids_of(state, name):
    """The ids of one collection, sorted by code point."""
    return sort_texts(keys_of(plain_rows(get_or(state, name, None))))


def changed_ids(old_state, new_state, name):
    """The ids (sorted) whose row in collection `name` was added, replaced or
    removed between two states.  Between shared collections it looks only
    where the lists differ (O(changed rows)); otherwise it compares all rows."""
    old = get_or(old_state, name, None)
    new = get_or(new_state, name, None)
    out = []
    if old is new:
        return out
    if is_list(old) and is_list(new):
        for i in range(FANOUT):
            old_mid = old[1][i]
            new_mid = new[1][i]
            if old_mid is not new_mid:
                for j in range(FANOUT):
                    old_leaf = None
                    new_leaf = None
                    if old_mid is not None:
                        old_leaf = old_mid[j]
                    if new_mid is not None:
                        new_leaf = new_mid[j]
                    if old_leaf is not new_leaf:
                        leaf_changes(old_leaf, new_leaf, out)
    else:
        leaf_changes(plain_rows(old), plain_rows(new), out)
    return sort_texts(out)


def leaf_changes(old, new, out):
    """Append to `out` the ids whose row differs (by identity) between two mappings."""
    if old is not None:
        for id in keys_of(old):
            if new is None or not has_key(new, id) or new[id] is not old[id]:
                out.append(id)
    if new is not None:
        for id in keys_of(new):
            if old is None or not has_key(old, id):
                out.append(id)


def find_row(rows, id):
    """The row `id` of a collection in either form (None for a missing collection)."""
    if rows is None or not is_string(id):
        return None
    if is_list(rows):
        number = hash_of(id)
        mid = rows[1][number % FANOUT]
        if mid is None:
            return None
        rows = mid[(number // FANOUT) % FANOUT]
        if rows is None:
            return None
    if has_key(rows, id):
        return rows[id]
    return None


def plain_rows(rows):
    """A collection as a mapping {id: row} (a new one for a shared collection)."""
    if rows is None:
        return empty_map()
    if not is_list(rows):
        return rows
    out = empty_map()
    for mid in rows[1]:
        if mid is not None:
            for leaf in mid:
                if leaf is not None:
                    for id in keys_of(leaf):
                        put(out, id, leaf[id])
    return out


# -- the shared form ----------------------------------------------------------


def hash_of(id):
    """A number below 2**24 from the id's characters, equal in both engines
    (an astral character counts as its high surrogate, which is what `ord`
    gives in JavaScript; all the arithmetic stays exact in a double)."""
    number = 5381
    for char in id:
        code = ord(char)
        if code > 65535:
            code = 55296 + (code - 65536) // 1024
        number = (number * 33 + code) % 16777213
    return number


def empty_slots():
    out = []
    for _ in range(FANOUT):
        out.append(None)
    return out


def shared_rows(rows):
    """A collection in the shared form (built in place once; O(rows))."""
    if is_list(rows):
        return rows
    slots = empty_slots()
    count = 0
    if rows is not None:
        for id in sort_texts(keys_of(rows)):
            number = hash_of(id)
            i = number % FANOUT
            j = (number // FANOUT) % FANOUT
            if slots[i] is None:
                slots[i] = empty_slots()
            if slots[i][j] is None:
                slots[i][j] = empty_map()
            put(slots[i][j], id, rows[id])
            count = count + 1
    return [count, slots]


def shared_with(rows, id, row, change):
    """A new shared collection where `id` holds `row` (None: removed), with
    `change` added to the count.  Copies one leaf and two lists of FANOUT."""
    number = hash_of(id)
    i = number % FANOUT
    j = (number // FANOUT) % FANOUT
    slots = list(rows[1])
    mid = slots[i]
    if mid is None:
        mid = empty_slots()
    else:
        mid = list(mid)
    leaf = mid[j]
    if row is None:
        leaf = without(leaf, id)
    else:
        if leaf is None:
            leaf = empty_map()
        else:
            leaf = copy_of(leaf)
        put(leaf, id, row)
    mid[j] = leaf
    slots[i] = mid
    return [rows[0] + change, slots]


# -- applying -----------------------------------------------------------------


def apply_operation(state, operation):
    if not is_object(operation):
        raise ChangesetConflict("An operation must be an object; got " + describe(operation) + ".")
    kind = get_or(operation, "op", None)
    name = get_or(operation, "collection", None)
    id = get_or(operation, "id", None)
    if not is_string(kind) or not is_string(name) or not is_string(id):
        raise ChangesetConflict("An operation needs 'op', 'collection' and 'id' as strings.")
    rows = get_or(state, name, None)
    if rows is None:
        rows = empty_map()
    shared = is_list(rows)
    row = find_row(rows, id)
    exists = row is not None
    if kind == "insert" or kind == "update":
        values = get_or(operation, "values", None)
        if not is_object(values):
            raise ChangesetConflict(
                "The " + kind + " of " + id + " in " + name + " needs 'values' as an object."
            )
    if kind == "insert":
        if exists:
            raise ChangesetConflict("A row with id " + id + " already exists in " + name + ".")
        if shared:
            rows = shared_with(rows, id, copy_of(values), 1)
        else:
            rows = copy_of(rows)
            put(rows, id, copy_of(values))
    elif kind == "update":
        if not exists:
            raise ChangesetConflict("There is no row " + id + " in " + name + " to update.")
        if has_key(values, "id"):
            values = without(values, "id")  # (only then: `without` is slow in JavaScript)
        if shared:
            rows = shared_with(rows, id, merged(row, values), 0)
        else:
            rows = copy_of(rows)
            put(rows, id, merged(row, values))
    elif kind == "remove":
        if not exists:
            raise ChangesetConflict("There is no row " + id + " in " + name + " to remove.")
        if shared:
            rows = shared_with(rows, id, None, -1)
        else:
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
