"""Where the bundled folders are: ``rules/``, ``templates/`` and ``examples/``.

They live at the top of a checkout and inside the package of an installed wheel
(``mailbot/rules`` …), so a non-editable install works from any directory.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def bundled_dir(name: str) -> Path:
    """``mailbot/<name>`` in an installed wheel, else ``<checkout>/<name>``."""
    installed = PACKAGE_DIR / name
    return installed if installed.is_dir() else PACKAGE_DIR.parent / name
