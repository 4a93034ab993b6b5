from shared_reducers.portable import describe, extend, get_or, is_list, is_string, keys_of


def combine_reducers(reducers):
    """`{"notes": notes_reducer}` -> root reducer `(database, event) -> changeset`.

    Each reducer gets the collection of its name and the event; the root
    reducer returns their changesets one after the other.  A value that is
    not a function is refused here, naming its key; a reducer that returns
    something other than a changeset is named together with the event type.
    """
    names = keys_of(reducers)
    for name in names:
        if not callable(reducers[name]):
            raise TypeError(
                "The reducer for '"
                + name
                + "' must be a function (collection, event) -> changeset; got "
                + describe(reducers[name])
                + ". Give combine_reducers one reducer function per collection name."
            )

    def root(database, event):
        changeset = []
        for name in names:
            part = reducers[name](database.collection(name), event)
            if not is_list(part):
                raise TypeError(
                    "When called with an event of type "
                    + type_of(event)
                    + ", the reducer for '"
                    + name
                    + "' returned "
                    + ("None" if part is None else describe(part))
                    + ", not a changeset. To ignore an event, return collection.no_change(); "
                    + "to change data, return collection.insert/update/remove(...)."
                )
            extend(changeset, part)
        return changeset

    root.collection_names = names
    return root


def type_of(event):
    """The event's type, quoted, for error messages."""
    kind = get_or(event, "type", None)
    if is_string(kind):
        return "'" + kind + "'"
    return describe(kind)
