"""The portable-subset checker behind `flux check-reducers`.

It parses shared reducers (never imports them) and reports each construct
that Transcrypt translates into JavaScript that means something else, as
`file:line: what is wrong; use <alternative>`.  The rules are the ones of
shared_reducers/SUBSET.md; each has a fixture in tests/fixtures/pitfalls/.

The check is syntactic with a little local inference: a name counts as a
list, a dict, a string or a boolean when every assignment to it in its
function (or module) says so, and the parameters named `event`, `payload`
and `meta` count as data parsed from JSON.  What it cannot see, the
isomorphism tests catch.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_SAFE_INTEGER = 2**53 - 1
REDUCERS = ROOT / "shared_reducers"
ESCAPE_HATCH = "portable.py"
"""The one module allowed pragmas and executable comments."""

DATA_NAMES = frozenset({"event", "payload", "meta"})
LIST_CALLS = frozenset({"list", "sorted", "keys_of", "sort_texts", "extend", "rows_of"})
DICT_CALLS = frozenset(
    {"dict", "copy_of", "merged", "without", "empty_map", "empty_state", "apply_changeset"}
)
BOOL_CALLS = frozenset({"bool", "callable"})
ALLOWED_EXCEPTIONS = frozenset({"EventRejected", "ChangesetConflict"})
JS_RESERVED = frozenset(
    {
        "private", "public", "protected", "interface", "package", "static", "implements",
        "let", "enum", "eval", "var", "function", "typeof", "instanceof", "void", "this",
        "delete", "const", "export", "extends", "super", "debugger", "catch", "throw",
    }
)  # fmt: skip
DICT_METHODS = {
    "keys": "keys_of(mapping)",
    "values": "a loop over keys_of(mapping)",
    "items": "a loop over keys_of(mapping)",
    "pop": "without(mapping, key)",
    "popitem": "without(mapping, key)",
    "setdefault": "get_or(mapping, key, default) and put(mapping, key, value)",
    "clear": "empty_map()",
    "copy": "copy_of(mapping)",
    "fromkeys": "a loop with put(mapping, key, value)",
}
UNSUPPORTED: dict[type[ast.AST], str] = {
    ast.Yield: "generators (yield)",
    ast.YieldFrom: "generators (yield from)",
    ast.Await: "await",
    ast.AsyncFunctionDef: "async functions",
    ast.With: "with blocks",
    ast.Global: "global",
    ast.Nonlocal: "nonlocal",
    ast.NamedExpr: "the walrus operator",
    ast.Match: "match statements",
    ast.Set: "sets",
    ast.SetComp: "set comprehensions",
    ast.Starred: "*unpacking",
}

Kind = str | None  # "list", "dict", "str", "bool", "data" or unknown


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def default_paths() -> list[Path]:
    return [REDUCERS]


def python_files(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.glob("*.py"))
        else:
            yield path


def check_paths(paths: Iterable[Path]) -> list[Problem]:
    problems: list[Problem] = []
    for path in python_files(paths):
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            problems.append(Problem(_shown(path), 0, f"cannot be read ({error}); check the path"))
            continue
        problems.extend(check_source(source, _shown(path)))
    return sorted(problems)


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def check_source(source: str, path: str) -> list[Problem]:
    """Every non-portable construct in one module's source."""
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as error:
        return [Problem(path, error.lineno or 1, f"not valid Python: {error.msg}")]
    checker = _Checker(path, escape_hatch=Path(path).name == ESCAPE_HATCH)
    checker.check_comments(source)
    checker.run(tree)
    skipped = _skipped_lines(source) if checker.escape_hatch else set()
    return sorted({p for p in checker.problems if p.line not in skipped})


def _skipped_lines(source: str) -> set[int]:
    """The lines between `# __pragma__ ('skip')` and `# __pragma__ ('noskip')`:
    CPython's half of portable.py, which Transcrypt never sees."""
    skipped: set[int] = set()
    inside = False
    for number, line in enumerate(source.splitlines(), start=1):
        text = line.strip().replace('"', "'").replace(" ", "")
        if text == "#__pragma__('skip')":
            inside = True
        elif text == "#__pragma__('noskip')":
            inside = False
        elif inside:
            skipped.add(number)
    return skipped


def _name_of_call(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name):
            return node.func.id
        if isinstance(node.func, ast.Attribute):
            return node.func.attr
    return None


