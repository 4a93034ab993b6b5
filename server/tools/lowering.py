"""Lower natural Python to the twin runtime before Transcrypt translates it.

    lower(source, filename) -> the source Transcrypt gets instead

Each operation whose Transcrypt translation means something else than in
CPython (subscripts, truthiness, `+` on lists, `==` on lists and dicts,
`len` of strings, `.get`/`.items`, f-strings, keyword arguments, dict
displays, ...) becomes a call of a `_tw_*` function of the twin runtime
(server/tools/twin/: flux_twin.py is CPython's meaning, flux_twin.js the
JavaScript one).  The server keeps running the developer's own file; only
the staged copy that Transcrypt reads is lowered.

Where the static shape makes a rewrite unnecessary it is skipped (`x ==
"literal"` becomes JavaScript's `===`, a comparison used as a test needs no
truth(), `n + 1` stays an addition), so the hot paths of a reducer stay
plain JavaScript.  Constructs that cannot be lowered raise LoweringError
with file:line and a fix.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

RUNTIME_MODULE = "flux_twin"


class LoweringError(ValueError):
    """A construct the lowering cannot give CPython's meaning; names file:line and a fix."""


@dataclass(frozen=True)
class Signature:
    """The parameters of a function, to turn keyword arguments into positional ones."""

    params: tuple[str, ...]
    defaults: tuple[ast.expr | None, ...]  # per parameter: its default, None when required
    star: bool = False
    returns_bool: bool = False  # every return is a bool (or None): no truth() around a call


@dataclass
class _State:
    filename: str
    used: set[str] = field(default_factory=set)


# builtins the lowering replaces (when the module does not bind the name itself)
_BUILTIN_CALLS = {
    "len": "_tw_len",
    "str": "_tw_str",
    "repr": "_tw_repr",
    "int": "_tw_int",
    "bool": "_tw_bool",
    "ord": "_tw_ord",
    "chr": "_tw_chr",
    "abs": "_tw_abs",
    "any": "_tw_any",
    "all": "_tw_all",
    "list": "_tw_list",
    "tuple": "_tw_tuple",
    "set": "_tw_set",
    "dict": "_tw_dict",
    "zip": "_tw_zip",
    "enumerate": "_tw_enumerate",
    "range": "_tw_range",
    "sum": "_tw_sum",
    "format": "_tw_format",
}
_METHODS = {
    "get",
    "keys",
    "items",
    "values",
    "pop",
    "update",
    "copy",
    "setdefault",
    "append",
    "extend",
    "strip",
    "lstrip",
    "rstrip",
    "split",
    "join",
    "startswith",
    "endswith",
    "lower",
    "upper",
    "replace",
    "format",
    "count",
    "index",
    "find",
    "sort",
}
_KIND_NAMES = {"str", "int", "bool", "float", "list", "tuple", "dict"}
_SINGLE_KIND = {
    "str": "_tw_is_str",
    "int": "_tw_is_int",
    "bool": "_tw_is_bool",
    "list": "_tw_is_list",
    "dict": "_tw_is_dict",
}
# calls whose result is a bool in both engines (no truth() needed around them)
_BOOL_CALLS = {
    "isinstance",
    "callable",
    "hasattr",
    "_tw_in",
    "_tw_eq",
    "_tw_ne",
    "_tw_lt",
    "_tw_le",
    "_tw_gt",
    "_tw_ge",
    "_tw_truth",
    "_tw_any",
    "_tw_all",
    "_tw_bool",
    "_tw_isinstance",
    "_tw_m_startswith",
    "_tw_m_endswith",
    *_SINGLE_KIND.values(),
}
# calls whose result is a new array, iterated as it is
_ARRAY_CALLS = {
    "_tw_m_keys",
    "_tw_m_values",
    "_tw_m_items",
    "_tw_sorted",
    "_tw_enumerate",
    "_tw_zip",
    "_tw_range",
    "_tw_list",
    "_tw_iter",
    "_tw_m_split",
}
_TYPING_MODULES = {"__future__", "typing", "typing_extensions", "collections.abc"}
_ARITH = {ast.Add: "_tw_add", ast.Mult: "_tw_mul", ast.FloorDiv: "_tw_floordiv", ast.Mod: "_tw_mod"}
_AUG = {ast.Add: "_tw_iadd", ast.Mult: "_tw_imul", ast.FloorDiv: "_tw_floordiv", ast.Mod: "_tw_mod"}
_ORDER = {ast.Lt: "_tw_lt", ast.LtE: "_tw_le", ast.Gt: "_tw_gt", ast.GtE: "_tw_ge"}


