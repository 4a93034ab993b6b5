"""Probe constructs in natural Python, one per function: tests/tools/test_lowering.py
runs each in CPython and, lowered and transpiled (flux transpile's build), in
Node, and compares.  `data` is a parsed JSON object (a plain object in Node)."""
# ruff: noqa
# mypy: ignore-errors

from __future__ import annotations

from typing import Any

from twin_probes.helpers import Box, Shelf, flagged, remove_op, scaled


def getitem(data):
    return data["nested"]["k"][1]["x"]


def getitem_missing(data):
    return data["missing"]


def getitem_proto_key(data):
    return data["__proto__"]["p"]


def getitem_py_keys(data):
    return [data["py_keys"], data["constructor"]]


def negative_index(data):
    return data["items"][-1]


def index_error(data):
    return data["items"][7]


def setitem(data):
    row = {}
    row["a"] = 1
    row["__proto__"] = 2
    return [row, list(row)]


def setitem_list(data):
    xs = [1, 2, 3]
    xs[-1] = 9
    return xs


def delitem(data):
    row = dict(data)
    del row["one"]
    return sorted(row)


def delitem_missing(data):
    row = {}
    del row["x"]


def del_list(data):
    xs = [1, 2, 3]
    del xs[0]
    return xs


def slice_list(data):
    return [data["items"][1:], data["items"][:-1], data["items"][::-1]]


def slice_text(data):
    return [data["text"][1:3], data["text"][-2:], data["text"][::2]]


def dict_get(data):
    return [data.get("one"), data.get("missing"), data.get("missing", 5), data.get("zero", 3)]


def dict_keys(data):
    return sorted(data.keys())


def dict_items(data):
    out = []
    for key, value in data["nested"].items():
        out.append([key, len(value)])
    return out


def dict_values(data):
    return sum(v for v in {"a": 1, "b": 2}.values())


def dict_pop(data):
    row = dict(data)
    return [row.pop("one"), row.pop("missing", "d"), "one" in row]


def dict_pop_missing(data):
    return {}.pop("x")


def dict_update(data):
    row = {"a": 1}
    row.update({"b": 2, "__proto__": 3})
    return sorted(row)


def dict_copy(data):
    row = data["nested"].copy()
    row["new"] = 1
    return ["new" in data["nested"], "new" in row]


def dict_setdefault(data):
    row = {}
    row.setdefault("xs", []).append(1)
    row.setdefault("xs", []).append(2)
    return row


def list_append_extend(data):
    xs = []
    xs.append(1)
    xs.extend([2, 3])
    xs.extend("ab")
    return xs


def text_strip(data):
    return [
        "  a b \n".strip(),
        "\ufeffa\u3000".strip(),
        "xxaxx".strip("x"),
        " a ".lstrip(),
        " a ".rstrip(),
    ]


def text_split(data):
    return ["a  b\tc".split(), "a,b,,c".split(","), "a b c".split(None, 1), "k=v=w".split("=", 1)]


def text_join(data):
    return "-".join(["a", "b", data["text"]])


def text_affixes(data):
    return [data["text"].startswith("ab"), data["text"].endswith(("x", "c")), "abc".startswith("")]


def text_case(data):
    return ["AbC".lower(), "straße".upper(), "ÉCOLE".lower()]


def text_replace(data):
    return ["aaa".replace("a", "b"), "aaa".replace("a", "b", 2), "ab".replace("", "-")]


def text_format_method(data):
    return "{} has {} items; {!r}".format("list", len(data["items"]), data["blank"])


def text_count_index_find(data):
    t = "a😀ba😀b"
    return [
        t.count("b"),
        t.index("b"),
        t.find("x"),
        t.find("b"),
        [3, 1, 3].count(3),
        [3, 1].index(1),
    ]


def text_index_missing(data):
    return "abc".index("x")


def in_dict(data):
    return [
        "one" in data,
        "missing" in data,
        "__proto__" in data,
        "toString" in data,
        "py_keys" in {},
    ]


def in_list(data):
    return [
        {"x": "y"} in data["nested"]["k"],
        [1] in [[1], [2]],
        2 in data["items"],
        "3" in data["items"],
    ]


def not_in(data):
    return ["a" not in data, "x" not in "abc"]


def in_text(data):
    return ["😀" in data["text"], "" in "abc"]


def for_over_dict(data):
    return sorted(k for k in data["nested"])


def for_over_text(data):
    return [c for c in data["text"]]


def truth_list(data):
    return ["yes" if [] else "no", "yes" if [0] else "no"]


