"""The one root exception of the tool, and the few kinds the CLI maps to exit codes.

Every error the tool raises on purpose derives from :class:`FellesError`; the CLI
prints its message on one line (no traceback unless ``--debug``) and exits with
its ``exit_code``. Anything else escaping is a bug in Felles, never the vendor's.
"""

from __future__ import annotations


class FellesError(Exception):
    """Root of every error Felles raises on purpose."""

    exit_code: int = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class UsageError(FellesError):
    """Bad command line or configuration: the user must change what they typed."""

    exit_code = 2


class StandardError(FellesError):
    """The standard's own files (spec, schemas, examples) are missing or inconsistent."""

    exit_code = 2


class UnknownComponentError(UsageError):
    """A component name or version that the standard does not define."""


class TargetUnreachableError(FellesError):
    """The system under test could not be reached at all (DNS, refused, TLS, timeout)."""

    exit_code = 3


class ReportError(FellesError):
    """A report could not be read, written or verified."""

    exit_code = 2
