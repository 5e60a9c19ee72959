"""property@1.0 (eiendom) plug-in: properties by matrikkelnummer, queries by matrikkel and
address, and feiing/tilsyn schedules with notices to owners and their replies.

The behaviour lives in :mod:`.property_service` (:class:`PropertyService`, with seams
for mutants) and the HTTP binding in :mod:`.property_routes`; this module is what the
app registers.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute

from felles.reference.components.base import AppContext, ServedComponent
from felles.reference.components.property_model import MIGRATIONS, NAME, VERSION
from felles.reference.components.property_routes import PropertyRoutes
from felles.reference.components.property_service import PropertyService
from felles.reference.migrations import Migration

__all__ = ["PropertyComponent", "PropertyRoutes", "PropertyService"]


class PropertyComponent(ServedComponent):
    """The property@1.0 plug-in."""

    name = NAME
    version = VERSION
    migrations: Sequence[Migration] = MIGRATIONS
    default_service = staticmethod(PropertyService)

    def build_routes(self, service: PropertyService, context: AppContext) -> Sequence[BaseRoute]:
        return PropertyRoutes(service, context).routes()
