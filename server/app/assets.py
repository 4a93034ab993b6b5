"""Where the notes app's pages, scripts, styles and npm modules are.

In a checkout they are the repository's own `templates/`, `web/` and
`node_modules/`; an installed wheel carries copies in `server/app/assets/`
(setup.py puts them there).
"""

from __future__ import annotations

from pathlib import Path

PACKAGED = Path(__file__).resolve().parent / "assets"
CHECKOUT = Path(__file__).resolve().parents[2]
ROOT = PACKAGED if (PACKAGED / "web").is_dir() else CHECKOUT

TEMPLATES = ROOT / "templates"
WEB = ROOT / "web"
NODE_MODULES = ROOT / "node_modules"
