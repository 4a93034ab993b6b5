"""text_ops.transform against `ot-text-unicode` (npm), on random concurrent pairs.

Both sides get the same two edits a and b made on one text.  ot-text-unicode
gets them in its component form (text_ops.to_op: a skip is a number, an
insert a string, a delete {d: n}).  The tie-break rule that makes the two
agree: our `transform(b, a, against_first=True)` is its
`transform(opB, opA, 'right')` (a's insert goes first), and
`transform(a, b, False)` is `transform(opA, opB, 'left')`.  With that rule
the final texts must be equal, and so must the transformed ops.  We also
check that composing one-splice ops with its `compose` gives our
apply_splices, and run our side transpiled, in Node.
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, given, settings

from shared_reducers.text_ops import apply_splices, to_op, to_splices, transform
from tests.reducers.conftest import NodeCoedit
from tests.reducers.test_text_ops import text_and_edits

EXAMPLES = int(os.environ.get("FLUX_ISO_EXAMPLES", "1000"))


def ot_form(op: list[Any]) -> list[Any]:
    return [{"d": -c} if isinstance(c, int) and c < 0 else c for c in op]


def our_form(op: list[Any]) -> list[Any]:
    return [-c["d"] if isinstance(c, dict) else c for c in op]


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(text_and_edits())
def test_transform_equals_ot_text_unicode_when_the_first_committed_insert_goes_first(
    node_coedit: NodeCoedit, case: tuple[str, list[list[list]]]
) -> None:
    text, (a, b) = case
    b_after = transform(b, a, True)
    final = apply_splices(apply_splices(text, a), b_after)
    answer = node_coedit.ask(
        {"pair": {"text": text, "a": a, "b": b, "opA": ot_form(to_op(a)), "opB": ot_form(to_op(b))}}
    )
    theirs, ours_in_node = answer["theirs"], answer["ours"]
    assert theirs["applyA"] == apply_splices(text, a)
    assert theirs["composedA"] == apply_splices(text, a)
    assert theirs["afterA"] == final
    assert theirs["afterB"] == final
    # The same op, up to the order of an insert and a delete at one position.
    assert to_splices(our_form(theirs["bAfterA"])) == b_after
    assert ours_in_node == {"afterA": final, "afterB": final, "bAfterA": b_after}
