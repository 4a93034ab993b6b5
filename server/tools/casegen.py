"""Cases for `flux crosscheck --generate N`, made from the declared schemas.

A reducer module declares the payload of each event type it handles, in the
format of shared_reducers/schemas.py:

    SCHEMAS[event type][field] = [kind, required]
    KINDS[kind] = [value type, most characters or items (0: no bound)]

where a kind is a key of the module's KINDS or directly one of "string",
"int", "bool", "list", "object".  A module without SCHEMAS uses its
package's `schemas` module when there is one.

Half of the cases are valid sequences: every required field present and of
its type, ids drawn from a small pool per case so that later events update
and remove rows that earlier ones added, strings within their bound and
sometimes exactly at it (in astral characters, two UTF-16 units each).  The
other half are fuzzed: events with a missing key, a value of the wrong type,
odd Unicode (astral characters, combining marks, right-to-left text, lone
surrogates, U+0000), keys and ids such as "__proto__", "constructor" and
"toString", integers up to ±(2**53-1), empty strings, payloads that are not
objects and unknown event types.  The same seed gives the same cases
(`random.Random(seed)`).
"""

from __future__ import annotations

import importlib
import random
from typing import Any

from server.tools.crosscheck_build import CrosscheckError

BASE_TYPES = ("string", "int", "bool", "list", "object")
MAX_SAFE_INTEGER = 2**53 - 1
UNBOUNDED_LENGTH = 24
"""How long a string or list with no bound gets at most."""
LONGEST_BOUNDARY = 2000
"""Strings are made exactly as long as their bound only up to this bound."""

ODD_KEYS = ("__proto__", "constructor", "toString", "valueOf", "hasOwnProperty", "prototype")
ODD_TEXTS = (
    "",
    " ",
    "😀",
    "a😀b",
    "\U0001d54f\U0001d550",
    "\U0001f469\u200d\U0001f469\u200d\U0001f467",
    "e\u0301",
    "\u0301",
    "שלום",
    "\u202eabc",
    "مرحبا",
    "\ufeff",
    "\ud800",
    "x\udc00",
    "\x00",
    "\u2028",
    "1",
    "NaN",
    "null",
)
TOKENS = ("todo", "doing", "done", "yes", "no", "tea", "Ünïcödé", "😀", "a b")
"""Short strings that the events of one case share (a column, an option, a sku)."""
WORDS = ("a", "b", "note", "hello world", "Ünïcödé", "tab\there", "line\nbreak")
ODD_NUMBERS = (0, -1, 1.5, MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER, 2**31, -(2**31) - 1)
CREATING = ("add", "create", "insert", "new", "open", "start", "register", "join")
"""Words that mark an event type as one that makes rows (valid cases begin with these)."""
UNKNOWN_TYPES = ("", "unknownEvent", "__proto__", "constructor", "toString", "@@redux/INIT")

Schemas = dict[str, dict[str, tuple[str, int, bool, str]]]
"""event type -> field -> (value type, bound, required, kind)"""


def declared_schemas(modules: list[str]) -> Schemas:
    """The schemas of the reducers' modules, kinds resolved, checked."""
    schemas: Schemas = {}
    for name in dict.fromkeys(modules):
        source = _schema_source(name)
        declared = getattr(source, "SCHEMAS", None)
        kinds = getattr(source, "KINDS", {})
        where = source.__name__
        if not isinstance(declared, dict) or not isinstance(kinds, dict):
            raise CrosscheckError(f"{where}.SCHEMAS and KINDS must be dicts.")
        for kind_name, event_fields in declared.items():
            if not isinstance(event_fields, dict):
                raise CrosscheckError(f"{where}.SCHEMAS[{kind_name!r}] must be a dict of fields.")
            fields = schemas.setdefault(kind_name, {})
            for field, rule in event_fields.items():
                fields[field] = _resolve(rule, kinds, f"{where}.SCHEMAS[{kind_name!r}][{field!r}]")
    if not schemas:
        raise CrosscheckError("--generate needs SCHEMAS with at least one event type.")
    return schemas


