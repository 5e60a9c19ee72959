"""The citizen-alert@1.0 reference's geometry, contact and matching rules, without HTTP."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any

import pyproj
import pytest

from felles.reference.components.citizen_alert_delivery import (
    contact_is_current,
    delivery_outcome,
    months_before,
)
from felles.reference.components.citizen_alert_geo import (
    UTM33,
    WGS84,
    covered,
    outside_norway,
    polygon_issues,
    polygon_of,
    transform,
)
from felles.reference.components.citizen_alert_recipients import address_key

NOW = datetime(2026, 8, 31, 12, 0, tzinfo=UTC)
SQUARE = [[10.0, 60.0], [10.01, 60.0], [10.01, 60.01], [10.0, 60.01], [10.0, 60.0]]
HOLE = [[10.004, 60.004], [10.006, 60.004], [10.006, 60.006], [10.004, 60.006], [10.004, 60.004]]


def polygon(*rings: list[list[float]], crs: str = WGS84) -> dict[str, Any]:
    return {"type": "polygon", "crs": crs, "geometry": {"type": "Polygon", "coordinates": list(rings)}}


# --------------------------------------------------------------------------- CRS


def test_utm33_puts_15_degrees_east_on_the_false_easting() -> None:
    """A property of the projection, not of the library: the central meridian of zone 33 is
    15° E, mapped to easting 500 000 m; the equator is northing 0."""
    eastings, northings = transform(WGS84, UTM33, [15.0, 15.0], [0.0, 60.0])
    assert eastings == pytest.approx([500_000.0, 500_000.0], abs=1e-6)
    assert northings[0] == pytest.approx(0.0, abs=1e-6)


def test_round_trip_loses_nothing_and_needs_no_network() -> None:
    assert not pyproj.network.is_network_enabled()
    lons, lats = [5.32, 10.75, 18.95, 29.9], [60.39, 59.91, 69.65, 69.73]
    eastings, northings = transform(WGS84, UTM33, lons, lats)
    back_lon, back_lat = transform(UTM33, WGS84, eastings, northings)
    assert back_lon == pytest.approx(lons, abs=1e-9)
    assert back_lat == pytest.approx(lats, abs=1e-9)


def test_extent_refuses_positions_outside_norway_and_numbers_without_a_float() -> None:
    positions = [[10.75, 59.91], [100.5, 13.75], [10**400, 1], [262409.7, 6649017.7], [-9.0, 70.9]]
    assert outside_norway(WGS84, positions) == [1, 2, 3]
    assert outside_norway(UTM33, [[262409.7, 6649017.7], [10.75, 59.91]]) == [1]


# --------------------------------------------------------------------------- polygons


def test_a_polygon_with_a_hole_inside_is_valid_and_covers_its_boundary_not_its_hole() -> None:
    area = polygon(SQUARE, HOLE)
    assert polygon_issues(area) == []
    shape = polygon_of(area)
    points = [
        (10.002, 60.002),
        (10.0, 60.005),
        (10.01, 60.01),
        (10.005, 60.005),
        (10.004, 60.005),
        (9.999, 60.005),
    ]
    assert covered(shape, points) == [True, True, True, False, True, False]
    assert covered(shape, []) == []


@pytest.mark.parametrize(
    ("area", "pointer"),
    [
        (
            polygon([[10.0, 60.0], [10.01, 60.01], [10.01, 60.0], [10.0, 60.01], [10.0, 60.0]]),
            "/area/geometry",
        ),
        (polygon(SQUARE, [[10.02, 60.02], [10.03, 60.02], [10.03, 60.03], [10.02, 60.02]]), "/area/geometry"),
        (polygon(SQUARE, SQUARE), "/area/geometry"),
        (polygon([[10.0, 60.0], [10.01, 60.0], [10.01, 60.0], [10.0, 60.0]]), "/area/geometry"),
        (polygon([*SQUARE[:-1], [10.0, 60.005]]), "/area/geometry/coordinates/0"),
        (polygon(SQUARE, crs=UTM33), "/area/geometry/coordinates/0/0"),
    ],
    ids=["bow-tie", "hole-outside", "hole-equals-shell", "no-area", "unclosed", "degrees-as-metres"],
)
def test_invalid_polygons_name_the_member(area: dict[str, Any], pointer: str) -> None:
    assert pointer in [issue.pointer for issue in polygon_issues(area)]


# --------------------------------------------------------------------------- KRR's 18 months


@pytest.mark.parametrize(
    ("moment", "earlier"),
    [
        (datetime(2026, 8, 31, tzinfo=UTC), datetime(2025, 2, 28, tzinfo=UTC)),
        (datetime(2025, 8, 29, tzinfo=UTC), datetime(2024, 2, 29, tzinfo=UTC)),
        (datetime(2026, 1, 15, 9, 30, tzinfo=UTC), datetime(2024, 7, 15, 9, 30, tzinfo=UTC)),
    ],
)
def test_months_before_counts_calendar_months(moment: datetime, earlier: datetime) -> None:
    assert months_before(moment, 18) == earlier


def test_contact_details_are_current_for_exactly_18_months() -> None:
    limit = months_before(NOW, 18)
    assert contact_is_current({"contactConfirmedAt": limit.isoformat()}, NOW)
    assert not contact_is_current({"contactConfirmedAt": (limit - timedelta(seconds=1)).isoformat()}, NOW)
    assert contact_is_current({"contactConfirmedAt": "2026-08-30t10:00:00z"}, NOW)
    assert not contact_is_current({}, NOW)


def test_each_channel_needs_its_own_contact_point() -> None:
    confirmed = NOW.isoformat()
    phone_only = {"person": {"phone": "+4791234567"}, "contactConfirmedAt": confirmed}
    assert delivery_outcome(phone_only, "sms", NOW) == ("delivered", None)
    assert delivery_outcome(phone_only, "email", NOW) == ("failed", "no-contact-point")
    assert delivery_outcome(phone_only, "digital-mailbox", NOW) == ("failed", "no-contact-point")
    assert delivery_outcome({**phone_only, "digitalMailbox": True}, "digital-mailbox", NOW) == (
        "delivered",
        None,
    )
    stale = {**phone_only, "contactConfirmedAt": "2020-01-01T00:00:00Z"}
    assert delivery_outcome(stale, "sms", NOW) == ("failed", "contact-outdated")


# --------------------------------------------------------------------------- addresses


def test_address_keys_fold_case_and_composition_but_keep_letter_and_postcode_apart() -> None:
    base = {"streetName": "Ålesundgata", "houseNumber": 4, "postalCode": "6004", "postalCity": "ÅLESUND"}
    decomposed = unicodedata.normalize("NFD", "ÅLESUNDGATA")
    assert address_key(base) == address_key({**base, "streetName": decomposed, "postalCity": "X"})
    assert address_key(base) != address_key({**base, "houseLetter": "A"})
    assert address_key(base) != address_key({**base, "postalCode": "6005"})
    assert address_key({"postalCode": "6004", "postalCity": "ÅLESUND"}) is None
