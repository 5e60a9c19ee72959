"""HTTP binding of digital-mail@1.0: scopes, the required Idempotency-Key, the large letter
body, validation (schema, then the PDF itself), and problems.

Order in ``POST /letters``: scope, Idempotency-Key, body, schema, PDF, then the
service — a request refused early never reaches the register or the printer.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from felles.reference.components.digital_mail_document import DocumentRejectedError
from felles.reference.components.digital_mail_model import (
    MAX_LETTER_BODY_BYTES,
    NAME,
    SCOPE_READ,
    SCOPE_RECEIPT,
    SCOPE_WRITE,
    VERSION,
    Caller,
    ReceiptNotAllowedError,
)
from felles.reference.components.digital_mail_service import DigitalMailService
from felles.reference.components.shared import (
    ComponentRoutes,
    DomainError,
    cursor_after,
    keyset_response,
    parse_idempotency_key,
    parse_limit,
    query_fingerprint,
    reject_field_errors,
    representation_response,
)
from felles.reference.http import allowed_values_text, single_query_value
from felles.reference.problems import ProblemError, ProblemType
from felles.standard import schema_uri
from felles.standard.validation import validator_for

LETTER_INPUT = schema_uri(NAME, VERSION, "LetterInput")
RECEIPT_INPUT = schema_uri(NAME, VERSION, "ReceiptInput")
MAX_REFERENCE_LENGTH = 100


def validate(schema: str, body: Any) -> None:
    """422 with one pointer per invalid member (mutant tests patch ``validator_for`` here)."""
    reject_field_errors(validator_for(schema).errors(body))


class DigitalMailRoutes(ComponentRoutes[DigitalMailService]):
    """HTTP binding of one :class:`DigitalMailService`."""

    #: Letters carry their PDF: the body limit is the letter's, unless configured higher.
    min_body_bytes = MAX_LETTER_BODY_BYTES

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/letters", self.letters, methods=["GET", "POST"], name="letters"),
            Route("/letters/{id}", self.get_letter, methods=["GET"], name="letter"),
            Route("/letters/{id}/receipts", self.record_receipt, methods=["POST"], name="letter-receipts"),
        ]

    def validate_body(self, schema: str, body: Any) -> None:
        validate(schema, body)

    def problem(self, exc: DomainError) -> ProblemError:
        if isinstance(exc, DocumentRejectedError):
            try:
                reject_field_errors(exc.errors)
            except ProblemError as problem:
                return problem
        if isinstance(exc, ReceiptNotAllowedError):
            allowed = self.service.receipt_transitions.get(exc.status, {})
            options = allowed_values_text(allowed) if allowed else "none (final)"
            return ProblemError(
                ProblemType.CONFLICT,
                f"the letter is {exc.status!r}; receipts allowed now: {options}; not {exc.receipt!r}",
            )
        return super().problem(exc)

    def _caller(self, request: Request, scope: str) -> Caller:
        return self.service.caller(self.principal(request, scope))

    async def letters(self, request: Request) -> Response:
        """One route per path, so a 405 names every allowed method in ``Allow``."""
        if request.method == "POST":
            return await self.send(request)
        return await self.list_letters(request)

    async def send(self, request: Request) -> Response:
        caller = self._caller(request, SCOPE_WRITE)
        key = parse_idempotency_key(request)
        if key is None:
            raise ProblemError(
                ProblemType.BAD_REQUEST,
                "POST /letters needs an Idempotency-Key header (e.g. a UUID per letter), so that a retry "
                "never sends the letter twice",
            )
        body = await self.valid_body(request, LETTER_INPUT)
        document = await self.call(self.service.read_document, body["document"])
        created = await self.call(self.service.send, caller, body, document, idempotency_key=key)
        representation = created.representation
        location = self.url(request, "letters", representation.resource_id)
        return representation_response(representation, status=201, location=location)

    async def list_letters(self, request: Request) -> Response:
        caller = self._caller(request, SCOPE_READ)
        reference = single_query_value(request, "senderReference")
        if reference is not None and not 1 <= len(reference) <= MAX_REFERENCE_LENGTH:
            raise ProblemError(
                ProblemType.BAD_REQUEST, f"senderReference must be 1-{MAX_REFERENCE_LENGTH} characters"
            )
        limit = parse_limit(single_query_value(request, "limit"))
        fingerprint = query_fingerprint("letters", caller.tenant, reference or "")
        after = cursor_after(request, fingerprint)
        page = await self.call(
            self.service.list_letters, caller, sender_reference=reference, after_id=after, limit=limit
        )
        query: dict[str, str | int] = {"limit": limit}
        if reference is not None:
            query["senderReference"] = reference
        return keyset_response(request, page, query=query, fingerprint=fingerprint)

    async def get_letter(self, request: Request) -> Response:
        caller = self._caller(request, SCOPE_READ)
        return representation_response(await self.call(self.service.get, caller, request.path_params["id"]))

    async def record_receipt(self, request: Request) -> Response:
        caller = self._caller(request, SCOPE_RECEIPT)
        body = await self.valid_body(request, RECEIPT_INPUT)
        representation = await self.call(self.service.record_receipt, caller, request.path_params["id"], body)
        return representation_response(representation)