def _schema_source(name: str) -> Any:
    module = importlib.import_module(name)
    if hasattr(module, "SCHEMAS"):
        return module
    package = name.rpartition(".")[0]
    if package:
        try:
            return importlib.import_module(package + ".schemas")
        except ModuleNotFoundError as error:
            if error.name != package + ".schemas":
                raise
    raise CrosscheckError(
        f"--generate needs SCHEMAS: {name} declares none and "
        + (f"{package} has no schemas module" if package else "it is in no package")
        + ". Declare SCHEMAS[event type][field] = [kind, required] (and KINDS) as "
        "shared_reducers/schemas.py does, or give --cases FILE."
    )


def _resolve(rule: Any, kinds: dict[str, Any], where: str) -> tuple[str, int, bool, str]:
    if not isinstance(rule, list | tuple) or len(rule) != 2 or not isinstance(rule[1], bool):
        raise CrosscheckError(f"{where} must be [kind, required]; got {rule!r}.")
    kind, required = rule
    if kind in kinds:
        declared = kinds[kind]
        if (
            not isinstance(declared, list | tuple)
            or len(declared) != 2
            or declared[0] not in BASE_TYPES
            or not isinstance(declared[1], int)
        ):
            raise CrosscheckError(
                f"KINDS[{kind!r}] (used by {where}) must be [value type, bound] with a value "
                f"type among {', '.join(BASE_TYPES)}; got {declared!r}."
            )
        return declared[0], declared[1], required, kind
    if kind in BASE_TYPES:
        return kind, 0, required, kind
    raise CrosscheckError(
        f"{where}: the kind {kind!r} is neither a key of KINDS nor one of {', '.join(BASE_TYPES)}."
    )


def declared_words(modules: list[str]) -> list[str]:
    """The strings of the modules' top-level lists and tuples of strings (kanban's
    COLUMNS, notes' FIELDS): values a reducer accepts, so the cases use them."""
    words: dict[str, None] = {}
    for name in dict.fromkeys(modules):
        sources = [importlib.import_module(name), _schema_source(name)]
        for source in dict.fromkeys(sources):
            for value in vars(source).values():
                if (
                    isinstance(value, list | tuple)
                    and 0 < len(value) <= 50
                    and all(isinstance(item, str) for item in value)
                ):
                    words.update(dict.fromkeys(value))
    return list(words)


def generate_cases(modules: list[str], count: int, seed: int) -> list[list[Any]]:
    """`count` cases (lists of events) for the reducers of these modules."""
    schemas = declared_schemas(modules)
    generator = CaseGenerator(schemas, random.Random(seed), declared_words(modules))
    return [generator.case(fuzzed=number % 2 == 1) for number in range(count)]


