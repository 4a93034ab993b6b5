"""Plain-text operational transformation, in code points.

A *splice* is `[at, removeCount, insertText]`: remove `removeCount`
characters at `at`, then insert `insertText` there.  An edit is a list of
splices applied in order, each `at` relative to the text after the splices
before it.  Positions and counts are code points (what CPython's `str`
indexes), never UTF-16 units, so both engines agree on emoji and CJK.

    apply_splices(text, splices)                  -> text
    transform(splices, against, against_first)    -> splices
    transform_position(position, splices, stick_after_insert) -> position
    compose(first, second)                        -> splices (first, then second)
    diff_splices(old, new)                        -> splices turning old into new
    validate_splices(value, length)               -> the splices, or EventRejected

`transform(b, a, against_first)` rewrites `b` to apply after `a`, both made
on the same text; `against_first` is True when `a` was committed first.  It
satisfies TP1, the one property a central server needs:

    apply(apply(t, a), transform(b, a, True)) == apply(apply(t, b), transform(a, b, False))

The rules it follows:

- Concurrent inserts at the same position: the one committed first stays
  first (its text comes before the other's).  An insert that replaces text
  (`[at, n, "x"]`) counts as an insert at `at`.
- An insert inside a range that the other edit deleted is kept, at the
  deletion point: no typed character is lost unless someone deleted it after
  it was visible to them.
- Overlapping deletes delete the union, once.

Inside, an edit becomes the component form of ShareJS's text type
(`ot-text-unicode` on npm), whose transform and compose are ported here
component for component, so tests/reducers/test_ot_differential.py can
compare the two: a positive number skips that many characters, a negative
number deletes that many, a non-empty string inserts.  Inserts come before
deletes within one splice, which is what makes a replacing splice's text
count as an insert at its position.  Everything is portable Python (see
SUBSET.md): it runs in CPython on the server and, transpiled, in the browser.
"""

from shared_reducers.errors import EventRejected
from shared_reducers.limits import MAX_SPLICES
from shared_reducers.portable import (
    common_ends,
    describe,
    int_text,
    is_int,
    is_storable_text,
    is_string,
    slice_text,
    text_length,
)

# -- splices ----------------------------------------------------------------


def apply_splices(text, splices):
    """The text after the splices, which must fit it (see validate_splices)."""
    for splice in splices:
        at = splice[0]
        text = slice_text(text, 0, at) + splice[2] + slice_text(text, at + splice[1], None)
    return text


def transform(splices, against, against_first):
    """`splices` rewritten to apply after `against` (both made on the same text)."""
    side_first = not against_first
    return to_splices(transform_op(to_op(splices), to_op(against), side_first))


def compose(first, second):
    """One normalized list doing `first` then `second` (as `first` + `second`)."""
    return to_splices(compose_op(to_op(first), to_op(second)))


def normalize(splices):
    """The same edit as the fewest splices, in document order."""
    return to_splices(to_op(splices))


def transform_position(position, splices, stick_after_insert):
    """Where a caret at `position` goes when `splices` apply to its text.

    A caret inside a deleted range goes to the deletion point.  At an insert's
    position it stays before the inserted text, or goes after it when
    `stick_after_insert` (the caret of the person who typed it).
    """
    pos = 0
    cursor = position
    for c in to_op(splices):
        if cursor < pos:
            break
        if is_string(c):
            if cursor == pos and not stick_after_insert:
                break
            size = text_length(c)
            pos = pos + size
            cursor = cursor + size
        elif c > 0:
            pos = pos + c
        else:
            cursor = cursor - min(-c, cursor - pos)
    return cursor


def diff_splices(old, new):
    """The one splice (or none) that turns `old` into `new`, keeping their
    common beginning and end: a whole-field replacement, made small."""
    ends = common_ends(old, new)
    start = ends[0]
    end_a = len(old) - ends[1]
    end_b = len(new) - ends[1]
    if end_a == start and end_b == start:
        return []
    return [[start, end_a - start, slice_text(new, start, end_b)]]


def splices_size(splices):
    """The net change of length (code points) the splices make."""
    size = 0
    for splice in splices:
        size = size + text_length(splice[2]) - splice[1]
    return size


def validate_splices(value, length):
    """`value` as splices that fit a text of `length` characters (None: check
    only their shape), or EventRejected with a sentence naming the first thing
    wrong."""
    if not isinstance(value, list):
        raise EventRejected(
            f"'splices' must be a list of [at, removeCount, insertText]; got {describe(value)}."
        )
    if not value:
        raise EventRejected("'splices' is empty; send at least one [at, removeCount, insertText].")
    if len(value) > MAX_SPLICES:
        raise EventRejected(
            f"An edit may hold at most {MAX_SPLICES} splices; got {len(value)}. "
            "Send the rest in another event."
        )
    for index, splice in enumerate(value):
        where = f"Splice {index} "
        if not isinstance(splice, list) or len(splice) != 3:
            raise EventRejected(
                f"{where}must be a list [at, removeCount, insertText]; got {describe(splice)}."
            )
        at, removed, inserted = splice
        if not is_int(at) or at < 0:
            raise EventRejected(f"{where}needs 'at' as a whole number from 0; got {shown(at)}.")
        if not is_int(removed) or removed < 0:
            raise EventRejected(
                f"{where}needs 'removeCount' as a whole number from 0; got {shown(removed)}."
            )
        if not isinstance(inserted, str):
            raise EventRejected(f"{where}needs 'insertText' as a string; got {describe(inserted)}.")
        if not is_storable_text(inserted):
            raise EventRejected(
                f"{where}inserts U+0000 or a lone surrogate, which the database cannot store."
            )
        if length is not None and at + removed > length:
            raise EventRejected(
                f"{where}reaches character {shown(at + removed)} of a text of {shown(length)} "
                f"characters (at {shown(at)}, removeCount {shown(removed)}); positions count "
                "code points of the text it was made on."
            )
        if length is not None:
            length = length - removed + len(inserted)
    return value


