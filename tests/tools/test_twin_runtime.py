"""The twin runtime: each operation gives the same result (or raises the same
exception type) in CPython (server/tools/twin/flux_twin.py, which is CPython's
own operation) and in Node (flux_twin.js as built by `flux transpile`), over
generated values: Unicode with astral characters, ints within +-(2**53-1),
nested lists and dicts, keys such as "__proto__", "constructor", "py_keys".

Known and left out of the generated values (they cannot agree; `flux
check-reducers` is the place for them): integer-like dict keys such as "1"
(JavaScript objects list them first), floats, lone surrogates, and for
repr() and case mapping the unassigned code points (whose printability and
case tables follow each engine's Unicode version)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.tools.twin import flux_twin
from tests.support.node_process import NodeProcess

SAFE = 2**53 - 1
EXAMPLES = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class TwinNode(NodeProcess):
    """tests/support/node/run_twin.mjs on the build's flux_twin.js."""

    def __init__(self) -> None:
        super().__init__("run_twin.mjs")


@pytest.fixture(scope="module")
def node() -> Iterator[TwinNode]:
    runner = TwinNode()
    yield runner
    runner.close()


def _wire(value: Any) -> Any:
    if isinstance(value, tuple):
        return {"__tuple__": [_wire(v) for v in value]}
    return value


def _json(value: Any) -> Any:
    return json.loads(json.dumps(value))


def python_side(op: str, args: list[Any], return_args: bool = False) -> dict[str, Any]:
    try:
        value = getattr(flux_twin, op)(*args)
    except Exception as error:  # the type is what is compared
        return {"error": type(error).__name__}
    out = {"value": _json(value)}
    if return_args:
        out["args"] = _json(args)
    return out


def agree(node: TwinNode, op: str, *args: Any, return_args: bool = False) -> None:
    request = {"op": op, "args": [_wire(a) for a in args], "return_args": return_args}
    js = node.ask(request)
    py = python_side(op, [*args], return_args)
    assert js == py, f"{op}{args!r}: CPython {py!r}, Node {js!r}"


# -- values --------------------------------------------------------------------

ints = st.integers(min_value=-SAFE, max_value=SAFE)
small_ints = st.integers(min_value=-6, max_value=6)
texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=8)
# assigned, printable-or-not, known to both engines' Unicode tables alike
assigned = st.text(
    st.characters(exclude_categories=["Cs", "Cn", "Co"], max_codepoint=0x2FFFF), max_size=8
)
special_keys = st.sampled_from(
    ["__proto__", "constructor", "py_keys", "toString", "hasOwnProperty", "valueOf", "a", "b", ""]
)


def _not_index_like(key: str) -> bool:
    return not key.lstrip("-").isdigit()


keys = special_keys | texts.filter(_not_index_like)
scalars = st.none() | st.booleans() | ints | small_ints | texts
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=8,
)
dicts = st.dictionaries(keys, values, max_size=5)
lists = st.lists(values, max_size=5)
int_lists = st.lists(small_ints | ints, max_size=6)
text_lists = st.lists(texts, max_size=6)
whitespace_texts = st.text(
    st.sampled_from(
        [
            " ",
            "\t",
            "\n",
            "\x0b",
            "\x1c",
            "\x85",
            "\xa0",
            "\u2003",
            "\u3000",
            "\ufeff",
            "a",
            "😀",
            "x",
        ]
    ),
    max_size=8,
)


# -- subscripts ----------------------------------------------------------------


@EXAMPLES
@given(dicts, keys)
def test_getitem_of_a_dict(node: TwinNode, d: dict[str, Any], k: str) -> None:
    agree(node, "_tw_getitem", d, k)
    if d:
        agree(node, "_tw_getitem", d, next(iter(d)))


@EXAMPLES
@given(lists | texts, small_ints)
def test_getitem_of_a_list_or_text(node: TwinNode, xs: Any, i: int) -> None:
    agree(node, "_tw_getitem", xs, i)