def _is_number(node: ast.expr) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        node = node.operand
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    )


_INT_CALLS = {"_tw_len", "_tw_ord", "_tw_int", "_tw_m_count", "_tw_m_find"}


def _is_int(node: ast.expr) -> bool:
    """Statically a number in both engines: a literal, len(), ord(), int(), .count(), .find()."""
    return _is_number(node) or _called_name(node) in _INT_CALLS


def _is_scalar_constant(node: ast.expr) -> bool:
    """A str, int, float or None literal: `==` with it is JavaScript's `===`."""
    if _is_number(node):
        return True
    return isinstance(node, ast.Constant) and (node.value is None or isinstance(node.value, str))


def _is_str(node: ast.expr) -> bool:
    return (isinstance(node, ast.Constant) and isinstance(node.value, str)) or isinstance(
        node, ast.JoinedStr
    )


_TEXT_CALLS = {"_tw_str", "_tw_repr", "_tw_format", "_tw_percent", "_tw_m_format", "_tw_m_join"}


def _is_text(node: ast.expr) -> bool:
    """Statically a str in both engines (then `+` is JavaScript's)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _is_text(node.left) or _is_text(node.right)
    return _is_str(node) or getattr(node, "_tw_text", False) or _called_name(node) in _TEXT_CALLS


def _is_simple(node: ast.expr) -> bool:
    """Evaluating it twice is harmless and cheap (no call, no exception)."""
    if isinstance(node, ast.Name | ast.Constant):
        return True
    if isinstance(node, ast.Attribute):
        return _is_simple(node.value)
    return False


def _call(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=list(args), keywords=[])


def _called_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id
    return None


def _is_bool(node: ast.expr, bool_functions: frozenset[str] = frozenset()) -> bool:
    """True when the expression is a bool in both engines."""
    if isinstance(node, ast.Compare):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return True
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        return True
    if isinstance(node, ast.BoolOp):
        return all(_is_bool(value, bool_functions) for value in node.values)
    name = _called_name(node)
    return name in _BOOL_CALLS or name in bool_functions


def _bound_names(tree: ast.Module) -> set[str]:
    """Every name the module binds anywhere (then a builtin of that name is not lowered)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
    return names


def signatures_of(
    tree: ast.Module, imported: Mapping[str, Signature] | None = None
) -> dict[str, Signature]:
    """The top-level functions (and classes, by their __init__) of a module."""
    out: dict[str, Signature] = {}
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    for node in functions:
        out[node.name] = _signature(node.args, skip_self=False)
    for cls in tree.body:
        if isinstance(cls, ast.ClassDef):
            for item in cls.body:
                if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                    out[cls.name] = _signature(item.args, skip_self=True)
    # which functions return only bools (or None): to a fixed point, as they call each other
    known = {n for n, sig in (imported or {}).items() if sig.returns_bool}
    changed = True
    while changed:
        changed = False
        for node in functions:
            if node.name not in known and _returns_bool(node, frozenset(known)):
                known.add(node.name)
                out[node.name] = replace(out[node.name], returns_bool=True)
                changed = True
    return out


