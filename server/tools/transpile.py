"""Transpile shared_reducers/ to ES modules for the browser with Transcrypt.

    build_reducers()  ->  web/build/shared_reducers.js   (the one module to import)
                          web/build/shared_reducers.<module>.js, the runtime, source maps

The browser imports `/static/build/shared_reducers.js`; its names are those of
ENTRY_NAMES.  The build goes to a fresh folder that then replaces the old one,
so a page never loads half of two builds.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "shared_reducers"
BUILD = ROOT / "web" / "build"
ENTRY_FILE = "shared_reducers.js"

# module -> the names the entry module re-exports from it
ENTRY_NAMES: dict[str, tuple[str, ...]] = {
    "notes": ("notes_reducer", "make_notes_reducer"),
    "text_ops": (
        "apply_splices",
        "transform",
        "transform_position",
        "compose",
        "normalize",
        "diff_splices",
        "validate_splices",
    ),
    "coedit": (
        "new_session",
        "shown_text",
        "local_edit",
        "take_outgoing",
        "on_confirmed",
        "on_remote",
        "on_rejected",
    ),
    "notes_app": ("notes_app", "make_notes_app"),
    "combine": ("combine_reducers",),
    "memory": (
        "reduce_state",
        "state_reducer",
        "apply_changeset",
        "empty_state",
        "rows_of",
        "MemoryDatabase",
        "MemoryCollection",
    ),
    "errors": ("EventRejected", "ChangesetConflict"),
    "collection": ("Collection",),
    "policy": ("denial", "may"),
    "conflicts": ("conflict_copy_id", "is_conflict_copy"),
    "limits": ("MAX_TITLE", "MAX_TEXT"),
    "schemas": ("SCHEMAS", "KINDS"),
}

TRANSCRYPT_FLAGS = ("-b", "-n", "-ec", "-m")
"""-b build all, -n no minification, -ec executable comments (portable.py), -m source maps."""


class TranspileError(RuntimeError):
    """Transcrypt refused the shared reducers; the message carries its output."""


def entry_module() -> str:
    """The ES module the browser imports: re-exports of the reducers' public names."""
    lines = ["// Built by `flux transpile` from shared_reducers/; do not edit."]
    for module, names in ENTRY_NAMES.items():
        lines.append(f"export {{{', '.join(names)}}} from './shared_reducers.{module}.js';")
    return "\n".join(lines) + "\n"


def build_reducers(out: Path = BUILD) -> float:
    """Transpile into `out` (replacing it) and return the seconds it took."""
    started = time.monotonic()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="flux-transpile-") as work:
        entry = Path(work) / "flux_shared_entry.py"
        entry.write_text(
            "".join(
                f"from shared_reducers.{module} import {', '.join(names)}\n"
                for module, names in ENTRY_NAMES.items()
            )
        )
        fresh = Path(tempfile.mkdtemp(prefix=".build-", dir=out.parent))
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "transcrypt",
                *TRANSCRYPT_FLAGS,
                "-xp",
                str(SOURCE.parent),
                "-od",
                str(fresh),
                entry.name,
            ],
            cwd=work,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0 or "Error while compiling" in result.stdout:
            shutil.rmtree(fresh, ignore_errors=True)
            raise TranspileError(
                "Transcrypt could not translate shared_reducers/; its output:\n"
                + (result.stdout + result.stderr).strip()
            )
        for name in ("js", "map", "py", "project"):
            (fresh / f"flux_shared_entry.{name}").unlink(missing_ok=True)
        (fresh / ENTRY_FILE).write_text(entry_module())
    _replace(out, fresh)
    return time.monotonic() - started


def _replace(out: Path, fresh: Path) -> None:
    old = out.with_name(out.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    fresh.rename(out)
    shutil.rmtree(old, ignore_errors=True)