def truth_dict(data):
    return ["yes" if data["empty"] else "no", "yes" if data["nested"] else "no"]


def truth_text_number_none(data):
    return [
        bool(data["blank"]),
        bool(data["zero"]),
        bool(data["none"]),
        bool(data["text"]),
        not data["zero"],
    ]


def or_value(data):
    return [data["empty"] or "fallback", data["blank"] or None, data["one"] or 5, [] or []]


def or_evaluates_once(data):
    calls = []

    def first():
        calls.append(1)
        return []

    value = first() or "b"
    return [value, len(calls)]


def and_value(data):
    return [data["empty"] and "x", data["one"] and "x", data["blank"] and data["missing"]]


def ternary(data):
    return "full" if data["items"] else "empty"


def while_truth(data):
    xs = [1, 2, 3]
    out = []
    while xs:
        out.append(xs.pop())
    return out


def assert_fails(data):
    assert data["empty"], "no rows"


def not_truth(data):
    return [not [], not {}, not "", not data["nested"]]


def list_plus(data):
    return [1] + [2] + data["items"]


def changeset_concat(data):
    shelf = Shelf("notes")
    changes = []
    changes = changes + shelf.remove("n1")
    changes += shelf.remove("n2")
    return changes


def changeset_concat_call(data):
    return [] + remove_op("n1")


def plus_equals_in_place(data):
    xs = [1]
    alias = xs
    xs += [2]
    return [xs, alias]


def text_plus_equals(data):
    s = "a"
    s += data["text"]
    return s


def repeat(data):
    return [[0] * 3, "ab" * 2, 2 * "x", "-" * 0]


def equality_lists(data):
    return [[1, 2] == [1, 2], data["items"] == [3, 1, 2], [1] != [1], (1, 2) == (1, 2)]


def equality_dicts(data):
    return [{"a": [1]} == {"a": [1]}, data["nested"] == {"k": [1, {"x": "y"}]}, {} != {}]


def equality_scalars(data):
    return [data["one"] == 1, data["none"] == None, data["flag"] == True, "1" == 1, 1 == True]


def order_tuples_lists(data):
    return [(1, "b") < (1, "c"), [1, 2] < [1, 2, 0], [2] > [1, 9]]


def order_text_code_points(data):
    return ["\uffff" < "😀", "a" < "b", "Z" < "a", "" < "a"]


def order_type_error(data):
    return [1] < "a"


def sorted_text(data):
    return sorted(["😀", "\uffff", "b", "a"])


def len_text(data):
    return [len(data["text"]), len("😀😀"), len(data["items"]), len(data), len("")]


def ord_chr(data):
    return [ord("😀"), chr(128512), ord("a"), chr(97)]


def str_of(data):
    return [str(42), str(-7), str(None), str(True), str([1, "a"]), str({"k": None})]


def int_of(data):
    return [int("42"), int(" -7 "), int(True), int(3)]


def int_of_bad_text(data):
    return int("4x")


def repr_of(data):
    return [repr("it's"), repr("a\nb"), repr(None), repr([1, "x"]), repr("😀")]


def sorted_key_reverse(data):
    rows = [{"n": 2, "t": "b"}, {"n": 1, "t": "a"}, {"n": 2, "t": "a"}]
    return [r["t"] for r in sorted(rows, key=lambda r: r["n"], reverse=True)]


def min_max(data):
    rows = [{"n": 2}, {"n": 5}, {"n": 1}]
    return [
        min(rows, key=lambda r: r["n"]),
        max(rows, key=lambda r: r["n"]),
        max([], default=0),
        min(3, 1, 2),
    ]


def min_empty(data):
    return min([])


def sum_any_all_abs(data):
    return [sum(data["items"]), sum([], 10), any([0, "", []]), all([1, "a", [0]]), abs(-5)]


def enumerate_zip_range(data):
    return [
        list(enumerate("ab", 1)),
        list(zip([1, 2, 3], "ab")),
        list(range(3)),
        list(range(5, 0, -2)),
    ]


def for_enumerate(data):
    out = []
    for i, c in enumerate(data["text"]):
        out.append([i, c])
    return out


def for_range(data):
    total = 0
    for i in range(4):
        total += i
    return total


def list_of(data):
    return [list("a😀"), list({"a": 1, "b": 2}), list((1, 2))]


def dict_of_pairs(data):
    return dict([("a", 1), ("b", 2)])


def set_of_generator(data):
    return len(set(x % 2 for x in range(10)))


