"""The text a search index holds and the words a search asks for, normalised the
same way on both sides, so every backend matches alike.

    index_text("Café au lait", "Déjà vu!")   -> "cafe au lait deja vu"
    search_terms("  CAFE, déj ")             -> ["cafe", "dej"]

Normalising: NFKD, drop the nonspacing marks (accents), casefold, then keep
only the words: runs of letters and digits (`str.isalnum`), joined by one
space.  The engines' own tokenizers then see nothing but letters, digits and
single spaces, so SQLite FTS5, PostgreSQL's `simple` parser and MariaDB's
FULLTEXT parser cut the same words, and no query can carry FTS syntax
(quotes, operators, parentheses, `*`, `:`): those are not letters or digits.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

WORD = re.compile(r"[^\W_]+")
ASTRAL = re.compile("[\U00010000-\U0010ffff]")
MAX_QUERY_CHARS = 200
MAX_TERMS = 16


@cache
def _marks_in_bmp() -> re.Pattern[str]:
    """Every nonspacing mark (Unicode category Mn) of the BMP, which `re` checks
    with a bitmap (one class over all planes is 40x slower); built once."""
    return _class_of_marks(0, 0x10000)


@cache
def _marks_beyond_bmp() -> re.Pattern[str]:
    return _class_of_marks(0x10000, 0x110000)


def _class_of_marks(first: int, end: int) -> re.Pattern[str]:
    ranges: list[str] = []
    start = previous = -2
    for code in range(first, end):
        if unicodedata.category(chr(code)) != "Mn":
            continue
        if code != previous + 1:
            if start >= 0:
                ranges.append(_range(start, previous))
            start = code
        previous = code
    ranges.append(_range(start, previous))
    return re.compile("[" + "".join(ranges) + "]")


def _range(first: int, last: int) -> str:
    return re.escape(chr(first)) + ("" if first == last else "-" + re.escape(chr(last)))


def normalize(text: str) -> str:
    """`text` as the index holds it: accents dropped, casefolded, words joined by spaces."""
    if text.isascii():
        return " ".join(WORD.findall(text.lower()))
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    bare = _marks_in_bmp().sub("", folded)
    if ASTRAL.search(bare):
        bare = _marks_beyond_bmp().sub("", bare)
    return " ".join(WORD.findall(bare))


def index_text(title: str, text: str) -> str:
    """What the search index holds for a note: its title's words, then its text's."""
    return (normalize(title) + " " + normalize(text)).strip()


class BadQuery(ValueError):
    """A search query that is too long or has too many words."""


def search_terms(query: str) -> list[str]:
    """The distinct words of `query`, normalised, in order; each is matched as a prefix.

    Empty when the query has no letter or digit (the search then finds nothing).
    """
    if len(query) > MAX_QUERY_CHARS:
        raise BadQuery(
            f"q has {len(query)} characters; at most {MAX_QUERY_CHARS} are allowed. "
            "Search with a few words."
        )
    terms = list(dict.fromkeys(normalize(query).split()))
    if len(terms) > MAX_TERMS:
        raise BadQuery(
            f"q has {len(terms)} words; at most {MAX_TERMS} are allowed. Search with fewer words."
        )
    return terms
