"""case-archive@1.0 (sak/arkiv) plug-in: Noark-5-style case files, registry entries, documents,
screening, audit trail, and case exchange (export/import).

The behaviour lives in :mod:`.case_archive_service` (:class:`CaseArchiveService`,
with seams for mutants) and the HTTP binding in :mod:`.case_archive_routes`;
this module is what the app registers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from starlette.routing import BaseRoute

from felles.reference.components.base import AppContext, Clock
from felles.reference.components.case_archive_model import MIGRATIONS, NAME, VERSION
from felles.reference.components.case_archive_routes import CaseArchiveRoutes
from felles.reference.components.case_archive_service import CaseArchiveService
from felles.reference.migrations import Migration
from felles.reference.storage import Database
from felles.standard import default_catalogue

__all__ = ["CaseArchiveComponent", "CaseArchiveRoutes", "CaseArchiveService", "ServiceFactory"]

ServiceFactory = Callable[[Database, Clock], CaseArchiveService]


class CaseArchiveComponent:
    """The case-archive@1.0 plug-in. Pass ``service_factory`` to serve a variant of the service."""

    name = NAME
    version = VERSION
    migrations: Sequence[Migration] = MIGRATIONS

    def __init__(
        self,
        service_factory: ServiceFactory = CaseArchiveService,
        *,
        classes: Sequence[str] | None = None,
    ) -> None:
        self.service_factory = service_factory
        self._classes = tuple(classes) if classes is not None else None

    @property
    def classes(self) -> Sequence[str]:
        """All classes of the spec unless narrowed (e.g. a variant that only claims ``core``)."""
        if self._classes is not None:
            return self._classes
        return tuple(default_catalogue().get(f"{NAME}@{VERSION}").conformance_classes)

    def routes(self, context: AppContext) -> Sequence[BaseRoute]:
        service = self.service_factory(context.database, context.clock)
        return CaseArchiveRoutes(service, context).routes()
