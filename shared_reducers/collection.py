"""What a reducer sees: one collection (table) of the read model.

A reducer reads through `get(id)` and describes what should change with the
builders, which return a changeset: a list of plain operations

    {"op": "insert" | "update" | "remove",
     "collection": name, "id": row id, "values": dict or None}

that survives a JSON round trip.  The server applies it with SQL inside the
dispatch transaction; the browser and the time machine apply it in memory
(`memory.py`).  Every row has a string primary key named `id`.
"""

from shared_reducers.errors import EventRejected
from shared_reducers.portable import has_key, operation


class Collection:
    """Base of the SQL and the in-memory collections."""

    def __init__(self, name):
        self.name = name

    def get(self, id):
        """The row with this id as a dict, or None."""
        raise NotImplementedError("a collection must implement get(id)")

    def insert(self, values):
        if not has_key(values, "id"):
            raise EventRejected("An inserted row needs an id.")
        return [operation("insert", self.name, values["id"], values)]

    def update(self, id, values):
        return [operation("update", self.name, id, values)]

    def remove(self, id):
        return [operation("remove", self.name, id, None)]

    def no_change(self):
        return []
