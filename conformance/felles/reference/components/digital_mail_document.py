"""The letter's PDF: decoding the base64 content and the rules beyond the schema.

The schema only sees that the content starts like a PDF; whether it ends
like one, fits the size limit and matches its declared SHA-256 needs the
decoded bytes (spec: *Definition: acceptable letter document*).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from felles.reference.components.digital_mail_model import EOF_WINDOW, MAX_DOCUMENT_BYTES, DigitalMailError
from felles.standard.validation import FieldError

CONTENT = "/document/content"
SHA256 = "/document/sha256"
PDF_MEDIA_TYPE = "application/pdf"


@dataclass(frozen=True)
class LetterDocument:
    """A decoded, acceptable PDF with the name it was sent under."""

    file_name: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    def description(self) -> dict[str, Any]:
        """The ``document`` member of a Letter: everything but the content."""
        return {
            "fileName": self.file_name,
            "mediaType": PDF_MEDIA_TYPE,
            "sizeBytes": len(self.content),
            "sha256": self.sha256,
        }


class DocumentRejectedError(DigitalMailError):
    """The content is not an acceptable PDF; ``errors`` point at the members."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.pointer}: {e.detail}" for e in errors))
        self.errors = errors


def pdf_errors(content: bytes) -> list[FieldError]:
    """Why decoded ``content`` is not an acceptable letter PDF (empty when it is)."""
    if len(content) > MAX_DOCUMENT_BYTES:
        return [
            FieldError(CONTENT, f"the PDF is {len(content)} bytes; at most {MAX_DOCUMENT_BYTES} are allowed")
        ]
    if not content.startswith(b"%PDF-"):
        return [FieldError(CONTENT, "the content is not a PDF (it does not start with %PDF-)")]
    if b"%%EOF" not in content[-EOF_WINDOW:]:
        return [FieldError(CONTENT, f"the PDF has no %%EOF in its last {EOF_WINDOW} bytes (truncated?)")]
    return []


def read_document(document: Mapping[str, Any]) -> LetterDocument:
    """The decoded PDF of a schema-valid ``document`` member, or :class:`DocumentRejectedError`."""
    try:
        content = base64.b64decode(str(document["content"]), validate=True)
    except (binascii.Error, ValueError):
        raise DocumentRejectedError([FieldError(CONTENT, "the content is not valid base64")]) from None
    errors = pdf_errors(content)
    declared = document.get("sha256")
    if not errors and declared is not None and declared != hashlib.sha256(content).hexdigest():
        errors = [FieldError(SHA256, "sha256 does not match the SHA-256 of the decoded content")]
    if errors:
        raise DocumentRejectedError(errors)
    return LetterDocument(str(document["fileName"]), content)