def isinstance_kinds(data):
    v = data["one"]
    return [
        isinstance(v, int),
        isinstance(True, int),
        isinstance(True, bool),
        isinstance(v, bool),
        isinstance(data["text"], str),
        isinstance(data["items"], list),
        isinstance(data["nested"], dict),
        isinstance(data["items"], dict),
        isinstance((1,), tuple),
        isinstance(data["none"], (str, int)),
    ]


def floor_division_modulo(data):
    return [-7 // 2, 7 // -2, -7 % 3, 7 % -3, data["one"] // 2]


def division_by_zero(data):
    return data["one"] // data["zero"]


def percent_format(data):
    return ["%s-%d" % ("a", 1), "%r" % "x", "%5s|" % "ab", "100%%" % ()]


def fstring_values(data):
    n = 3
    return [f"n={n}", f"{data['none']}", f"{data['flag']}", f"{data['items']}", f"{'x'!r}"]


def fstring_spec(data):
    return [f"{5:03d}", f"{'ab':>4}", f"{1234567:,}", f"{7:x}"]


def dict_comprehension(data):
    return {k: len(v) for k, v in data["nested"].items()}


def dict_comprehension_special_keys(data):
    return sorted({k: 1 for k in ["__proto__", "constructor", "py_keys"]})


def list_comprehension(data):
    return [x * 2 for x in data["items"] if x > 1]


def set_comprehension(data):
    return sorted({c for c in "abca"})


def dict_display(data):
    n = data["one"]
    return {"id": "a", "n": n, "constructor": "x"}


def dict_display_proto(data):
    row = {"__proto__": "p", "k": 1}
    return [row["__proto__"], sorted(row)]


def dict_spread(data):
    a = {"x": 1, "y": 2}
    b = {"y": 3}
    return {**a, **b, "z": 4}


def dict_copy_no_alias(data):
    row = data["nested"]
    copy = dict(row)
    copy["k"] = "changed"
    return [row["k"], copy["k"]]


def dict_keywords(data):
    return dict(a=1, b=data["one"])


def keyword_arguments(data):
    return [scaled(2, factor=10), scaled(2), scaled(2, offset=1), scaled(factor=3, value=1)]


def keyword_to_class(data):
    box = Box("a", size=3)
    return [box.name, box.size]


def generator_sum(data):
    return sum(len(k) for k in data)


def closure_and_default(data):
    def make(step=2):
        def add(x):
            return x + step

        return add

    return [make()(1), make(5)(1)]


def method_fallback(data):
    shelf = Shelf("s")
    return [shelf.get("a"), shelf.get("missing"), shelf.items(), shelf.keys()]


def except_key_error(data):
    try:
        return data["missing"]
    except KeyError:
        return "caught"


def except_index_error(data):
    try:
        return []["x" == "x" and 0]
    except IndexError:
        return "caught"


def except_type_error(data):
    try:
        return "a" + 1
    except TypeError:
        return "caught"


def unpacking(data):
    a, b = data["items"][:2]
    (c, d), e = ["xy", 3]
    return [a, b, c, d, e]


def nested_mutation(data):
    rows = {"a": {"tags": []}}
    rows["a"]["tags"].append("t")
    rows["a"]["n"] = rows["a"].get("n", 0) + 1
    rows["a"]["n"] += 1
    return rows


def counter_dict(data):
    counts = {}
    for word in "b a b c b".split():
        counts[word] = counts.get(word, 0) + 1
    return counts


def lambda_sort_on_tuples(data):
    pairs = [("b", 2), ("a", 2), ("c", 1)]
    return sorted(pairs, key=lambda p: (-p[1], p[0]))


def max_by_text_key(data):
    return max(["b", "😀", "\uffff"], key=lambda t: t)


def string_multiline(data):
    lines = "one\ntwo\n".split("\n")
    return [len(lines), lines[-1] == ""]


def chained_compare(data):
    n = data["one"]
    return [0 < n < 2, 0 < n < 1, "a" < "b" < "c"]


def is_none(data):
    return [data["none"] is None, data["one"] is not None]


def conditional_key(data):
    key = "one" if data["flag"] else "zero"
    return data[key]


def bool_of_collections(data):
    return [bool([]), bool({}), bool([[]]), bool(data["nested"])]


def integer_like_key_order(data):
    row = {"b": 1, "2": 2, "a": 3}
    return list(row)


def float_text(data):
    return str(1.0)


def keyword_only_arguments(data):
    return [flagged(1), flagged(2, strict=True)]


def annotated(data: dict[str, Any]) -> list[Any]:
    total: int = 0
    for n in data["items"]:
        total += n
    return [total]
