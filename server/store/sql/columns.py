"""Column types that mean the same on every backend."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


class ExactString(TypeDecorator[str]):
    """A string compared and ordered code point by code point, as SQLite does.

    MariaDB's and MySQL's default collations fold case (and PAD SPACE ones
    ignore trailing spaces), so the ids `a`, `A` and `a ` would collide;
    PostgreSQL's default collation orders by locale.  Ids need neither.
    """

    impl = String
    cache_ok = True

    def __init__(self, length: int) -> None:
        super().__init__(length)
        self.length = length

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        length = self.length
        if dialect.name == "mysql":
            mariadb = getattr(dialect, "is_mariadb", False)
            collation = "utf8mb4_nopad_bin" if mariadb else "utf8mb4_0900_bin"
            return dialect.type_descriptor(mysql.VARCHAR(length, collation=collation))
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.VARCHAR(length, collation="C"))
        return dialect.type_descriptor(String(length))


def exact_string(length: int) -> ExactString:
    return ExactString(length)


class JsonText(TypeDecorator[Any]):
    """A JSON value kept as text, so it reads back the same on every backend;
    MEDIUMTEXT on MySQL and MariaDB, whose TEXT holds 64 KiB."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "mysql":
            return dialect.type_descriptor(mysql.MEDIUMTEXT())
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else json.loads(value)
