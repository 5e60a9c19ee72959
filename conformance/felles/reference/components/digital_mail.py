"""digital-mail@1.0 (digital post) plug-in: letters sent exactly once, routed to the digital
mailbox or to print by the contact register, with receipts.

The behaviour lives in :mod:`.digital_mail_service` (:class:`DigitalMailService`,
with seams for mutants) and the HTTP binding in :mod:`.digital_mail_routes`;
this module is what the app registers.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute

from felles.reference.components.base import AppContext, ServedComponent
from felles.reference.components.digital_mail_model import MIGRATIONS, NAME, VERSION
from felles.reference.components.digital_mail_routes import DigitalMailRoutes
from felles.reference.components.digital_mail_service import DigitalMailService
from felles.reference.migrations import Migration

__all__ = ["DigitalMailComponent", "DigitalMailRoutes", "DigitalMailService"]


class DigitalMailComponent(ServedComponent):
    """The digital-mail@1.0 plug-in."""

    name = NAME
    version = VERSION
    migrations: Sequence[Migration] = MIGRATIONS
    default_service = staticmethod(DigitalMailService)

    def build_routes(self, service: DigitalMailService, context: AppContext) -> Sequence[BaseRoute]:
        return DigitalMailRoutes(service, context).routes()
