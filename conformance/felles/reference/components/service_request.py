"""service-request@1.0 (meld feil / tjenestebestilling) plug-in: the catalogue, requests with
place and photos, their lifecycle, notices to the reporter, and a public view without them.

The behaviour lives in :mod:`.service_request_service` (:class:`ServiceRequestService`,
with seams for mutants), the public view in :mod:`.service_request_public` and the
HTTP binding in :mod:`.service_request_routes`; this module is what the app registers.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute

from felles.reference.components.base import AppContext, ServedComponent
from felles.reference.components.service_request_model import MIGRATIONS, NAME, VERSION
from felles.reference.components.service_request_routes import ServiceRequestRoutes
from felles.reference.components.service_request_service import ServiceRequestService
from felles.reference.migrations import Migration

__all__ = ["ServiceRequestComponent", "ServiceRequestRoutes", "ServiceRequestService"]


class ServiceRequestComponent(ServedComponent):
    """The service-request@1.0 plug-in."""

    name = NAME
    version = VERSION
    migrations: Sequence[Migration] = MIGRATIONS
    default_service = staticmethod(ServiceRequestService)

    def build_routes(self, service: ServiceRequestService, context: AppContext) -> Sequence[BaseRoute]:
        return ServiceRequestRoutes(service, context).routes()