class _Scope:
    """What each name of one function (or of the module) is known to hold."""

    def __init__(self, body: ast.AST, parent: _Scope | None, params: Iterable[str] = ()) -> None:
        self.parent = parent
        self.kinds: dict[str, Kind] = {}
        self.params = set(params)
        assigned: dict[str, list[ast.expr | None]] = {}
        for node in _own_nodes(body):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        assigned.setdefault(target.id, []).append(node.value)
            elif isinstance(node, ast.AugAssign | ast.AnnAssign) and isinstance(
                node.target, ast.Name
            ):
                assigned.setdefault(node.target.id, []).append(None)
            elif isinstance(node, ast.For | ast.comprehension):
                for part in ast.walk(node.target):
                    if isinstance(part, ast.Name):
                        assigned.setdefault(part.id, []).append(None)
        self.assigned = assigned
        for name, values in assigned.items():
            kinds = {self.kind_of(v) if v is not None else None for v in values}
            self.kinds[name] = kinds.pop() if len(kinds) == 1 else None

    def lookup(self, name: str) -> Kind:
        if name in self.kinds:
            return self.kinds[name]
        if name in self.params:
            return "data" if name in DATA_NAMES else None
        if self.parent is not None:
            return self.parent.lookup(name)
        return None

    def kind_of(self, node: ast.expr) -> Kind:
        if isinstance(node, ast.List | ast.ListComp | ast.Tuple):
            return "list"
        if isinstance(node, ast.Dict | ast.DictComp):
            return "dict"
        if isinstance(node, ast.JoinedStr) or (
            isinstance(node, ast.Constant) and isinstance(node.value, str)
        ):
            return "str"
        if isinstance(node, ast.Constant) and isinstance(node.value, bool):
            return "bool"
        if isinstance(node, ast.Compare):
            return "bool"
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return "bool"
        if isinstance(node, ast.BoolOp):
            kinds = {self.kind_of(v) for v in node.values}
            return "bool" if kinds == {"bool"} else None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.kind_of(node.left), self.kind_of(node.right)
            if "str" in (left, right):
                return "str"
            if "list" in (left, right):
                return "list"
        if isinstance(node, ast.Name):
            kind = self.kinds[node.id] if node.id in self.kinds else self.lookup(node.id)
            if kind is None and node.id in DATA_NAMES:
                return "data"
            return kind
        name = _name_of_call(node)
        if name is not None:
            if name in LIST_CALLS:
                return "list"
            if name in DICT_CALLS:
                return "dict"
            if name in BOOL_CALLS or name.startswith(("is_", "has_")):
                return "bool"
        return None


