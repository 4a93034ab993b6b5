"""The JavaScript side of `flux crosscheck`: a Transcrypt build of the
reducers' modules, with an entry module for crosscheck_runner.mjs.

The build uses the flags of `flux transpile` (server/tools/transpile.py) and
compiles shared_reducers/ together with the package of each reducer's module,
which may live outside this repository (its folder is added to Transcrypt's
search path).  It is cached by the content of those sources in the system's
temporary folder, so a second run on unchanged files starts at once.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from server.tools import transpile
from server.tools.transpile import SOURCE, TRANSCRYPT_FLAGS

RUNNER = Path(__file__).with_name("crosscheck_runner.mjs")
ENTRY = "crosscheck_entry.js"
CACHE = Path(tempfile.gettempdir()) / "flux-crosscheck"


class CrosscheckError(Exception):
    """The command cannot run: a bad spec, a case file that is not JSON lines,
    a build that fails.  The message says what to fix."""


@dataclass(frozen=True)
class Spec:
    """COLLECTION=MODULE:FUNCTION, a reducer `(collection, event) -> changeset`."""

    collection: str
    module: str
    function: str

    def __str__(self) -> str:
        return f"{self.collection}={self.module}:{self.function}"


SHARED_IMPORTS = (
    ("shared_reducers.combine", ("combine_reducers",)),
    ("shared_reducers.memory", ("state_reducer", "empty_state", "rows_of")),
    ("shared_reducers.errors", ("EventRejected",)),
)


TOOLS = Path(transpile.__file__).parent
"""server/tools/: the lowering and the twin runtime there shape the build too."""


@dataclass(frozen=True)
class Source:
    """A top-level package (or a lone module) the build compiles."""

    name: str
    folder: Path
    """The package's folder, or the lone module's file."""

    @property
    def search_folder(self) -> Path:
        return self.folder.parent

    def files(self) -> list[Path]:
        if self.folder.is_dir():
            return sorted(self.folder.rglob("*.py"))
        return [self.folder]


def source_of(module_name: str) -> Source:
    """The top-level package of `module_name` (imported in CPython to find it)."""
    top_name = module_name.split(".")[0]
    top = importlib.import_module(top_name)
    file = getattr(top, "__file__", None)
    if file is None:
        raise CrosscheckError(f"{module_name}: its package has no folder to build from.")
    path = Path(file).resolve()
    return Source(top_name, path.parent if hasattr(top, "__path__") else path)


def stage_sources(sources: list[Source], staging: Path) -> bool:
    """Stage the sources as `flux transpile` stages a package, when it does;
    False when transpile.py has no staging (Transcrypt then reads the sources)."""
    stage = getattr(transpile, "stage", None)
    if stage is None:
        return False
    for source in sources:
        if source.folder.is_dir():
            try:
                stage(source.folder, staging, source.name)
            except transpile.TranspileError as error:
                raise CrosscheckError(str(error)) from error
        else:
            shutil.copy2(source.folder, staging / source.folder.name)
    return True


def entry_module(specs: Iterable[Spec]) -> str:
    lines = ["// Written by `flux crosscheck` for crosscheck_runner.mjs; do not edit."]
    for module, names in SHARED_IMPORTS:
        lines.append(f"export {{{', '.join(names)}}} from './{module}.js';")
    pairs = []
    for index, spec in enumerate(specs):
        lines.append(f"import {{{spec.function} as reducer{index}}} from './{spec.module}.js';")
        pairs.append(f"[{json.dumps(spec.collection)}, reducer{index}]")
    lines.append(f"export const REDUCERS = [{', '.join(pairs)}];")
    return "\n".join(lines) + "\n"


def transcrypt_entry(specs: Iterable[Spec]) -> str:
    """The Python module Transcrypt compiles: it imports every module the entry needs."""
    lines = [f"from {module} import {', '.join(names)}" for module, names in SHARED_IMPORTS]
    lines += [f"from {spec.module} import {spec.function}" for spec in specs]
    return "\n".join(lines) + "\n"


def build_javascript(specs: Iterable[Spec]) -> Path:
    """The entry module of a (cached) build of the reducers the specs name."""
    specs = list(specs)
    sources = [Source("shared_reducers", SOURCE)]
    for spec in specs:
        source = source_of(spec.module)
        if source.name not in [known.name for known in sources]:
            sources.append(source)
    python_entry = transcrypt_entry(specs)
    js_entry = entry_module(specs)
    digest = hashlib.sha256()
    for text in (python_entry, js_entry, " ".join(TRANSCRYPT_FLAGS)):
        digest.update(text.encode() + b"\0")
    tools = sorted(TOOLS.rglob("*.py")) + sorted(TOOLS.rglob("*.js"))
    for file in [*tools, *(file for source in sources for file in source.files())]:
        digest.update(str(file).encode() + b"\0" + file.read_bytes() + b"\0")
    out = CACHE / digest.hexdigest()[:24]
    if (out / ENTRY).exists():
        return out / ENTRY
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="flux-crosscheck-") as work:
        staged = stage_sources(sources, Path(work))
        folders = [Path(work)] if staged else [source.search_folder for source in sources]
        (Path(work) / "flux_crosscheck_entry.py").write_text(python_entry)
        fresh = Path(tempfile.mkdtemp(prefix=".build-", dir=CACHE))
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "transcrypt",
                *TRANSCRYPT_FLAGS,
                "-xp",
                "$".join(str(folder).replace(" ", "#") for folder in dict.fromkeys(folders)),
                "-od",
                str(fresh),
                "flux_crosscheck_entry.py",
            ],
            cwd=work,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0 or "Error while compiling" in result.stdout:
            shutil.rmtree(fresh, ignore_errors=True)
            raise CrosscheckError(
                "Transcrypt could not translate the reducers; its output:\n"
                + (result.stdout + result.stderr).strip()
            )
        (fresh / ENTRY).write_text(js_entry)
        try:
            fresh.rename(out)
        except OSError:  # built meanwhile by another run
            shutil.rmtree(fresh, ignore_errors=True)
    return out / ENTRY


def start_node(entry: Path, errors: IO[str]) -> subprocess.Popen[str]:
    """crosscheck_runner.mjs on the build, its standard error into `errors`."""
    node = shutil.which("node")
    if node is None:
        raise CrosscheckError("flux crosscheck needs Node (20 or later) on the PATH.")
    return subprocess.Popen(
        [node, str(RUNNER), str(entry)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=errors,
        text=True,
        encoding="utf-8",
    )
