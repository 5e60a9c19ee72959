"""Where the standard's files (spec/, schemas/, examples/) live.

A bottom-layer module (like :mod:`felles.errors`) because both the
identifier code lists in :mod:`felles.formats` and the catalogue in
:mod:`felles.standard` read them. In a wheel the files are bundled under
``felles/_standard``; in a source checkout they are the repository's
top-level folders. ``FELLES_STANDARD_ROOT`` overrides both, which is how
editors lint a working copy and tests plant drift in a temporary copy.
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def standard_root() -> Path:
    """The directory holding ``spec/``, ``schemas/`` and ``examples/``."""
    override = os.environ.get("FELLES_STANDARD_ROOT")
    if override:
        return Path(override).resolve()
    bundled = _PACKAGE_DIR / "_standard"
    if bundled.is_dir():
        return bundled
    return _PACKAGE_DIR.parent.parent