def _returns_bool(function: ast.FunctionDef, bool_functions: frozenset[str]) -> bool:
    returns: list[ast.Return] = []
    todo: list[ast.AST] = list(function.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue  # their returns are not this function's
        if isinstance(node, ast.Return):
            returns.append(node)
        todo.extend(ast.iter_child_nodes(node))
    return bool(returns) and all(
        r.value is None
        or (isinstance(r.value, ast.Constant) and r.value.value is None)
        or _is_bool(r.value, bool_functions)
        for r in returns
    )


def _signature(args: ast.arguments, skip_self: bool) -> Signature:
    positional = [*args.posonlyargs, *args.args]
    if skip_self:
        positional = positional[1:]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults += list(args.defaults)
    params = [a.arg for a in positional]
    for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        params.append(arg.arg)
        defaults.append(default)
    return Signature(
        tuple(params), tuple(defaults), args.vararg is not None or args.kwarg is not None
    )


class _Lowering(ast.NodeTransformer):
    def __init__(self, state: _State, bound: set[str], signatures: Mapping[str, Signature]) -> None:
        self.state = state
        self.bound = bound
        self.signatures = signatures
        self.bool_functions = frozenset(n for n, sig in signatures.items() if sig.returns_bool)

    def is_bool(self, node: ast.expr) -> bool:
        return _is_bool(node, self.bool_functions)

    # -- helpers -------------------------------------------------------------
    def fail(self, node: ast.AST, what: str, fix: str) -> LoweringError:
        line = getattr(node, "lineno", 0)
        return LoweringError(f"{self.state.filename}:{line}: {what}; {fix}")

    def rt(self, name: str, *args: ast.expr, node: ast.AST | None = None) -> ast.Call:
        self.state.used.add(name)
        call = _call(name, *args)
        if node is not None:
            ast.copy_location(call, node)
        return call

    def truth(self, node: ast.expr) -> ast.expr:
        """The expression as a test: a JavaScript bool that is Python's truth."""
        if self.is_bool(node):
            return node
        return self.rt("_tw_truth", node, node=node)

    def visit_test(self, node: ast.expr) -> ast.expr:
        """Lower an expression used as a test (if, while, not, ternary, assert)."""
        if isinstance(node, ast.BoolOp):
            values = [self.visit_test(v) for v in node.values]
            return ast.copy_location(ast.BoolOp(op=node.op, values=values), node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            node.operand = self.visit_test(node.operand)
            return node
        return self.truth(self.visit(node))

    def visit_with_test(self, node: Any, name: str = "test") -> Any:
        test = getattr(node, name)
        setattr(node, name, ast.Constant(value=True))
        self.generic_visit(node)
        setattr(node, name, self.visit_test(test))
        return node

    # -- statements ------------------------------------------------------------
    def visit_If(self, node: ast.If) -> ast.AST:
        return self.visit_with_test(node)

    def visit_While(self, node: ast.While) -> ast.AST:
        return self.visit_with_test(node)

    def visit_Assert(self, node: ast.Assert) -> ast.AST:
        self.visit_with_test(node)
        args = [node.msg] if node.msg is not None else []
        raise_ = ast.Raise(exc=_call("AssertionError", *args), cause=None)
        test = ast.UnaryOp(op=ast.Not(), operand=node.test)
        return ast.copy_location(ast.If(test=test, body=[raise_], orelse=[]), node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node.returns = None
        for arg in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]:
            arg.annotation = None
        self.keyword_only_to_positional(node)
        self.generic_visit(node)
        return node

    def keyword_only_to_positional(self, node: ast.FunctionDef) -> None:
        """Transcrypt sets keyword-only parameters to their defaults whatever the call
        passes; calls are lowered to positional arguments, so they become positional."""
        args = node.args
        if not args.kwonlyargs:
            return
        positional = [*args.posonlyargs, *args.args]
        first_default = len(positional) - len(args.defaults)
        defaults: list[ast.expr | None] = [None] * first_default + list(args.defaults)
        defaults += list(args.kw_defaults)
        seen_default = False
        for default in defaults:
            if default is None and seen_default:
                raise self.fail(
                    node,
                    f"{node.name}() has a keyword-only parameter without a default after one with",
                    "give it a default or put it first",
                )
            seen_default = seen_default or default is not None
        args.args = [*args.args, *args.kwonlyargs]
        args.defaults = [d for d in defaults if d is not None]
        args.kwonlyargs = []
        args.kw_defaults = []

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST | None:
        if node.module in _TYPING_MODULES:
            return None  # annotations are dropped, and so are the names they used
        return node

    def visit_Import(self, node: ast.Import) -> ast.AST | None:
        kept = [a for a in node.names if a.name not in _TYPING_MODULES]
        if not kept:
            return None
        node.names = kept
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST | list[ast.stmt]:
        if node.value is None:
            return []
        assign = ast.copy_location(ast.Assign(targets=[node.target], value=node.value), node)
        return self.visit_Assign(assign)

    def visit_For(self, node: ast.For) -> ast.AST:
        self.generic_visit(node)
        node.iter = self.iterable(node.iter)
        return node

    def iterable(self, node: ast.expr) -> ast.expr:
        if isinstance(node, ast.List | ast.Tuple):
            return node
        if _called_name(node) in _ARRAY_CALLS:
            if _called_name(node) == "_tw_range":
                # Transcrypt turns `for i in range(...)` into a counting loop
                assert isinstance(node, ast.Call)
                return _call("range", *node.args)
            return node
        return self.rt("_tw_iter", node, node=node)

    def visit_comprehension(self, node: ast.comprehension) -> ast.AST:
        if node.is_async:
            raise self.fail(node.iter, "async comprehension", "use a plain loop")
        node.target = self.visit(node.target)
        node.iter = self.iterable(self.visit(node.iter))
        node.ifs = [self.visit_test(test) for test in node.ifs]
        return node

    def visit_Assign(self, node: ast.Assign) -> ast.AST | list[ast.stmt]:
        self.generic_visit(node)
        if len(node.targets) == 1 and isinstance(node.targets[0], ast.Subscript):
            return self.store(node.targets[0], node.value, node)
        if any(isinstance(t, ast.Subscript) for t in node.targets):
            raise self.fail(
                node, "a chained assignment to a subscript", "assign one target at a time"
            )
        for target in node.targets:
            self.check_target(target)
        return node

    def check_target(self, target: ast.expr) -> None:
        if isinstance(target, ast.Tuple | ast.List):
            for item in target.elts:
                if isinstance(item, ast.Subscript):
                    raise self.fail(
                        item, "unpacking into a subscript", "unpack into names, then assign"
                    )
                self.check_target(item)

    def store(self, target: ast.Subscript, value: ast.expr, node: ast.stmt) -> ast.stmt:
        if isinstance(target.slice, ast.Slice):
            raise self.fail(node, "assignment to a slice", "build the new list with + and slices")
        call = self.rt("_tw_setitem", target.value, target.slice, value, node=node)
        return ast.copy_location(ast.Expr(value=call), node)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        self.generic_visit(node)
        helper = _AUG.get(type(node.op))
        if helper is None or (isinstance(node.op, ast.Add | ast.Mult) and _is_number(node.value)):
            if isinstance(node.target, ast.Subscript):
                item = ast.Subscript(
                    value=node.target.value, slice=node.target.slice, ctx=ast.Load()
                )
                value = ast.BinOp(left=self.load_subscript(item), op=node.op, right=node.value)
                return self.store(node.target, ast.copy_location(value, node), node)
            return node
        target = node.target
        if isinstance(target, ast.Name):
            load: ast.expr = ast.Name(id=target.id, ctx=ast.Load())
        elif isinstance(target, ast.Attribute):
            if not _is_simple(target.value):
                raise self.fail(node, "`+=` on an attribute of a computed object", "name it first")
            load = ast.Attribute(value=target.value, attr=target.attr, ctx=ast.Load())
        elif isinstance(target, ast.Subscript):
            if not (_is_simple(target.value) and _is_simple(target.slice)):
                raise self.fail(node, "`+=` on a computed subscript", "name the key first")
            load = self.load_subscript(
                ast.Subscript(value=target.value, slice=target.slice, ctx=ast.Load())
            )
            combined = self.rt(helper, load, node.value, node=node)
            return self.store(target, combined, node)
        else:
            return node
        combined = self.rt(helper, load, node.value, node=node)
        return ast.copy_location(ast.Assign(targets=[target], value=combined), node)

    def visit_Delete(self, node: ast.Delete) -> ast.AST | list[ast.stmt]:
        self.generic_visit(node)
        out: list[ast.stmt] = []
        for target in node.targets:
            if isinstance(target, ast.Subscript):
                if isinstance(target.slice, ast.Slice):
                    raise self.fail(node, "`del` of a slice", "build the new list with slices")
                call = self.rt("_tw_delitem", target.value, target.slice, node=node)
                out.append(ast.copy_location(ast.Expr(value=call), node))
            else:
                out.append(ast.copy_location(ast.Delete(targets=[target]), node))
        return out

    # -- expressions -------------------------------------------------------------
    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.ctx, ast.Load):
            return self.load_subscript(node)
        return node

    def load_subscript(self, node: ast.Subscript) -> ast.expr:
        if isinstance(node.slice, ast.Slice):
            s = node.slice
            none = ast.Constant(value=None)
            return self.rt(
                "_tw_slice", node.value, s.lower or none, s.upper or none, s.step or none, node=node
            )
        return self.rt("_tw_getitem", node.value, node.slice, node=node)

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.AST:
        self.generic_visit(node)
        if all(self.is_bool(v) for v in node.values):
            return node
        # a value: `a or b` is `_tw_jt(a) || b` (b only when a is falsy in
        # Python, and then b); `a and b` is `b if a else a`.
        result = node.values[-1]
        for value in reversed(node.values[:-1]):
            if isinstance(node.op, ast.Or):
                first = value if self.is_bool(value) else self.rt("_tw_jt", value, node=value)
                result = ast.BoolOp(op=ast.Or(), values=[first, result])
            elif _is_simple(value):
                result = ast.IfExp(test=self.truth(value), body=result, orelse=value)
            else:
                thunk = ast.Lambda(
                    args=ast.arguments(
                        posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[]
                    ),
                    body=result,
                )
                result = self.rt("_tw_and_fn", value, thunk, node=value)
            ast.copy_location(result, node)
        return result

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        if isinstance(node.op, ast.Not):
            return self.visit_with_test(node, "operand")
        self.generic_visit(node)
        return node

    def visit_IfExp(self, node: ast.IfExp) -> ast.AST:
        return self.visit_with_test(node)

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        left, right = node.left, node.right
        if isinstance(node.op, ast.Mod) and _is_str(left):
            return self.rt("_tw_percent", left, right, node=node)
        helper = _ARITH.get(type(node.op))
        if helper is None:
            if isinstance(node.op, ast.Div):
                return self.rt("_tw_truediv", left, right, node=node)
            return node
        if isinstance(node.op, ast.Add):
            if _is_int(left) or _is_int(right) or _is_str(left) or _is_str(right):
                return node  # a number or a text: JavaScript's + means the same
            if _is_text(left) or _is_text(right):
                return node
        if isinstance(node.op, ast.Mult) and _is_number(left) and _is_number(right):
            return node
        if isinstance(node.op, ast.Mod | ast.FloorDiv) and _is_number(left) and _is_number(right):
            return node
        return self.rt(helper, left, right, node=node)

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        operands = [node.left, *node.comparators]
        parts: list[ast.expr] = []
        for op, left, right in zip(node.ops, operands, operands[1:], strict=False):
            parts.append(ast.copy_location(self.compare(op, left, right), node))
        if len(parts) == 1:
            return parts[0]
        return ast.copy_location(ast.BoolOp(op=ast.And(), values=parts), node)

    def compare(self, op: ast.cmpop, left: ast.expr, right: ast.expr) -> ast.expr:
        if isinstance(op, ast.Eq | ast.NotEq):
            if _is_scalar_constant(left) or _is_scalar_constant(right):
                strict = ast.Is() if isinstance(op, ast.Eq) else ast.IsNot()
                return ast.Compare(left=left, ops=[strict], comparators=[right])
            return self.rt("_tw_eq" if isinstance(op, ast.Eq) else "_tw_ne", left, right)
        if isinstance(op, ast.Is | ast.IsNot):
            return ast.Compare(left=left, ops=[op], comparators=[right])
        if isinstance(op, ast.In | ast.NotIn):
            if isinstance(right, ast.Tuple | ast.List | ast.Set) and all(
                _is_scalar_constant(e) for e in right.elts
            ):
                native: ast.expr = ast.Compare(left=left, ops=[ast.In()], comparators=[right])
            else:
                native = self.rt("_tw_in", left, right)
            if isinstance(op, ast.NotIn):
                return ast.UnaryOp(op=ast.Not(), operand=native)
            return native
        if _is_int(left) and _is_int(right):
            return ast.Compare(left=left, ops=[op], comparators=[right])
        # One side a number is not enough: `None < 0` or `"5" < 0` is a TypeError in
        # CPython and false in JavaScript; the runtime's number fast path keeps it cheap.
        return self.rt(_ORDER[type(op)], left, right)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        pieces: list[ast.expr] = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                pieces.append(value)
                continue
            assert isinstance(value, ast.FormattedValue)
            inner = self.visit(value.value)
            if value.conversion == ord("r"):
                inner = self.rt("_tw_repr", inner, node=value)
            elif value.conversion == ord("s"):
                inner = self.rt("_tw_str", inner, node=value)
            elif value.conversion == ord("a"):
                raise self.fail(value, "f-string conversion !a", "use !r")
            if value.format_spec is not None:
                spec = value.format_spec
                if not (
                    isinstance(spec, ast.JoinedStr)
                    and all(isinstance(v, ast.Constant) for v in spec.values)
                ):
                    raise self.fail(value, "a computed format spec", "write the spec out")
                text = "".join(str(v.value) for v in spec.values)  # type: ignore[attr-defined]
                pieces.append(self.rt("_tw_format", inner, ast.Constant(value=text), node=value))
            elif _is_str(inner) or _called_name(inner) in ("_tw_repr", "_tw_str"):
                pieces.append(inner)
            else:
                pieces.append(self.rt("_tw_str", inner, node=value))
        if not pieces:
            return ast.copy_location(ast.Constant(value=""), node)
        result = pieces[0]
        for piece in pieces[1:]:
            result = ast.BinOp(left=result, op=ast.Add(), right=piece)
            result._tw_text = True  # type: ignore[attr-defined]
        return ast.copy_location(result, node)

    def visit_Dict(self, node: ast.Dict) -> ast.AST:
        self.generic_visit(node)
        return self.dict_display(node)

    def dict_display(self, node: ast.Dict) -> ast.expr:
        literal = all(
            isinstance(k, ast.Constant) and isinstance(k.value, str) and k.value != "__proto__"
            for k in node.keys
        )
        if literal and len({k.value for k in node.keys}) == len(node.keys):  # type: ignore[union-attr]
            node._tw_literal = True  # type: ignore[attr-defined]
            return node  # a plain object literal (see _plain_literals)
        parts: list[ast.expr] = []
        for key, value in zip(node.keys, node.values, strict=True):
            if key is None:
                parts += [ast.Constant(value=1), value]
            else:
                parts += [ast.Constant(value=0), key, value]
        return self.rt("_tw_dict_parts", ast.List(elts=parts, ctx=ast.Load()), node=node)

    def visit_DictComp(self, node: ast.DictComp) -> ast.AST:
        self.generic_visit(node)
        pair = ast.Tuple(elts=[node.key, node.value], ctx=ast.Load())
        pairs = ast.ListComp(elt=pair, generators=node.generators)
        return self.rt("_tw_dict_pairs", ast.copy_location(pairs, node), node=node)

    def visit_SetComp(self, node: ast.SetComp) -> ast.AST:
        self.generic_visit(node)
        items = ast.ListComp(elt=node.elt, generators=node.generators)
        return self.rt("_tw_set", ast.copy_location(items, node), node=node)

    def visit_GeneratorExp(self, node: ast.GeneratorExp) -> ast.AST:
        self.generic_visit(node)
        return ast.copy_location(ast.ListComp(elt=node.elt, generators=node.generators), node)

    def visit_Set(self, node: ast.Set) -> ast.AST:
        self.generic_visit(node)
        return self.rt("_tw_set", ast.List(elts=node.elts, ctx=ast.Load()), node=node)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> ast.AST:
        raise self.fail(node, "the walrus operator (Transcrypt drops it)", "assign on its own line")

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Name) and func.id == "__pragma__":
            return node
        if any(isinstance(a, ast.Starred) for a in node.args) or any(
            k.arg is None for k in node.keywords
        ):
            if isinstance(func, ast.Name) and func.id == "dict" and func.id not in self.bound:
                return self.dict_display(
                    ast.copy_location(
                        ast.Dict(
                            keys=[
                                *(None for _ in node.args),
                                *(
                                    None if k.arg is None else ast.Constant(value=k.arg)
                                    for k in node.keywords
                                ),
                            ],
                            values=[*node.args, *(k.value for k in node.keywords)],
                        ),
                        node,
                    )
                )
            raise self.fail(node, "a call with *args or **kwargs", "pass the arguments one by one")
        if isinstance(func, ast.Name) and func.id not in self.bound:
            lowered = self.builtin(func.id, node)
            if lowered is not None:
                return ast.copy_location(lowered, node)
        if isinstance(func, ast.Attribute) and func.attr in _METHODS:
            return self.method(func, node)
        if node.keywords:
            return self.positional(node)
        return node

    def keyword(self, node: ast.Call, name: str) -> ast.expr | None:
        for k in node.keywords:
            if k.arg == name:
                return k.value
        return None

    def only_keywords(self, node: ast.Call, allowed: Iterable[str]) -> None:
        for k in node.keywords:
            if k.arg is None or k.arg not in allowed:
                raise self.fail(node, f"keyword argument {k.arg}=", "pass it by position")

    def builtin(self, name: str, node: ast.Call) -> ast.expr | None:
        none = ast.Constant(value=None)
        args = node.args
        if name in ("sorted", "min", "max"):
            allowed = ("key", "reverse") if name == "sorted" else ("key", "default")
            self.only_keywords(node, allowed)
            key = self.keyword(node, "key") or none
            if name == "sorted":
                reverse = self.keyword(node, "reverse") or ast.Constant(value=False)
                return self.rt("_tw_sorted", args[0], key, reverse, node=node)
            items = args[0] if len(args) == 1 else ast.List(elts=list(args), ctx=ast.Load())
            rest = [key] if (default := self.keyword(node, "default")) is None else [key, default]
            return self.rt(f"_tw_{name}", items, *rest, node=node)
        if name == "isinstance" and len(args) == 2:
            kinds = args[1].elts if isinstance(args[1], ast.Tuple) else [args[1]]
            names = [k.id for k in kinds if isinstance(k, ast.Name) and k.id in _KIND_NAMES]
            if len(names) == 1 and len(kinds) == 1 and names[0] in _SINGLE_KIND:
                return self.rt(_SINGLE_KIND[names[0]], args[0], node=node)
            codes = [
                ast.Constant(value=k.id)
                if isinstance(k, ast.Name) and k.id in _KIND_NAMES
                else (
                    ast.Constant(value="NoneType")
                    if isinstance(k, ast.Call) and _called_name(k) == "type"
                    else k
                )
                for k in kinds
            ]
            return self.rt(
                "_tw_isinstance", args[0], ast.List(elts=codes, ctx=ast.Load()), node=node
            )
        helper = _BUILTIN_CALLS.get(name)
        if helper is None:
            return None
        if name == "dict" and node.keywords:
            parts = ast.Dict(
                keys=[*(None for _ in args), *(ast.Constant(value=k.arg) for k in node.keywords)],
                values=[*args, *(k.value for k in node.keywords)],
            )
            return self.dict_display(ast.copy_location(parts, node))
        if name == "sum":
            self.only_keywords(node, ("start",))
            start = self.keyword(node, "start")
            return self.rt(helper, *args, *([start] if start is not None else []), node=node)
        if name == "enumerate":
            self.only_keywords(node, ("start",))
            start = self.keyword(node, "start")
            return self.rt(helper, *args, *([start] if start is not None else []), node=node)
        self.only_keywords(node, ())
        return self.rt(helper, *args, node=node)

    def method(self, func: ast.Attribute, node: ast.Call) -> ast.expr:
        name = func.attr
        receiver = func.value
        if name == "sort":
            self.only_keywords(node, ("key", "reverse"))
            key = self.keyword(node, "key") or ast.Constant(value=None)
            reverse = self.keyword(node, "reverse") or ast.Constant(value=False)
            return self.rt("_tw_m_sort", receiver, key, reverse, node=node)
        if name == "split" and node.keywords:
            self.only_keywords(node, ("sep", "maxsplit"))
            sep = self.keyword(node, "sep") or (node.args[0] if node.args else ast.Constant(None))
            most = self.keyword(node, "maxsplit") or ast.Constant(value=-1)
            return self.rt("_tw_m_split", receiver, sep, most, node=node)
        if node.keywords:
            raise self.fail(node, f"keyword argument to .{name}()", "pass it by position")
        return self.rt(f"_tw_m_{name}", receiver, *node.args, node=node)

    def positional(self, node: ast.Call) -> ast.Call:
        """f(a, b=1) -> f(a, 1) when f's signature is known; else refused."""
        func = node.func
        name = func.id if isinstance(func, ast.Name) else None
        signature = self.signatures.get(name) if name is not None else None
        if signature is None or signature.star:
            what = f"keyword arguments to {ast.unparse(func)}()"
            raise self.fail(
                node, what, "call a function of shared_reducers/ or pass them by position"
            )
        given = {str(k.arg): k.value for k in node.keywords}
        args = list(node.args)
        for param, default in zip(
            signature.params[len(args) :], signature.defaults[len(args) :], strict=True
        ):
            if param in given:
                args.append(given.pop(param))
            elif default is not None:
                if not isinstance(default, ast.Constant | ast.Name | ast.Attribute):
                    raise self.fail(
                        node, f"skipping the computed default of {param}", "pass it explicitly"
                    )
                args.append(copy.deepcopy(default))
            else:
                raise self.fail(node, f"{name}() is missing the argument {param}", "pass it")
            if not given:
                break
        if given:
            raise self.fail(node, f"{name}() has no parameter {sorted(given)[0]}", "remove it")
        node.args = args
        node.keywords = []
        return node


