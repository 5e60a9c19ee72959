"""building-permit@1.0 (byggesøknad) plug-in: applications for measures on a property,
neighbour notification, documentation requests, completeness with the pbl. § 21-7
deadline, and decisions.

The behaviour lives in :mod:`.building_permit_service` (:class:`BuildingPermitService`,
with seams for mutants) and the HTTP binding in :mod:`.building_permit_routes`; this
module is what the app registers.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute

from felles.reference.components.base import AppContext, ServedComponent
from felles.reference.components.building_permit_model import MIGRATIONS, NAME, VERSION
from felles.reference.components.building_permit_routes import BuildingPermitRoutes
from felles.reference.components.building_permit_service import BuildingPermitService
from felles.reference.migrations import Migration

__all__ = ["BuildingPermitComponent", "BuildingPermitRoutes", "BuildingPermitService"]


class BuildingPermitComponent(ServedComponent):
    """The building-permit@1.0 plug-in."""

    name = NAME
    version = VERSION
    migrations: Sequence[Migration] = MIGRATIONS
    default_service = staticmethod(BuildingPermitService)

    def build_routes(self, service: BuildingPermitService, context: AppContext) -> Sequence[BaseRoute]:
        return BuildingPermitRoutes(service, context).routes()
