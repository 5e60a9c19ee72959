"""What a component plug-in is, and what the app hands it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from starlette.routing import BaseRoute

from felles.reference.auth import Authenticator
from felles.reference.migrations import Migration
from felles.reference.settings import Settings
from felles.reference.storage import Database

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