class CaseGenerator:
    def __init__(self, schemas: Schemas, rng: random.Random, words: list[str]) -> None:
        self.schemas = schemas
        self.words = words
        self.rng = rng
        self.types = sorted(schemas)
        self.creating = [t for t in self.types if any(w in t.lower() for w in CREATING)]
        # An unbounded string field often names another field (noteSpliced's
        # `field` is "title" or "text"): the names of the string fields.
        self.fields = sorted(
            {f for fields in schemas.values() for f, rule in fields.items() if rule[0] == "string"}
        )
        # Field names and event types double as string values: a field such
        # as noteSpliced's `field` ("title" or "text") then gets valid values.
        self.vocabulary = sorted({f for fields in schemas.values() for f in fields} | set(schemas))
        self.ids: list[str] = []
        self.tokens: list[str] = []

    def case(self, fuzzed: bool) -> list[Any]:
        rng = self.rng
        # Per case, a few ids and a few other strings that events share, so
        # that later events find what earlier ones made (a row, a poll option).
        self.ids = [f"{prefix}{n}" for n, prefix in enumerate(rng.sample(["n", "note-", "x"], 2))]
        self.tokens = rng.sample(self.words, min(len(self.words), 6)) + rng.sample(TOKENS, 2)
        if fuzzed:
            self.ids += rng.sample([*ODD_KEYS, "😀", "e\u0301", "שלום", "a" * 121], 2)
            self.tokens += rng.sample([*ODD_KEYS, *ODD_TEXTS], 2)
        events = []
        for index in range(rng.randint(1, 12)):
            creating = bool(self.creating) and (index < 2 or rng.random() < 0.25)
            event = self.event(rng.choice(self.creating) if creating else None)
            if fuzzed and rng.random() < 0.5:
                event = self.fuzz(event)
            events.append(event)
        return events

    def event(self, kind: str | None = None) -> dict[str, Any]:
        kind = kind or self.rng.choice(self.types)
        payload: dict[str, Any] = {}
        for field, (value_type, bound, required, kind_name) in self.schemas[kind].items():
            if required or self.rng.random() < 0.5:
                payload[field] = self.value(field, kind_name, value_type, bound)
        return {"type": kind, "payload": payload}

    def value(self, field: str, kind: str, value_type: str, bound: int) -> Any:
        rng = self.rng
        if value_type == "string":
            if field == "id" or any(name.endswith(("Id", "_id", "ID")) for name in (field, kind)):
                return rng.choice(self.ids)
            roll = rng.random()
            if bound == 0 and self.fields and roll < 0.3:
                return rng.choice(self.fields)
            if roll < 0.8:
                return rng.choice(self.tokens)
            return self.text(bound)
        if value_type == "int":
            return rng.choice((0, 1, 1, 2, 2, 3, rng.randint(0, 10)))
        if value_type == "bool":
            return rng.random() < 0.5
        if value_type == "list":
            limit = bound if 0 < bound < UNBOUNDED_LENGTH else UNBOUNDED_LENGTH // 4
            length = rng.randint(0, limit)
            shape = rng.random()
            if shape < 0.4:
                return [self.edit() for _ in range(length)]
            if shape < 0.8:  # different strings, as a list of options is
                pool = [*self.tokens, *self.ids]
                return rng.sample(pool, min(length, len(pool)))
            return [self.anything() for _ in range(length)]
        return {rng.choice(self.vocabulary): self.text(0)}

    def text(self, bound: int) -> str:
        rng = self.rng
        roll = rng.random()
        if 0 < bound <= LONGEST_BOUNDARY and roll < 0.1:
            return rng.choice(("😀", "a", "é")) * bound
        if roll < 0.3:
            return rng.choice(self.vocabulary)
        if roll < 0.5:
            return rng.choice(ODD_TEXTS[:12])
        length = rng.randint(0, min(bound, UNBOUNDED_LENGTH) if bound else UNBOUNDED_LENGTH)
        pieces = [rng.choice((*WORDS, *ODD_TEXTS[2:12])) for _ in range(length)]
        text = "".join(pieces)
        if bound:
            text = "".join(list(text)[:bound])
        return text

    # The items of a list, all of one shape per list: the [position, count,
    # text] of an edit, the case's strings, or a mix.
    def edit(self) -> list[Any]:
        rng = self.rng
        return [rng.randint(0, 4), rng.randint(0, 2), rng.choice(("", "x", "😀", "é", "ab"))]

    def token(self) -> str:
        return self.rng.choice([*self.tokens, *self.ids])

    def anything(self) -> Any:
        return self.rng.choice((self.edit, self.token, lambda: self.rng.randint(0, 5)))()

    def odd_value(self) -> Any:
        rng = self.rng
        return rng.choice(
            (
                None,
                True,
                [],
                {},
                [None],
                {rng.choice(ODD_KEYS): 1},
                rng.choice(ODD_NUMBERS),
                rng.choice(ODD_TEXTS),
                "12",
            )
        )

    def fuzz(self, event: dict[str, Any]) -> dict[str, Any]:
        rng = self.rng
        payload = event["payload"]
        roll = rng.random()
        if roll < 0.2 and payload:
            del payload[rng.choice(sorted(payload))]
        elif roll < 0.45 and payload:
            payload[rng.choice(sorted(payload))] = self.odd_value()
        elif roll < 0.55:
            payload[rng.choice(ODD_KEYS)] = self.odd_value()
        elif roll < 0.65:
            event["payload"] = rng.choice((None, [], "payload", 3, [payload]))
        elif roll < 0.7:
            del event["payload"]
        elif roll < 0.8:
            event["type"] = rng.choice(UNKNOWN_TYPES)
        elif roll < 0.85:
            event["type"] = rng.choice((None, 5, ["noteAdded"]))
        elif roll < 0.95:
            event["meta"] = {"user": rng.choice((*ODD_TEXTS, "u" * 101, None, 7))}
        else:
            event["timestamp"] = rng.choice((None, 5, "", "2024-01-01T00:00:00.000Z"))
        return event
