"""The few helpers whose CPython and JavaScript spellings differ.

This is the only module of the package that uses Transcrypt's executable
comments: the block between `# __pragma__ ('skip')` and `# __pragma__
('noskip')` is CPython's version; the string after it is what Transcrypt
compiles instead (with the `--ecom` switch).  Everywhere else, call these
instead of the Python construct they replace (see SUBSET.md).

Mappings are string-keyed: a dict in CPython, a plain object in JavaScript
(what JSON.parse returns).  Writes go through `put` so that a key such as
"__proto__" or "constructor" is an ordinary key in JavaScript too, and the
mappings these helpers create are plain objects, not Transcrypt dicts (whose
hidden `py_keys`, `py_get`, ... properties would shadow such keys).
"""


# __pragma__ ('skip')
def keys_of(mapping):
    """The keys of a mapping, as a new list (order: do not rely on it)."""
    return list(mapping.keys())


def has_key(mapping, key):
    """True when `key` (a string) is one of the mapping's own keys."""
    return isinstance(key, str) and key in mapping


def empty_map():
    """A new, empty mapping."""
    return {}


def put(mapping, key, value):
    """mapping[key] = value, also for keys such as "__proto__" in JavaScript."""
    mapping[key] = value


def copy_of(mapping):
    """A shallow copy of a mapping."""
    return dict(mapping)


def merged(mapping, changes):
    """A copy of `mapping` with the keys of `changes` set."""
    out = dict(mapping)
    out.update(changes)
    return out


def without(mapping, key):
    """A copy of `mapping` without `key` (instead of `del`)."""
    out = dict(mapping)
    out.pop(key, None)
    return out


def is_object(value):
    """True for a mapping (a plain object in JavaScript), not for a list or None."""
    return isinstance(value, dict)


def is_list(value):
    return isinstance(value, list)


def is_string(value):
    return isinstance(value, str)


def is_bool(value):
    return isinstance(value, bool)


def is_number(value):
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_int(value):
    """A whole number; 2.0 counts, as JSON.parse gives JavaScript no way to tell."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and value.is_integer()


def text_length(text):
    """The number of characters (code points): `len` counts UTF-16 units in JavaScript."""
    return len(text)


def is_storable_text(text):
    """True unless the string holds U+0000 or a lone surrogate, which
    PostgreSQL and UTF-8 cannot store (JSON can carry both)."""
    if text.isascii():  # O(1) in CPython: no surrogate can be there
        return "\x00" not in text
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")  # refuses surrogates: a lone one is all a str can hold
    except UnicodeEncodeError:
        return False
    return True


def sort_texts(texts):
    """A new list of the strings sorted by code point (JavaScript's sort
    compares UTF-16 units, which puts emoji before U+E000..U+FFFF)."""
    return sorted(texts)


def slice_text(text, start, end):
    """text[start:end] counted in code points (0 <= start <= end); `end` None
    means to the end.  JavaScript's `slice` counts UTF-16 units."""
    if end is None:
        return text[start:]
    return text[start:end]


def int_text(number):
    """A whole number as decimal digits, for messages ("3", never "3.0")."""
    return str(int(number))


def code_points(text):
    """The characters (code points) of a string, as a new list of strings."""
    return list(text)


def utf8_length(text):
    """The number of bytes of the string in UTF-8."""
    return len(text.encode("utf-8", "surrogatepass"))


def common_ends(a, b):
    """[start, end]: how many characters (code points) `a` and `b` share at
    their beginning, then how many more at their end (the two never overlap).
    CPython compares the strings in place; JavaScript on their code points."""
    most = min(len(a), len(b))
    start = 0
    while start < most and a[start] == b[start]:
        start += 1
    end = 0
    while end < most - start and a[len(a) - 1 - end] == b[len(b) - 1 - end]:
        end += 1
    return [start, end]


def count_words(text):
    """The number of words: runs of characters between whitespace (str.split())."""
    return len(text.split())


def operation(kind, collection, id, fields):
    """One changeset operation {op, collection, id, values} (a plain object in JS)."""
    return {"op": kind, "collection": collection, "id": id, "values": fields}


# __pragma__ ('noskip')

