"""What a component plug-in is, and what the app hands it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from starlette.routing import BaseRoute

from felles.reference.auth import Authenticator
from felles.reference.migrations import Migration
from felles.reference.settings import Settings
from felles.reference.storage import Database
from felles.standard import default_catalogue

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The true current instant, timezone-aware UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class AppContext:
    """What a component gets from the app: shared, already-initialised infrastructure."""

    settings: Settings
    database: Database
    authenticator: Authenticator
    clock: Clock


class ComponentModule(Protocol):
    """One component version served by the reference."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def classes(self) -> Sequence[str]:
        """Conformance classes this implementation claims."""
        ...

    @property
    def migrations(self) -> Sequence[Migration]: ...

    def routes(self, context: AppContext) -> Sequence[BaseRoute]:
        """Routes relative to the component's mount point ``/{name}/{version}``."""
        ...


def migration_owner(component: ComponentModule) -> str:
    """The name a component's migrations are recorded under: ``name@version``, unless it has a
    ``migration_owner`` (versions of one component that share their tables share one owner)."""
    owner = getattr(component, "migration_owner", None)
    return owner if isinstance(owner, str) else f"{component.name}@{component.version}"


class ServedComponent:
    """What every component plug-in shares: its service made per app, its claimed classes.

    Subclasses name the component and say how a service becomes routes; pass
    ``service_factory`` to serve a variant of the service (the mutant tests do).
    """

    name: str
    version: str
    migrations: Sequence[Migration]
    default_service: Callable[[Database, Clock], Any]

    def __init__(
        self,
        service_factory: Callable[[Database, Clock], Any] | None = None,
        *,
        classes: Sequence[str] | None = None,
    ) -> None:
        self.service_factory = service_factory or type(self).default_service
        self._classes = tuple(classes) if classes is not None else None

    @property
    def classes(self) -> Sequence[str]:
        """All classes of the spec unless narrowed (e.g. a variant that only claims ``core``)."""
        if self._classes is not None:
            return self._classes
        return tuple(default_catalogue().get(f"{self.name}@{self.version}").conformance_classes)

    def routes(self, context: AppContext) -> Sequence[BaseRoute]:
        return self.build_routes(self.service_factory(context.database, context.clock), context)

    def build_routes(self, service: Any, context: AppContext) -> Sequence[BaseRoute]:
        raise NotImplementedError