def _own_nodes(body: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a function or module, not those of the functions inside it."""
    stack = list(ast.iter_child_nodes(body))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            stack.extend(ast.iter_child_nodes(node))


class _Checker(ast.NodeVisitor):
    def __init__(self, path: str, escape_hatch: bool) -> None:
        self.path = path
        self.escape_hatch = escape_hatch
        self.problems: list[Problem] = []
        self.scope: _Scope | None = None
        self.guards: list[set[str]] = []

    def report(self, node: ast.AST | int, message: str) -> None:
        line = node if isinstance(node, int) else getattr(node, "lineno", 1)
        self.problems.append(Problem(self.path, line, message))

    def run(self, tree: ast.Module) -> None:
        self.scope = _Scope(tree, None)
        self.guards = [_guards(tree)]
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

    # -- scopes ----------------------------------------------------------------

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.check_name(node, node.name)
        args = node.args
        if args.vararg is not None or args.kwarg is not None or args.kwonlyargs:
            self.report(
                node,
                "*args, **kwargs and keyword-only parameters do not survive the translation; "
                "use plain positional parameters (pass a list or a mapping)",
            )
        every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        for arg in every:
            self.check_name(arg, arg.arg)
            if arg.annotation is not None:
                self.report(arg, _ANNOTATION)
        if node.returns is not None:
            self.report(node, _ANNOTATION)
        for decorator in node.decorator_list:
            self.report(decorator, "decorators are not part of the subset; call the function")
        outer = self.scope
        self.scope = _Scope(node, outer, (a.arg for a in every))
        self.guards.append(_guards(node))
        for statement in node.body:
            self.visit(statement)
        self.guards.pop()
        self.scope = outer

    def visit_Lambda(self, node: ast.Lambda) -> None:
        outer = self.scope
        self.scope = _Scope(node, outer, (a.arg for a in node.args.args))
        self.visit(node.body)
        self.scope = outer

    def check_name(self, node: ast.AST, name: str) -> None:
        if name in JS_RESERVED:
            self.report(
                node,
                f"'{name}' is a reserved word in JavaScript modules and Transcrypt keeps it; "
                f"use another name (e.g. '{name}_')",
            )

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Store):
            self.check_name(node, node.id)

    # -- statements ------------------------------------------------------------

    def visit_Import(self, node: ast.Import) -> None:
        self.report(node, _IMPORT)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module is None or not (
            node.module == "shared_reducers" or node.module.startswith("shared_reducers.")
        ):
            self.report(node, _IMPORT)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.report(node, _ANNOTATION)
        self.generic_visit(node)

    def visit_Delete(self, node: ast.Delete) -> None:
        self.report(
            node,
            "del leaves a hole in a JavaScript list and fails on keys Transcrypt dicts "
            "hide; use without(mapping, key), or build a new list",
        )
        self.generic_visit(node)

    def visit_If(self, node: ast.If) -> None:
        self.check_condition(node.test)
        self.generic_visit(node)

    def visit_While(self, node: ast.While) -> None:
        self.check_condition(node.test)
        if node.orelse:
            self.report(node, "a loop's else block is not part of the subset; use a flag")
        self.generic_visit(node)

    def visit_Assert(self, node: ast.Assert) -> None:
        self.check_condition(node.test)
        self.generic_visit(node)

    def visit_For(self, node: ast.For) -> None:
        if self.kind(node.iter) in ("dict", "data"):
            self.report(
                node,
                "for over a dict fails on a plain JavaScript object (JSON); "
                "use for key in keys_of(mapping)",
            )
        if node.orelse:
            self.report(node, "a loop's else block is not part of the subset; use a flag")
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
                    f"catching {', '.join(names)} does not work in JavaScript: its TypeError is "
                    "no Python exception and it never raises KeyError or IndexError; check "
                    "values up front and catch only EventRejected or ChangesetConflict",
                )
        self.generic_visit(node)

    def generic_visit(self, node: ast.AST) -> None:
        for kind, what in UNSUPPORTED.items():
            if isinstance(node, kind):
                self.report(node, f"{what} are not part of the portable subset; see SUBSET.md")
        super().generic_visit(node)

    # -- expressions -----------------------------------------------------------

    def check_condition(self, test: ast.expr) -> None:
        if isinstance(test, ast.BoolOp):
            for value in test.values:
                self.check_condition(value)
            return
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            self.check_condition(test.operand)
            return
        kind = self.kind(test)
        if kind in ("list", "dict", "data") or isinstance(test, ast.Subscript):
            self.report(
                test,
                "the truth value of [] and {} is true in JavaScript; compare explicitly: "
                'len(xs) > 0, x is not None, x != "" or x is True',
            )

    def visit_IfExp(self, node: ast.IfExp) -> None:
        self.check_condition(node.test)
        self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        for value in node.values:
            self.check_condition(value)
        self.generic_visit(node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if isinstance(node.op, ast.Not):
            self.check_condition(node.operand)
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
        left, right = self.kind(node.left), self.kind(node.right)
        if isinstance(node.op, ast.Add) and "list" in (left, right):
            self.report(
                node,
                "list + list concatenates the lists as strings in JavaScript; "
                "use extend(target, items)",
            )
        if isinstance(node.op, ast.Mult) and ("list" in (left, right) or "str" in (left, right)):
            self.report(
                node, "* on a list or a string gives NaN in JavaScript; build it with a loop"
            )
        if isinstance(node.op, ast.Mod) and left == "str":
            self.report(
                node, '"%s" % x is not formatting in JavaScript (it gives NaN); use + with strings'
            )
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        target = self.kind(node.target) if isinstance(node.target, ast.Name) else None
        if isinstance(node.op, ast.Add) and "list" in (target, self.kind(node.value)):
            self.report(
                node,
                "list += list concatenates the lists as strings in JavaScript; "
                "use extend(target, items)",
            )
        self.generic_visit(node)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        self.report(
            node,
            "f-strings print 1.0 as 1 and lists and dicts differently in JavaScript; "
            "use + with strings",
        )

    def visit_Compare(self, node: ast.Compare) -> None:
        operands = [node.left, *node.comparators]
        for op, left, right in zip(node.ops, operands, operands[1:], strict=False):
            kinds = (self.kind(left), self.kind(right))
            if isinstance(op, ast.Eq | ast.NotEq | ast.Is | ast.IsNot) and (
                "list" in kinds or "dict" in kinds
            ):
                self.report(
                    node,
                    "== compares lists and dicts by identity in JavaScript; compare len() "
                    "and the items one by one",
                )
            if isinstance(op, ast.Eq | ast.NotEq) and (
                _is_bool_constant(left) or _is_bool_constant(right)
            ):
                self.report(
                    node,
                    "== None/True/False is JavaScript's loose equality (undefined == null, "
                    "1 == true); use is None, is True, is False",
                )
            if isinstance(op, ast.Lt | ast.LtE | ast.Gt | ast.GtE) and "str" in kinds:
                self.report(
                    node,
                    "< on strings compares UTF-16 units in JavaScript (emoji before U+FFFF); "
                    "use sort_texts([a, b])",
                )
            if isinstance(op, ast.In | ast.NotIn) and kinds[1] in ("dict", "data"):
                self.report(
                    node,
                    "in on a dict also finds the hidden keys of a Transcrypt dict; "
                    "use has_key(mapping, key)",
                )
        self.generic_visit(node)

    def visit_Dict(self, node: ast.Dict) -> None:
        for key in node.keys:
            if isinstance(key, ast.Constant) and not isinstance(key.value, str):
                self.report(
                    key,
                    'keys 1 and "1" are the same key in JavaScript; use string keys',
                )
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        index = node.slice
        if (
            isinstance(index, ast.UnaryOp)
            and isinstance(index.op, ast.USub)
            and isinstance(index.operand, ast.Constant)
        ):
            self.report(node, "xs[-1] is undefined in JavaScript; use xs[len(xs) - 1]")
        container = self.kind(node.value)
        if (
            container == "dict"
            and isinstance(index, ast.Constant)
            and not isinstance(index.value, str)
        ):
            self.report(node, 'keys 1 and "1" are the same key in JavaScript; use string keys')
        if (
            container == "data"
            and isinstance(node.ctx, ast.Load)
            and ast.dump(node.value) + "|" + ast.dump(index) not in self.guards[-1]
        ):
            self.report(
                node,
                "a missing key is undefined in JavaScript (a KeyError in CPython); use "
                "get_or(mapping, key, default), or test has_key(mapping, key) first",
            )
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if node.keywords:
            self.report(
                node,
                "keyword arguments are dropped in JavaScript (without the kwargs pragma); "
                "pass the arguments by position",
            )
        func = node.func
        if isinstance(func, ast.Name):
            self.check_function_call(node, func.id)
        elif isinstance(func, ast.Attribute):
            self.check_method_call(node, func.attr)
        self.generic_visit(node)

    def check_function_call(self, node: ast.Call, name: str) -> None:
        if name in ("isinstance", "type"):
            self.report(
                node,
                f"{name}() does not know plain JavaScript objects; use is_object, is_list, "
                "is_string, is_bool, is_int or is_number",
            )
        elif name == "sorted":
            self.report(node, _SORT)
        elif name in ("str", "repr"):
            self.report(
                node,
                f"{name}() prints 1.0, lists and dicts differently in JavaScript; keep numbers "
                "as numbers, use describe(value) in messages",
            )
        elif name == "len" and node.args and self.kind(node.args[0]) == "str":
            self.report(
                node,
                "len() of a string counts UTF-16 units in JavaScript (an emoji is 2); "
                "use text_length(text)",
            )
        elif name == "__pragma__" and not self.escape_hatch:
            self.report(node, _PRAGMA)

    def check_method_call(self, node: ast.Call, method: str) -> None:
        assert isinstance(node.func, ast.Attribute)
        if self.kind(node.func.value) == "data":
            self.report(
                node,
                f".{method}() does not exist on a plain JavaScript object (JSON); use the "
                "helpers of portable.py (get_or, has_key, keys_of)",
            )
        elif method in DICT_METHODS:
            self.report(
                node,
                f".{method}() does not exist on a plain JavaScript object (JSON); "
                f"use {DICT_METHODS[method]}",
            )
        elif method == "get" and len(node.args) != 1:
            self.report(
                node,
                ".get(key, default) does not exist on a plain JavaScript object (JSON); "
                "use get_or(mapping, key, default)",
            )
        elif method == "update" and len(node.args) == 1:
            self.report(
                node,
                ".update() does not exist on a plain JavaScript object (JSON); "
                "use merged(mapping, changes)",
            )
        elif method == "sort":
            self.report(node, _SORT)
        elif method == "format":
            self.report(
                node,
                ".format() prints 1.0 as 1 and lists and dicts differently in JavaScript; "
                "use + with strings",
            )
        elif method in ("strip", "lstrip", "rstrip") or (method == "split" and not node.args):
            self.report(
                node,
                f".{method}() strips other whitespace in JavaScript and ignores its argument; "
                "compare or cut the text explicitly",
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


def _is_bool_constant(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and (node.value is None or isinstance(node.value, bool))


def _guards(body: ast.AST) -> set[str]:
    """`has_key(x, k)` calls of one function, as "dump(x)|dump(k)"."""
    found = set()
    for node in _own_nodes(body):
        if _name_of_call(node) == "has_key" and isinstance(node, ast.Call) and len(node.args) == 2:
            found.add(ast.dump(node.args[0]) + "|" + ast.dump(node.args[1]))
    return found


_ANNOTATION = "annotations are not part of the subset (Transcrypt may check them); drop them"
_IMPORT = (
    "a shared reducer imports only from shared_reducers (the browser has nothing else); "
    "add what you need there"
)
_PRAGMA = (
    "pragmas and executable comments belong in shared_reducers/portable.py only; add a helper there"
)
_SORT = (
    "JavaScript sorts strings by UTF-16 units (emoji before U+FFFF) and numbers as text; "
    "use sort_texts(texts)"
)
