"""case-archive@1.0 (sak/arkiv) plug-in: Noark-5-style case files, registry entries, documents,
screening, audit trail, and case exchange (export/import).

The behaviour lives in :mod:`.case_archive_service` (:class:`CaseArchiveService`,
with seams for mutants) and the HTTP binding in :mod:`.case_archive_routes`;
this module is what the app registers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from starlette.routing import BaseRoute

from felles.reference.components.base import AppContext, Clock, ServedComponent
from felles.reference.components.case_archive_model import MIGRATIONS, NAME, VERSION
from felles.reference.components.case_archive_routes import CaseArchiveRoutes
from felles.reference.components.case_archive_service import CaseArchiveService
from felles.reference.migrations import Migration
from felles.reference.storage import Database

__all__ = ["CaseArchiveComponent", "CaseArchiveRoutes", "CaseArchiveService", "ServiceFactory"]

ServiceFactory = Callable[[Database, Clock], CaseArchiveService]


class CaseArchiveComponent(ServedComponent):
    """The case-archive@1.0 plug-in."""

    name = NAME
    version = VERSION
    migrations: Sequence[Migration] = MIGRATIONS
    default_service = staticmethod(CaseArchiveService)

    def build_routes(self, service: CaseArchiveService, context: AppContext) -> Sequence[BaseRoute]:
        return CaseArchiveRoutes(service, context).routes()
