"""combine_reducers: one root reducer out of one reducer per collection."""

from shared_reducers.portable import extend, is_list, keys_of


def combine_reducers(reducers):
    """`{"notes": notes_reducer}` -> root reducer `(database, event) -> changeset`.

    Each reducer gets the collection of its name and the event; the root
    reducer returns their changesets one after the other.
    """
    names = keys_of(reducers)

    def root(database, event):
        changeset = []
        for name in names:
            part = reducers[name](database.collection(name), event)
            if not is_list(part):
                raise TypeError(
                    "The reducer for '"
                    + name
                    + "' returned something that is not a changeset; "
                    + "return collection.insert/update/remove(...) or collection.no_change()."
                )
            extend(changeset, part)
        return changeset

    root.collection_names = names
    return root
