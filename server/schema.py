"""The sample app's read model: the notes table (an ordinary SQL table)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, MetaData, String, Table, Text

metadata = MetaData()

notes = Table(
    "notes",
    metadata,
    Column("id", String(120), primary_key=True),
    Column("title", String(400), nullable=False),
    Column("text", Text, nullable=False),
    Column("author", String(100), nullable=False),
    Column("private", Boolean, nullable=False),
    Column("createdAt", String(24), nullable=False),
    Column("updatedAt", String(24), nullable=False),
    Column("updatedBy", String(100), nullable=False),
    Column("version", Integer, nullable=False),
)