@EXAMPLES
@given(dicts, keys, values)
def test_setitem_and_delitem_of_a_dict(node: TwinNode, d: dict[str, Any], k: str, v: Any) -> None:
    agree(node, "_tw_setitem", dict(d), k, v, return_args=True)
    agree(node, "_tw_delitem", dict(d), k, return_args=True)


@EXAMPLES
@given(lists, small_ints, values)
def test_setitem_and_delitem_of_a_list(node: TwinNode, xs: list[Any], i: int, v: Any) -> None:
    agree(node, "_tw_setitem", list(xs), i, v, return_args=True)
    agree(node, "_tw_delitem", list(xs), i, return_args=True)


bounds = st.none() | small_ints


@EXAMPLES
@given(lists | texts, bounds, bounds, st.none() | st.sampled_from([1, 2, 3, -1, -2, 0]))
def test_slices(node: TwinNode, xs: Any, a: int | None, b: int | None, c: int | None) -> None:
    agree(node, "_tw_slice", xs, a, b, c)


# -- truth, len, iteration, membership ---------------------------------------------


@EXAMPLES
@given(values)
def test_truth_len_iter(node: TwinNode, x: Any) -> None:
    agree(node, "_tw_truth", x)
    agree(node, "_tw_jt", x)
    agree(node, "_tw_len", x)
    agree(node, "_tw_iter", x)
    agree(node, "_tw_list", x)


@EXAMPLES
@given(values, values | keys)
def test_in(node: TwinNode, container: Any, item: Any) -> None:
    agree(node, "_tw_in", item, container)
    if isinstance(container, dict | list) and container:
        agree(node, "_tw_in", next(iter(container)), container)


@EXAMPLES
@given(texts, texts)
def test_in_of_texts(node: TwinNode, a: str, b: str) -> None:
    agree(node, "_tw_in", a, b)
    agree(node, "_tw_in", a[:2], a + b)


# -- comparisons -----------------------------------------------------------------


@EXAMPLES
@given(values, values)
def test_equality_is_deep(node: TwinNode, a: Any, b: Any) -> None:
    agree(node, "_tw_eq", a, b)
    agree(node, "_tw_eq", a, json.loads(json.dumps(a)))
    agree(node, "_tw_ne", a, b)


orderable = st.one_of(
    st.tuples(texts, texts),
    st.tuples(ints, ints),
    st.tuples(st.lists(texts, max_size=3), st.lists(texts, max_size=3)),
    st.tuples(int_lists, int_lists),
    st.tuples(values, values),
)


@EXAMPLES
@given(orderable)
def test_order_by_code_point_and_lexicographic(node: TwinNode, pair: tuple[Any, Any]) -> None:
    a, b = pair
    for op in ("_tw_lt", "_tw_le", "_tw_gt", "_tw_ge"):
        agree(node, op, a, b)


# -- arithmetic --------------------------------------------------------------------


@EXAMPLES
@given(
    values.filter(lambda v: not isinstance(v, int) or abs(v) < 2**50),
    values.filter(lambda v: not isinstance(v, int) or abs(v) < 2**50),
)
def test_add(node: TwinNode, a: Any, b: Any) -> None:
    agree(node, "_tw_add", a, b)


@EXAMPLES
@given(lists, lists)
def test_plus_equals_grows_a_list_in_place(node: TwinNode, a: list[Any], b: list[Any]) -> None:
    agree(node, "_tw_iadd", list(a), b, return_args=True)
    agree(node, "_tw_add", a, b)


# arithmetic on ints whose result stays within +-(2**53-1) (beyond it the
# engines differ: the entry points refuse such numbers)
sum_ints = st.integers(min_value=-(2**50), max_value=2**50)
product_ints = st.integers(min_value=-(2**26), max_value=2**26)


@EXAMPLES
@given(texts | st.lists(small_ints, max_size=3), st.integers(-2, 4), product_ints, product_ints)
def test_mul(node: TwinNode, seq: Any, times: int, a: int, b: int) -> None:
    agree(node, "_tw_mul", seq, times)
    agree(node, "_tw_mul", times, seq)
    agree(node, "_tw_mul", a, b)
    agree(node, "_tw_mul", seq, seq)  # a TypeError


