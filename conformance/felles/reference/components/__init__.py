"""Component plug-ins of the reference: one module per component version.

A component contributes its migrations and its routes; the app mounts the
routes under ``/{name}/{version}`` and lists the component in
``/conformance``. Adding ``case-archive@1.0`` means writing one module here
and adding it to :func:`default_components` — nothing else changes.
"""

from __future__ import annotations

from felles.reference.components.application import ApplicationComponent
from felles.reference.components.base import AppContext, Clock, ComponentModule, utc_now
from felles.reference.components.case_archive import CaseArchiveComponent

__all__ = [
    "AppContext",
    "ApplicationComponent",
    "Clock",
    "ComponentModule",
    "default_components",
    "utc_now",
]


def default_components() -> list[ComponentModule]:
    """Every component version the reference implements, in mount order."""
    return [ApplicationComponent(), CaseArchiveComponent()]
