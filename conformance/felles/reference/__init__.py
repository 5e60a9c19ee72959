"""The Felles reference implementation: a real ASGI app on SQLite that passes the suite.

It is the executable proof that the standard can be implemented and the
default target of ``felles test --reference``. It never imports the runner:
an implementation must not know its tests.
"""

from felles.reference.app import create_app
from felles.reference.auth import (
    DevTokenVerifier,
    HS256Verifier,
    Principal,
    PublicKeyVerifier,
    Verifier,
    build_verifier,
    mint_dev_token,
)
from felles.reference.components import ApplicationComponent, ComponentModule, default_components
from felles.reference.components.application import ApplicationService
from felles.reference.server import ReferenceServer, serve
from felles.reference.settings import Settings

__all__ = [
    "ApplicationComponent",
    "ApplicationService",
    "ComponentModule",
    "DevTokenVerifier",
    "HS256Verifier",
    "Principal",
    "PublicKeyVerifier",
    "ReferenceServer",
    "Settings",
    "Verifier",
    "build_verifier",
    "create_app",
    "default_components",
    "mint_dev_token",
    "serve",
]
