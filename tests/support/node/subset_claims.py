"""The claims of shared_reducers/SUBSET.md, as code: each function is run in
CPython and, transpiled, in Node by tests/tools/test_isomorphism_subset.py, which
holds the result each side gives.  Deliberately NOT portable."""
# ruff: noqa

from shared_reducers.portable import extend, get_or, has_key, keys_of, put, sort_texts, text_length


def list_plus(parsed):
    return [1] + [2]


def empty_list_is_true(parsed):
    return True if [] else False


def not_empty_dict(parsed):
    return not {}


def or_on_empty_dict(parsed):
    return {} or "x"


def negative_index(parsed):
    xs = [1, 2, 3]
    return xs[-1]


def list_equality(parsed):
    return [1, 2] == [1, 2]


def missing_key(parsed):
    return parsed["missing"]


def int_and_str_keys(parsed):
    d: dict = {}
    d[1] = "int"
    d["1"] = "str"
    return len(d)


def percent_format(parsed):
    return "%s-%d" % ("a", 1)


def fstring_float(parsed):
    x = 1.0
    return f"{x}"


def str_float(parsed):
    return str(1.0)


def kw(a, b=5):
    return a * 10 + b


def keyword_arguments(parsed):
    return kw(1, b=2)


def len_emoji(parsed):
    return len("😀")


def sorted_non_bmp(parsed):
    return sorted(["\uffff", "😀"])


def string_less(parsed):
    return "\uffff" < "😀"


def strip_whitespace(parsed):
    return " \x1c a \ufeff".strip()


def strip_chars(parsed):
    return "xxaxx".strip("x")


def repeat_string(parsed):
    return "ab" * 2


def loose_equality(parsed):
    one = parsed["one"]
    return one == "1"


def isinstance_parsed_dict(parsed):
    return isinstance(parsed, dict)


def parsed_keys(parsed):
    return parsed.keys()


def parsed_get(parsed):
    return parsed.get("one", 0)


def for_over_parsed(parsed):
    out = []
    for key in parsed:
        out.append(key)
    return out


def except_exception(parsed):
    try:
        return parsed.keys()
    except Exception:
        return "caught"


def del_from_list(parsed):
    xs = [1, 2, 3]
    del xs[0]
    return xs


def big_int(parsed):
    return 2**60 + 1


def proto_key(parsed):
    d = {}
    d["__proto__"] = 1
    return len(d)


def hidden_keys(parsed):
    return "py_keys" in {}


# -- the portable alternatives: the same on both sides ---------------------


def portable_extend(parsed):
    return extend([1], [2])


def portable_len(parsed):
    return len([]) > 0


def portable_last(parsed):
    xs = [1, 2, 3]
    return xs[len(xs) - 1]


def portable_get_or(parsed):
    return get_or(parsed, "missing", "default")


def portable_has_key(parsed):
    return has_key(parsed, "one") and not has_key(parsed, "py_keys") and not has_key({}, "toString")


def portable_keys_of(parsed):
    return keys_of(parsed)


def portable_sort_texts(parsed):
    return sort_texts(["😀", "\uffff", "b", "a"])


def portable_text_length(parsed):
    return text_length("😀a")


def portable_put(parsed):
    d: dict = {}
    put(d, "__proto__", 1)
    return keys_of(d)
