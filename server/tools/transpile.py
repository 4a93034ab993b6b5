"""Transpile a package of shared reducers to ES modules for the browser.

    build(source_dir, out_dir, package)  ->  out_dir/<package>.js (the one module to import)
                                             out_dir/<package>.<module>.js for EVERY module,
                                             flux_twin.js, Transcrypt's runtime, source maps
    build_reducers(out)                  ->  the same for shared_reducers/ into web/build/

Each module is first lowered (server/tools/lowering.py: the operations whose
Transcrypt translation diverges from CPython become calls of the twin
runtime) into a staging folder; a module that uses `__pragma__` (portable.py)
is copied as it is.  The build is skipped when no source was touched since
the last one (sizes and mtimes: no parse at all), and Transcrypt does not run
when the lowered text of every module is unchanged (an edit of a comment).

The entry module re-exports each module's public names: `__all__` when the
module has one, else the top-level names it defines itself that do not start
with "_".  The build goes to a fresh folder that then replaces the old one,
so a page never loads half of two builds.
"""

from __future__ import annotations

import ast
import fcntl
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from server.tools import lowering
from server.tools.twin import flux_twin

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "shared_reducers"
BUILD = ROOT / "web" / "build"
ENTRY_FILE = "shared_reducers.js"
STAMP_FILE = ".flux-build.json"

TRANSCRYPT_FLAGS = ("-b", "-n", "-ec", "-m")
"""The switches of a full build: -b build all, -n no minification, -ec
executable comments (portable.py), -m source maps."""


class TranspileError(RuntimeError):
    """The shared reducers could not be built; the message says where and why."""


@dataclass
class BuildReport:
    seconds: float
    modules: list[str]
    recompiled: list[str] = field(default_factory=list)
    entry: Path | None = None

    def __float__(self) -> float:
        return self.seconds


def modules_of(source_dir: Path) -> list[str]:
    """The modules of the package, by name (every *.py but __init__)."""
    return sorted(p.stem for p in source_dir.glob("*.py") if p.stem != "__init__")


