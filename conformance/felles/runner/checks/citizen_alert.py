"""Checks for citizen-alert@1.0 (spec/citizen-alert/1.0/index.md).

One function per requirement; each may only fail when the system under test
breaks that requirement. The suite tells the system who lives where through
the alert register (``POST /residents``), at random places in Norway, and
judges the recipients with its own geometry (shapely, pyproj): only entries
the check made count, so other data in a shared test environment is ignored.
"""

from __future__ import annotations

import calendar
import copy
import json
import math
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, Final

import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st
from pyproj import Transformer

from felles.runner.assertions import expect_json_body, expect_problem, expect_status, header
from felles.runner.checks.shared import (
    FORGED_JWT,
    expect_declaration,
    expect_exactly_once,
    expect_unauthenticated,
    json_diff,
    parse_instant,
    problem_detail,
    walk_pages,
)
from felles.runner.client import ApiClient, Response
from felles.runner.config import RunConfig
from felles.runner.failures import expect
from felles.runner.generators import Generators
from felles.runner.plugin import ExamplesDecorator as Examples
from felles.standard import Component
from felles.strategies.near_miss import NearMiss, near_misses

requirement = pytest.mark.requirement

ALERTS: Final = "/alerts"
RESIDENTS: Final = "/residents"
WGS84: Final = "EPSG:4326"
UTM33: Final = "EPSG:25833"
CHANNELS: Final = ("sms", "email", "digital-mailbox")
ALERT_MEMBERS: Final = (
    "title",
    "category",
    "severity",
    "message",
    "instruction",
    "channels",
    "area",
    "validFrom",
    "validTo",
)
RESIDENT_MEMBERS: Final = ("person", "address", "location", "contactConfirmedAt", "digitalMailbox")
FEED_PAGE: Final = 100


# ------------------------------------------------------------------ geometry (the suite's own)


@cache
def _transformer(source: str, target: str) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


def _transform(source: str, target: str, x: float, y: float) -> tuple[float, float]:
    if source == target:
        return x, y
    out_x, out_y = _transformer(source, target).transform(x, y)
    return float(out_x), float(out_y)


#: A concave polygon in local metres: a "U" whose notch (100-200 x 100-300) is outside it but
#: inside its bounding box, so an implementation that tests the box, not the polygon, shows.
U_SHAPE: Final = ((0, 0), (300, 0), (300, 300), (200, 300), (200, 100), (100, 100), (100, 300), (0, 300))
SQUARE: Final = ((0, 0), (200, 0), (200, 200), (0, 200))
#: Local points and whether the U covers them: well inside, well outside, in the notch, and
#: 1.5 m on either side of an edge (far beyond the disagreement of any two correct transforms).
U_POINTS: Final = (
    ((50, 50), True),
    ((250, 250), True),
    ((150, 40), True),
    ((1.5, 150), True),
    ((150, 98.5), True),
    ((298.5, 200), True),
    ((150, 200), False),
    ((-1.5, 150), False),
    ((150, 101.5), False),
    ((301.5, 200), False),
    ((600, -400), False),
)


@dataclass(frozen=True)
class Site:
    """A random place in Norway (in EPSG:25833) where one check draws its area, turned by ``angle``."""

    easting: float
    northing: float
    angle: float
    crs: str  # the CRS the area is sent in

    def utm(self, x: float, y: float) -> tuple[float, float]:
        """Local metres (x east, y north before turning) to EPSG:25833."""
        cos, sin = math.cos(self.angle), math.sin(self.angle)
        return self.easting + x * cos - y * sin, self.northing + x * sin + y * cos

    def position(self, crs: str, x: float, y: float) -> list[float]:
        """Local metres to ``crs``, rounded as a client would send them (1 cm or 1e-7 degrees)."""
        out_x, out_y = _transform(UTM33, crs, *self.utm(x, y))
        digits = 7 if crs == WGS84 else 2
        return [round(out_x, digits), round(out_y, digits)]

    def location(self, crs: str, x: float, y: float) -> dict[str, Any]:
        return {"crs": crs, "geometry": {"type": "Point", "coordinates": self.position(crs, x, y)}}

    def area(self, *rings: Iterable[tuple[float, float]], crs: str | None = None) -> dict[str, Any]:
        """A polygon area of closed rings (local metres) in ``crs`` (default: the site's)."""
        target = crs or self.crs
        coordinates = []
        for ring in rings:
            positions = [self.position(target, x, y) for x, y in ring]
            coordinates.append([*positions, positions[0]])
        return {"type": "polygon", "crs": target, "geometry": {"type": "Polygon", "coordinates": coordinates}}


def sites() -> st.SearchStrategy[Site]:
    """Places across mainland Norway; the areas are a few hundred metres wide."""

    def build(lon: int, lat: int, degrees: int, crs: str) -> Site:
        easting, northing = _transform(WGS84, UTM33, lon / 1000, lat / 1000)
        return Site(easting, northing, math.radians(degrees), crs)

    # Integers (milli-degrees, whole degrees) shrink in few steps, and a replay costs requests.
    return st.builds(
        build,
        lon=st.integers(6000, 28000),
        lat=st.integers(59000, 69500),
        degrees=st.integers(0, 89),
        crs=st.sampled_from([WGS84, UTM33]),
    )


def covers(area: dict[str, Any], location: dict[str, Any]) -> bool:
    """The spec's *inside*: the location, transformed into the area's CRS, is covered by it."""
    rings = area["geometry"]["coordinates"]
    x, y = _transform(location["crs"], area["crs"], *location["geometry"]["coordinates"])
    return bool(shapely.Polygon(rings[0], rings[1:]).covers(shapely.Point(x, y)))