@EXAMPLES
@given(ints | small_ints, ints | small_ints)
def test_floor_division_and_modulo(node: TwinNode, a: int, b: int) -> None:
    agree(node, "_tw_floordiv", a, b)
    agree(node, "_tw_mod", a, b)
    agree(node, "_tw_abs", a)


# -- text ------------------------------------------------------------------------


@EXAMPLES
@given(
    st.recursive(
        st.none() | st.booleans() | ints | assigned,
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(special_keys | assigned.filter(_not_index_like), inner, max_size=3)
        ),
        max_leaves=6,
    )
)
def test_str_and_repr(node: TwinNode, x: Any) -> None:
    agree(node, "_tw_str", x)
    agree(node, "_tw_repr", x)


specs = st.sampled_from(
    ["", ">5", "<4", "^7", "05", "+d", "d", ",", "x", "*^9", ".2", ">3s", "s", "f", ".1f", "b"]
)


@EXAMPLES
@given(ints | small_ints | assigned | st.booleans() | st.none(), specs)
def test_format(node: TwinNode, x: Any, spec: str) -> None:
    agree(node, "_tw_format", x, spec)


@EXAMPLES
@given(
    st.sampled_from(["{}", "{} and {}", "{0}{0}", "{!r}", "{:>4}", "{{}}", "x{1}", "{", "}"]),
    st.lists(ints | assigned | st.booleans() | st.none(), max_size=3),
)
def test_str_format(node: TwinNode, fmt: str, args: list[Any]) -> None:
    agree(node, "_tw_format_str", fmt, args)


@EXAMPLES
@given(
    st.sampled_from(["%s", "%d", "%r", "%5s", "%-4d|", "%05d", "%s-%s", "100%%", "%i %s"]),
    ints | assigned | st.booleans() | st.none() | st.tuples(ints, assigned),
)
def test_percent_formatting(node: TwinNode, fmt: str, args: Any) -> None:
    agree(node, "_tw_percent", fmt, args)


@EXAMPLES
@given(whitespace_texts | texts, st.none() | st.sampled_from(["x", "ab", "😀", " "]))
def test_strip_and_split(node: TwinNode, s: str, chars: str | None) -> None:
    for op in ("_tw_m_strip", "_tw_m_lstrip", "_tw_m_rstrip"):
        agree(node, op, s)
        if chars is not None:
            agree(node, op, s, chars)
    agree(node, "_tw_m_split", s)
    agree(node, "_tw_m_split", s, chars)
    agree(node, "_tw_m_split", s, chars, 1)


@EXAMPLES
@given(texts, texts, texts, st.integers(-1, 3))
def test_text_methods(node: TwinNode, s: str, a: str, b: str, count: int) -> None:
    t = s + a + s
    agree(node, "_tw_m_startswith", t, s)
    agree(node, "_tw_m_endswith", t, (a, s))
    agree(node, "_tw_m_replace", t, a, b)
    agree(node, "_tw_m_replace", t, a, b, count)
    agree(node, "_tw_m_find", t, a)
    agree(node, "_tw_m_index", t, b)
    agree(node, "_tw_m_count", t, a)
    agree(node, "_tw_m_join", a, [s, b, t])
    agree(node, "_tw_m_join", a, {"x" + s: 1, "y" + b: 2})


@EXAMPLES
@given(st.text(st.characters(max_codepoint=0x24F, exclude_categories=["Cs"]), max_size=8))
def test_lower_and_upper(node: TwinNode, s: str) -> None:
    agree(node, "_tw_m_lower", s)
    agree(node, "_tw_m_upper", s)


@EXAMPLES
@given(st.text(st.characters(exclude_categories=["Cs"]), min_size=0, max_size=2), ints)
def test_ord_chr_int(node: TwinNode, s: str, i: int) -> None:
    agree(node, "_tw_ord", s)
    agree(node, "_tw_chr", i % 0x110000 if i % 7 else i % 2**31)
    agree(node, "_tw_int", str(i))
    agree(node, "_tw_int", s)
    agree(node, "_tw_int", i)