def public_names(source: str) -> tuple[list[str], dict[str, str]]:
    """The names a module exports, and for those it imports, the module they come from."""
    tree = ast.parse(source)
    defined: list[str] = []
    imported: dict[str, str] = {}
    listed: list[str] | None = None
    for node in tree.body:
        targets: list[ast.expr] = []
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            defined.append(node.name)
        elif isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets = [node.target]
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                imported[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        for target in targets:
            if isinstance(target, ast.Name):
                if target.id == "__all__" and isinstance(node, ast.Assign):
                    listed = [ast.literal_eval(e) for e in node.value.elts]  # type: ignore[attr-defined]
                else:
                    defined.append(target.id)
    if listed is not None:
        return listed, {n: imported[n] for n in listed if n in imported}
    return sorted({n for n in defined if not n.startswith("_")}), {}


def entry_names(source_dir: Path, package: str) -> dict[str, list[str]]:
    """module -> the names the entry module re-exports from it (an error on a clash)."""
    owner: dict[str, tuple[str, str]] = {}  # name -> (module, origin)
    out: dict[str, list[str]] = {}
    for module in modules_of(source_dir):
        names, origins = public_names((source_dir / f"{module}.py").read_text())
        kept: list[str] = []
        for name in names:
            origin = origins.get(name, f"{package}.{module}.{name}")
            if name in owner:
                if owner[name][1] == origin:
                    continue  # the same object re-exported: once is enough
                raise TranspileError(
                    f"{package}/{owner[name][0]}.py and {package}/{module}.py both export "
                    f"{name!r}; the browser's entry module can export only one: rename one of "
                    f"them, make it private with a leading '_', or list the exports in __all__"
                )
            owner[name] = (module, origin)
            kept.append(name)
        out[module] = kept
    return out


def entry_module(names: dict[str, list[str]], package: str) -> str:
    """The ES module the browser imports: re-exports of the modules' public names."""
    lines = [f"// Built by `flux transpile` from {package}/; do not edit."]
    for module, exported in names.items():
        if exported:
            lines.append(f"export {{{', '.join(exported)}}} from './{package}.{module}.js';")
    return "\n".join(lines) + "\n"


def staging_dir(source_dir: Path, package: str) -> Path:
    """The lowered sources and Transcrypt's own output, kept between builds (one per package)."""
    key = hashlib.sha1(f"{source_dir.resolve()}|{package}".encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"flux-transpile-{key}"


def _write_if_changed(path: Path, text: str) -> bool:
    if path.exists() and path.read_text() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return True


def stage(source_dir: Path, staging: Path, package: str) -> list[str]:
    """Lower every module into staging/<package>/; the names of the files that changed."""
    changed: list[str] = []
    modules = modules_of(source_dir)
    trees = {m: ast.parse((source_dir / f"{m}.py").read_text()) for m in modules}
    signatures = {m: lowering.signatures_of(tree) for m, tree in trees.items()}
    for module in modules:
        path = source_dir / f"{module}.py"
        source = path.read_text()
        if lowering.should_lower(source):
            imported = lowering.module_signatures(trees[module], package, signatures)
            try:
                source = lowering.lower(source, str(path), imported)
            except (lowering.LoweringError, SyntaxError) as error:
                raise TranspileError(str(error)) from error
        if _write_if_changed(staging / package / f"{module}.py", source):
            changed.append(module)
    init = source_dir / "__init__.py"
    _write_if_changed(staging / package / "__init__.py", init.read_text() if init.exists() else "")
    if _write_if_changed(staging / f"{lowering.RUNTIME_MODULE}.py", flux_twin.staged_source()):
        changed.append(lowering.RUNTIME_MODULE)
    entry = "".join(f"import {package}.{m}\n" for m in modules)
    _write_if_changed(staging / "flux_shared_entry.py", entry)
    return changed


_TRANSCRYPT_MAIN = """
import importlib.util, sys
path = importlib.util.find_spec("transcrypt.__main__").origin
sys.argv[0] = path
namespace = {"__name__": "flux_transcrypt", "__file__": path}
exec(compile(open(path).read(), path, "exec"), namespace)
Generator = namespace["compiler"].Generator
filter_id = Generator.filterId
memo = {}
def memo_filter_id(self, qualified_id):
    key = (qualified_id, self.idFiltering, tuple(self.aliases))
    try:
        return memo[key]
    except KeyError:
        pass
    if (
        self.idFiltering
        and not (qualified_id.startswith("__") and qualified_id.endswith("__"))
        and not any(a in qualified_id or not a.isidentifier() for a, _ in key[2])
    ):
        # no alias occurs in the name: none of filterId's patterns can match
        result = qualified_id.replace("=", "")
    else:
        result = filter_id(self, qualified_id)
    memo[key] = result
    return result
Generator.filterId = memo_filter_id
sys.exit(namespace["main"]())
"""
"""`python -m transcrypt` with one change: Generator.filterId (the aliasing of
every identifier it emits: two regular-expression substitutions per alias, ~70
aliases) is memoized on what it reads (the name, idFiltering and the aliases
in force), and a name in which no alias occurs (as a substring, the aliases
being plain identifiers) skips the substitutions that cannot match: the same answer
without most of the 480,000 re.sub calls that were
two thirds of a build's time.  Transcrypt still runs in its own process (its
globals stay out of this one); its __main__ runs as it is, but patched between
its imports and its main()."""


def _transcrypt(staging: Path, target: Path, full: bool) -> None:
    flags = [f for f in TRANSCRYPT_FLAGS if full or f != "-b"]
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            _TRANSCRYPT_MAIN,
            *flags,
            "-xp",
            str(staging),
            "-od",
            str(target),
            "flux_shared_entry.py",
        ],
        cwd=staging,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0 or "Error while compiling" in result.stdout:
        raise TranspileError(
            "Transcrypt could not translate the lowered shared reducers; its output:\n"
            + (result.stdout + result.stderr).strip()
        )


def build(source_dir: Path, out_dir: Path, package: str | None = None) -> BuildReport:
    """Build every module of `source_dir` (the package `package`) into `out_dir`."""
    started = time.monotonic()
    source_dir = source_dir.resolve()
    package = package or source_dir.name
    entry = out_dir / f"{package}.js"
    inputs = _inputs(source_dir, package)
    if entry.exists() and _read_stamp(out_dir).get("inputs") == inputs:
        # nothing was touched since the last build: not even a parse
        return BuildReport(time.monotonic() - started, modules_of(source_dir), [], entry)
    names = entry_names(source_dir, package)
    staging = staging_dir(source_dir, package)
    staging.mkdir(parents=True, exist_ok=True)
    with (staging / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build at a time per staging folder
        return _build_locked(source_dir, out_dir, package, names, staging, started)


def _build_locked(
    source_dir: Path,
    out_dir: Path,
    package: str,
    names: dict[str, list[str]],
    staging: Path,
    started: float,
) -> BuildReport:
    target = staging / "__target__"
    changed = stage(source_dir, staging, package)
    stamp = hashlib.sha1(
        json.dumps(
            [sorted((p.name, p.read_text()) for p in (staging / package).glob("*.py")), names]
        ).encode()
        + flux_twin.staged_source().encode()
    ).hexdigest()
    entry_name = f"{package}.js"
    inputs = _inputs(source_dir, package)
    if (
        _read_stamp(out_dir).get("stamp") == stamp
        and (out_dir / entry_name).exists()
        and target.exists()
    ):
        _write_stamp(out_dir, {"stamp": stamp, "inputs": inputs})
        return BuildReport(time.monotonic() - started, list(names), [], out_dir / entry_name)
    built = staging / ".target-stamp"
    if not (target.exists() and built.exists() and built.read_text() == stamp):
        built.unlink(missing_ok=True)
        try:
            # Transcrypt's own make mode (no -b) re-reads every up-to-date
            # target, the runtime's included, and measured slower than building
            # all (2.8 s vs 1.1 s of CPU for the notes app): so it builds all,
            # and only when a lowered source changed.
            _transcrypt(staging, target, full=True)
        except TranspileError:
            shutil.rmtree(target, ignore_errors=True)  # the next build starts clean
            raise
        built.write_text(stamp)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix=".build-", dir=out_dir.parent))
    for path in target.iterdir():
        if path.is_file() and not path.name.startswith("flux_shared_entry."):
            shutil.copy2(path, fresh / path.name)
    (fresh / entry_name).write_text(entry_module(names, package))
    _write_stamp(fresh, {"stamp": stamp, "inputs": inputs})
    _replace(out_dir, fresh)
    return BuildReport(time.monotonic() - started, list(names), changed, out_dir / entry_name)