# ------------------------------------------------------------------ payloads


def iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def confirmed(days_ago: int) -> str:
    return iso(datetime.now(UTC) - timedelta(days=days_ago))


def months_before(moment: datetime, months: int) -> datetime:
    """The same moment ``months`` calendar months earlier, the day clamped to the month's last."""
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


RECENTLY: Final = 30  # days: well inside KRR's 18 months
LONG_AGO: Final = 730  # days: 24 months, outside them


def standard_alert() -> dict[str, Any]:
    """An AlertInput without its area for checks whose subject is not the payload: drawing fewer
    values keeps Hypothesis' replays of a failing example (each a dozen requests) few."""
    return {
        "title": f"Varsel {uuid.uuid4().hex[:12]}",
        "category": "water-main-break",
        "severity": "moderate",
        "message": {"nb": "Brudd på vannledning. Vannet er stengt.", "en": "Water main break. No water."},
        "channels": ["sms"],
        "validFrom": iso(datetime.now(UTC)),
    }


def alert_payload(
    area: dict[str, Any], template: dict[str, Any] | None = None, **members: Any
) -> dict[str, Any]:
    """``template`` (a generated AlertInput, or :func:`standard_alert`) aimed at ``area``, with a
    period that is valid."""
    payload = {**copy.deepcopy(template or standard_alert()), "area": area, **members}
    valid_to = payload.get("validTo")
    if valid_to is not None and parse_instant(valid_to, "validTo") <= parse_instant(
        payload["validFrom"], "validFrom"
    ):
        del payload["validTo"]
    return payload


#: The person of the suite's register entries: a synthetic national identity number (Tenor).
PERSON: Final = {"nationalIdentityNumber": "17912099997", "givenName": "Kari", "familyName": "Nordmann"}


