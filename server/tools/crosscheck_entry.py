"""What the server's entry does to an event before any reducer sees it, for
`flux crosscheck`: the payload is checked against the reducers' declared
SCHEMAS (the same declaration the server's validation is built from).

An event the declaration refuses never reaches a reducer in production (the
server answers 422 and writes nothing; the page only folds what the server
confirmed or what it built itself), so crosscheck folds it in neither engine
and records the same rejection for both.  What the entry lets through (an
optional field left out, any string the declaration allows, keys such as
"__proto__", unknown event types) reaches both reducers as it is.

`--no-schema` skips this step, to see what the reducers do with anything.
"""

from __future__ import annotations

from typing import Any

from server.tools.casegen import Schemas, declared_schemas
from server.tools.crosscheck_build import CrosscheckError

ENTRY = "EntryRefused"
"""The class name recorded for an event the declared schema refuses."""

_WORDS = {
    "string": "a string",
    "int": "an integer",
    "bool": "true or false",
    "list": "a list",
    "object": "an object",
}


def declared(modules: list[str]) -> Schemas:
    """The declared schemas of the reducers' modules, or {} when none declares any."""
    try:
        return declared_schemas(modules)
    except CrosscheckError as error:
        if "needs SCHEMAS" in str(error):
            return {}
        raise


def refusal(schemas: Schemas, event: Any) -> str | None:
    """Why the entry refuses `event` (naming the field), or None when it passes."""
    if not isinstance(event, dict):
        return None  # not an event at all: the reducers say what they say
    kind = event.get("type")
    fields = schemas.get(kind) if isinstance(kind, str) else None
    if fields is None:
        return None  # not declared: the reducers decide
    payload = event.get("payload")
    if not isinstance(payload, dict):
        return f"{kind} needs a payload object."
    for name, (type_name, bound, required, _) in fields.items():
        if name not in payload:
            if required:
                return f"{kind} needs '{name}'."
            continue
        value = payload[name]
        if not _fits(type_name, value):
            return f"{kind} needs '{name}' as {_WORDS[type_name]}."
        if bound and isinstance(value, str | list) and len(value) > bound:
            return f"{kind}'s '{name}' is longer than {bound}."
    return None


def _fits(type_name: str, value: Any) -> bool:
    if type_name == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "bool":
        return isinstance(value, bool)
    if type_name == "string":
        return isinstance(value, str)
    if type_name == "list":
        return isinstance(value, list)
    return isinstance(value, dict)
