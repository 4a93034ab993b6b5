"""The few helpers whose CPython and JavaScript spellings differ.

This is the only module of the package that uses Transcrypt's executable
comments: the block between `# __pragma__ ('skip')` and `# __pragma__
('noskip')` is CPython's version; the string after it is what Transcrypt
compiles instead (with the `--ecom` switch).  Everywhere else, call these
instead of the Python construct they replace (see SUBSET.md).
"""


# __pragma__ ('skip')
def keys_of(mapping):
    """The keys of a dict or of a plain JavaScript object, as a list."""
    return list(mapping.keys())


def has_key(mapping, key):
    """True when `key` is one of the mapping's own keys."""
    return key in mapping


def is_object(value):
    """True for a dict (a plain object in JavaScript), not for a list."""
    return isinstance(value, dict)


def is_list(value):
    return isinstance(value, list)


def is_string(value):
    return isinstance(value, str)


def is_bool(value):
    return isinstance(value, bool)


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


# __pragma__ ('noskip')

"""?
def keys_of(mapping):
    return __pragma__('js', '{}', 'Object.keys(mapping)')


def has_key(mapping, key):
    return __pragma__('js', '{}', 'Object.prototype.hasOwnProperty.call(mapping, key)')


def is_object(value):
    return __pragma__('js', '{}', 'value !== null && typeof value === "object" && !Array.isArray(value)')


def is_list(value):
    return __pragma__('js', '{}', 'Array.isArray(value)')


def is_string(value):
    return __pragma__('js', '{}', 'typeof value === "string"')


def is_bool(value):
    return __pragma__('js', '{}', 'typeof value === "boolean"')


def is_int(value):
    return __pragma__('js', '{}', 'Number.isInteger(value)')

?"""


def copy_of(mapping):
    """A shallow copy of a dict / plain object."""
    out = {}
    for key in keys_of(mapping):
        out[key] = mapping[key]
    return out


def merged(mapping, changes):
    """A copy of `mapping` with the keys of `changes` set."""
    out = copy_of(mapping)
    for key in keys_of(changes):
        out[key] = changes[key]
    return out


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
