"""What every mutant catalogue shares: the Mutant record and faults that are not
specific to one component (auth that accepts anything, scopes ignored, validation
that drops errors)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp

from felles.reference.auth import Authenticator, HS256Verifier, Principal
from felles.reference.components.base import AppContext
from felles.reference.settings import Settings
from felles.standard.validation import FieldError, SchemaValidator

AppFactory = Callable[[Settings], ASGIApp]


@dataclass(frozen=True)
class Mutant:
    name: str
    fault: str  # what a vendor got wrong, in one sentence
    kills: str  # the requirement whose check must fail
    build: AppFactory
    #: The component version the suite tests the mutant as. A requirement that several
    #: versions share runs the same check in each, so one version's mutant proves it.
    version: str = "1.0"

    @property
    def component(self) -> str:
        """name@version of the component whose requirement the mutant breaks."""
        return f"{self.kills.split('/')[2]}@{self.version}"


class AnySignature:
    """Accepts any token without checking its signature or claims."""

    def __init__(self, settings: Settings) -> None:
        self.real = HS256Verifier(settings.jwt_secret, issuer=settings.issuer, audience=settings.audience)

    def verify(self, token: str) -> Mapping[str, Any]:
        try:
            return self.real.verify(token)
        except Exception:
            return {"scope": ALL_SCOPES, "kommunenummer": "3201", "sub": "forged"}


class IgnoresScope(Authenticator):
    def __init__(self, inner: Authenticator, ignored: str) -> None:
        super().__init__(inner.verifier)
        self.ignored = ignored

    def require(self, request: Any, *any_of: str) -> Principal:
        wanted = [scope for scope in any_of if scope != self.ignored]
        return super().require(request, *wanted) if wanted else self.authenticate(request)


ALL_SCOPES = " ".join(
    [
        "application:read",
        "application:write",
        "application:decide",
        "case-archive:read",
        "case-archive:write",
        "case-archive:screened",
    ]
)


def lax_context(context: AppContext, ignored: str) -> AppContext:
    """The component's context with an authenticator that does not require ``ignored``."""
    return AppContext(
        settings=context.settings,
        database=context.database,
        authenticator=IgnoresScope(context.authenticator, ignored),
        clock=context.clock,
    )


class FilteredValidator(SchemaValidator):
    """A validator that forgets the errors ``drop`` selects: validation with a hole in it."""

    def __init__(self, inner: SchemaValidator, drop: Callable[[FieldError], bool]) -> None:
        self.schema_uri = inner.schema_uri
        self._inner = inner
        self._drop = drop

    def is_valid(self, instance: object) -> bool:
        return not self.errors(instance)

    def errors(self, instance: object) -> list[FieldError]:
        return [e for e in self._inner.errors(instance) if not self._drop(e)]


def blind_validation(module: Any, schema_suffix: str, drop: Callable[[FieldError], bool]) -> None:
    """Patch ``module.validator_for`` so schemas ending in ``schema_suffix`` lose some errors.

    Only acceptable because every mutant runs in a server process of its own.
    """
    original = module.validator_for

    def patched(uri: str) -> SchemaValidator:
        found = original(uri)
        return FilteredValidator(found, drop) if uri.endswith(schema_suffix) else found

    module.validator_for = patched
