"""Norwegian identifiers and the JSON Schema format checker of the standard.

The check-digit and code-list rules follow DOMAIN.md ("Identifiers"); each
module names its sources. Everything the rest of Felles needs is re-exported
here, so callers never import the submodules directly.
"""

from felles.formats.account import is_account_number
from felles.formats.checker import FELLES_FORMATS, format_checker
from felles.formats.municipality import is_municipality_number, municipality_numbers
from felles.formats.national_id import is_national_identity_number
from felles.formats.organization import is_organization_number

__all__ = [
    "FELLES_FORMATS",
    "format_checker",
    "is_account_number",
    "is_municipality_number",
    "is_national_identity_number",
    "is_organization_number",
    "municipality_numbers",
]