def _inputs(source_dir: Path, package: str) -> list[Any]:
    """What a build depends on, by name, size and modification time (cheap to take)."""
    paths = [
        *source_dir.glob("*.py"),
        Path(lowering.__file__),
        Path(__file__),
        flux_twin.JS_SOURCE,
        Path(flux_twin.__file__),
    ]
    stats = [[str(p), p.stat().st_mtime_ns, p.stat().st_size] for p in paths if p.exists()]
    return [package, sorted(stats)]


def _read_stamp(out_dir: Path) -> dict[str, Any]:
    try:
        stamp = json.loads((out_dir / STAMP_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return stamp if isinstance(stamp, dict) else {}


def _write_stamp(out_dir: Path, stamp: dict[str, Any]) -> None:
    (out_dir / STAMP_FILE).write_text(json.dumps(stamp))


def build_reducers(out: Path = BUILD) -> float:
    """Build shared_reducers/ into `out` (web/build/); the seconds it took."""
    return build(SOURCE, out, "shared_reducers").seconds


def __getattr__(name: str) -> dict[str, tuple[str, ...]]:
    # ENTRY_NAMES (module -> its exported names), computed from the sources
    if name == "ENTRY_NAMES":
        return {m: tuple(n) for m, n in entry_names(SOURCE, "shared_reducers").items() if n}
    raise AttributeError(name)


def _replace(out: Path, fresh: Path) -> None:
    old = out.with_name(out.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    fresh.rename(out)
    shutil.rmtree(old, ignore_errors=True)
