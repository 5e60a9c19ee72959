"""Checks for property@1.0 (spec/property/1.0/index.md).

One function per requirement; each may only fail when the system under test
breaks that requirement. Generated payloads are fitted to the rules beyond the
schema (kommune, fresh matrikkelnummer, past visits) by :mod:`.property_payloads`.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from felles.runner.assertions import expect_json_body, expect_problem, expect_status, header
from felles.runner.checks.property_assertions import (
    expect_answer,
    expect_rejected_at,
)
from felles.runner.checks.property_payloads import (
    SERVICES,
    add_months,
    address_matches,
    branch,
    cadastral_key,
    fit_property,
    home_kommune,
    oslo_date,
    oslo_today,
    other_kommune,
    owner_reference,
    planned_building,
    standard_example,
)
from felles.runner.checks.shared import (
    FORGED_JWT,
    expect_declaration,
    expect_exactly_once,
    expect_refused,
    expect_unauthenticated,
    json_diff,
    problem_detail,
    walk_pages,
)
from felles.runner.client import ApiClient, Response
from felles.runner.config import RunConfig
from felles.runner.failures import expect
from felles.runner.generators import Generators
from felles.runner.plugin import ExamplesDecorator as Examples
from felles.standard import Component
from felles.strategies.identifiers import national_identity_numbers, organization_numbers
from felles.strategies.near_miss import NearMiss

requirement = pytest.mark.requirement

PROPERTIES = "/properties"
MEMBERS = ("cadastralNumber", "addresses", "owners", "buildings")
CADASTRAL_PARAMETERS = {
    "cadastralUnitNumber": 0,
    "propertyUnitNumber": 1,
    "leaseholdNumber": 2,
    "sectionNumber": 3,
}


# ------------------------------------------------------------------ helpers


def house(gen: Generators) -> dict[str, Any]:
    """The standard's richest PropertyInput example: two owners, buildings with and without a plan."""
    return standard_example(gen, "PropertyInput", "detached-house-two-owners-sweeping-plan")


def create(api: ApiClient, gen: Generators, payload: Any) -> tuple[Response, dict[str, Any]]:
    response = api.post(PROPERTIES, payload)
    return response, expect_answer(response, 201, gen.validator("Property"), f"POST {PROPERTIES}")


def created(api: ApiClient, gen: Generators, payload: Any) -> dict[str, Any]:
    return create(api, gen, payload)[1]


def get_property(api: ApiClient, gen: Generators, property_id: str) -> dict[str, Any]:
    path = f"{PROPERTIES}/{property_id}"
    return expect_answer(api.get(path), 200, gen.validator("Property"), f"GET {path}")


def listed(api: ApiClient, gen: Generators, params: Mapping[str, str | int]) -> list[dict[str, Any]]:
    return walk_pages(api, PROPERTIES, gen.validator("PropertyPage"), {"limit": 100, **params})