def entry(
    location: dict[str, Any],
    *,
    phone: str | None = None,
    email: str | None = None,
    confirmed_days_ago: int | None = RECENTLY,
    digital_mailbox: bool = True,
    address: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A register entry with the contact details a check needs."""
    body: dict[str, Any] = {"person": dict(PERSON), "address": {"postalCode": "0150", "postalCity": "OSLO"}}
    person = body["person"]
    if phone is not None:
        person["phone"] = phone
    if email is not None:
        person["email"] = email
    if confirmed_days_ago is not None:
        body["contactConfirmedAt"] = confirmed(confirmed_days_ago)
    body["digitalMailbox"] = digital_mailbox
    body["location"] = location
    if address is not None:
        body["address"] = address
    return body


def contactable(location: dict[str, Any]) -> dict[str, Any]:
    """An entry reachable on every channel."""
    marker = uuid.uuid4().hex[:8]
    return entry(location, phone=phone_number(), email=f"varsel-{marker}@example.com")


def phone_number() -> str:
    return "+474" + str(uuid.uuid4().int % 10**7).zfill(7)


# ------------------------------------------------------------------ HTTP helpers


def created(response: Response, gen: Generators, schema: str, what: str) -> dict[str, Any]:
    expect(
        response.status_code == 201,
        f"{what} answered {response.status_code}, not 201" + problem_detail(response),
    )
    return dict(expect_json_body(response, gen.validator(schema)))


def register(api: ApiClient, gen: Generators, body: dict[str, Any]) -> str:
    """Add a register entry; its id."""
    return str(created(api.post(RESIDENTS, body), gen, "Resident", f"POST {RESIDENTS}")["id"])


def issue(api: ApiClient, gen: Generators, payload: dict[str, Any]) -> dict[str, Any]:
    return created(api.post(ALERTS, payload), gen, "Alert", f"POST {ALERTS}")


def get_alert(api: ApiClient, gen: Generators, alert_id: str) -> dict[str, Any]:
    response = api.get(f"{ALERTS}/{alert_id}")
    expect_status(response, 200)
    return dict(expect_json_body(response, gen.validator("Alert")))


def receipts_of(api: ApiClient, gen: Generators, alert_id: str, limit: int = 100) -> list[dict[str, Any]]:
    return walk_pages(api, f"{ALERTS}/{alert_id}/receipts", gen.validator("ReceiptPage"), {"limit": limit})


def of_notification(receipts: list[dict[str, Any]], notification: str) -> list[dict[str, Any]]:
    return [r for r in receipts if r["notification"] == notification]


def recipients(receipts: list[dict[str, Any]]) -> set[str]:
    """Who the initial notification went to."""
    return {str(r["residentId"]) for r in of_notification(receipts, "initial")}


def expect_one_each(
    receipts: list[dict[str, Any]], residents: set[str], channels: list[str], what: str
) -> None:
    """Exactly one receipt per recipient and channel."""
    pairs = [(str(r["residentId"]), str(r["channel"])) for r in receipts]
    repeated = sorted({p for p in pairs if pairs.count(p) > 1})
    expect(not repeated, f"{what}: more than one receipt for (recipient, channel) {repeated[:3]}")
    wanted = {(resident, channel) for resident in residents for channel in channels}
    missing = sorted(wanted - set(pairs))
    expect(not missing, f"{what}: no receipt for (recipient, channel) {missing[:3]}")
    extra = sorted({p[0] for p in pairs} - residents)
    expect(not extra, f"{what}: receipts for {len(extra)} register entries that are not recipients")


def expect_rejected_at(response: Response, pointers_ok: Callable[[list[str]], bool], what: str) -> None:
    expect(
        response.status_code in (400, 422),
        f"{what} was answered {response.status_code}, not 400 or 422" + problem_detail(response),
    )
    problem = expect_problem(response, 400, 422)
    pointers = [str(e.get("pointer")) for e in problem.get("errors", []) if isinstance(e, dict)]
    expect(pointers_ok(pointers), f"{what}: the problem's errors point at {pointers}")


def alert_titles(api: ApiClient, gen: Generators) -> list[str]:
    return [str(a.get("title")) for a in walk_pages(api, ALERTS, gen.validator("AlertPage"), {"limit": 100})]


def feed(api: ApiClient, gen: Generators, after: str | None) -> list[dict[str, Any]]:
    """Every event after ``after`` (from the start when None), following next links."""
    params: dict[str, str | int] = {"limit": FEED_PAGE}
    if after is not None:
        params["after"] = after
    return walk_pages(api, "/events", gen.validator("EventPage"), params)


class FeedReader:
    """Reads a kommune's feed from where it stood when the check began, so a check reads only
    its own events, however long the feed of a shared test environment is."""

    def __init__(self, api: ApiClient, gen: Generators) -> None:
        self.api, self.gen = api, gen
        events = feed(api, gen, None)
        self.last: str | None = str(events[-1]["id"]) if events else None

    def new_events(self) -> list[dict[str, Any]]:
        events = feed(self.api, self.gen, self.last)
        if events:
            self.last = str(events[-1]["id"])
        return events


def alert_with_recipients(
    api: ApiClient,
    gen: Generators,
    site: Site,
    *,
    inside: int = 2,
    channels: list[str] | None = None,
) -> tuple[dict[str, Any], set[str]]:
    """An alert on the site's U with ``inside`` reachable entries in it and one outside it."""
    made = [register(api, gen, contactable(site.location(WGS84, 20 + 20 * i, 40))) for i in range(inside)]
    register(api, gen, contactable(site.location(UTM33, 150, 200)))
    payload = alert_payload(site.area(U_SHAPE), channels=channels or ["sms"])
    alert = issue(api, gen, payload)
    return alert, set(made)


# ------------------------------------------------------------------ core


@requirement("/req/citizen-alert/core/conformance")
def check_conformance_declaration(anonymous: ApiClient, component: Component, run_config: RunConfig) -> None:
    expect_declaration(anonymous, component, run_config)


@requirement("/req/citizen-alert/core/create")
def check_issue_and_register(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples
    @given(template=gen.valid("AlertInput"), site=sites())
    def issue_and_read(template: Any, site: Site) -> None:
        payload = alert_payload(site.area(SQUARE), template)
        response = api.post(ALERTS, payload)
        alert = created(response, gen, "Alert", f"POST {ALERTS}")
        expect(alert["status"] == "active", f"a new alert has status {alert['status']!r}, not 'active'")
        expect(alert["updateCount"] == 0, f"a new alert has updateCount {alert['updateCount']}")
        expect(alert["cancelledAt"] is None, f"a new alert has cancelledAt {alert['cancelledAt']!r}")
        _reads_back(api, gen, response, payload, ALERT_MEMBERS, "Alert")

    @examples
    @given(resident=gen.valid("ResidentInput"), site=sites())
    def register_and_read(resident: Any, site: Site) -> None:
        body = {**resident, "location": site.location(site.crs, 10, 10)}
        response = api.post(RESIDENTS, body)
        created(response, gen, "Resident", f"POST {RESIDENTS}")
        _reads_back(api, gen, response, body, RESIDENT_MEMBERS, "Resident")

    issue_and_read()
    register_and_read()


def _reads_back(
    api: ApiClient,
    gen: Generators,
    response: Response,
    sent: dict[str, Any],
    members: tuple[str, ...],
    schema: str,
) -> None:
    """The 201's Location names a resource that GET returns with the submitted members unchanged."""
    location = header(response, "Location")
    expect(location is not None, f"201 Created of a {schema} without a Location header")
    fetched = api.get(api.resolve(location or "", response.url))
    expect_status(fetched, 200)
    stored = expect_json_body(fetched, gen.validator(schema))
    wanted = {k: sent[k] for k in members if k in sent}
    got = {k: stored[k] for k in members if k in stored}
    expect(wanted == got, f"the {schema} differs from what was submitted: " + json_diff(wanted, got))


@requirement("/req/citizen-alert/core/reject-invalid")
def check_rejects_invalid_input(api: ApiClient, gen: Generators, examples: Examples) -> None:
    # The reversed period first: it needs no near-miss generation, the costly part of the rest.
    _reversed_period_rejected(api, gen, examples)
    alerts = st.tuples(gen.valid("AlertInput"), sites()).map(lambda p: alert_payload(p[1].area(SQUARE), p[0]))
    residents = st.tuples(gen.valid("ResidentInput"), sites()).map(
        lambda p: {**p[0], "location": p[1].location(WGS84, 0, 0)}
    )
    _misses_rejected(api, examples, ALERTS, alerts, gen.schema_id("AlertInput"))
    _misses_rejected(api, examples, RESIDENTS, residents, gen.schema_id("ResidentInput"))
    _update_misses_rejected(api, gen, examples)


def _expect_miss_rejected(response: Response, miss: NearMiss, what: str) -> None:
    expect_rejected_at(
        response, lambda pointers: miss.pointer in pointers, f"{what} with {miss.reason} at {miss.pointer}"
    )


def _misses_rejected(
    api: ApiClient, examples: Examples, path: str, valid: st.SearchStrategy[Any], schema_uri: str
) -> None:
    @examples
    @given(miss=valid.flatmap(lambda instance: near_misses(schema_uri, instance)))
    def attempt(miss: NearMiss) -> None:
        _expect_miss_rejected(api.post(path, miss.instance), miss, f"POST {path}")

    attempt()


def _update_misses_rejected(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples(max_examples=2)
    @given(site=sites(), misses=st.lists(gen.near_miss("AlertUpdate"), max_size=3))
    def attempt(site: Site, misses: list[NearMiss]) -> None:
        alert = issue(api, gen, alert_payload(site.area(SQUARE)))
        for miss in misses:
            _expect_miss_rejected(
                api.post(f"{ALERTS}/{alert['id']}/updates", miss.instance), miss, "an update"
            )
        after = get_alert(api, gen, alert["id"])
        expect(
            after["updateCount"] == 0, f"rejected updates were sent: updateCount is {after['updateCount']}"
        )

    attempt()


def _reversed_period_rejected(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples(max_examples=1)
    @given(site=sites(), hours=st.integers(0, 72))
    def attempt(site: Site, hours: int) -> None:
        payload = alert_payload(site.area(SQUARE), title=f"Periodetest {uuid.uuid4()}")
        start = parse_instant(payload["validFrom"], "validFrom")
        payload["validTo"] = iso(start - timedelta(hours=hours))
        expect_rejected_at(
            api.post(ALERTS, payload),
            lambda pointers: "/validTo" in pointers,
            f"an alert whose validTo is {hours} h before its validFrom",
        )
        expect(payload["title"] not in alert_titles(api, gen), "an alert with a reversed period was created")

    attempt()


@requirement("/req/citizen-alert/core/geometry-invalid")
def check_rejects_invalid_geometry(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples(max_examples=2)
    @given(site=sites())
    def attempt(site: Site) -> None:
        title = f"Geometritest {uuid.uuid4()}"
        other = UTM33 if site.crs == WGS84 else WGS84
        bad_areas = {
            "a self-intersecting ring (bow tie)": site.area(((0, 0), (200, 200), (200, 0), (0, 200))),
            "a ring that is not closed": _unclosed(site, SQUARE),
            "a hole outside the exterior ring": site.area(SQUARE, ((300, 300), (400, 300), (400, 400))),
            "a ring without area": site.area(((0, 0), (200, 0), (200, 0))),
            f"coordinates in {other} labelled {site.crs}": {**site.area(SQUARE, crs=other), "crs": site.crs},
        }
        for what, area in bad_areas.items():
            expect_rejected_at(
                api.post(ALERTS, alert_payload(area, title=title)),
                lambda pointers: any(p == "/area" or p.startswith("/area/") for p in pointers),
                f"an alert with {what}",
            )
        abroad = {"crs": WGS84, "geometry": {"type": "Point", "coordinates": [100.5, 13.75]}}
        mislabelled = {**site.location(other, 5, 5), "crs": site.crs}
        for what, location in (("in Bangkok", abroad), (f"in {other} labelled {site.crs}", mislabelled)):
            expect_rejected_at(
                api.post(RESIDENTS, entry(location)),
                lambda pointers: any(p == "/location" or p.startswith("/location/") for p in pointers),
                f"a register entry located {what}",
            )
        expect(title not in alert_titles(api, gen), "an alert with an invalid area was created")

    attempt()


def _unclosed(site: Site, ring: tuple[tuple[float, float], ...]) -> dict[str, Any]:
    """A polygon area whose ring ends one position short of its first (a point on an edge)."""
    area = site.area(ring)
    first_x, first_y = ring[0]
    last_x, last_y = ring[-1]
    area["geometry"]["coordinates"][0][-1] = site.position(
        site.crs, (first_x + last_x) / 2, (first_y + last_y) / 2
    )
    return area


@requirement("/req/citizen-alert/core/recipients-polygon")
def check_recipients_of_polygon(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples(max_examples=3)
    @given(
        site=sites(),
        crs_of_points=st.lists(
            st.sampled_from([WGS84, UTM33]), min_size=len(U_POINTS), max_size=len(U_POINTS)
        ),
    )
    def attempt(site: Site, crs_of_points: list[str]) -> None:
        area = site.area(U_SHAPE)
        expected: dict[str, bool] = {}
        for ((x, y), intended), crs in zip(U_POINTS, crs_of_points, strict=True):
            location = site.location(crs, x, y)
            inside = covers(area, location)
            if inside != intended:  # the suite's own mistake: an error, never the vendor's failure
                raise RuntimeError(
                    f"the suite's geometry puts local point {(x, y)} on the wrong side at {site}"
                )
            expected[register(api, gen, contactable(location))] = inside
        alert = issue(api, gen, alert_payload(area))
        receipts = receipts_of(api, gen, alert["id"])
        reached = recipients(receipts)
        missed = [rid for rid, inside in expected.items() if inside and rid not in reached]
        wrong = [rid for rid, inside in expected.items() if not inside and rid in reached]
        expect(
            not missed,
            f"{len(missed)} of the register entries inside the polygon ({area['crs']}) got no alert",
        )
        expect(not wrong, f"{len(wrong)} register entries outside the polygon ({area['crs']}) got the alert")
        expect(
            alert["recipientCount"] == len(reached),
            f"recipientCount is {alert['recipientCount']} but {len(reached)} recipients have receipts",
        )

    attempt()


#: A square with a square hole, in local metres: the hole (80-120) lies well inside it.
HOLED_SQUARE: Final = (SQUARE, ((80, 80), (120, 80), (120, 120), (80, 120)))


@requirement("/req/citizen-alert/core/recipients-polygon")
def check_recipients_on_boundary_and_in_holes(api: ApiClient, gen: Generators, examples: Examples) -> None:
    """*Covers*, not *contains*: an entry exactly on a vertex of the exterior ring or of a hole
    (the same coordinates, the area's CRS) is on the boundary and a recipient; one inside the
    hole is not. Vertices only: a point on an edge would depend on rounding."""

    @examples(max_examples=2)
    @given(site=sites())
    def attempt(site: Site) -> None:
        area = site.area(*HOLED_SQUARE)
        places: dict[str, tuple[float, float]] = {
            "on a corner of the polygon": (200, 200),
            "on a corner of its hole": (80, 120),
            "inside the polygon": (40, 40),
            "inside its hole": (100, 100),
        }
        expected: dict[str, tuple[str, bool]] = {}
        for what, (x, y) in places.items():
            location = site.location(area["crs"], x, y)
            expected[register(api, gen, contactable(location))] = (what, covers(area, location))
        if [inside for _, inside in expected.values()] != [True, True, True, False]:
            raise RuntimeError(f"the suite's geometry misplaces a point of the holed square at {site}")
        alert = issue(api, gen, alert_payload(area))
        reached = recipients(receipts_of(api, gen, alert["id"]))
        wrong = [what for rid, (what, inside) in expected.items() if inside != (rid in reached)]
        expect(
            not wrong,
            f"the alert on a polygon with a hole ({area['crs']}) is wrong for the register entries "
            f"{'; '.join(wrong)} (boundary points are inside, the hole is outside)",
        )

    attempt()


@requirement("/req/citizen-alert/core/recipients-addresses")
def check_recipients_of_addresses(
    api: ApiClient, gen: Generators, examples: Examples, run_config: RunConfig
) -> None:
    @examples(max_examples=2)
    @given(
        site=sites(),
        gnr=st.integers(1, 99999),
        bnr=st.integers(1, 9998),
    )
    def attempt(site: Site, gnr: int, bnr: int) -> None:
        kommune = run_config.municipality or "0301"
        street = f"Varselgata {uuid.uuid4().hex[:10]}"
        home = {
            "streetName": street,
            "houseNumber": 12,
            "houseLetter": "B",
            "postalCode": "1338",
            "postalCity": "X",
        }
        unit = {"municipalityNumber": kommune, "cadastralUnitNumber": gnr, "propertyUnitNumber": bnr}
        cases: list[tuple[dict[str, Any], bool, bool]] = [  # (address, at the address, on the unit)
            (home, True, False),
            ({**home, "streetName": street.upper(), "unitNumber": "H0101", "postalCity": "Y"}, True, False),
            ({**home, "houseLetter": "C"}, False, False),
            ({k: v for k, v in home.items() if k != "houseLetter"}, False, False),
            ({**home, "postalCode": "1339"}, False, False),
            (
                {"postalCode": "1338", "postalCity": "X", "cadastralNumber": {**unit, "sectionNumber": 2}},
                False,
                True,
            ),
            (
                {"postalCode": "1338", "postalCity": "X", "cadastralNumber": {**unit, "sectionNumber": 3}},
                False,
                False,
            ),
            (
                {
                    "postalCode": "1338",
                    "postalCity": "X",
                    "cadastralNumber": {**unit, "propertyUnitNumber": bnr + 1},
                },
                False,
                False,
            ),
        ]
        at_address: dict[str, bool] = {}
        on_unit: dict[str, bool] = {}
        for address, by_address, by_unit in cases:
            made = register(api, gen, entry(site.location(WGS84, 0, 0), address=address))
            at_address[made], on_unit[made] = by_address, by_unit
        by_street = {"type": "addresses", "addresses": [home]}
        by_cadastre = {"type": "cadastral-units", "cadastralUnits": [{**unit, "sectionNumber": 2}]}
        for area, expected in ((by_street, at_address), (by_cadastre, on_unit)):
            alert = issue(api, gen, alert_payload(area))
            reached = recipients(receipts_of(api, gen, alert["id"]))
            missed = [rid for rid, hit in expected.items() if hit and rid not in reached]
            wrong = [rid for rid, hit in expected.items() if not hit and rid in reached]
            expect(not missed, f"{len(missed)} register entries the {area['type']} area names got no alert")
            expect(
                not wrong,
                f"{len(wrong)} register entries the {area['type']} area does not name got the alert",
            )

    attempt()


@requirement("/req/citizen-alert/core/receipts")
def check_receipts(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples(max_examples=2)
    @given(site=sites())
    def attempt(site: Site) -> None:
        here = site.location(site.crs, 50, 50)
        reachable = register(api, gen, contactable(here))
        unreachable = register(api, gen, entry(here, digital_mailbox=False))
        stale = register(
            api,
            gen,
            entry(here, phone=phone_number(), email="gammel@example.com", confirmed_days_ago=LONG_AGO),
        )
        never = register(
            api,
            gen,
            entry(here, phone=phone_number(), email="aldri@example.com", confirmed_days_ago=None),
        )
        alert = issue(api, gen, alert_payload(site.area(U_SHAPE), channels=list(CHANNELS)))
        initial = [
            r
            for r in of_notification(receipts_of(api, gen, alert["id"]), "initial")
            if r["residentId"] in {reachable, unreachable, stale, never}
        ]
        expect_one_each(initial, {reachable, unreachable, stale, never}, list(CHANNELS), "initial receipts")
        wanted_reasons = {
            (unreachable, "sms"): "no-contact-point",
            (unreachable, "email"): "no-contact-point",
            (unreachable, "digital-mailbox"): "no-contact-point",
            (stale, "sms"): "contact-outdated",
            (stale, "email"): "contact-outdated",
            (never, "sms"): "contact-outdated",
            (never, "email"): "contact-outdated",
        }
        for receipt in initial:
            key = (receipt["residentId"], receipt["channel"])
            got = receipt["reason"] if receipt["status"] == "failed" else receipt["status"]
            wanted = wanted_reasons.get(key)
            if wanted is not None:
                expect(
                    got == wanted,
                    f"the {key[1]} receipt of {_who(key[0], reachable, stale, never)} is "
                    f"{got!r}, not failed with {wanted!r}",
                )
            else:
                expect(
                    got not in ("no-contact-point", "contact-outdated"),
                    f"the {key[1]} receipt of {_who(key[0], reachable, stale, never)} failed with {got!r}",
                )

    attempt()


@requirement("/req/citizen-alert/core/receipts")
def check_receipts_at_eighteen_months(api: ApiClient, gen: Generators, examples: Examples) -> None:
    """KRR's 18 months are calendar months back from the sending: details confirmed three days
    inside them are used, three days outside them are not (18 x 30 days refuses the first)."""

    @examples(max_examples=1)
    @given(site=sites())
    def attempt(site: Site) -> None:
        limit = months_before(datetime.now(UTC), 18)
        cases = {"three days within 18 months": 3, "three days before 18 months": -3}
        made: dict[str, str] = {}
        for what, days in cases.items():
            body = contactable(site.location(site.crs, 50, 50))
            body["contactConfirmedAt"] = iso(limit + timedelta(days=days))
            made[register(api, gen, body)] = what
        alert = issue(api, gen, alert_payload(site.area(U_SHAPE), channels=["sms", "email"]))
        initial = of_notification(receipts_of(api, gen, alert["id"]), "initial")
        ours = [r for r in initial if str(r["residentId"]) in made]
        expect_one_each(ours, set(made), ["sms", "email"], "initial receipts")
        for receipt in ours:
            confirmed_when = made[str(receipt["residentId"])]
            outdated = receipt["status"] == "failed" and receipt.get("reason") == "contact-outdated"
            expect(
                outdated == (cases[confirmed_when] < 0),
                f"the {receipt['channel']} receipt of a recipient whose contact details were confirmed "
                f"{confirmed_when} is {receipt['status']!r} ({receipt.get('reason')!r})",
            )

    attempt()


def _who(resident_id: str, reachable: str, stale: str, never: str) -> str:
    names = {
        reachable: "a recipient with confirmed contact details",
        stale: "a recipient whose contact details were confirmed 24 months ago",
        never: "a recipient whose contact details were never confirmed",
    }
    return names.get(resident_id, "a recipient without phone, e-mail or digital mailbox")


@requirement("/req/citizen-alert/core/idempotency")
def check_idempotency(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples(max_examples=2)
    @given(site=sites())
    def attempt(site: Site) -> None:
        inside = register(api, gen, contactable(site.location(site.crs, 50, 50)))
        payload = alert_payload(site.area(U_SHAPE), channels=["sms", "email"])
        key = {"Idempotency-Key": f"felles-{uuid.uuid4()}"}
        first = api.post(ALERTS, payload, headers=key)
        alert = created(first, gen, "Alert", "the first POST with an Idempotency-Key")
        again = api.post(ALERTS, payload, headers=key)
        expect(again.status_code == 201, f"the retry answered {again.status_code}, not 201 as the first")
        locations = (header(first, "Location"), header(again, "Location"))
        expect(
            locations[0] == locations[1],
            f"the retry answered Location {locations[1]}, the first {locations[0]}",
        )
        receipts = [r for r in receipts_of(api, gen, alert["id"]) if r["residentId"] == inside]
        expect(
            len(receipts) == 2,
            f"the recipient has {len(receipts)} receipts after a retry, not 2 (sms, email)",
        )
        other = {**payload, "title": payload["title"][:150] + " (endret)"}
        reused = api.post(ALERTS, other, headers=key)
        expect(reused.status_code == 422, f"the key reused with another body answered {reused.status_code}")
        expect_problem(reused, 422)

    attempt()


@requirement("/req/citizen-alert/core/pagination")
def check_pagination(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples(max_examples=1)
    @given(site=sites())
    def attempt(site: Site) -> None:
        area = {
            "type": "addresses",
            "addresses": [
                {
                    "streetName": f"Sidegata {uuid.uuid4().hex}",
                    "houseNumber": 1,
                    "postalCode": "0150",
                    "postalCity": "OSLO",
                }
            ],
        }
        made = [issue(api, gen, alert_payload(area))["id"] for _ in range(5)]
        listed = [str(a["id"]) for a in walk_pages(api, ALERTS, gen.validator("AlertPage"), {"limit": 2})]
        expect_exactly_once(listed, made, "alerts with limit=2")
        for index in range(5):
            register(api, gen, contactable(site.location(site.crs, 20 + 10 * index, 30)))
        alert = issue(api, gen, alert_payload(site.area(U_SHAPE), channels=["email"]))
        everything = [str(r["id"]) for r in receipts_of(api, gen, alert["id"], limit=100)]
        paged = [str(r["id"]) for r in receipts_of(api, gen, alert["id"], limit=2)]
        expect(len(everything) >= 5, f"5 recipients, {len(everything)} receipts")
        expect_exactly_once(paged, everything, "receipts with limit=2")

    attempt()


@requirement("/req/citizen-alert/core/authentication")
def check_authentication(anonymous: ApiClient, api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples(max_examples=1)
    @given(site=sites())
    def attempt(site: Site) -> None:
        alert = issue(api, gen, alert_payload(site.area(U_SHAPE)))
        resident_id = register(api, gen, entry(site.location(WGS84, 1, 1)))
        path = f"{ALERTS}/{alert['id']}"
        message = {"message": {"nb": "Uautorisert"}}
        probes: list[tuple[str, Callable[[], Response]]] = [
            ("list alerts", lambda: anonymous.get(ALERTS)),
            ("read an alert", lambda: anonymous.get(path)),
            ("issue", lambda: anonymous.post(ALERTS, alert_payload(site.area(U_SHAPE)))),
            ("update", lambda: anonymous.post(f"{path}/updates", message)),
            ("cancel", lambda: anonymous.post(f"{path}/cancellation", message)),
            ("read receipts", lambda: anonymous.get(f"{path}/receipts")),
            (
                "register",
                lambda: anonymous.post(RESIDENTS, entry(site.location(WGS84, 1, 1))),
            ),
            ("read a register entry", lambda: anonymous.get(f"{RESIDENTS}/{resident_id}")),
            ("read events", lambda: anonymous.get("/events")),
            (
                "update with a forged token",
                lambda: api.post(f"{path}/updates", message, raw_token=FORGED_JWT),
            ),
        ]
        expect_unauthenticated(probes)
        after = get_alert(api, gen, alert["id"])
        expect(
            (after["status"], after["updateCount"]) == ("active", 0),
            "a request without a valid token changed the alert",
        )

    attempt()


@requirement("/req/citizen-alert/core/scopes")
def check_scopes(
    client_for: Callable[[str], ApiClient], api: ApiClient, gen: Generators, examples: Examples
) -> None:
    reader, writer = client_for("read-only"), client_for("write-only")

    @examples(max_examples=1)
    @given(site=sites())
    def attempt(site: Site) -> None:
        alert = issue(api, gen, alert_payload(site.area(U_SHAPE)))
        resident_id = register(api, gen, entry(site.location(WGS84, 1, 1)))
        path = f"{ALERTS}/{alert['id']}"
        message = {"message": {"nb": "Uten rettighet"}}
        for what, response in (
            ("reading an alert without citizen-alert:read", writer.get(path)),
            ("listing alerts without citizen-alert:read", writer.get(ALERTS)),
            ("reading receipts without citizen-alert:read", writer.get(f"{path}/receipts")),
            ("reading a register entry without citizen-alert:read", writer.get(f"{RESIDENTS}/{resident_id}")),
            ("reading events without citizen-alert:read", writer.get("/events")),
            (
                "issuing without citizen-alert:write",
                reader.post(ALERTS, alert_payload(site.area(U_SHAPE))),
            ),
            ("updating without citizen-alert:write", reader.post(f"{path}/updates", message)),
            ("cancelling without citizen-alert:write", reader.post(f"{path}/cancellation", message)),
            (
                "registering without citizen-alert:write",
                reader.post(RESIDENTS, entry(site.location(WGS84, 1, 1))),
            ),
        ):
            expect(response.status_code == 403, f"{what} answered {response.status_code}, not 403")
            expect_problem(response, 403)
        after = get_alert(api, gen, alert["id"])
        expect(
            (after["status"], after["updateCount"]) == ("active", 0),
            "a request without citizen-alert:write changed the alert",
        )

    attempt()


@requirement("/req/citizen-alert/core/tenant-isolation")
def check_tenant_isolation(
    client_for: Callable[[str], ApiClient], api: ApiClient, gen: Generators, examples: Examples
) -> None:
    other = client_for("other-tenant")

    @examples(max_examples=1)
    @given(site=sites())
    def attempt(site: Site) -> None:
        theirs = register(other, gen, contactable(site.location(site.crs, 50, 50)))
        ours = register(api, gen, contactable(site.location(site.crs, 60, 50)))
        alert = issue(api, gen, alert_payload(site.area(U_SHAPE)))
        reached = recipients(receipts_of(api, gen, alert["id"]))
        expect(ours in reached, "the kommune's own register entry inside the area got no alert")
        expect(theirs not in reached, "another kommune's register entry inside the area got the alert")
        path = f"{ALERTS}/{alert['id']}"
        for what, response in (
            ("reading the alert", other.get(path)),
            ("reading its receipts", other.get(f"{path}/receipts")),
            ("reading the register entry", other.get(f"{RESIDENTS}/{ours}")),
            ("updating the alert", other.post(f"{path}/updates", {"message": {"nb": "Fremmed"}})),
            ("cancelling the alert", other.post(f"{path}/cancellation", {"message": {"nb": "Fremmed"}})),
        ):
            expect(response.status_code == 404, f"another kommune {what} got {response.status_code}, not 404")
            expect_problem(response, 404)
        listed = [str(a["id"]) for a in walk_pages(other, ALERTS, gen.validator("AlertPage"), {"limit": 100})]
        expect(alert["id"] not in listed, "another kommune's alert list includes this kommune's alert")
        seen = [e for e in feed(other, gen, None) if alert["id"] in json.dumps(e)]
        expect(not seen, f"another kommune's event feed has {len(seen)} events of this kommune's alert")

    attempt()


# ------------------------------------------------------------------ lifecycle


@requirement("/req/citizen-alert/lifecycle/update")
def check_update_reaches_every_recipient(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples(max_examples=2)
    @given(
        site=sites(),
        first=gen.valid("AlertUpdate").map(lambda u: {k: v for k, v in u.items() if k != "validTo"}),
    )
    def attempt(site: Site, first: dict[str, Any]) -> None:
        updates = [first, {"message": {"nb": "Andre oppdatering"}, "severity": "minor"}]
        channels = ["sms", "email"]
        alert, _ = alert_with_recipients(api, gen, site, channels=channels)
        late = register(api, gen, contactable(site.location(site.crs, 250, 250)))
        reached = recipients(receipts_of(api, gen, alert["id"]))
        for number, update in enumerate(updates, start=1):
            response = api.post(f"{ALERTS}/{alert['id']}/updates", update)
            expect(
                response.status_code == 200,
                f"update {number} answered {response.status_code}" + problem_detail(response),
            )
            body = expect_json_body(response, gen.validator("Alert"))
            expect(
                body["updateCount"] == number, f"after update {number} updateCount is {body['updateCount']}"
            )
            changed = {k: body.get(k) for k in update}
            expect(changed == update, f"update {number} was not applied: " + json_diff(update, changed))
            sent = [
                r
                for r in receipts_of(api, gen, alert["id"])
                if r["notification"] == "update" and r["sequence"] == number
            ]
            expect_one_each(
                sent, reached, channels, f"receipts of update {number} (not to {late}, registered later)"
            )

    attempt()


@requirement("/req/citizen-alert/lifecycle/cancel")
def check_cancel_reaches_every_recipient(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples(max_examples=2)
    @given(
        site=sites(),
        cancellation=gen.valid("AlertCancellation"),
    )
    def attempt(site: Site, cancellation: dict[str, Any]) -> None:
        channels = ["sms", "digital-mailbox"]
        alert, _ = alert_with_recipients(api, gen, site, channels=channels)
        path = f"{ALERTS}/{alert['id']}"
        reached = recipients(receipts_of(api, gen, alert["id"]))
        response = api.post(f"{path}/cancellation", cancellation)
        expect(
            response.status_code == 200,
            f"cancelling answered {response.status_code}" + problem_detail(response),
        )
        body = expect_json_body(response, gen.validator("Alert"))
        expect(body["status"] == "cancelled", f"a cancelled alert has status {body['status']!r}")
        expect(body["cancelledAt"] is not None, "a cancelled alert has no cancelledAt")
        receipts = receipts_of(api, gen, alert["id"])
        expect_one_each(of_notification(receipts, "cancellation"), reached, channels, "cancellation receipts")
        for what, refused in (
            ("an update of a cancelled alert", api.post(f"{path}/updates", {"message": {"nb": "For sent"}})),
            ("cancelling a cancelled alert again", api.post(f"{path}/cancellation", cancellation)),
        ):
            expect(refused.status_code == 409, f"{what} answered {refused.status_code}, not 409")
            expect_problem(refused, 409)
        after = receipts_of(api, gen, alert["id"])
        expect(
            len(after) == len(receipts), f"refused requests sent {len(after) - len(receipts)} notifications"
        )

    attempt()


# ------------------------------------------------------------------ events


@requirement("/req/citizen-alert/events/feed")
def check_event_feed(api: ApiClient, gen: Generators, examples: Examples) -> None:
    reader = FeedReader(api, gen)

    @examples(max_examples=2)
    @given(site=sites())
    def attempt(site: Site) -> None:
        alert, _ = alert_with_recipients(api, gen, site, channels=["sms", "email"])
        path = f"{ALERTS}/{alert['id']}"
        expect_status(api.post(f"{path}/updates", {"message": {"nb": "Oppdatering"}}), 200)
        expect_status(api.post(f"{path}/cancellation", {"message": {"nb": "Avlyst"}}), 200)
        events = reader.new_events()
        keys = [(e["source"], e["id"]) for e in events]
        expect(len(set(keys)) == len(keys), "source + id of two events in the feed are equal")
        mine = [e for e in events if e.get("subject") == alert["id"]]
        kinds = [e["type"].removeprefix("no.felles.citizen-alert.") for e in mine if "alert-" in e["type"]]
        wanted = ["alert-issued", "alert-updated", "alert-cancelled"]
        expect(kinds == wanted, f"the alert's events are {kinds}, expected {wanted} in this order")
        receipt_ids = sorted(str(r["id"]) for r in receipts_of(api, gen, alert["id"]))
        announced = sorted(
            str(e["data"].get("receiptId")) for e in mine if e["type"].endswith("receipt-recorded")
        )
        expect(
            sorted(set(announced)) == receipt_ids,
            f"{len(receipt_ids)} receipts but receipt-recorded events for {len(set(announced))}",
        )
        pivot = next(i for i, e in enumerate(events) if e is mine[0])
        resumed = [str(e["id"]) for e in feed(api, gen, str(events[pivot]["id"]))]
        following = [str(e["id"]) for e in events[pivot + 1 :]]
        expect(
            resumed[: len(following)] == following,
            f"?after={events[pivot]['id']} does not continue with the events after it",
        )

    attempt()


@requirement("/req/citizen-alert/events/no-personal-data")
def check_events_carry_no_personal_data(api: ApiClient, gen: Generators, examples: Examples) -> None:
    reader = FeedReader(api, gen)

    @examples(max_examples=2)
    @given(site=sites())
    def attempt(site: Site) -> None:
        marker = uuid.uuid4().hex[:10]
        body = contactable(site.location(site.crs, 50, 50))
        body["person"].update(givenName=f"Fornavn{marker}", familyName=f"Etternavn{marker}")
        body["address"] = {
            "streetName": f"Personvernveien {marker}",
            "houseNumber": 3,
            "postalCode": "0150",
            "postalCity": "OSLO",
        }
        register(api, gen, body)
        alert = issue(api, gen, alert_payload(site.area(U_SHAPE), channels=list(CHANNELS)))
        expect_status(api.post(f"{ALERTS}/{alert['id']}/updates", {"message": {"nb": "Oppdatering"}}), 200)
        events = reader.new_events()
        person = body["person"]
        personal = [
            person["nationalIdentityNumber"],
            person["givenName"],
            person["familyName"],
            person["phone"],
            person["email"],
            body["address"]["streetName"],
        ]
        for event in events:
            text = json.dumps(event, ensure_ascii=False)
            leaked = [value for value in personal if value in text]
            expect(
                not leaked, f"event {event.get('id')} ({event.get('type')}) contains personal data: {leaked}"
            )

    attempt()
