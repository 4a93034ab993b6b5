"""The rules of `flux check-reducers`: one visitor over a reducer module that
reports what cannot mean the same in CPython and in the browser's build.

Each rule was tried (tests/tools/test_reducer_check.py builds every rejected
construct as `flux transpile` does and runs it in Node); SUBSET.md lists them
with their reasons.  The inference is local: a name is a float, a set, a
string, ... when every assignment to it in its function (or module) says so.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

MAX_SAFE_INTEGER = 2**53 - 1
MAX_STRING = 2**29 - 24
"""The longest string V8 (Node, Chromium) holds, in UTF-16 units."""
ALLOWED_EXCEPTIONS = frozenset(
    {"EventRejected", "ChangesetConflict", "KeyError", "IndexError", "ValueError"}
)
JS_RESERVED = frozenset(
    {
        "private", "public", "protected", "interface", "package", "static", "implements",
        "let", "enum", "eval", "var", "function", "typeof", "instanceof", "void", "this",
        "delete", "const", "export", "extends", "super", "debugger", "catch", "throw",
    }
)  # fmt: skip
MISSING_STR_METHODS = {
    "zfill": 'a loop or "0" * (width - len(text)) + text',
    "center": "+ with padding built with *",
    "ljust": "text + pad * (width - len(text))",
    "rjust": "pad * (width - len(text)) + text",
    "partition": "split(sep, 1)",
    "rpartition": "rsplit(sep, 1)",
    "swapcase": "upper() or lower()",
    "casefold": "lower()",
    "expandtabs": "replace()",
    "title": "upper() of the first letter + the rest",
}
"""Methods Transcrypt's runtime does not have (TypeError in the browser)."""
NONDETERMINISTIC_CALLS = frozenset(
    {"id", "hash", "eval", "exec", "compile", "open", "input", "__import__", "globals", "vars"}
)
SET_CONSUMERS = frozenset({"list", "tuple", "enumerate", "zip", "next", "iter"})
"""Calls that expose a set's iteration order (sorted, len, min, max, sum do not)."""
ORDER_FREE = frozenset({"sorted", "sum", "any", "all", "set", "frozenset", "len", "min", "max"})
"""Calls whose result does not depend on the order of a comprehension they are
given (sorted, min and max only without key=: ties keep the order)."""

Kind = str | None  # "list", "dict", "str", "bool", "float", "int", "set" or unknown


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def _name_of_call(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name):
            return node.func.id
        if isinstance(node.func, ast.Attribute):
            return node.func.attr
    return None


class _Scope:
    """What each name of one function (or of the module) is known to hold."""

    def __init__(self, body: ast.AST, parent: _Scope | None) -> None:
        self.parent = parent
        self.kinds: dict[str, Kind] = {}
        assigned: dict[str, list[ast.expr | None]] = {}
        for node in _own_nodes(body):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        assigned.setdefault(target.id, []).append(node.value)
            elif isinstance(node, ast.AugAssign | ast.AnnAssign) and isinstance(
                node.target, ast.Name
            ):
                value = node.value if isinstance(node, ast.AnnAssign) else None
                assigned.setdefault(node.target.id, []).append(value)
            elif isinstance(node, ast.For | ast.comprehension):
                for part in ast.walk(node.target):
                    if isinstance(part, ast.Name):
                        assigned.setdefault(part.id, []).append(_loop_value(node, part))
        for name, values in assigned.items():
            kinds = {self.kind_of(v) if v is not None else None for v in values}
            self.kinds[name] = kinds.pop() if len(kinds) == 1 else None

    def lookup(self, name: str) -> Kind:
        if name in self.kinds:
            return self.kinds[name]
        return self.parent.lookup(name) if self.parent is not None else None

    def kind_of(self, node: ast.expr) -> Kind:
        if isinstance(node, ast.List | ast.ListComp | ast.Tuple):
            return "list"
        if isinstance(node, ast.Dict | ast.DictComp):
            return "dict"
        if isinstance(node, ast.Set | ast.SetComp):
            return "set"
        if isinstance(node, ast.JoinedStr):
            return "str"
        if isinstance(node, ast.Constant):
            return _constant_kind(node.value)
        if isinstance(node, ast.Compare | ast.BoolOp) or (
            isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)
        ):
            return "bool"
        if isinstance(node, ast.UnaryOp):
            return self.kind_of(node.operand)
        if isinstance(node, ast.BinOp):
            return self.binop_kind(node)
        if isinstance(node, ast.Name):
            return self.lookup(node.id)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            return _CALL_KINDS.get(node.func.id) or (
                "float" if node.func.id == "round" and len(node.args) == 2 else None
            )
        return None

    def binop_kind(self, node: ast.BinOp) -> Kind:
        left, right = self.kind_of(node.left), self.kind_of(node.right)
        if isinstance(node.op, ast.Div):
            return "float"
        if isinstance(node.op, ast.BitOr | ast.BitAnd | ast.BitXor | ast.Sub) and "set" in (
            left,
            right,
        ):
            return "set"
        if "float" in (left, right) and isinstance(
            node.op, ast.Add | ast.Sub | ast.Mult | ast.Mod | ast.FloorDiv | ast.Pow
        ):
            return "float"
        if isinstance(node.op, ast.Add | ast.Mult | ast.Mod) and "str" in (left, right):
            return "str"
        if isinstance(node.op, ast.Add | ast.Mult) and "list" in (left, right):
            return "list"
        if left == right == "int":
            return "int"
        return None


