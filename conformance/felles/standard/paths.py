"""Paths inside the standard: schemas/, spec/ and examples/ under its root."""

from __future__ import annotations

from pathlib import Path

from felles.locations import standard_root

__all__ = ["examples_dir", "schemas_dir", "spec_dir", "standard_root"]


def schemas_dir(root: Path | None = None) -> Path:
    return (root or standard_root()) / "schemas"


def spec_dir(root: Path | None = None) -> Path:
    return (root or standard_root()) / "spec"


def examples_dir(root: Path | None = None) -> Path:
    return (root or standard_root()) / "examples"
