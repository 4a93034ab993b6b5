"""Helpers the probes import: keyword arguments across modules, a user class
whose methods are named like dict methods, changeset builders."""
# ruff: noqa
# mypy: ignore-errors


def scaled(value, factor=2, offset=0):
    return value * factor + offset


def flagged(value, *, strict=False):
    return [value, strict]


def remove_op(id):
    return [{"op": "remove", "id": id}]


class Box:
    def __init__(self, name, size=1):
        self.name = name
        self.size = size


class Shelf:
    def __init__(self, name):
        self.name = name
        self.rows = {"a": 1}

    def get(self, id):
        if id in self.rows:
            return self.rows[id]
        return None

    def items(self):
        return ["own items"]

    def keys(self):
        return ["own keys"]

    def remove(self, id):
        return [{"op": "remove", "collection": self.name, "id": id}]
