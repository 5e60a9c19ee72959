"""citizen-alert@1.0 (innbyggervarsling) plug-in: the alert register, area- and address-targeted
alerts with receipts, updates and cancellations, and the CloudEvents feed.

The behaviour lives in :mod:`.citizen_alert_service` (:class:`CitizenAlertService`,
with seams for mutants), geometry in :mod:`.citizen_alert_geo`, recipient
resolution in :mod:`.citizen_alert_recipients` and the HTTP binding in
:mod:`.citizen_alert_routes`; this module is what the app registers.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute

from felles.reference.components.base import AppContext, ServedComponent
from felles.reference.components.citizen_alert_model import MIGRATIONS, NAME, VERSION
from felles.reference.components.citizen_alert_routes import CitizenAlertRoutes
from felles.reference.components.citizen_alert_service import CitizenAlertService
from felles.reference.migrations import Migration

__all__ = ["CitizenAlertComponent", "CitizenAlertRoutes", "CitizenAlertService"]


class CitizenAlertComponent(ServedComponent):
    """The citizen-alert@1.0 plug-in."""

    name = NAME
    version = VERSION
    migrations: Sequence[Migration] = MIGRATIONS
    default_service = staticmethod(CitizenAlertService)

    def build_routes(self, service: CitizenAlertService, context: AppContext) -> Sequence[BaseRoute]:
        return CitizenAlertRoutes(service, context).routes()