def shown(value):
    """A whole number as itself, anything else in words, for a message (numbers
    beyond a billion too: JavaScript cannot print those above 2**53 exactly)."""
    if is_int(value) and value >= -1000000000 and value <= 1000000000:
        return int_text(value)
    return describe(value)


# -- the component form -------------------------------------------------------


def append(op, c):
    """Add a component, merging it with the last one of the same kind."""
    if is_string(c):
        if c == "":
            return
    elif c == 0:
        return
    if len(op) > 0:
        last = op[len(op) - 1]
        if is_string(c) and is_string(last):
            op[len(op) - 1] = last + c
            return
        if not is_string(c) and not is_string(last) and (c > 0) == (last > 0):
            op[len(op) - 1] = last + c
            return
    op.append(c)


def trim(op):
    if len(op) > 0 and not is_string(op[len(op) - 1]) and op[len(op) - 1] > 0:
        return op[: len(op) - 1]
    return op


def to_op(splices):
    """Splices (valid ones) as one component list.  Splices in document order
    (each after the text the previous one inserted, as normalize and
    transform return them) are appended in one pass; the rest are composed."""
    op = []
    end = 0  # where the previous splice's text ends, while in order
    for splice in splices:
        at = splice[0]
        in_order = end >= 0 and (at > end or len(op) == 0 or is_string(op[len(op) - 1]))
        if in_order and at >= end:
            append(op, at - end)
            append(op, splice[2])
            append(op, -splice[1])
            end = at + text_length(splice[2])
        else:
            step = []
            append(step, at)
            append(step, splice[2])
            append(step, -splice[1])
            op = compose_op(op, trim(step))
            end = -1
    return trim(op)


def to_splices(op):
    """A component list as splices: one per run of inserts and deletes."""
    out = []
    pos = 0
    index = 0
    while index < len(op):
        c = op[index]
        if not is_string(c) and c > 0:
            pos = pos + c
            index = index + 1
            continue
        removed = 0
        inserted = ""
        while index < len(op) and (is_string(op[index]) or op[index] < 0):
            if is_string(op[index]):
                inserted = inserted + op[index]
            else:
                removed = removed - op[index]
            index = index + 1
        out.append([pos, removed, inserted])
        pos = pos + text_length(inserted)
    return out


class Reader:
    """Takes an op apart component by component (ot-text-unicode's makeTake)."""

    def __init__(self, op):
        self.op = op
        self.index = 0
        self.offset = 0

    def peek(self):
        if self.index == len(self.op):
            return None
        return self.op[self.index]

    def take(self, n, whole_inserts):
        """Up to `n` characters of the next component (all of it when `n` is
        None); past the end, a skip of `n` (None when `n` is None).  Inserts
        are never cut when `whole_inserts`, deletes never cut otherwise."""
        if self.index == len(self.op):
            return n
        c = self.op[self.index]
        if is_string(c):
            rest = c
            if self.offset > 0:
                rest = slice_text(c, self.offset, None)
            if n is None or whole_inserts or text_length(rest) <= n:
                self.index = self.index + 1
                self.offset = 0
                return rest
            self.offset = self.offset + n
            return slice_text(rest, 0, n)
        sign = 1
        size = c
        if c < 0:
            sign = -1
            size = -c
        size = size - self.offset
        if n is None or size <= n or (c < 0 and not whole_inserts):
            self.index = self.index + 1
            self.offset = 0
            return sign * size
        self.offset = self.offset + n
        return sign * n


def length_of(c):
    if is_string(c):
        return text_length(c)
    if c < 0:
        return -c
    return c


def transform_op(op1, op2, left):
    """op1 rewritten to apply after op2; `left`: op1's inserts go first at ties."""
    out = []
    reader = Reader(op1)
    for c2 in op2:
        if is_string(c2):
            if left and is_string(reader.peek()):
                append(out, reader.take(None, True))
            append(out, text_length(c2))
        elif c2 > 0:
            length = c2
            while length > 0:
                c1 = reader.take(length, True)
                append(out, c1)
                if not is_string(c1):
                    length = length - length_of(c1)
        else:
            length = -c2
            while length > 0:
                c1 = reader.take(length, True)
                if is_string(c1):
                    append(out, c1)
                else:
                    length = length - length_of(c1)
    c = reader.take(None, True)
    while c is not None:
        append(out, c)
        c = reader.take(None, True)
    return trim(out)


def compose_op(op1, op2):
    """One op doing op1 then op2."""
    out = []
    reader = Reader(op1)
    for c2 in op2:
        if is_string(c2):
            append(out, c2)
        elif c2 > 0:
            length = c2
            while length > 0:
                chunk = reader.take(length, False)
                append(out, chunk)
                if is_string(chunk) or chunk > 0:
                    length = length - length_of(chunk)
        else:
            length = -c2
            while length > 0:
                chunk = reader.take(length, False)
                if is_string(chunk):
                    length = length - text_length(chunk)
                elif chunk > 0:
                    append(out, -chunk)
                    length = length - chunk
                else:
                    append(out, chunk)
    c = reader.take(None, False)
    while c is not None:
        append(out, c)
        c = reader.take(None, False)
    return trim(out)
