"""The CPython half of the twin runtime: what each lowered operation means.

server/tools/lowering.py rewrites the operations of a shared reducer whose
Transcrypt translation would diverge from CPython into calls of `_tw_*`
functions.  Their JavaScript half is flux_twin.js beside this file (staged
by `flux transpile` as the module `flux_twin`, see STAGED_MODULE); the
definitions here are CPython's own operations, the reference the property
tests (tests/tools/test_twin_runtime.py) hold the JavaScript half to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

JS_SOURCE = Path(__file__).with_name("flux_twin.js")

# The module Transcrypt compiles: ZeroDivisionError (not in Transcrypt's
# runtime) as a Python class, then the JavaScript half verbatim.
STAGED_MODULE = '''"""The twin runtime (staged by flux transpile from server/tools/twin/)."""


class ZeroDivisionError(Exception):
    pass


__pragma__("js", "{}", {js})
'''


def staged_source() -> str:
    return STAGED_MODULE.replace("{js}", repr(JS_SOURCE.read_text()))


def _tw_getitem(x: Any, k: Any) -> Any:
    return x[k]


def _tw_setitem(x: Any, k: Any, v: Any) -> None:
    x[k] = v


def _tw_delitem(x: Any, k: Any) -> None:
    del x[k]


def _tw_slice(x: Any, a: Any, b: Any, c: Any) -> Any:
    return x[a:b:c]


def _tw_truth(x: Any) -> bool:
    return bool(x)


def _tw_jt(x: Any) -> Any:
    return x if x else False


def _tw_or_fn(a: Any, f: Callable[[], Any]) -> Any:
    return a or f()


def _tw_and_fn(a: Any, f: Callable[[], Any]) -> Any:
    return a and f()


def _tw_len(x: Any) -> int:
    return len(x)


def _tw_iter(x: Any) -> list[Any]:
    return list(x)


def _tw_in(k: Any, c: Any) -> bool:
    return k in c


def _tw_eq(a: Any, b: Any) -> bool:
    return bool(a == b)


def _tw_ne(a: Any, b: Any) -> bool:
    return bool(a != b)


def _tw_lt(a: Any, b: Any) -> bool:
    return bool(a < b)


def _tw_le(a: Any, b: Any) -> bool:
    return bool(a <= b)


def _tw_gt(a: Any, b: Any) -> bool:
    return bool(a > b)


def _tw_ge(a: Any, b: Any) -> bool:
    return bool(a >= b)


def _tw_add(a: Any, b: Any) -> Any:
    return a + b


def _tw_iadd(a: Any, b: Any) -> Any:
    a += b
    return a


def _tw_mul(a: Any, b: Any) -> Any:
    return a * b


def _tw_imul(a: Any, b: Any) -> Any:
    a *= b
    return a


def _tw_floordiv(a: Any, b: Any) -> Any:
    return a // b


def _tw_mod(a: Any, b: Any) -> Any:
    return a % b


def _tw_truediv(a: Any, b: Any) -> Any:
    return a / b


def _tw_abs(x: Any) -> Any:
    return abs(x)


def _tw_repr(x: Any) -> str:
    return repr(x)


def _tw_str(x: Any) -> str:
    return str(x)


def _tw_format(x: Any, spec: str) -> str:
    return format(x, spec)


def _tw_format_str(fmt: str, args: list[Any]) -> str:
    return fmt.format(*args)


def _tw_percent(fmt: str, args: Any) -> str:
    return fmt % args


def _tw_m_strip(s: Any, *chars: Any) -> Any:
    return s.strip(*chars)


def _tw_m_lstrip(s: Any, *chars: Any) -> Any:
    return s.lstrip(*chars)


def _tw_m_rstrip(s: Any, *chars: Any) -> Any:
    return s.rstrip(*chars)


def _tw_m_split(s: Any, *args: Any) -> Any:
    return s.split(*args)


def _tw_m_join(sep: Any, *args: Any) -> Any:
    return sep.join(*args)


def _tw_m_startswith(s: Any, *args: Any) -> Any:
    return s.startswith(*args)


def _tw_m_endswith(s: Any, *args: Any) -> Any:
    return s.endswith(*args)


def _tw_m_lower(s: Any, *args: Any) -> Any:
    return s.lower(*args)


def _tw_m_upper(s: Any, *args: Any) -> Any:
    return s.upper(*args)


def _tw_m_replace(s: Any, *args: Any) -> Any:
    return s.replace(*args)


def _tw_m_format(s: Any, *args: Any) -> Any:
    return s.format(*args)


def _tw_m_find(s: Any, *args: Any) -> Any:
    return s.find(*args)


def _tw_m_index(s: Any, *args: Any) -> Any:
    return s.index(*args)


def _tw_m_count(s: Any, *args: Any) -> Any:
    return s.count(*args)


def _tw_m_get(o: Any, *args: Any) -> Any:
    return o.get(*args)


def _tw_m_keys(o: Any, *args: Any) -> Any:
    return list(o.keys(*args)) if isinstance(o, dict) else o.keys(*args)


def _tw_m_values(o: Any, *args: Any) -> Any:
    return list(o.values(*args)) if isinstance(o, dict) else o.values(*args)


def _tw_m_items(o: Any, *args: Any) -> Any:
    return list(o.items(*args)) if isinstance(o, dict) else o.items(*args)


def _tw_m_pop(o: Any, *args: Any) -> Any:
    return o.pop(*args)


def _tw_m_update(o: Any, *args: Any) -> Any:
    return o.update(*args)


def _tw_m_copy(o: Any, *args: Any) -> Any:
    return o.copy(*args)


def _tw_m_setdefault(o: Any, *args: Any) -> Any:
    return o.setdefault(*args)


def _tw_m_append(o: Any, *args: Any) -> Any:
    return o.append(*args)


def _tw_m_extend(o: Any, *args: Any) -> Any:
    return o.extend(*args)


def _tw_m_sort(xs: Any, key: Any = None, reverse: Any = False) -> Any:
    return xs.sort(key=key, reverse=reverse)


def _tw_dict_parts(parts: list[Any]) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    i = 0
    while i < len(parts):
        if parts[i] == 0:
            out[parts[i + 1]] = parts[i + 2]
            i += 3
        else:
            out.update(parts[i + 1])
            i += 2
    return out


def _tw_dict_pairs(pairs: Iterable[Any]) -> dict[Any, Any]:
    return dict(pairs)


def _tw_dict(*args: Any) -> dict[Any, Any]:
    return dict(*args)


def _tw_list(*args: Any) -> list[Any]:
    return list(*args)


def _tw_tuple(*args: Any) -> tuple[Any, ...]:
    return tuple(*args)


def _tw_set(*args: Any) -> set[Any]:
    return set(*args)


def _tw_sorted(xs: Any, key: Any = None, reverse: Any = False) -> list[Any]:
    return sorted(xs, key=key, reverse=reverse)


_NO_DEFAULT: Any = object()


def _tw_min(items: Any, key: Any = None, d: Any = _NO_DEFAULT) -> Any:
    return min(items, key=key) if d is _NO_DEFAULT else min(items, key=key, default=d)


def _tw_max(items: Any, key: Any = None, d: Any = _NO_DEFAULT) -> Any:
    return max(items, key=key) if d is _NO_DEFAULT else max(items, key=key, default=d)


def _tw_sum(xs: Any, start: Any = 0) -> Any:
    return sum(xs, start)


def _tw_any(xs: Any) -> bool:
    return any(xs)


def _tw_all(xs: Any) -> bool:
    return all(xs)


def _tw_enumerate(xs: Any, start: int = 0) -> list[tuple[int, Any]]:
    return list(enumerate(xs, start))


def _tw_zip(*lists: Any) -> list[tuple[Any, ...]]:
    return list(zip(*lists, strict=False))


def _tw_range(*args: Any) -> list[int]:
    return list(range(*args))


def _tw_ord(c: Any) -> int:
    return ord(c)


def _tw_chr(i: Any) -> str:
    return chr(i)


def _tw_int(x: Any) -> int:
    return int(x)


def _tw_bool(x: Any) -> bool:
    return bool(x)


_KINDS: dict[str, Any] = {
    "str": str,
    "int": int,
    "bool": bool,
    "float": float,
    "list": list,
    "tuple": tuple,
    "dict": dict,
    "NoneType": type(None),
}


def _tw_isinstance(x: Any, kinds: list[Any]) -> bool:
    return isinstance(x, tuple(_KINDS.get(k, k) if isinstance(k, str) else k for k in kinds))


def _tw_is_str(x: Any) -> bool:
    return isinstance(x, str)


def _tw_is_int(x: Any) -> bool:
    return isinstance(x, int)


def _tw_is_bool(x: Any) -> bool:
    return isinstance(x, bool)


def _tw_is_list(x: Any) -> bool:
    return isinstance(x, list)


def _tw_is_dict(x: Any) -> bool:
    return isinstance(x, dict)


def _tw_typename(x: Any) -> str:
    return type(x).__name__


__all__ = [name for name in dir() if name.startswith("_tw_")]
