"""Transpile a package of shared reducers to ES modules for the browser.

    build(source_dir, out_dir, package)  ->  out_dir/<package>.js (the one module to import)
                                             out_dir/<package>.<module>.js for EVERY module,
                                             flux_twin.js, Transcrypt's runtime, source maps
    build_reducers(out)                  ->  the same for shared_reducers/ into web/build/

Each module is first lowered (server/tools/lowering.py: the operations whose
Transcrypt translation diverges from CPython become calls of the twin
runtime) into a staging folder; a module that uses `__pragma__` (portable.py)
is copied as it is.  A staged file is only rewritten when its text changes,
so Transcrypt (run without -b) recompiles only the modules that changed, and
when no staged file changed Transcrypt does not run at all.

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

from server.tools import lowering
from server.tools.twin import flux_twin

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "shared_reducers"
BUILD = ROOT / "web" / "build"
ENTRY_FILE = "shared_reducers.js"
STAMP_FILE = ".flux-build.json"

TRANSCRYPT_FLAGS = ("-b", "-n", "-ec", "-m")
"""The switches of a full build: -b build all, -n no minification, -ec
executable comments (portable.py), -m source maps.  `build` drops -b (see above)."""


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


def _transcrypt(staging: Path, target: Path, full: bool) -> None:
    flags = [f for f in TRANSCRYPT_FLAGS if full or f != "-b"]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "transcrypt",
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
    stamp_path = out_dir / STAMP_FILE
    entry_name = f"{package}.js"
    if (
        stamp_path.exists()
        and stamp_path.read_text() == stamp
        and (out_dir / entry_name).exists()
        and target.exists()
    ):
        return BuildReport(time.monotonic() - started, list(names), [], out_dir / entry_name)
    try:
        _transcrypt(staging, target, full=not target.exists())
    except TranspileError:
        shutil.rmtree(target, ignore_errors=True)  # the next build starts clean
        raise
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix=".build-", dir=out_dir.parent))
    for path in target.iterdir():
        if path.is_file() and not path.name.startswith("flux_shared_entry."):
            shutil.copy2(path, fresh / path.name)
    (fresh / entry_name).write_text(entry_module(names, package))
    (fresh / STAMP_FILE).write_text(stamp)
    _replace(out_dir, fresh)
    return BuildReport(time.monotonic() - started, list(names), changed, out_dir / entry_name)


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