def listed_at(api: ApiClient, gen: Generators, payload: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The kommune's properties with the gårdsnummer and bruksnummer of ``payload``."""
    numbers = payload["cadastralNumber"]
    return listed(
        api,
        gen,
        {
            "cadastralUnitNumber": numbers["cadastralUnitNumber"],
            "propertyUnitNumber": numbers["propertyUnitNumber"],
        },
    )


def schedule_path(property_id: str, building_number: str) -> str:
    return f"{PROPERTIES}/{property_id}/buildings/{building_number}/fire-safety"


def get_schedule(api: ApiClient, gen: Generators, property_id: str, building_number: str) -> dict[str, Any]:
    path = schedule_path(property_id, building_number)
    return expect_answer(api.get(path), 200, gen.validator("FireSafetySchedule"), f"GET {path}")


def send_notice(api: ApiClient, prop: Mapping[str, Any], notice: Any) -> Response:
    return api.post(schedule_path(prop["id"], planned_building(prop)["buildingNumber"]) + "/notices", notice)


def notice_ok(api: ApiClient, gen: Generators, prop: Mapping[str, Any], notice: Any) -> dict[str, Any]:
    return expect_answer(send_notice(api, prop, notice), 201, gen.validator("Notice"), "sending a notice")


def expect_listing(
    found: list[dict[str, Any]],
    matches: Callable[[dict[str, Any]], bool],
    ours: list[dict[str, Any]],
    query: str,
) -> None:
    """Exactly the matching properties: all listed ones match, all of ours that match are listed."""
    wrong = [p["id"] for p in found if not matches(p)]
    expect(not wrong, f"GET {PROPERTIES}?{query} listed properties that do not match: {wrong[:5]}")
    ids = [p["id"] for p in found]
    missing = [p["id"] for p in ours if matches(p) and p["id"] not in ids]
    expect(not missing, f"GET {PROPERTIES}?{query} left out matching properties {missing[:5]}")


def query_text(params: Mapping[str, Any]) -> str:
    return "&".join(f"{k}={v}" for k, v in params.items())


def with_cadastral(payload: Mapping[str, Any], **numbers: int) -> dict[str, Any]:
    changed = copy.deepcopy(dict(payload))
    changed["cadastralNumber"].update(numbers)
    return changed


def without_fnr_snr(payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` with festenummer and seksjonsnummer absent (the spec's 0)."""
    payload["cadastralNumber"] = {
        k: v for k, v in payload["cadastralNumber"].items() if k not in ("leaseholdNumber", "sectionNumber")
    }
    return payload


def expected_services(
    prop: Mapping[str, Any], building: Mapping[str, Any], visits: list[Any]
) -> dict[str, Any]:
    """``sweeping`` and ``inspection`` as the spec defines them for ``visits`` recorded."""
    services = {}
    for service in SERVICES:
        plan = building["fireSafety"][service]
        dates = [date.fromisoformat(v["date"]) for v in visits if v["service"] == service]
        if "lastVisit" in plan:
            dates.append(date.fromisoformat(plan["lastVisit"]))
        last = max(dates) if dates else None
        due = oslo_date(prop["createdAt"]) if last is None else add_months(last, plan["intervalMonths"])
        services[service] = {
            "intervalMonths": plan["intervalMonths"],
            "lastVisit": None if last is None else last.isoformat(),
            "nextDue": due.isoformat(),
        }
    return services


def expect_services(got: Mapping[str, Any], wanted: Mapping[str, Any], what: str) -> None:
    for service in SERVICES:
        shown = {k: got[service].get(k) for k in wanted[service]}
        expect(shown == wanted[service], f"{what}, {service}: " + json_diff(wanted[service], shown))


# ------------------------------------------------------------------ core


@requirement("/req/property/core/conformance")
def check_conformance_declaration(anonymous: ApiClient, component: Component, run_config: RunConfig) -> None:
    expect_declaration(anonymous, component, run_config)


@requirement("/req/property/core/create")
def check_create(api: ApiClient, gen: Generators, run_config: RunConfig, examples: Examples) -> None:
    kommune = home_kommune(run_config)

    @examples
    @given(payload=gen.valid("PropertyInput"))
    @example(payload=house(gen))
    def attempt(payload: Any) -> None:
        response, body = create(api, gen, fit_property(payload, kommune, with_plan=False))
        expect(header(response, "Location") is not None, "201 Created without a Location header")
        expect(
            body["municipalityNumber"] == kommune,
            f"the property belongs to kommune {body['municipalityNumber']}, the caller's is {kommune}",
        )

    attempt()


@requirement("/req/property/core/read-back")
def check_read_back(api: ApiClient, gen: Generators, run_config: RunConfig, examples: Examples) -> None:
    kommune = home_kommune(run_config)

    @examples
    @given(payload=gen.valid("PropertyInput"))
    @example(payload=house(gen))
    def attempt(payload: Any) -> None:
        sent = fit_property(payload, kommune, with_plan=False)
        stored = get_property(api, gen, created(api, gen, sent)["id"])
        got = {k: stored.get(k) for k in MEMBERS}
        expect(got == {k: sent[k] for k in MEMBERS}, "the stored property differs: " + json_diff(sent, got))

    attempt()


@requirement("/req/property/core/reject-invalid")
def check_rejects_invalid(api: ApiClient, gen: Generators, examples: Examples) -> None:
    @examples
    @given(miss=gen.near_miss("PropertyInput"))
    @example(miss=gen.all_near_misses("PropertyInput", house(gen))[0])
    def attempt(miss: NearMiss) -> None:
        expect_rejected_at(
            api.post(PROPERTIES, miss.instance),
            miss.pointer,
            f"input with {miss.reason} at {miss.pointer}",
            400,
            422,
        )

    attempt()


@requirement("/req/property/core/reject-invalid")
def check_rejects_repeated_building_number(
    api: ApiClient, gen: Generators, run_config: RunConfig, examples: Examples
) -> None:
    kommune = home_kommune(run_config)

    @examples(max_examples=3)
    @given(payload=gen.valid("PropertyInput"))
    @example(payload=house(gen))
    def attempt(payload: Any) -> None:
        sent = fit_property(payload, kommune)
        sent["buildings"].append(copy.deepcopy(sent["buildings"][0]))
        last = len(sent["buildings"]) - 1
        pointer = f"/buildings/{last}/buildingNumber"
        expect_rejected_at(api.post(PROPERTIES, sent), pointer, "a repeated buildingNumber", 400, 422)
        found = listed_at(api, gen, sent)
        expect(not found, "a property with a repeated buildingNumber was created anyway")

    attempt()


@requirement("/req/property/core/cadastral-number")
def check_cadastral_number(
    api: ApiClient, gen: Generators, run_config: RunConfig, examples: Examples
) -> None:
    kommune = home_kommune(run_config)

    @examples(max_examples=2)
    @given(payload=gen.valid("PropertyInput"))
    @example(payload=house(gen))
    def attempt(payload: Any) -> None:
        base = fit_property(payload, kommune, with_plan=False)
        breaks: list[tuple[str, Any]] = [
            ("cadastralUnitNumber", 0),
            ("propertyUnitNumber", 0),
            ("cadastralUnitNumber", 100000),
            ("propertyUnitNumber", 10000),
            ("leaseholdNumber", 10000),
            ("sectionNumber", 1000),
            ("municipalityNumber", other_kommune(kommune)),
        ]
        for member, value in breaks:
            broken = copy.deepcopy(base)
            broken["cadastralNumber"][member] = value
            pointer = f"/cadastralNumber/{member}"
            expect_rejected_at(
                api.post(PROPERTIES, broken), pointer, f"matrikkelnummer with {member} {value}"
            )
        found = listed_at(api, gen, base)
        expect(
            not found, f"a rejected matrikkelnummer was registered: {[p['cadastralNumber'] for p in found]}"
        )

    attempt()


@requirement("/req/property/core/unique")
def check_unique_cadastral_number(
    api: ApiClient, gen: Generators, run_config: RunConfig, examples: Examples
) -> None:
    kommune = home_kommune(run_config)

    @examples(max_examples=2)
    @given(payload=gen.valid("PropertyInput"))
    @example(payload=house(gen))
    def attempt(payload: Any) -> None:
        first = without_fnr_snr(fit_property(payload, kommune, with_plan=False))
        created(api, gen, first)
        for again, what in (
            (first, "the same matrikkelnummer again"),
            (
                with_cadastral(first, leaseholdNumber=0, sectionNumber=0),
                "the same matrikkelnummer with fnr/snr 0",
            ),
        ):
            response = api.post(PROPERTIES, again)
            expect(response.status_code == 409, f"{what} was answered {response.status_code}, not 409")
            expect_problem(response, 409)
        found = listed_at(api, gen, first)
        expect(len(found) == 1, f"the matrikkelnummer is registered {len(found)} times")
        created(api, gen, with_cadastral(first, sectionNumber=1))

    attempt()


@requirement("/req/property/core/query-cadastral")
def check_query_by_cadastral_number(
    api: ApiClient, gen: Generators, run_config: RunConfig, examples: Examples
) -> None:
    kommune = home_kommune(run_config)

    @examples(max_examples=1)
    @given(payload=gen.valid("PropertyInput"))
    @example(payload=house(gen))
    def attempt(payload: Any) -> None:
        base = without_fnr_snr(fit_property(payload, kommune, with_plan=False))
        gnr, bnr = (
            base["cadastralNumber"]["cadastralUnitNumber"],
            base["cadastralNumber"]["propertyUnitNumber"],
        )
        variants = [
            base,
            with_cadastral(base, sectionNumber=1),
            with_cadastral(base, leaseholdNumber=3),
            with_cadastral(base, propertyUnitNumber=bnr % 9999 + 1),
        ]
        ours = [created(api, gen, variant) for variant in variants]
        for params in (
            {"cadastralUnitNumber": gnr},
            {"cadastralUnitNumber": gnr, "propertyUnitNumber": bnr},
            {"cadastralUnitNumber": gnr, "sectionNumber": 0},
            {"cadastralUnitNumber": gnr, "propertyUnitNumber": bnr, "leaseholdNumber": 0, "sectionNumber": 0},
            {"sectionNumber": 1, "cadastralUnitNumber": gnr},
        ):

            def matches(prop: dict[str, Any], params: dict[str, int] = params) -> bool:
                key = cadastral_key(prop["cadastralNumber"])
                return all(key[CADASTRAL_PARAMETERS[name]] == value for name, value in params.items())

            expect_listing(listed(api, gen, params), matches, ours, query_text(params))
        for name, value in (
            ("cadastralUnitNumber", "0"),
            ("cadastralUnitNumber", "100000"),
            ("propertyUnitNumber", "abc"),
            ("sectionNumber", "1000"),
            ("leaseholdNumber", "-1"),
        ):
            response = api.get(PROPERTIES, params={name: value})
            expect(
                response.status_code == 400, f"{name}={value} was answered {response.status_code}, not 400"
            )
            expect_problem(response, 400)

    attempt()


@requirement("/req/property/core/query-address")
def check_query_by_address(
    api: ApiClient, gen: Generators, run_config: RunConfig, examples: Examples
) -> None:
    kommune = home_kommune(run_config)

    @examples(max_examples=1)
    @given(payload=gen.valid("PropertyInput"))
    @example(payload=house(gen))
    def attempt(payload: Any) -> None:
        marker = uuid.uuid4()
        street = f"Ørneveien-{marker.hex[:10]}"
        other = f"Åsveien-{marker.hex[:10]}"

        def at(name: str, number: int, letter: str | None = None, postal: str = "0150") -> dict[str, Any]:
            address = {"streetName": name, "houseNumber": number, "postalCode": postal, "postalCity": "OSLO"}
            return address if letter is None else {**address, "houseLetter": letter}

        address_sets = [
            [at(street, 5, "A")],
            [at(street, 7)],
            [at(other, 5), at(street, 9, "B", "0151")],
            [],
        ]
        ours = []
        for addresses in address_sets:
            variant = fit_property(payload, kommune, with_plan=False)
            variant["addresses"] = addresses
            ours.append(created(api, gen, variant))
        queries: list[dict[str, str | int]] = [
            {"streetName": street.upper()},
            {"streetName": street.lower(), "houseNumber": 5},
            {"streetName": street, "houseLetter": "b"},
            {"streetName": other.upper(), "houseNumber": 5, "postalCode": "0150"},
            {"streetName": other, "houseNumber": 9},
        ]
        for params in queries:

            def matches(prop: dict[str, Any], params: dict[str, str | int] = params) -> bool:
                return any(address_matches(address, params) for address in prop["addresses"])

            expect_listing(listed(api, gen, params), matches, ours, query_text(params))

    attempt()


@requirement("/req/property/core/pagination")
def check_pagination(api: ApiClient, gen: Generators, run_config: RunConfig, examples: Examples) -> None:
    kommune = home_kommune(run_config)

    @examples(max_examples=1)
    @given(payload=gen.valid("PropertyInput"))
    @example(payload=house(gen))
    def attempt(payload: Any) -> None:
        base = fit_property(payload, kommune, with_plan=False)
        gnr = base["cadastralNumber"]["cadastralUnitNumber"]
        made = [created(api, gen, with_cadastral(base, propertyUnitNumber=bnr))["id"] for bnr in range(1, 6)]
        validator = gen.validator("PropertyPage")
        filtered = [
            p["id"] for p in walk_pages(api, PROPERTIES, validator, {"cadastralUnitNumber": gnr, "limit": 2})
        ]
        expect_exactly_once(filtered, made, f"properties with cadastralUnitNumber={gnr} and limit=2")
        everything = [p["id"] for p in walk_pages(api, PROPERTIES, validator, {"limit": 100})]
        expect_exactly_once(everything, made, "properties with limit=100")

    attempt()


@requirement("/req/property/core/authentication")
def check_authentication(
    anonymous: ApiClient, api: ApiClient, gen: Generators, run_config: RunConfig, examples: Examples
) -> None:
    kommune = home_kommune(run_config)

    @examples(max_examples=1)
    @given(payload=gen.valid("PropertyInput"), visit=gen.valid("VisitInput"))
    @example(payload=house(gen), visit=standard_example(gen, "VisitInput", "inspection-with-remarks"))
    def attempt(payload: Any, visit: Any) -> None:
        sent = fit_property(payload, kommune)
        prop = created(api, gen, sent)
        schedule = schedule_path(prop["id"], planned_building(sent)["buildingNumber"])
        probes: list[tuple[str, Callable[[], Response]]] = [
            ("list", lambda: anonymous.get(PROPERTIES)),
            ("read", lambda: anonymous.get(f"{PROPERTIES}/{prop['id']}")),
            ("register", lambda: anonymous.post(PROPERTIES, fit_property(payload, kommune))),
            ("read the schedule", lambda: anonymous.get(schedule)),
            ("record a visit", lambda: anonymous.post(f"{schedule}/visits", visit)),
            ("read with a forged token", lambda: api.get(f"{PROPERTIES}/{prop['id']}", raw_token=FORGED_JWT)),
        ]
        expect_unauthenticated(probes)

    attempt()


@requirement("/req/property/core/scopes")
def check_scopes(
    client_for: Callable[[str], ApiClient],
    api: ApiClient,
    gen: Generators,
    run_config: RunConfig,
    examples: Examples,
) -> None:
    kommune = home_kommune(run_config)
    reader, writer = client_for("read-only"), client_for("write-only")

    @examples(max_examples=1)
    @given(payload=gen.valid("PropertyInput"), visit=gen.valid("VisitInput"))
    @example(payload=house(gen), visit=standard_example(gen, "VisitInput", "inspection-with-remarks"))
    def attempt(payload: Any, visit: Any) -> None:
        sent = fit_property(payload, kommune)
        prop = created(api, gen, sent)
        number = planned_building(sent)["buildingNumber"]
        schedule = schedule_path(prop["id"], number)
        visit = {**visit, "date": (oslo_today() - timedelta(days=3)).isoformat()}
        notice = {
            "service": "sweeping",
            "plannedDate": (oslo_today() + timedelta(days=30)).isoformat(),
            "recipient": owner_reference(sent["owners"][0]),
        }
        other = fit_property(payload, kommune)
        attempts = [
            ("reading without property:read", writer.get(f"{PROPERTIES}/{prop['id']}")),
            ("listing without property:read", writer.get(PROPERTIES)),
            ("reading a schedule without property:read", writer.get(schedule)),
            ("registering without property:write", reader.post(PROPERTIES, other)),
            ("recording a visit without property:write", reader.post(f"{schedule}/visits", visit)),
            ("sending a notice without property:write", reader.post(f"{schedule}/notices", notice)),
        ]
        expect_refused(attempts, 403)
        now = get_schedule(api, gen, prop["id"], number)
        expect(
            not now["visits"] and not now["notices"], "a request without property:write changed the schedule"
        )
        found = listed_at(api, gen, other)
        expect(not found, "a request without property:write registered a property")

    attempt()


@requirement("/req/property/core/tenant-isolation")
def check_tenant_isolation(
    client_for: Callable[[str], ApiClient],
    api: ApiClient,
    gen: Generators,
    run_config: RunConfig,
    examples: Examples,
) -> None:
    kommune = home_kommune(run_config)
    outsider = client_for("other-tenant")

    @examples(max_examples=1)
    @given(payload=gen.valid("PropertyInput"))
    @example(payload=house(gen))
    def attempt(payload: Any) -> None:
        sent = fit_property(payload, kommune)
        prop = created(api, gen, sent)
        schedule = schedule_path(prop["id"], planned_building(sent)["buildingNumber"])
        planned = (oslo_today() + timedelta(days=30)).isoformat()
        notice_body = {
            "service": "sweeping",
            "plannedDate": planned,
            "recipient": owner_reference(sent["owners"][0]),
        }
        notice = notice_ok(api, gen, prop, notice_body)
        visit = {"service": "sweeping", "date": (oslo_today() - timedelta(days=3)).isoformat()}
        attempts = [
            ("another kommune reading the property", outsider.get(f"{PROPERTIES}/{prop['id']}")),
            ("another kommune reading the schedule", outsider.get(schedule)),
            ("another kommune reading the notice", outsider.get(f"/notices/{notice['id']}")),
            ("another kommune recording a visit", outsider.post(f"{schedule}/visits", visit)),
            ("another kommune sending a notice", outsider.post(f"{schedule}/notices", notice_body)),
            (
                "another kommune replying to the notice",
                outsider.post(f"/notices/{notice['id']}/reply", {"answer": "accept"}),
            ),
        ]
        expect_refused(attempts, 404)
        numbers = sent["cadastralNumber"]
        theirs = listed(outsider, gen, {"cadastralUnitNumber": numbers["cadastralUnitNumber"]})
        expect(prop["id"] not in [p["id"] for p in theirs], "another kommune's list includes this property")
        now = get_schedule(api, gen, prop["id"], planned_building(sent)["buildingNumber"])
        expect(not now["visits"] and len(now["notices"]) == 1, "another kommune changed the schedule")
        expect(now["notices"][0]["status"] == "sent", "another kommune replied to the notice")

    attempt()


# ------------------------------------------------------------------ fire-safety


@requirement("/req/property/fire-safety/schedule")
def check_schedule(api: ApiClient, gen: Generators, run_config: RunConfig, examples: Examples) -> None:
    kommune = home_kommune(run_config)
    # Month ends: 31 August + 6 months is 29 February in a leap year; 29 February + 12 is 28th.
    edges = {
        "buildingNumber": "900000001",
        "buildingType": "111",
        "fireSafety": {
            "sweeping": {"intervalMonths": 6, "lastVisit": "2023-08-31"},
            "inspection": {"intervalMonths": 12, "lastVisit": "2024-02-29"},
        },
    }

    @examples(max_examples=3)
    @given(payload=gen.valid("PropertyInput"))
    @example(payload=house(gen))
    def attempt(payload: Any) -> None:
        sent = fit_property(payload, kommune)
        sent["buildings"] = [b for b in sent["buildings"] if b["buildingNumber"] != edges["buildingNumber"]]
        sent["buildings"].append(copy.deepcopy(edges))
        prop = created(api, gen, sent)
        for building in sent["buildings"]:
            number = building["buildingNumber"]
            if "fireSafety" not in building:
                response = api.get(schedule_path(prop["id"], number))
                expect(
                    response.status_code == 404,
                    f"the schedule of building {number}, which has no fire-safety plan, answered "
                    f"{response.status_code}, not 404",
                )
                continue
            schedule = get_schedule(api, gen, prop["id"], number)
            expect_services(schedule, expected_services(prop, building, []), f"building {number}")
        numbers = {b["buildingNumber"] for b in sent["buildings"]}
        unknown = next(str(n) for n in range(999_999_999, 0, -1) if str(n) not in numbers)
        response = api.get(schedule_path(prop["id"], unknown))
        expect(
            response.status_code == 404,
            f"the schedule of building {unknown}, which the property does not have, answered "
            f"{response.status_code}, not 404",
        )

    attempt()


@requirement("/req/property/fire-safety/visits")
def check_visits(api: ApiClient, gen: Generators, run_config: RunConfig, examples: Examples) -> None:
    kommune = home_kommune(run_config)

    @examples(max_examples=3)
    @given(
        payload=gen.valid("PropertyInput"),
        visit=gen.valid("VisitInput"),
        ages=st.lists(st.integers(min_value=0, max_value=4000), min_size=2, max_size=2, unique=True),
    )
    @example(
        payload=house(gen), visit=standard_example(gen, "VisitInput", "sweeping-minimal"), ages=[30, 900]
    )
    def attempt(payload: Any, visit: Any, ages: list[int]) -> None:
        sent = fit_property(payload, kommune)
        prop = created(api, gen, sent)
        building = planned_building(sent)
        path = schedule_path(prop["id"], building["buildingNumber"]) + "/visits"
        recorded: list[dict[str, Any]] = []
        # The newer visit first, then the older one: the older must not move lastVisit back.
        for age in sorted(ages):
            body = {**visit, "date": (oslo_today() - timedelta(days=age + 1)).isoformat()}
            validator = gen.validator("FireSafetySchedule")
            schedule = expect_answer(api.post(path, body), 201, validator, "recording a visit")
            recorded.append(body)
            last = schedule["visits"][-1] if schedule["visits"] else {}
            shown = {k: last.get(k) for k in body}
            expect(shown == body, "the visit is not last in visits: " + json_diff(body, shown))
            expect_services(schedule, expected_services(prop, building, recorded), "after recording a visit")
        future = {**visit, "date": (oslo_today() + timedelta(days=2)).isoformat()}
        expect_rejected_at(api.post(path, future), "/date", "a visit dated after today")
        count = len(get_schedule(api, gen, prop["id"], building["buildingNumber"])["visits"])
        expect(count == len(recorded), f"the schedule has {count} visits; the rejected one was recorded")
        ahead = fit_property(payload, kommune)
        plan = planned_building(ahead)["fireSafety"]
        plan["sweeping"]["lastVisit"] = (oslo_today() + timedelta(days=2)).isoformat()
        pointer = (
            f"/buildings/{ahead['buildings'].index(planned_building(ahead))}/fireSafety/sweeping/lastVisit"
        )
        expect_rejected_at(api.post(PROPERTIES, ahead), pointer, "a registered lastVisit after today")

    attempt()


@requirement("/req/property/fire-safety/notices")
def check_notices(api: ApiClient, gen: Generators, run_config: RunConfig, examples: Examples) -> None:
    kommune = home_kommune(run_config)

    @examples(max_examples=3)
    @given(
        payload=gen.valid("PropertyInput"),
        notice=gen.valid("NoticeInput"),
        days=st.integers(min_value=2, max_value=365),
        stranger=national_identity_numbers(),
        company=organization_numbers(),
    )
    @example(
        payload=house(gen),
        notice=standard_example(gen, "NoticeInput", "inspection-to-cooperative-with-message"),
        days=14,
        stranger="03828510036",
        company="910000039",
    )
    def attempt(payload: Any, notice: Any, days: int, stranger: str, company: str) -> None:
        sent = fit_property(payload, kommune)
        prop = created(api, gen, sent)
        body = {
            **notice,
            "plannedDate": (oslo_today() + timedelta(days=days)).isoformat(),
            "recipient": owner_reference(sent["owners"][-1]),
        }
        response = send_notice(api, prop, body)
        expect(
            response.status_code == 201,
            f"sending a notice answered {response.status_code}, not 201" + problem_detail(response),
        )
        expect(header(response, "Location") is not None, "201 Created without a Location header")
        made = expect_json_body(response, gen.validator("Notice"))
        expect(made["status"] == "sent" and made["reply"] is None, f"a new notice is {made['status']!r}")
        shown = {k: made.get(k) for k in body}
        expect(shown == body, "the notice differs from what was sent: " + json_diff(body, shown))
        fetched = api.get(f"/notices/{made['id']}")
        expect_status(fetched, 200)
        expect(expect_json_body(fetched, gen.validator("Notice")) == made, "GET /notices/{id} differs")
        listed_ids = [
            n["id"]
            for n in get_schedule(api, gen, prop["id"], planned_building(sent)["buildingNumber"])["notices"]
        ]
        expect(made["id"] in listed_ids, "the notice is not in the schedule's notices")
        owners = {owner_reference(o).get("nationalIdentityNumber") for o in sent["owners"]} | {
            owner_reference(o).get("organizationNumber") for o in sent["owners"]
        }
        for recipient, pointer in (
            ({"type": "person", "nationalIdentityNumber": stranger}, "/recipient/nationalIdentityNumber"),
            ({"type": "organization", "organizationNumber": company}, "/recipient/organizationNumber"),
        ):
            if set(recipient.values()) & owners:
                continue
            expect_rejected_at(
                send_notice(api, prop, {**body, "recipient": recipient}), pointer, "a notice to a non-owner"
            )
        past = {**body, "plannedDate": (oslo_today() - timedelta(days=1)).isoformat()}
        expect_rejected_at(send_notice(api, prop, past), "/plannedDate", "a notice planned for yesterday")

    attempt()


@requirement("/req/property/fire-safety/notices")
def check_notice_for_today(
    api: ApiClient, gen: Generators, run_config: RunConfig, examples: Examples
) -> None:
    """The planned date must be *after* today: today itself is the boundary a ``>=`` lets through.
    (The server's today is never earlier than the suite's, so today is refused at any hour.)"""
    kommune = home_kommune(run_config)

    @examples(max_examples=1)
    @given(payload=gen.valid("PropertyInput"))
    @example(payload=house(gen))
    def attempt(payload: Any) -> None:
        sent = fit_property(payload, kommune)
        prop = created(api, gen, sent)
        body = {
            "service": "sweeping",
            "plannedDate": oslo_today().isoformat(),
            "recipient": owner_reference(sent["owners"][0]),
        }
        expect_rejected_at(send_notice(api, prop, body), "/plannedDate", "a notice planned for today")
        notices = get_schedule(api, gen, prop["id"], planned_building(sent)["buildingNumber"])["notices"]
        expect(not notices, f"a notice planned for today was refused, yet the schedule has {len(notices)}")

    attempt()


@requirement("/req/property/fire-safety/replies")
def check_replies(api: ApiClient, gen: Generators, run_config: RunConfig, examples: Examples) -> None:
    kommune = home_kommune(run_config)

    @examples(max_examples=3)
    @given(
        payload=gen.valid("PropertyInput"),
        notice=gen.valid("NoticeInput"),
        accept=branch(gen, "NoticeReply", "answer", "accept"),
        days=st.integers(min_value=2, max_value=365),
    )
    @example(
        payload=house(gen),
        notice=standard_example(gen, "NoticeInput", "sweeping-to-person-owner"),
        accept=standard_example(gen, "NoticeReply", "accept-with-comment"),
        days=21,
    )
    def attempt(payload: Any, notice: Any, accept: Any, days: int) -> None:
        sent = fit_property(payload, kommune)
        prop = created(api, gen, sent)
        body = {
            **notice,
            "plannedDate": (oslo_today() + timedelta(days=days)).isoformat(),
            "recipient": owner_reference(sent["owners"][0]),
        }
        first, second, third = (notice_ok(api, gen, prop, body) for _ in range(3))
        answered = _reply_ok(api, gen, first["id"], accept)
        expect(answered["status"] == "accepted", f"after accept the notice is {answered['status']!r}")
        expect(answered["reply"]["answer"] == "accept", "the reply is not recorded as accept")
        requested = (oslo_today() + timedelta(days=days + 7)).isoformat()
        moved = _reply_ok(api, gen, second["id"], {"answer": "new-date", "requestedDate": requested})
        expect(moved["status"] == "new-date-requested", f"after new-date the notice is {moved['status']!r}")
        expect(
            moved["reply"].get("requestedDate") == requested,
            f"reply.requestedDate is {moved['reply'].get('requestedDate')!r}, not {requested!r}",
        )
        again = api.post(f"/notices/{first['id']}/reply", {"answer": "new-date", "requestedDate": requested})
        expect(again.status_code == 409, f"a second reply was answered {again.status_code}, not 409")
        expect_problem(again, 409)
        after = api.get(f"/notices/{first['id']}").json()
        expect(after == answered, "a refused second reply changed the notice: " + json_diff(answered, after))
        past = {"answer": "new-date", "requestedDate": (oslo_today() - timedelta(days=1)).isoformat()}
        expect_rejected_at(
            api.post(f"/notices/{third['id']}/reply", past), "/requestedDate", "a requested date in the past"
        )
        expect(
            api.get(f"/notices/{third['id']}").json()["status"] == "sent",
            "a rejected reply changed the notice",
        )

    attempt()


def _reply_ok(api: ApiClient, gen: Generators, notice_id: str, reply: Any) -> dict[str, Any]:
    response = api.post(f"/notices/{notice_id}/reply", reply)
    return expect_answer(response, 200, gen.validator("Notice"), "replying to a notice")