"""?
def keys_of(mapping):
    return __pragma__('js', '{}', 'Object.keys(mapping)')


def has_key(mapping, key):
    return __pragma__('js', '{}', 'typeof key === "string" && Object.prototype.propertyIsEnumerable.call(mapping, key)')


def empty_map():
    return __pragma__('js', '{}', '({})')


def put(mapping, key, value):
    __pragma__('js', '{}', 'Object.defineProperty(mapping, key, {value: value, enumerable: true, writable: true, configurable: true})')


def copy_of(mapping):
    return __pragma__('js', '{}', '({...mapping})')


def merged(mapping, changes):
    return __pragma__('js', '{}', '({...mapping, ...changes})')


def without(mapping, key):
    return __pragma__('js', '{}', '(({[key]: _removed, ...rest}) => rest)(mapping)')


def is_object(value):
    return __pragma__('js', '{}', 'value !== null && typeof value === "object" && !Array.isArray(value)')


def is_list(value):
    return __pragma__('js', '{}', 'Array.isArray(value)')


def is_string(value):
    return __pragma__('js', '{}', 'typeof value === "string"')


def is_bool(value):
    return __pragma__('js', '{}', 'typeof value === "boolean"')


def is_number(value):
    return __pragma__('js', '{}', 'typeof value === "number"')


def is_int(value):
    return __pragma__('js', '{}', 'Number.isInteger(value)')


def text_length(text):
    return __pragma__('js', '{}', 'Array.from(text).length')


def is_storable_text(text):
    return __pragma__('js', '{}', '(() => { for (let i = 0; i < text.length; i++) { const c = text.charCodeAt(i); if (c === 0) { return false; } if (c >= 0xd800 && c <= 0xdbff) { const d = text.charCodeAt(i + 1); if (d >= 0xdc00 && d <= 0xdfff) { i++; continue; } return false; } if (c >= 0xdc00 && c <= 0xdfff) { return false; } } return true; })()')


def sort_texts(texts):
    return __pragma__('js', '{}', '[...texts].sort((a, b) => { for (let i = 0, j = 0; i < a.length && j < b.length;) { const x = a.codePointAt(i), y = b.codePointAt(j); if (x !== y) { return x - y; } i += x > 0xffff ? 2 : 1; j += y > 0xffff ? 2 : 1; } return (a.length > b.length) - (a.length < b.length); })')



def slice_text(text, start, end):
    return __pragma__('js', '{}', '(() => { const skip = (from, count) => { let i = from; for (let n = 0; n < count && i < text.length; n++) { const c = text.charCodeAt(i); i += (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && text.charCodeAt(i + 1) >= 0xdc00 && text.charCodeAt(i + 1) <= 0xdfff) ? 2 : 1; } return i; }; const i = skip(0, start); if (end === null || end === undefined) { return text.slice(i); } return text.slice(i, skip(i, end - start)); })()')


def int_text(number):
    return __pragma__('js', '{}', 'String(Math.trunc(number))')


def code_points(text):
    return __pragma__('js', '{}', 'Array.from(text)')


def utf8_length(text):
    return __pragma__('js', '{}', '(() => { let n = 0; for (let i = 0; i < text.length; i++) { const c = text.charCodeAt(i); if (c < 0x80) { n += 1; } else if (c < 0x800) { n += 2; } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && text.charCodeAt(i + 1) >= 0xdc00 && text.charCodeAt(i + 1) <= 0xdfff) { n += 4; i++; } else { n += 3; } } return n; })()')

def common_ends(a, b):
    return __pragma__('js', '{}', '(() => { const x = Array.from(a), y = Array.from(b); const most = Math.min(x.length, y.length); let start = 0; while (start < most && x[start] === y[start]) { start++; } let end = 0; while (end < most - start && x[x.length - 1 - end] === y[y.length - 1 - end]) { end++; } return [start, end]; })()')


def count_words(text):
    return __pragma__('js', '{}', 'text.split(/[\\t\\n\\v\\f\\r \\x1c-\\x1f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+/).filter((word) => word.length > 0).length')


def operation(kind, collection, id, fields):
    return __pragma__('js', '{}', '({op: kind, collection: collection, id: id, values: fields})')
?"""


def get_or(mapping, key, default):
    """mapping[key] when the key is present, else `default` (no KeyError
    in CPython, no `undefined` in JavaScript)."""
    if has_key(mapping, key):
        return mapping[key]
    return default


def extend(target, items):
    """Append every item of `items` to the list `target` (instead of `+`)."""
    for item in items:
        target.append(item)
    return target


def describe(value):
    """What a value is, in words, for error messages ("a number", "null")."""
    if value is None:
        return "null"
    if is_bool(value):
        return "true or false"
    if is_string(value):
        return "a string"
    if is_number(value):
        return "a number"
    if is_list(value):
        return "a list"
    if is_object(value):
        return "an object"
    return "an unknown value"
