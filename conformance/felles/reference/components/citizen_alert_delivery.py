"""Delivering one notification to one recipient on one channel, in the reference's test sink.

The reference has no SMS gateway or mail server: a notification with a
usable contact point is delivered at once. What it does implement is the
rule that decides whether a contact point may be used at all (spec:
"Channels and contact points", KRR's 18 months).
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from felles.reference.components.citizen_alert_model import (
    CONTACT_OUTDATED,
    CONTACT_VALID_MONTHS,
    DELIVERED,
    FAILED,
    NO_CONTACT_POINT,
    instant,
)

#: The member of ``person`` each contact channel uses; digital-mailbox goes by fødselsnummer.
CONTACT_MEMBERS: Mapping[str, str] = {"sms": "phone", "email": "email"}


def months_before(moment: datetime, months: int) -> datetime:
    """The same wall-clock moment ``months`` calendar months earlier (day clamped to the month)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def contact_is_current(entry: Mapping[str, Any], now: datetime) -> bool:
    """Confirmed in KRR within the last 18 months; never confirmed counts as outdated."""
    confirmed = entry.get("contactConfirmedAt")
    if confirmed is None:
        return False
    return instant(str(confirmed)) >= months_before(now, CONTACT_VALID_MONTHS)


def delivery_outcome(entry: Mapping[str, Any], channel: str, now: datetime) -> tuple[str, str | None]:
    """``(status, reason)`` of sending on ``channel`` to the register entry ``entry``."""
    if channel == "digital-mailbox":
        return (DELIVERED, None) if entry.get("digitalMailbox") is True else (FAILED, NO_CONTACT_POINT)
    if not entry["person"].get(CONTACT_MEMBERS[channel]):
        return FAILED, NO_CONTACT_POINT
    if not contact_is_current(entry, now):
        return FAILED, CONTACT_OUTDATED
    return DELIVERED, None
