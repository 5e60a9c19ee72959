"""Component plug-ins of the reference: one module per component version.

A component contributes its migrations and its routes; the app mounts the
routes under ``/{name}/{version}`` and lists the component in
``/conformance``. Adding ``case-archive@1.0`` means writing one module here
and adding it to :func:`default_components` — nothing else changes.
"""

from __future__ import annotations

from felles.reference.components.application import ApplicationComponent
from felles.reference.components.base import AppContext, Clock, ComponentModule, utc_now
from felles.reference.components.building_permit import BuildingPermitComponent
from felles.reference.components.case_archive import CaseArchiveComponent
from felles.reference.components.citizen_alert import CitizenAlertComponent
from felles.reference.components.digital_mail import DigitalMailComponent
from felles.reference.components.property import PropertyComponent
from felles.reference.components.service_request import ServiceRequestComponent

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
    return [
        ApplicationComponent(),
        ApplicationComponent(version="1.1"),
        CaseArchiveComponent(),
        CitizenAlertComponent(),
        DigitalMailComponent(),
        ServiceRequestComponent(),
        PropertyComponent(),
        BuildingPermitComponent(),
    ]