def _plain_literals(body: list[ast.stmt], state: _State) -> list[ast.stmt]:
    """Wrap each simple statement holding a literal dict in Transcrypt's jsiter
    pragma, so that `{"k": v}` is a plain object literal in JavaScript (not
    a Transcrypt dict); elsewhere (a test, a loop's iterable) a literal
    dict goes through _tw_dict_parts."""
    out: list[ast.stmt] = []
    for stmt in body:
        for name in ("body", "orelse", "finalbody"):
            inner = getattr(stmt, name, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                setattr(stmt, name, _plain_literals(inner, state))
        if isinstance(stmt, ast.Try):
            for handler in stmt.handlers:
                handler.body = _plain_literals(handler.body, state)
        compound = isinstance(
            stmt,
            ast.If | ast.For | ast.While | ast.Try | ast.With | ast.FunctionDef | ast.ClassDef,
        )
        literals = [n for n in _own_expressions(stmt) if getattr(n, "_tw_literal", False)]
        if not literals:
            out.append(stmt)
            continue
        # jsiter also turns loops and comprehensions into for-in: not there
        loops = ast.For | ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp
        if compound or any(isinstance(n, loops) for n in ast.walk(stmt)):
            for holder in _own_expressions_parents(stmt):
                _replace_literals(holder, state)
            out.append(stmt)
            continue
        out.append(_pragma("jsiter"))
        out.append(stmt)
        out.append(_pragma("nojsiter"))
    return out


def _own_expressions(stmt: ast.stmt) -> list[ast.AST]:
    """The nodes of a statement outside its nested statement bodies."""
    found: list[ast.AST] = []
    for holder in _own_expressions_parents(stmt):
        found.extend(ast.walk(holder))
    return found


def _own_expressions_parents(stmt: ast.stmt) -> list[ast.AST]:
    out: list[ast.AST] = []
    for name, value in ast.iter_fields(stmt):
        if name in ("body", "orelse", "finalbody", "handlers"):
            continue
        if isinstance(value, ast.AST):
            out.append(value)
        elif isinstance(value, list):
            out.extend(v for v in value if isinstance(v, ast.AST))
    return out


class _LiteralToParts(ast.NodeTransformer):
    def __init__(self, state: _State) -> None:
        self.state = state

    def visit_Dict(self, node: ast.Dict) -> ast.AST:
        self.generic_visit(node)
        if not getattr(node, "_tw_literal", False):
            return node
        parts: list[ast.expr] = []
        for key, value in zip(node.keys, node.values, strict=True):
            assert key is not None
            parts += [ast.Constant(value=0), key, value]
        self.state.used.add("_tw_dict_parts")
        return ast.copy_location(
            _call("_tw_dict_parts", ast.List(elts=parts, ctx=ast.Load())), node
        )


def _replace_literals(holder: ast.AST, state: _State) -> None:
    _LiteralToParts(state).generic_visit(holder)
    if isinstance(holder, ast.Dict) and getattr(holder, "_tw_literal", False):
        holder._tw_literal = False  # type: ignore[attr-defined]


def _pragma(name: str) -> ast.stmt:
    return ast.Expr(value=_call("__pragma__", ast.Constant(value=name)))


def should_lower(source: str) -> bool:
    """Modules written for Transcrypt by hand (with __pragma__) are left alone."""
    return "__pragma__" not in source


def lower(source: str, filename: str, signatures: Mapping[str, Signature] | None = None) -> str:
    """The module's source with its divergent operations lowered to the twin runtime.

    `signatures`: functions of other modules of the package, by the name this
    module imports them under, so keyword arguments to them become positional.
    """
    tree = ast.parse(source, filename=filename)
    if not should_lower(source):
        return source
    state = _State(filename=filename)
    known = dict(signatures or {})
    known.update(signatures_of(tree, known))
    lowered = _Lowering(state, _bound_names(tree), known).visit(tree)
    assert isinstance(lowered, ast.Module)
    # a literal dict inside an expression that is already lowered to a call
    # (a test, a loop's iterable) is handled by _plain_literals
    lowered.body = _plain_literals(lowered.body, state)
    _fix_nested_literals(lowered, state)
    names = sorted(state.used)
    if names:
        imports = ast.ImportFrom(
            module=RUNTIME_MODULE, names=[ast.alias(name=n) for n in names], level=0
        )
        at = _after_docstring_and_future(lowered)
        lowered.body.insert(at, imports)
    ast.fix_missing_locations(lowered)
    return ast.unparse(lowered) + "\n"


def _fix_nested_literals(tree: ast.Module, state: _State) -> None:
    """Literal dicts left in lambdas' default args or class bodies at top level are fine;
    those inside a default argument of a def are evaluated outside the pragma."""
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            for default in [*node.args.defaults, *(d for d in node.args.kw_defaults if d)]:
                _replace_literals(default, state)
                if isinstance(default, ast.Dict) and getattr(default, "_tw_literal", False):
                    default._tw_literal = False  # type: ignore[attr-defined]


def _after_docstring_and_future(tree: ast.Module) -> int:
    at = 0
    body = tree.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        at = 1
    while at < len(body):
        stmt = body[at]
        if not (isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__"):
            break
        at += 1
    return at


def module_signatures(
    tree: ast.Module, package: str, by_module: Mapping[str, Mapping[str, Signature]]
) -> dict[str, Signature]:
    """The signatures of the functions `tree` imports from sibling modules of `package`."""
    out: dict[str, Signature] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module:
            module = node.module
            if node.level == 1:
                module = f"{package}.{module}"
            short = module.removeprefix(f"{package}.")
            known = by_module.get(short, {})
            for alias in node.names:
                if alias.name in known:
                    out[alias.asname or alias.name] = known[alias.name]
    return out