_CALL_KINDS: dict[str, str] = {
    "float": "float",
    "set": "set",
    "frozenset": "set",
    "str": "str",
    "list": "list",
    "sorted": "list",
    "dict": "dict",
    "int": "int",
    "len": "int",
    "ord": "int",
    "bool": "bool",
    "isinstance": "bool",
}


def _constant_kind(value: object) -> Kind:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    return None


def _loop_value(loop: ast.For | ast.comprehension, name: ast.Name) -> ast.expr | None:
    """For `for i in range(n)` and the index of `for i, x in enumerate(xs)`:
    an int, so that `{i: x ...}` is seen as an int key."""
    call = _name_of_call(loop.iter)
    target = loop.target
    index_name = target.elts[0] if isinstance(target, ast.Tuple) and len(target.elts) > 0 else None
    if (call == "range" and target is name) or (call == "enumerate" and index_name is name):
        return ast.Constant(0)
    return None


def _own_nodes(body: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a function or module, not those of the functions inside it."""
    stack = list(ast.iter_child_nodes(body))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            stack.extend(ast.iter_child_nodes(node))


class RuleChecker(ast.NodeVisitor):
    def __init__(self, path: str, escape_hatch: bool, package: str | None) -> None:
        self.path = path
        self.escape_hatch = escape_hatch
        self.package = package if package is not None else Path(path).parent.name or None
        self.problems: list[Problem] = []
        self.scope: _Scope | None = None
        self.order_free: set[int] = set()
        """The comprehensions whose iteration order cannot show (ids)."""
        self.in_order_free: list[bool] = [False]

    def report(self, node: ast.AST | int, message: str) -> None:
        line = node if isinstance(node, int) else getattr(node, "lineno", 1)
        self.problems.append(Problem(self.path, line, message))

    def run(self, tree: ast.Module) -> None:
        self.scope = _Scope(tree, None)
        self.visit(tree)

    def kind(self, node: ast.expr) -> Kind:
        assert self.scope is not None
        return self.scope.kind_of(node)

    def check_comments(self, source: str) -> None:
        if self.escape_hatch:
            return
        for number, line in enumerate(source.splitlines(), start=1):
            if "__pragma__" in line and line.lstrip().startswith("#"):
                self.report(number, _PRAGMA)

    # -- definitions -------------------------------------------------------------

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.check_name(node, node.name)
        args = node.args
        if args.kwarg is not None:
            self.report(node, _KWARGS)
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
            self.check_name(arg, arg.arg)
            if arg.annotation is not None:
                self.report(arg, _ANNOTATION)
        if node.returns is not None:
            self.report(node, _ANNOTATION)
        for change in in_place_changes(node):
            self.report(change, _IN_PLACE)
        outer = self.scope
        self.scope = _Scope(node, outer)
        for decorator in node.decorator_list:
            self.visit(decorator)
        for default in [*args.defaults, *args.kw_defaults]:
            if default is not None:
                self.visit(default)
        for statement in node.body:
            self.visit(statement)
        self.scope = outer

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self.report(node, "a reducer is synchronous: async functions do not fold; use def")
        self.generic_visit(node)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        if node.args.defaults or node.args.kw_defaults:
            self.report(
                node,
                "a lambda's default values are evaluated when it is called in the browser, not "
                "when it is made (lambda x, k=i: ... sees the last i); use a def",
            )
        outer = self.scope
        self.scope = _Scope(node, outer)
        self.visit(node.body)
        self.scope = outer

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.check_name(node, node.name)
        self.generic_visit(node)

    def check_name(self, node: ast.AST, name: str) -> None:
        if name in JS_RESERVED:
            self.report(
                node,
                f"'{name}' is a reserved word in JavaScript modules and Transcrypt keeps it "
                f"(the module does not load); use another name (e.g. '{name}_')",
            )

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Store):
            self.check_name(node, node.id)

    # -- statements ------------------------------------------------------------

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if not self.importable(alias.name):
                self.report(node, _import_message(alias.name))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and not self.importable(node.module or ""):
            self.report(node, _import_message(node.module or ""))

    def importable(self, module: str) -> bool:
        """shared_reducers, or the module's own package under any dotted path that
        ends at its folder (`natural_app.x`, `tests.fixtures.natural_app.x`)."""
        parts = module.split(".")
        if parts[0] == "shared_reducers" or self.package is None or self.package not in parts:
            return parts[0] == "shared_reducers"
        folders = Path(self.path).parent.parts
        if folders[-1:] != (self.package,):
            folders = (self.package,)
        prefix = tuple(parts[: parts.index(self.package) + 1])
        return folders[-len(prefix) :] == prefix

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.report(node, _ANNOTATION)
        self.generic_visit(node)

    def visit_Global(self, node: ast.Global) -> None:
        self.report(
            node,
            "global state outlives the event: the server keeps it for days, the page only "
            "until it reloads, so the engines drift apart; keep state in the collection",
        )

    def visit_With(self, node: ast.With) -> None:
        self.report(
            node, "with is translated without __enter__/__exit__; call the functions directly"
        )
        self.generic_visit(node)

    def visit_Match(self, node: ast.Match) -> None:
        self.report(node, "match is not translated (a syntax error in the browser); use if/elif")
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            for part in ast.walk(target):
                if isinstance(part, ast.Starred):
                    self.report(
                        target,
                        "starred assignment (first, *rest = xs) stops the browser build; "
                        "use first, rest = xs[0], xs[1:]",
                    )
                    break
        self.generic_visit(node)

    def visit_For(self, node: ast.For) -> None:
        self.check_set_order(node.iter)
        self.generic_visit(node)

    def visit_comprehension(self, node: ast.comprehension) -> None:
        if not self.in_order_free[-1]:
            self.check_set_order(node.iter)
        self.generic_visit(node)

    def visit_Try(self, node: ast.Try) -> None:
        for handler in node.handlers:
            names = []
            if handler.type is None:
                names = ["(bare except)"]
            else:
                for part in ast.walk(handler.type):
                    if isinstance(part, ast.Name) and part.id not in ALLOWED_EXCEPTIONS:
                        names.append(part.id)
            if names:
                self.report(
                    handler,
                    f"catching {', '.join(names)} cannot agree: the browser raises a JavaScript "
                    "TypeError (or nothing: 1 // 0 is Infinity) where CPython raises it; check "
                    "values up front and catch only EventRejected, ChangesetConflict, KeyError, "
                    "IndexError or ValueError",
                )
        self.generic_visit(node)

    # -- expressions -----------------------------------------------------------

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.report(node, "the walrus operator is mistranslated; assign on a line of its own")
        self.generic_visit(node)

    def visit_Await(self, node: ast.Await) -> None:
        self.report(node, "a reducer is synchronous: no await; read rows with collection.get")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, int) and not isinstance(node.value, bool):
            self.check_safe_integer(node, node.value)

    def check_safe_integer(self, node: ast.AST, value: int) -> None:
        if abs(value) > MAX_SAFE_INTEGER:
            self.report(
                node,
                f"{value} is beyond ±(2**53 - 1), the whole numbers JavaScript holds exactly "
                "(the browser computes with another number; the server refuses such numbers in "
                "events); keep integers within that range",
            )

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if (
            isinstance(node.op, ast.Pow)
            and isinstance(node.left, ast.Constant)
            and isinstance(node.right, ast.Constant)
            and type(node.left.value) is int
            and type(node.right.value) is int
            and 0 <= node.right.value <= 1024
        ):
            self.check_safe_integer(node, node.left.value**node.right.value)
        if isinstance(node.op, ast.Mod) and self.kind(node.left) == "str":
            self.check_text_of(node.right)
        if isinstance(node.op, ast.Mult) and self.kind(node.left) == "str":
            count = _constant_int(node.right)
            if count is not None and count > MAX_STRING:
                self.report(
                    node,
                    f"repeating {count} times goes beyond what the browser holds (a string of "
                    f"at most {MAX_STRING} UTF-16 units: RangeError), though CPython builds it; "
                    "keep repetitions small",
                )
        if isinstance(node.op, ast.BitOr) and "dict" in (
            self.kind(node.left),
            self.kind(node.right),
        ):
            self.report(node, "dict | dict gives 0 in the browser; use {**a, **b}")
        self.generic_visit(node)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> None:
        self.check_text_of(node.value)
        self.generic_visit(node)

    def check_text_of(self, node: ast.expr) -> None:
        """`node` becomes text: a float cannot agree (1.0 is "1" in JavaScript)."""
        values = node.elts if isinstance(node, ast.Tuple) else [node]
        for value in values:
            if self.kind(value) == "float":
                self.report(
                    value,
                    "text made from a float cannot agree: 1.0 prints as 1 in JavaScript and "
                    "digits differ (1e-07 vs 1e-7); keep whole numbers (// instead of /, "
                    "integer cents) or round to an int first",
                )

    def visit_Compare(self, node: ast.Compare) -> None:
        operands = [node.left, *node.comparators]
        for op, left, right in zip(node.ops, operands, operands[1:], strict=False):
            if isinstance(op, ast.Is | ast.IsNot) and not (
                _is_singleton(left) or _is_singleton(right)
            ):
                if any(self.is_value(side) for side in (left, right)):
                    self.report(
                        node,
                        "is on strings and numbers cannot agree: CPython shares some equal "
                        "values (small ints, interned strings) and the browser compares "
                        "values; use == (is only with None, True, False or the same object)",
                    )
            if isinstance(op, ast.Is | ast.IsNot | ast.Eq | ast.NotEq) and any(
                _is_float_type(side) for side in (left, right)
            ):
                self.report(node, _FLOAT_TYPE)
        self.generic_visit(node)

    def is_value(self, node: ast.expr) -> bool:
        """A string, a number or a literal: `is` means something else for it."""
        return self.kind(node) in ("str", "int", "float") or isinstance(
            node, ast.Constant | ast.List | ast.Dict | ast.Tuple | ast.Set | ast.JoinedStr
        )

    def visit_Dict(self, node: ast.Dict) -> None:
        for key in node.keys:
            if key is not None:
                self.check_key(key)
        self.generic_visit(node)

    def visit_DictComp(self, node: ast.DictComp) -> None:
        outer = self.scope
        self.scope = _Scope(node, outer)
        self.check_key(node.key)
        self.generic_visit(node)
        self.scope = outer

    def visit_ListComp(self, node: ast.ListComp) -> None:
        self.visit_in_scope(node)

    def visit_SetComp(self, node: ast.SetComp) -> None:
        self.order_free.add(id(node))
        self.visit_in_scope(node)

    def visit_GeneratorExp(self, node: ast.GeneratorExp) -> None:
        self.visit_in_scope(node)

    def visit_in_scope(self, node: ast.AST) -> None:
        outer = self.scope
        self.scope = _Scope(node, outer)
        self.in_order_free.append(id(node) in self.order_free)
        self.generic_visit(node)
        self.in_order_free.pop()
        self.scope = outer

    def check_key(self, key: ast.expr) -> None:
        kind = self.kind(key)
        if kind in ("int", "float", "bool", "list") or (
            isinstance(key, ast.Constant) and key.value is None
        ):
            self.report(
                key,
                'a dict key that is not a string cannot agree: the browser turns 1 and "1" '
                '(and (1, 2) and "1,2") into the same key, and JSON makes every key a '
                'string; use string keys (f"{n}")',
            )

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if isinstance(node.ctx, ast.Store | ast.Del) and self.kind(node.value) == "dict":
            self.check_key(node.slice)
        elif self.kind(node.slice) == "float":
            self.report(
                node,
                "an index or key computed with / is a float (3 / 1 is 3.0, not 3); "
                "use // for whole numbers",
            )
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if any(keyword.arg is None for keyword in node.keywords):
            self.report(node, _KWARGS)
        func = node.func
        if isinstance(func, ast.Name):
            if func.id in ORDER_FREE and not (func.id != "sum" and node.keywords):
                for arg in node.args:
                    if isinstance(arg, ast.GeneratorExp | ast.ListComp):
                        self.order_free.add(id(arg))
            self.check_function_call(node, func.id)
        elif isinstance(func, ast.Attribute):
            self.check_method_call(node, func.attr)
        self.generic_visit(node)

    def check_function_call(self, node: ast.Call, name: str) -> None:
        args = node.args
        if name in ("str", "repr", "format") and args:
            self.check_text_of(args[0])
        elif name == "isinstance" and len(args) == 2 and _names_float(args[1]):
            self.report(node, _FLOAT_TYPE)
        elif name in SET_CONSUMERS and args:
            for arg in args:
                self.check_set_order(arg)
        elif name in ("sorted", "min", "max") and node.keywords and args:
            self.check_set_order(args[0])  # ties keep the set's order
        elif name == "getattr" and len(args) == 3:
            self.report(node, "getattr's default is ignored in the browser; test hasattr() first")
        elif name in NONDETERMINISTIC_CALLS:
            self.report(
                node,
                f"{name}() differs between the engines (identity, hashing, code or I/O); "
                "a reducer computes only from the row and the event",
            )
        elif name == "__pragma__" and not self.escape_hatch:
            self.report(node, _PRAGMA)

    def check_method_call(self, node: ast.Call, method: str) -> None:
        assert isinstance(node.func, ast.Attribute)
        receiver = node.func.value
        if method == "format":
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                self.check_text_of(arg)
        elif method == "join" and node.args:
            self.check_set_order(node.args[0])
        elif method == "pop" and not node.args and self.kind(receiver) == "set":
            self.check_set_order(receiver)
        elif method in MISSING_STR_METHODS:
            self.report(
                node,
                f".{method}() does not exist in the browser (TypeError); "
                f"use {MISSING_STR_METHODS[method]}",
            )

    def check_set_order(self, node: ast.expr) -> None:
        if self.kind(node) == "set":
            self.report(
                node,
                "the order of a set differs between the engines (CPython hashes, the browser "
                "keeps insertion order); iterate sorted(the_set) instead",
            )

    def visit_Expr(self, node: ast.Expr) -> None:
        value = node.value
        if (
            isinstance(value, ast.Constant)
            and isinstance(value.value, str)
            and value.value.startswith("?")
            and not self.escape_hatch
        ):
            self.report(node, _PRAGMA)
        self.generic_visit(node)


def _is_singleton(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and (node.value is None or isinstance(node.value, bool))


def _is_float_type(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "float"


def _names_float(node: ast.expr) -> bool:
    return any(isinstance(part, ast.Name) and part.id == "float" for part in ast.walk(node))


def _import_message(module: str) -> str:
    return (
        f"{module or 'this module'} is not in the browser (clocks, random numbers, I/O and "
        "other libraries differ or are missing there): a reducer imports only shared_reducers "
        "and its own package's modules; take time, ids and users from the event"
    )


_ANNOTATION = "annotations are not part of the subset (Transcrypt may check them); drop them"
_KWARGS = (
    "**kwargs (in a def or a call) is not translated: the browser drops the keywords; "
    "name the parameters, or pass a dict"
)
_FLOAT_TYPE = (
    "whether a number is a float cannot agree: the browser has one number type (1.0 is an "
    "int there) and events arrive with 1.0 made 1; test isinstance(x, int) or compare values"
)
_PRAGMA = (
    "pragmas and executable comments belong in shared_reducers/portable.py only; add a helper there"
)
_IN_PLACE = (
    "this changes in place a row or an event the reducer was given: in the browser it is the "
    "Redux state (or the pending event) itself, on the server a fresh copy, so the page keeps "
    'the change even when the event is rejected; copy first: row = dict(row), items = list(row["items"])'
)

GIVEN_DATA = frozenset({"event", "payload", "meta"})
"""Parameters that hold the event (or part of it) when never reassigned."""
MUTATORS = frozenset(
    {
        "append", "extend", "insert", "pop", "remove", "clear", "update", "setdefault",
        "sort", "reverse", "popitem", "add", "discard",
    }
)  # fmt: skip


def in_place_changes(function: ast.FunctionDef) -> list[ast.AST]:
    """The statements of `function` that change data it was given in place: a
    row it read with `<parameter>.get(...)`, the event, or what is inside them
    (subscripts, `.get`), followed through names every assignment of which is
    such data.  Copies (`dict(row)`, `list(xs)`, displays, comprehensions)
    are not followed."""
    params = {a.arg for a in [*function.args.posonlyargs, *function.args.args]}
    values: dict[str, list[ast.expr | None]] = {}
    for node in _own_nodes(function):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    values.setdefault(target.id, []).append(node.value)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign) and isinstance(node.target, ast.Name):
            values.setdefault(node.target.id, []).append(None)
        elif isinstance(node, ast.For | ast.comprehension):
            for name, item in _loop_items(node):
                values.setdefault(name, []).append(item)
    given = {p for p in params & GIVEN_DATA if p not in values}
    shallow: set[str] = set()
    """Names holding a shallow copy of given data: their items are still given."""

    def is_given(node: ast.expr | None) -> bool:
        if isinstance(node, ast.Name):
            return node.id in given
        if isinstance(node, ast.Subscript):
            if isinstance(node.slice, _ItemOf):  # an item a loop takes, maybe from a copy
                return holds_given(node.value) or _copies(node.value, holds_given, "")
            return is_given(node.value)
        if isinstance(node, ast.BoolOp):
            return any(is_given(v) for v in node.values)
        if isinstance(node, ast.IfExp):
            return is_given(node.body) or is_given(node.orelse)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
        ):
            receiver = node.func.value
            return (isinstance(receiver, ast.Name) and receiver.id in params) or is_given(receiver)
        return False

    def holds_given(node: ast.expr | None) -> bool:
        return is_given(node) or (isinstance(node, ast.Name) and node.id in shallow)

    changed = True
    while changed:
        changed = False
        for name, assigned in values.items():
            if name not in given and all(is_given(v) for v in assigned):
                given.add(name)
                changed = True
            elif name not in shallow and all(_copies(v, holds_given, name) for v in assigned):
                shallow.add(name)
                changed = True
    found: list[ast.AST] = []
    for node in _own_nodes(function):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign):
            targets = [node.target]
        elif isinstance(node, ast.Delete):
            targets = node.targets
        if any(isinstance(t, ast.Subscript) and is_given(t.value) for t in targets):
            found.append(node)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in MUTATORS
            and is_given(node.func.value)
        ):
            found.append(node)
    return found


class _ItemOf(ast.Constant):
    """Marks `iterable[_ItemOf]`: an item a for loop takes from `iterable`."""


def _loop_items(loop: ast.For | ast.comprehension) -> list[tuple[str, ast.expr]]:
    """The names a loop binds to items of its iterable (`for x in xs`, the
    second name of `for i, x in enumerate(xs)`), as `xs[_ItemOf]`."""
    iterable, target = loop.iter, loop.target
    if (
        isinstance(iterable, ast.Call)
        and isinstance(iterable.func, ast.Name)
        and iterable.func.id == "enumerate"
        and iterable.args
        and isinstance(target, ast.Tuple)
        and len(target.elts) == 2
    ):
        iterable, target = iterable.args[0], target.elts[1]
    if isinstance(target, ast.Name):
        return [(target.id, ast.Subscript(value=iterable, slice=_ItemOf(0), ctx=ast.Load()))]
    return []


def _copies(
    node: ast.expr | None, holds_given: Callable[[ast.expr | None], bool], name: str
) -> bool:
    """`list(x)`, `dict(x)`, `sorted(x)`, `x.copy()`, `{**x}`, `[*x]`, `[i for i in x ...]`
    of given `x` (`name` itself counts, for `xs = [x for x in xs if ...]`): a new
    container of the same items."""

    def given(x: ast.expr | None) -> bool:
        return holds_given(x) or _is_name(x, name)

    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id in ("list", "dict", "sorted", "tuple"):
            return bool(node.args) and given(node.args[0])
        if isinstance(func, ast.Attribute) and func.attr == "copy":
            return given(func.value)
        return False
    if isinstance(node, ast.Dict):
        return any(k is None and given(v) for k, v in zip(node.keys, node.values, strict=True))
    if isinstance(node, ast.List):
        return any(isinstance(e, ast.Starred) and given(e.value) for e in node.elts)
    if isinstance(node, ast.ListComp) and len(node.generators) == 1:
        loop = node.generators[0]
        return (
            isinstance(node.elt, ast.Name)
            and isinstance(loop.target, ast.Name)
            and node.elt.id == loop.target.id
            and (given(loop.iter) or _copies(loop.iter, holds_given, name))
        )
    return False


def _is_name(node: ast.expr | None, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _constant_int(node: ast.expr) -> int | None:
    """The value of an int literal or a constant power of them (small exponents)."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow | ast.Mult):
        left, right = _constant_int(node.left), _constant_int(node.right)
        if left is not None and right is not None and 0 <= right <= 1024:
            return left**right if isinstance(node.op, ast.Pow) else left * right
    return None
