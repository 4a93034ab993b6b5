"""The seed's claim, checked: the notes reducer handles one create, two updates
and one delete in under 40 code lines (natural Python on top of the payload
schemas of shared_reducers/schemas.py)."""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

import shared_reducers.notes

SOURCE = Path(shared_reducers.notes.__file__).read_text(encoding="utf-8")

CRUD = ["make_notes_reducer", "note_added", "note_edited", "existing_note"]
"""The dispatch (make_notes_reducer and the notes_reducer inside it, which removes
a note itself), the create, the two updates (one function: the event type names
the field) and the lookup that the updates and the delete share."""


def code_lines(source: str, names: list[str]) -> dict[str, int]:
    """Per top-level function: its lines that hold code (not blank, not only a
    comment, not a docstring)."""
    tree = ast.parse(source)
    docstrings: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef) and body:
            first = body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                if isinstance(first.value.value, str):
                    docstrings.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    skipped = {
        tokenize.COMMENT,
        tokenize.NL,
        tokenize.NEWLINE,
        tokenize.INDENT,
        tokenize.DEDENT,
        tokenize.ENDMARKER,
    }
    code: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in skipped:
            code.update(range(token.start[0], token.end[0] + 1))
    code -= docstrings
    counts: dict[str, int] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in names:
            end = node.end_lineno or node.lineno
            counts[node.name] = len([line for line in code if node.lineno <= line <= end])
    return counts


def test_the_counter_skips_blank_lines_comments_and_docstrings() -> None:
    source = 'def f(x):\n    """Doc\n    string."""\n\n    # a comment\n    y = (\n        x\n    )\n    return y\n'
    assert code_lines(source, ["f"]) == {"f": 5}


def test_create_two_updates_and_delete_take_under_40_code_lines() -> None:
    counts = code_lines(SOURCE, CRUD)
    assert sorted(counts) == sorted(CRUD), "a counted function was renamed or removed"
    assert sum(counts.values()) < 40, counts


def test_the_dispatch_sends_each_of_the_four_to_its_handler() -> None:
    dispatch = next(
        node
        for node in ast.parse(SOURCE).body
        if isinstance(node, ast.FunctionDef) and node.name == "make_notes_reducer"
    )
    text = ast.unparse(dispatch)
    for kind in ("noteAdded", "noteRemoved"):
        assert repr(kind) in text
    assert "EDITED_FIELD" in text
    assert shared_reducers.notes.EDITED_FIELD == {
        "noteTitleEdited": "title",
        "noteContentEdited": "text",
    }
