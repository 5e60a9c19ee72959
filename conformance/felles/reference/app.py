"""The reference ASGI app: components mounted under ``/{name}/{version}`` on one SQLite database.

``create_app`` is the single place where the pieces meet, and everything a
test might want to swap is a parameter: the components (and through them
the service classes), the token verifier, the clock and the database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Router

from felles.errors import UsageError
from felles.reference.auth import Authenticator, Verifier, build_verifier
from felles.reference.components import default_components
from felles.reference.components.base import AppContext, Clock, ComponentModule, migration_owner, utc_now
from felles.reference.conformance_routes import conformance_route
from felles.reference.migrations import CORE_MIGRATIONS, migrate
from felles.reference.problems import (
    CrashBarrier,
    ProblemError,
    handle_http_exception,
    handle_problem,
)
from felles.reference.settings import Settings
from felles.reference.storage import Database

CORE_OWNER = "reference"


def migrate_all(database: Database, components: Sequence[ComponentModule]) -> None:
    """Bring the shared tables and every component's tables up to date."""
    migrate(database, CORE_OWNER, CORE_MIGRATIONS)
    for component in components:  # versions that share an owner share its tables: migrated once
        migrate(database, migration_owner(component), component.migrations)


def open_database(settings: Settings, components: Sequence[ComponentModule]) -> Database:
    """Open the configured database, migrated; closed again if migrating fails."""
    database = Database(settings.database, synchronous=settings.sqlite_synchronous)
    try:
        migrate_all(database, components)
    except BaseException:
        database.close()
        raise
    return database


def create_app(
    settings: Settings | None = None,
    *,
    components: Sequence[ComponentModule] | None = None,
    verifier: Verifier | None = None,
    clock: Clock = utc_now,
    database: Database | None = None,
) -> Starlette:
    """Build the app. The database opens (and migrates) now and closes at lifespan shutdown,
    unless it was passed in, in which case its owner closes it."""
    settings = settings or Settings()
    components = list(default_components() if components is None else components)
    keys = [(c.name, c.version) for c in components]
    if len(set(keys)) != len(keys):
        raise UsageError(f"a component version is registered twice: {keys}")
    verifier = verifier if verifier is not None else build_verifier(settings)  # bad keys fail first
    owns_database = database is None
    if database is None:
        database = open_database(settings, components)
    else:
        migrate_all(database, components)
    context = AppContext(
        settings=settings, database=database, authenticator=Authenticator(verifier), clock=clock
    )

    routes: list[BaseRoute] = [conformance_route(components)]
    for component in components:
        mounted = [*component.routes(context), conformance_route([component])]
        key = f"{component.name}@{component.version}"
        routes.append(Mount(f"/{component.name}/{component.version}", routes=mounted, name=key))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        if owns_database:
            database.close()

    app = Starlette(
        routes=routes,
        middleware=[Middleware(CrashBarrier)],
        exception_handlers={ProblemError: handle_problem, HTTPException: handle_http_exception},
        lifespan=lifespan,
    )
    _no_slash_redirects(app.router)
    app.state.context = context
    app.state.components = components
    return app


def _no_slash_redirects(router: Router) -> None:
    """Answer a path that matches nothing with 404, never a 307 to the path with(out) a slash.

    An id that decodes to ``/`` (``/service-requests/%2F``) otherwise got a
    redirect to another resource instead of a clean refusal.
    """
    router.redirect_slashes = False
    for route in router.routes:
        if isinstance(route, Mount) and isinstance(route.app, Router):
            _no_slash_redirects(route.app)
