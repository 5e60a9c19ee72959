"""Norwegian calendar dates for property@1.0 and building-permit@1.0.

Both components count in days of the Norwegian calendar (feiing intervals,
nabovarsel periods, the pbl. § 21-7 deadline), so "the date of an instant"
is always its date in Europe/Oslo — never the UTC date the server's clock
happens to show. Pure functions, no I/O.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

OSLO = ZoneInfo("Europe/Oslo")


def oslo_date(instant: datetime) -> date:
    """The calendar date of ``instant`` in Europe/Oslo (CET/CEST)."""
    if instant.tzinfo is None:
        raise ValueError("an instant must carry its UTC offset")
    return instant.astimezone(OSLO).date()


def parse_instant(text: str) -> datetime:
    """An RFC 3339 date-time (already schema-validated) as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))


#: Instants the reference accepts where one is given (receivedAt, at), by UTC year.
USABLE_YEARS = range(1900, 9000)


def usable_instant(text: str) -> datetime | None:
    """``text`` as a UTC instant within :data:`USABLE_YEARS`, or None.

    RFC 3339 allows ``0001-01-01T00:00:00+14:00``, which lies before year 1 in UTC;
    Python cannot represent it, and date arithmetic near either end of the calendar
    overflows. Real receipts and decisions lie well inside these years.
    """
    try:
        instant = parse_instant(text).astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return instant if instant.year in USABLE_YEARS else None


def add_months(start: date, months: int) -> date:
    """``start`` plus whole calendar months; a day the target month lacks becomes its last day
    (2023-08-31 + 6 months = 2024-02-29)."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    day = min(start.day, calendar.monthrange(year, month + 1)[1])
    return date(year, month + 1, day)


def add_weeks(start: date, weeks: int) -> date:
    """``start`` plus ``weeks`` × 7 days: a deadline in weeks ends on the weekday it started."""
    return start + timedelta(weeks=weeks)