# -- mappings and lists -------------------------------------------------------------


@EXAMPLES
@given(dicts, keys, values, dicts)
def test_dict_methods(
    node: TwinNode, d: dict[str, Any], k: str, v: Any, other: dict[str, Any]
) -> None:
    agree(node, "_tw_m_get", d, k)
    agree(node, "_tw_m_get", d, k, v)
    agree(node, "_tw_m_keys", d)
    agree(node, "_tw_m_values", d)
    agree(node, "_tw_m_items", d)
    agree(node, "_tw_m_pop", dict(d), k, v, return_args=True)
    agree(node, "_tw_m_pop", dict(d), k, return_args=True)
    agree(node, "_tw_m_update", dict(d), other, return_args=True)
    agree(node, "_tw_m_setdefault", dict(d), k, v, return_args=True)
    agree(node, "_tw_m_copy", d)
    agree(node, "_tw_dict", d)
    agree(node, "_tw_dict_parts", [0, k, v, 1, d, 1, other])


@EXAMPLES
@given(lists, values, small_ints)
def test_list_methods(node: TwinNode, xs: list[Any], v: Any, i: int) -> None:
    agree(node, "_tw_m_append", list(xs), v, return_args=True)
    agree(node, "_tw_m_extend", list(xs), [v, v], return_args=True)
    agree(node, "_tw_m_pop", list(xs), return_args=True)
    agree(node, "_tw_m_pop", list(xs), i, return_args=True)
    agree(node, "_tw_m_index", xs, v)
    agree(node, "_tw_m_count", xs, v)
    agree(node, "_tw_m_copy", xs)


@EXAMPLES
@given(
    st.lists(sum_ints, max_size=6)
    | text_lists
    | st.lists(st.tuples(small_ints, texts), max_size=4),
    st.booleans(),
)
def test_sorted_min_max_sum(node: TwinNode, xs: list[Any], reverse: bool) -> None:
    agree(node, "_tw_sorted", xs, None, reverse)
    agree(node, "_tw_min", xs)
    agree(node, "_tw_max", xs)
    agree(node, "_tw_min", xs, None, "none")
    agree(node, "_tw_max", xs, None, "none")
    agree(node, "_tw_sum", xs)
    agree(node, "_tw_any", xs)
    agree(node, "_tw_all", xs)


@EXAMPLES
@given(
    lists | texts | dicts, lists | texts, st.integers(-3, 3), st.integers(-8, 8), st.integers(-3, 3)
)
def test_enumerate_zip_range(
    node: TwinNode, a: Any, b: Any, start: int, stop: int, step: int
) -> None:
    agree(node, "_tw_enumerate", a)
    agree(node, "_tw_enumerate", a, start)
    agree(node, "_tw_zip", a, b)
    agree(node, "_tw_range", stop)
    agree(node, "_tw_range", start, stop)
    agree(node, "_tw_range", start, stop, step)


@EXAMPLES
@given(values)
def test_isinstance_keeps_cpythons_meaning(node: TwinNode, x: Any) -> None:
    for kinds in (["str"], ["int"], ["bool"], ["list"], ["dict"], ["str", "int"], ["NoneType"]):
        agree(node, "_tw_isinstance", x, kinds)
    for op in ("_tw_is_str", "_tw_is_int", "_tw_is_bool", "_tw_is_list", "_tw_is_dict"):
        agree(node, op, x)


def test_a_dict_copy_never_aliases(node: TwinNode) -> None:
    row = {"id": "n1", "__proto__": {"x": 1}, "tags": ["a"]}
    answer = node.ask({"op": "_tw_dict", "args": [row], "return_args": True})
    assert answer["value"] == row
    agree(node, "_tw_dict", row)
    copied = node.ask(
        {"op": "_tw_dict_parts", "args": [[1, row, 0, "id", "n2"]], "return_args": True}
    )
    assert copied["value"] == {"id": "n2", "__proto__": {"x": 1}, "tags": ["a"]}
    assert copied["args"] == [[1, row, 0, "id", "n2"]]  # the row itself unchanged
